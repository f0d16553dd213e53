"""Hybrid retrieval over the knowledge base: BM25 words plus embedding meaning, one score.

Every score is in [0, 1] and means the same thing for every query, because the confidence
check compares the best score (and its margin over the next) with an operator's threshold:

* `lexical`: the passage's BM25 score divided by what a passage of average length would
  score if it held every query word once (the sum of the words' IDF over 1 + k1), capped
  at 1. So 1.0 reads "all of the question's informative words are here" and 0.5 "half of
  their weight is", whatever the query. Max-normalising would call every best hit 1.0.
* `dense`: the raw cosine of the query and passage embeddings. multilingual-e5 squeezes
  everything into a narrow band (on the demo KB: right pages 0.81 to 0.90, cross-lingual
  at the low end; off-topic questions 0.69 to 0.83), so for fusion it is rescaled linearly
  from [DENSE_FLOOR, DENSE_CEILING] = [0.80, 0.92] to [0, 1] and clipped (dense').
* `score`, the fusion: 1 - (1 - dense') * (1 - LEXICAL_WEIGHT * lexical**2), a noisy OR.
  Either signal alone can carry a passage: meaning for a German question about an English
  page (lexical is 0, so the score is exactly the rescaled cosine and a language without
  shared words is not penalised); words for a part number the model cannot embed (at most
  LEXICAL_WEIGHT). Agreement raises it. Lexical coverage counts squared because sharing one
  word of three (a Dutch verb with the one Dutch page, say) is weak evidence and all of them
  strong. Without an embedding model, score = lexical.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
import bm25s
import numpy as np
import numpy.typing as npt
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.crosslingual import Bridge
from app.documents import passage_text
from app.embeddings import Embedder
from app.models import Chunk, Document, KnowledgeVersion
from app.text import STOPWORDS, fold

log = logging.getLogger("tandem.retrieval")

K1, B = 1.5, 0.75
DENSE_FLOOR, DENSE_CEILING = 0.80, 0.92
LEXICAL_WEIGHT = 0.5
# Numbers keep their separators ("4.95", "15:00"), everything else splits at non-letters.
_TOKEN = re.compile(r"\d+(?:[.,:]\d+)*|\w+")

Vector = npt.NDArray[np.float32]


def tokenize(text: str) -> list[str]:
    """Casefolded, accent-free words without stopwords; the same for every language."""
    return [t for t in _TOKEN.findall(fold(text)) if t not in STOPWORDS]


@dataclass(frozen=True)
class Passage:
    chunk_id: int
    document_id: int
    title: str
    heading: str
    text: str
    score: float  # fused, 0..1
    lexical: float  # coverage-normalised BM25, 0..1
    dense: float | None  # cosine, None without an embedding model


@dataclass(frozen=True)
class _Row:
    chunk_id: int
    document_id: int
    title: str
    heading: str
    text: str
    embedding: bytes | None


class _Index:
    """An immutable snapshot: searches read one while a refresh builds the next."""

    def __init__(
        self,
        version: int,
        rows: Sequence[_Row],
        matrix: Vector | None,
        embedder: Embedder | None = None,
    ) -> None:
        self.version = version
        self.rows = rows
        self.matrix = matrix
        corpus = [tokenize(passage_text(r.title, r.heading, r.text)) for r in rows]
        self.bm25 = bm25s.BM25(k1=K1, b=B, method="lucene")
        self.vocab: dict[str, int] = {}
        if any(corpus):  # bm25s cannot index an empty corpus (or one of empty passages)
            self.bm25.index(corpus, show_progress=False)
            self.vocab = self.bm25.vocab_dict
        n = max(len(rows), 1)
        indptr = self.bm25.scores["indptr"] if self.vocab else [0]
        df = np.diff(np.asarray(indptr, dtype=np.float64))
        self.idf = np.log1p((n - df + 0.5) / (df + 0.5))
        self.unseen_idf = float(np.log1p((n + 0.5) / 0.5))
        self.bridge: Bridge | None = None
        if embedder is not None and self.vocab:
            counted = [w for w in self.vocab if self.vocab[w] < len(df)]  # bm25s adds ""
            by_frequency = sorted(counted, key=lambda w: -df[self.vocab[w]])
            self.bridge = Bridge(embedder, by_frequency)

    def lexical(self, query: str) -> npt.NDArray[np.float32]:
        """Coverage-normalised BM25 for every row (see the module docstring)."""
        terms = set(tokenize(query))
        ids = [self.vocab[t] for t in terms if t in self.vocab]
        if not ids:
            return np.zeros(len(self.rows), dtype=np.float32)
        raw = self.bm25.get_scores_from_ids(ids)
        unseen = len(terms) - len(ids)
        full = (float(self.idf[ids].sum()) + unseen * self.unseen_idf) / (1 + K1)
        return np.asarray(np.minimum(raw / full, 1.0), dtype=np.float32)


class Retriever:
    """One per process. `refresh` before searching is how KB edits reach every replica."""

    def __init__(
        self,
        embedder: Embedder | None,
        *,
        floor: float = DENSE_FLOOR,
        ceiling: float = DENSE_CEILING,
        lexical_weight: float = LEXICAL_WEIGHT,
    ) -> None:
        self.embedder = embedder
        self.floor, self.ceiling, self.lexical_weight = floor, ceiling, lexical_weight
        self._index = _Index(-1, [], None)
        self._lock = anyio.Lock()
        if embedder is None:
            log.warning("retrieval is lexical-only: no embedding model")
        else:
            log.info("hybrid retrieval: BM25 and %s embeddings", embedder.name)

    @property
    def version(self) -> int:
        """The knowledge version the index was built from (-1 before the first refresh)."""
        return self._index.version

    @property
    def size(self) -> int:
        return len(self._index.rows)

    async def refresh(self, session: AsyncSession) -> None:
        """Rebuild the index if the knowledge base changed; otherwise one cheap SELECT."""
        version = await _current_version(session)
        if version == self._index.version:
            return
        if self._lock.locked() and self._index.version >= 0:
            return  # another task is rebuilding: answer from the current index, not wait ~1 s
        async with self._lock:
            if version == self._index.version:  # another task rebuilt it while we waited
                return
            result = await session.execute(
                select(Chunk.id, Chunk.document_id, Document.title, Chunk.heading, Chunk.text)
                .add_columns(Chunk.embedding)
                .join(Document, Document.id == Chunk.document_id)
                .order_by(Chunk.id)
            )
            rows = [_Row(*row) for row in result.all()]
            # Tokenising and indexing 10k passages takes ~1 s: off the event loop.
            self._index = await anyio.to_thread.run_sync(self._build, version, rows)
            log.info("retrieval index: %d passages, knowledge version %d", len(rows), version)

    def _build(self, version: int, rows: list[_Row]) -> _Index:
        return _Index(version, rows, self._matrix(rows), self.embedder)

    def _matrix(self, rows: list[_Row]) -> Vector | None:
        if self.embedder is None or not rows:
            return None
        dim = self.embedder.dim
        matrix = np.zeros((len(rows), dim), dtype=np.float32)
        missing = []
        for i, row in enumerate(rows):
            if row.embedding is not None and len(row.embedding) == 4 * dim:
                matrix[i] = np.frombuffer(row.embedding, dtype="<f4")
            else:
                missing.append(i)
        if missing:  # ingested without a model, or with one of another size
            log.warning("embedding %d passages in memory; re-ingest to store them", len(missing))
            texts = [passage_text(rows[i].title, rows[i].heading, rows[i].text) for i in missing]
            matrix[missing] = self.embedder.passages(texts)
        return matrix

    def bridged(self, query: str) -> str:
        """`query` with the help-centre words its foreign words stand for appended (CPU: it
        embeds the words the help centre does not use; none for a question in its language)."""
        bridge = self._index.bridge
        extra = bridge.translate(query) if bridge is not None else []
        return f"{query} {' '.join(extra)}" if extra else query

    def search(self, query: str, k: int = 5) -> list[Passage]:
        """The k best passages for `query`, embedding it first when there is a model (CPU)."""
        vector = None
        if self.embedder is not None and self._index.matrix is not None:
            vector = self.embedder.queries([query])[0]
        return self.search_vec(query, vector, k)

    def search_vec(self, query: str, query_vec: Vector | None, k: int = 5) -> list[Passage]:
        """Like `search`, for a caller that already embedded the query with `embedder.queries`."""
        index = self._index
        if not index.rows or k <= 0:
            return []
        lexical = index.lexical(query)
        cosine = None
        if index.matrix is not None and query_vec is not None:
            # einsum, not `@`: OpenBLAS threads a matrix-vector product over both cores, and
            # on a busy 2-core box waiting for the second thread costs 10+ ms at p99 (~1 ms
            # single-threaded for 10k x 384).
            vec = np.asarray(query_vec, dtype=np.float32).reshape(-1)
            cosine = np.einsum("ij,j->i", index.matrix, vec)
        fused = self._fuse(lexical, cosine)
        # A tiny tie-break by the raw signals keeps the order where the fused score saturates.
        rank = fused + 1e-4 * (lexical if cosine is None else lexical + cosine)
        return [_passage(index, i, fused, lexical, cosine) for i in _top(rank, k) if fused[i] > 0]

    def _fuse(self, lexical: Vector, cosine: Vector | None) -> Vector:
        if cosine is None:
            return lexical
        dense = np.clip((cosine - self.floor) / (self.ceiling - self.floor), 0.0, 1.0)
        fused = 1.0 - (1.0 - dense) * (1.0 - self.lexical_weight * lexical * lexical)
        return np.asarray(fused, dtype=np.float32)


async def _current_version(session: AsyncSession) -> int:
    stmt = select(KnowledgeVersion.version).where(KnowledgeVersion.id == 1)
    return (await session.scalar(stmt)) or 0


def _top(rank: npt.NDArray[np.floating[Any]], k: int) -> list[int]:
    if k >= len(rank):
        return [int(i) for i in np.argsort(-rank, kind="stable")]
    part = np.argpartition(-rank, k - 1)[:k]
    return [int(i) for i in part[np.argsort(-rank[part], kind="stable")]]


def _passage(
    index: _Index, i: int, fused: Vector, lexical: Vector, cosine: Vector | None
) -> Passage:
    row = index.rows[i]
    return Passage(
        chunk_id=row.chunk_id,
        document_id=row.document_id,
        title=row.title,
        heading=row.heading,
        text=row.text,
        score=float(fused[i]),
        lexical=float(lexical[i]),
        dense=None if cosine is None else float(cosine[i]),
    )
