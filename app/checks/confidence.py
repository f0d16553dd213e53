"""Confidence and groundedness of a drafted answer: one score in [0, 1] and the parts behind it.

Pure and deterministic, so a fluent answer the knowledge base does not support scores low
whatever its tone and whatever model wrote it:
- every number, price, percentage, duration and time in the answer must appear in the passages
  (in any format: "€4.95" = "4,95 EUR", "2-3 days" = "2 tot 3 werkdagen", "2 weeks" = "14 days");
- an answer sentence that matches a passage sentence but flips its polarity ("you can return
  opened items" against "opened items cannot be returned") is a contradiction;
- any such unsupported claim caps the score at 0.3, no passages at 0.2, and an answer that
  says it does not know at 0.1 (the pipeline treats it as "did not answer").
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol

from app.checks import claims
from app.checks import confidence_words as lex
from app.checks.output import words
from app.checks.output_words import NEGATORS
from app.text import fold


class PassageLike(Protocol):
    """What the confidence check reads of a retrieved passage (the retriever's `Passage`)."""

    @property
    def text(self) -> str: ...

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


@dataclass(frozen=True)
class Confidence:
    score: float
    parts: dict[str, float | bool | list[str] | None] = field(default_factory=dict)


CAP_UNSUPPORTED, CAP_NO_PASSAGES, CAP_DONT_KNOW = 0.3, 0.2, 0.1
WEIGHTS = {"retrieval": 0.3, "support": 0.5, "fluency": 0.2}

_DONT_KNOW = re.compile(lex.DONT_KNOW)
_DONT_KNOW_ACCENTED = re.compile(lex.DONT_KNOW_ACCENTED)


def says_dont_know(answer: str) -> bool:
    """The answer admits it does not know or found nothing (in any of the five languages)."""
    return bool(_DONT_KNOW.search(words(answer)) or _DONT_KNOW_ACCENTED.search(answer.casefold()))


def unsupported_claims(answer: str, passages: Sequence[PassageLike]) -> list[str]:
    """Numbers, prices, durations, times, links and polarity the passages do not support."""
    source = " \n".join(p.text for p in passages)
    found = claims.missing(answer, source) + _contradictions(answer, source)
    return list(dict.fromkeys(found + _overreach(answer, source)))


def assess(
    answer: str, passages: Sequence[PassageLike], logprobs: Sequence[float] | None
) -> Confidence:
    """One score in [0, 1] with its parts, for the decision record."""
    scores = sorted((p.score for p in passages), reverse=True)
    best = scores[0] if scores else 0.0
    margin = best - (scores[1] if len(scores) > 1 else 0.0)
    retrieval = min(1.0, 0.85 * best + 0.75 * min(margin, 0.2))
    fluency = math.exp(sum(logprobs) / len(logprobs)) if logprobs else None
    support = _support(answer, passages)
    parts = {"retrieval": retrieval, "support": support, "fluency": fluency}
    weights = {k: w for k, w in WEIGHTS.items() if parts[k] is not None}
    score = sum(w * float(parts[k] or 0.0) for k, w in weights.items()) / sum(weights.values())
    unsupported = unsupported_claims(answer, passages)
    dont_know = says_dont_know(answer)
    caps = {
        "unsupported": CAP_UNSUPPORTED if unsupported else None,
        "no_passages": CAP_NO_PASSAGES if not passages else None,
        "weak_retrieval": best + 0.35,  # a great answer to the wrong passage is still a guess
        "dont_know": CAP_DONT_KNOW if dont_know else None,
        "empty": 0.0 if not answer.strip() else None,
    }
    applied = [k for k, cap in caps.items() if cap is not None and cap < score]
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
            "unsupported": unsupported,
            "caps": applied,
        },
    )


# --- Polarity and support --------------------------------------------------------------------

_NEGATIVE = NEGATORS | lex.NEGATIVE_WORDS


@lru_cache(maxsize=64)
def _given(source: str) -> list[tuple[set[str], bool]]:
    """The passages' clauses as (stems, negative?); cached across a turn's sentence checks."""
    return [(_stems(c), _negative(c)) for c in _clauses(source) if not _mixed(c)]


@lru_cache(maxsize=64)
def _vocabulary(source: str) -> tuple[frozenset[str], frozenset[str]]:
    """The passages' words and stems."""
    folded = words(source)
    return frozenset(folded.split()), frozenset(_stems(folded))


