"""Does a help-centre passage answer the customer's question? Scored on the passage's own
sentences, not on its rank: retrieval always returns a best passage, even for a question the
help centre says nothing about, and quote mode must then say so instead of quoting it.

Two pieces of evidence, the stronger counts:
- words: the share of the question's content words (and named things: countries, payment
  methods, days) found in one passage sentence with the passage's title and heading;
- meaning (with an embedder): the cosine of the question and the sentence, rescaled from
  [MEANING_FLOOR, MEANING_CEILING] to [0, 1] (multilingual-e5 puts every pair in a narrow band).
A named thing the question asks about that the passage never mentions ("bitcoin", "Amsterdam")
vetoes it. The thresholds were calibrated on `app/data/answerability/demo.jsonl`
(tests/test_answerability.py reproduces the calibration).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from app.checks import grounding, sentences
from app.checks.grounding_words import entities
from app.embeddings import Embedder, Vectors, remembered_passages

MEANING_FLOOR, MEANING_CEILING = 0.84, 0.90
ANSWERS = 0.82  # at or above: the passage answers the question (quote it); see the docstring

# Question words and chat filler: they say what kind of answer is wanted, not about what.
_ASKING = frozenset(
    sentences.stem(w)
    for w in str.split(
        "possible possibly allowed able way ways long much many often soon kind"
        " mogelijk lang vaak hoeveel welk welke soort"
        " moglich lange wieviel viele welcher welches oft art"
        " possible longtemps combien souvent quel genre"
        " posible cuanto cuantos cuantas cuanta tiempo cual frecuencia tipo"
    )
)


class PassageLike(grounding.PassageLike, Protocol):
    """A passage as grounding reads it, and its section heading."""

    @property
    def heading(self) -> str: ...


@dataclass(frozen=True)
class Answerability:
    score: float  # 0..1
    words: float
    meaning: float | None
    sentence: str  # the passage sentence that answers best
    missing: tuple[str, ...]  # named things asked about that the passage never mentions

    @property
    def answers(self) -> bool:
        return not self.missing and self.score >= ANSWERS


def score(
    question: str,
    passage: PassageLike,
    *,
    embedder: Embedder | None = None,
    question_vector: Vectors | None = None,
    bridged: str = "",
) -> Answerability:
    """How well `passage` answers `question` (both as the customer and help centre wrote them).
    `bridged`: the question with the help-centre words its foreign words stand for (see
    `app.crosslingual`); a word counts as found when it or its translation is."""
    own = sentences.stems(question) - _ASKING - sentences.COURTESY
    asked = own | (sentences.stems(bridged) - _ASKING - sentences.COURTESY)
    named = entities(question)
    context = sentences.stems(f"{passage.title} {passage.heading}")
    parts = sentences.split(passage.text) or [passage.text]
    best_words, best_at = 0.0, 0
    for i, s in enumerate(parts):
        found = len(asked & (sentences.stems(s) | context))
        covered = min(1.0, found / len(own)) if own else 0.0
        if covered > best_words:
            best_words, best_at = covered, i
    meaning = None
    if embedder is not None:
        vector = question_vector if question_vector is not None else embedder.queries([question])
        labelled = [f"{passage.title}. {passage.heading}. {s}" for s in parts]
        cosines = remembered_passages(embedder, labelled) @ np.asarray(vector).reshape(-1)
        top = int(np.argmax(cosines))
        rescaled = (cosines[top] - MEANING_FLOOR) / (MEANING_CEILING - MEANING_FLOOR)
        meaning = float(np.clip(rescaled, 0.0, 1.0))
        if meaning > best_words:
            best_at = top
    mentioned = entities(f"{passage.title} {passage.heading} {passage.text}")
    missing = tuple(sorted(named - mentioned))
    value = max(best_words, meaning or 0.0)
    return Answerability(round(value, 4), round(best_words, 4), meaning, parts[best_at], missing)


def best(
    question: str,
    passages: Sequence[PassageLike],
    *,
    embedder: Embedder | None = None,
    question_vector: Vectors | None = None,
    bridged: str = "",
) -> tuple[int, Answerability] | None:
    """The passage that answers the question best (by index), or None without passages."""
    scored = [
        (i, score(question, p, embedder=embedder, question_vector=question_vector, bridged=bridged))
        for i, p in enumerate(passages)
    ]
    ranked = sorted(scored, key=lambda s: (not s[1].missing, s[1].score), reverse=True)
    return ranked[0] if ranked else None
