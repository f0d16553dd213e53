"""Confidence in a drafted answer: one score in [0, 1] and the parts behind it.

Pure and deterministic, so a fluent answer the knowledge base does not support scores low
whatever its tone and whatever model wrote it. The support part is claim-level grounding
(`app.checks.grounding`): each answer sentence aligned with the passage sentence that says the
same thing, its numbers, names and polarity checked there. Then:
- an answer whose direct statement (or half of its statements) is unsupported is capped at 0.3,
  no passages at 0.2, an answer that says it does not know at 0.1 (the pipeline treats it as
  "did not answer");
- retrieval counts for a fifth: a weak retrieval score alone (a Dutch question against an
  English page) never sinks an answer that every sentence of is grounded.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from app.checks import grounding
from app.checks.grounding import Grounder, Grounding
from app.checks.sentences import says_dont_know

__all__ = ["Confidence", "PassageView", "assess", "says_dont_know", "unsupported_claims"]


class PassageLike(grounding.PassageLike, Protocol):
    """A passage as grounding reads it, and its fused retrieval score."""

    @property
    def score(self) -> float: ...  # fused retrieval score, 0..1


@dataclass(frozen=True)
class PassageView:
    """A plain passage, for callers and tests without a retriever."""

    text: str
    score: float
    lexical: float = 0.0
    dense: float | None = None
    document_id: int | str = 0
    title: str = ""
    heading: str = ""


@dataclass(frozen=True)
class Confidence:
    score: float
    parts: dict[str, float | bool | list[str] | None] = field(default_factory=dict)


CAP_UNSUPPORTED, CAP_NO_PASSAGES, CAP_DONT_KNOW = 0.3, 0.2, 0.1
WEIGHTS = {"retrieval": 0.2, "support": 0.6, "fluency": 0.2}


def unsupported_claims(answer: str, passages: Sequence[PassageLike]) -> list[str]:
    """What the answer states that the passage sentences it aligns with do not."""
    return Grounder(passages).ground(answer).problems


def assess(
    answer: str,
    passages: Sequence[PassageLike],
    logprobs: Sequence[float] | None,
    grounding: Grounding | None = None,
) -> Confidence:
    """One score in [0, 1] with its parts, for the decision record. `grounding` is the
    answer's, when the caller has it already (the streaming gate built it)."""
    if grounding is None:
        grounding = Grounder(passages).ground(answer)
    scores = sorted((p.score for p in passages), reverse=True)
    best = scores[0] if scores else 0.0
    margin = best - (scores[1] if len(scores) > 1 else 0.0)
    retrieval = min(1.0, 0.85 * best + 0.75 * min(margin, 0.2))
    fluency = math.exp(sum(logprobs) / len(logprobs)) if logprobs else None
    support = _support(grounding)
    parts = {"retrieval": retrieval, "support": support, "fluency": fluency}
    weights = {k: w for k, w in WEIGHTS.items() if parts[k] is not None}
    score = sum(w * float(parts[k] or 0.0) for k, w in weights.items()) / sum(weights.values())
    dont_know = says_dont_know(answer)
    caps = {
        "unsupported": CAP_UNSUPPORTED if not grounding.holds else None,
        "no_passages": CAP_NO_PASSAGES if not passages else None,
        "dont_know": CAP_DONT_KNOW if dont_know else None,
        "empty": 0.0 if not answer.strip() else None,
    }
    applied = [k for k, cap in caps.items() if cap is not None]  # fired, binding or not
    score = min([score, *(cap for cap in caps.values() if cap is not None)])
    return Confidence(
        score=round(max(0.0, min(1.0, score)), 4),
        parts={
            "best_score": round(best, 4),
            "margin": round(margin, 4),
            "retrieval": round(retrieval, 4),
            "support": round(support, 4),
            "logprob": round(fluency, 4) if fluency is not None else None,
            "dont_know": dont_know,
            "unsupported": grounding.problems,
            "caps": applied,
        },
    )


def _support(grounding: Grounding) -> float:
    """How much of what the answer states is grounded, and how closely: the supported share
    of its statements (to the power 1.5), weighed by how well the shown ones align (1.0: the
    same words)."""
    shown = [s for s in grounding.shown if s.substantive]
    if not shown:
        return 0.0
    closeness = sum(min(1.0, s.alignment) for s in shown) / len(shown)
    # To the power 1.5: an answer half made up is withheld, one with a stray sentence trimmed.
    return float(grounding.share**1.5) * (0.5 + 0.5 * closeness)