def _contradictions(answer: str, source: str) -> list[str]:
    """Answer clauses whose closest passage clauses all say the opposite."""
    given = _given(source)
    found = []
    for clause in _clauses(answer):
        stems = _stems(clause)
        overlaps = [(len(stems & st) / len(stems), neg) for st, neg in given if len(stems & st) > 1]
        best = max((o for o, _ in overlaps), default=0.0)
        if best < 0.5 or _mixed(clause):
            continue
        polarity = _negative(clause)
        if all(neg != polarity for o, neg in overlaps if o == best):
            found.append(f"contradicts: {clause[:80]}")
    return found


def _overreach(answer: str, source: str) -> list[str]:
    """Names and absolutes ("always", "any") in answer sentences about the passages that the
    passages do not use: "our Amsterdam store", "shipping is always free"."""
    known, stems = _vocabulary(source)
    found = []
    for sentence in _SENTENCE.split(answer):
        if len(_stems(words(sentence)) & stems) < 2:
            continue  # a greeting or a sign-off, not a statement about the help centre
        names = {w for n in _names(sentence) for w in words(n).split() if w != "|"}
        absolutes = lex.ABSOLUTES.intersection(words(sentence).split())
        found += [f"not in the passages: {w}" for w in sorted(names | absolutes) if w not in known]
    return found


def _clauses(text: str) -> list[str]:
    """Sentences split at coordinating conjunctions: "valid for 12 months and cannot be
    exchanged for cash" holds one positive and one negative statement."""
    return [c.strip() for c in _CLAUSE.split(words(text)) if len(c.split()) > 1]


_CLAUSE = re.compile(r"\||\b(?:and|but|however|while|whereas|maar|und|aber|et|mais|y|pero)\b")


def _negative(sentence: str) -> bool:
    return not _NEGATIVE.isdisjoint(lex.NOT_NEGATIONS.sub(" ", sentence).split())


def _mixed(sentence: str) -> bool:
    """A rule with its exception ("cannot be returned unless faulty"): no one polarity."""
    return not lex.EXCEPTIONS.isdisjoint(sentence.split())


def _stems(sentence: str) -> set[str]:
    return {
        _stem(w)
        for w in sentence.split()
        if len(w) > 2 and not w.isdigit() and w not in lex.STOPWORDS and w not in _NEGATIVE
    }


def _stem(word: str) -> str:
    """A crude shared stem of inflected forms ("returned", "returns" → "return")."""
    for suffix in ("ingen", "ungen", "ing", "ed", "es", "en", "er", "e", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)][:6]
    return word[:6]


def _support(answer: str, passages: Sequence[PassageLike]) -> float:
    """Share of the answer's content found in the passages: words count once, numbers and
    names twice (they carry the facts). Half the overall share, half the weakest sentence's,
    so one invented sentence among faithful ones still shows."""
    source = " \n".join(p.text for p in passages)
    stems = _vocabulary(source)[1]
    shares = [_sentence_support(s, stems, source) for s in _SENTENCE.split(answer)]
    found, total = sum(f for f, _ in shares), sum(t for _, t in shares)
    if not total:
        return 0.0
    weakest = min((f / t for f, t in shares if t >= 3), default=found / total)
    return (found / total + weakest) / 2


def _sentence_support(sentence: str, stems: frozenset[str], source: str) -> tuple[float, float]:
    names = {_stem(fold(n)) for n in _names(sentence)}
    said = _stems(words(sentence))
    found = sum(2 if s in names else 1 for s in said & stems)
    total = sum(2 if s in names else 1 for s in said)
    stated, made = claims.supported(sentence, source)
    return found + 2 * stated, total + 2 * made


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")
_NAME = re.compile(r"\b(?:[A-Z]{2,}[a-z]*|[A-Z][a-z]+[A-Z]\w*)\b|(?<=[a-z,] )[A-Z][a-z]+\b")
_GERMAN = re.compile(r"\b(?:der|die|das|und|ist|nicht|Sie|Ihre?)\b")


def _names(sentence: str) -> list[str]:
    """Acronyms, CamelCase brands and capitalised words inside a sentence: "DHL", "PostNL",
    "Canada". German capitalises every noun, so there only acronyms and CamelCase count."""
    found = _NAME.findall(sentence)
    if len(_GERMAN.findall(sentence)) >= 2:
        found = [n for n in found if not re.fullmatch(r"[A-Z][a-z]+", n)]
    return [n for n in found if n not in {"I", "AI", "OK", "FAQ"}]
