"""Does a help-centre passage answer the customer's question? Scored on the passage's own
sentences, not on its rank: retrieval always returns a best passage, even for a question the
help centre says nothing about, and quote mode must then say so instead of quoting it.

Two pieces of evidence, the stronger counts:
- words: the share of the question's content words (and named things: countries, payment
  methods, days) found in one passage sentence with the passage's title and heading;
- meaning (with an embedder): the cosine of the question and the sentence, rescaled from
  [MEANING_FLOOR, MEANING_CEILING] to [0, 1] (multilingual-e5 puts every pair in a narrow band).
A named thing the question asks about that the passage never mentions ("bitcoin", "Amsterdam")
vetoes it.

Across languages words rarely match and e5 cosines sit in one narrow band, so when neither
vouches for a passage, `best` looks for the one help-centre line that answers, with an encoder
trained for translation pairs (`across`, the Universal Sentence Encoder): among the lines of
the retrieved passages (only those stating the kind of answer asked for, "how long" → a
duration, when the question asks for one), the closest in meaning, with shared (translated)
words and named things as tie-breakers, clearly ahead of every line of the other passages.
The paragraph or list it stands in is quoted. The thresholds were calibrated on
`app/data/answerability/demo.jsonl` (its README says how; tests/test_answerability.py holds
the result).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

import numpy as np

from app.checks import claims, grounding, relevance, sentences
from app.checks.grounding_words import entities, named_in
from app.embeddings import Embedder, Vectors, remembered_passages

MEANING_FLOOR, MEANING_CEILING = 0.84, 0.90
ANSWERS = 0.82  # at or above: the passage answers the question (quote it); see the docstring
# The line route (`across`, cosines of the Universal Sentence Encoder plus the tie-breakers):
LINE_ANSWERS, LINE_MARGIN = 0.52, 0.17  # a line answering a question of no particular kind
KIND_ANSWERS, KIND_MARGIN = 0.44, 0.03  # a line stating the kind of answer asked for
SHARED_WORDS, SHARED_NAMES = 0.2, 0.05  # what all question words, all its named things add
NAMED_ANSWERS = 0.35  # the one line stating the kind asked for about the things it names
# An LLM answer stating the kind asked for from a line this much less close than the closest
# line stating that kind answers a neighbouring question (evals/demo.yaml: every reference
# answer at most 0.09 behind, the SmolLM2 answers caught 0.20 and 0.24 behind).
NEIGHBOUR_MARGIN = 0.15
_PARAGRAPH = re.compile(r"\n\s*\n")

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
    line: Line | None = None  # the line that answers, when found by meaning across languages
    disputed: str = ""  # why meaning contradicts the words' choice of passage, if it does

    @property
    def answers(self) -> bool:
        vouched = self.score >= ANSWERS or self.line is not None
        return vouched and not self.missing and not self.disputed

    def quoted(self, passage: str) -> str:
        """What to quote of `passage`: the paragraph of the answering line, or all of it."""
        return self.line.paragraph if self.line is not None else passage


@dataclass(frozen=True)
class Line:
    """A passage line that answers the question, found by `answering_line`."""

    passage: int  # index in the passages given
    text: str
    paragraph: str  # the paragraph or list it stands in, as written
    closeness: float  # cosine plus tie-breakers
    margin: float  # over the closest line of any other passage


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
    mentioned = entities(f"{passage.title} {passage.heading}") | named_in(
        sentences.blocks(passage.text)
    )
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
    across: Embedder | None = None,
) -> tuple[int, Answerability] | None:
    """The passage that answers the question best (by index), or None without passages.
    With `across`: when words and e5 vouch for no passage that gives the kind of answer asked
    for, the line that answers by meaning across languages; and when they vouch for one but
    only through translated words while a line of another passage states that kind and is
    closer in meaning, neither is quoted.
    `across` is called only then, so a lazily loaded encoder costs nothing until needed."""
    scored = [
        (i, score(question, p, embedder=embedder, question_vector=question_vector, bridged=bridged))
        for i, p in enumerate(passages)
    ]
    ranked = sorted(scored, key=lambda s: (not s[1].missing, s[1].score), reverse=True)
    if not ranked:
        return None
    i, fit = ranked[0]
    vouched = fit.answers and relevance.check(question, passages[i].text).answers
    if across is None or (vouched and relevance.asks_for(question) is None):
        return ranked[0]
    if vouched and bridged in ("", question):  # words read as written: their choice stands
        return ranked[0]
    vetoed = {j for j, f in scored if f.missing}
    lines = _Lines(question, passages, across, bridged, vetoed)
    if vouched:  # words found through translation, which can land on the wrong passage
        closest = lines.closest_stating()
        if closest is None or closest == i:
            return ranked[0]
        return i, replace(fit, disputed=f"a line of passage {closest} is closer in meaning")
    line = lines.answering()
    if line is None:
        return ranked[0]
    return line.passage, replace(scored[line.passage][1], sentence=line.text, line=line)


def neighbour(
    question: str,
    answer: str,
    passages: Sequence[PassageLike],
    across: Embedder,
    bridged: str = "",
) -> str | None:
    """The help-centre line that answers `question` when `answer` (the grounded statements an
    LLM wrote) gives the kind of answer asked for from a clearly less close line instead: a
    true fact about the neighbouring question. SmolLM2 answered "how long before the money is
    paid back?" with the 30 days to return a product, and "Wat kost een grote
    onderhoudsbeurt?" with the €5 a day for storing an uncollected bike. Grounding passes
    both (each sentence is in the help centre); only the question tells them apart."""
    kind = relevance.asks_for(question)
    if kind is None or not relevance.gives(kind, answer):
        return None
    lines = _Lines(question, passages, across, bridged, set())
    said = [u for u in lines.stating if relevance.states_as(kind, lines.units[u][1], answer)]
    if not said:
        return None
    top = max(lines.stating, key=lambda u: lines.closeness[u])
    behind = lines.closeness[top] - max(lines.closeness[u] for u in said)
    if top in said or behind < NEIGHBOUR_MARGIN:
        return None
    return lines.units[top][1]


class _Lines:
    """The lines of the passages (but not of those `vetoed`), each with its closeness in
    meaning to the question (see `_closeness`)."""

    def __init__(
        self,
        question: str,
        passages: Sequence[PassageLike],
        across: Embedder,
        bridged: str,
        vetoed: set[int],
    ) -> None:
        self.kind = relevance.asks_for(question)
        self.named = entities(question)
        self.units = [
            (i, line, paragraph)
            for i, p in enumerate(passages)
            if i not in vetoed
            for paragraph in _PARAGRAPH.split(p.text)
            for line in sentences.split(paragraph)
        ]
        self.closeness = _closeness(question, passages, self.units, across, bridged)
        # "Can I return a product within 30 days?" asks to confirm what it states: the lines
        # stating the same are the candidates, as for a question asking for that kind.
        self.confirms = tuple(c.surface for c in claims.claims(question)) if not self.kind else ()
        self.stating = [
            u
            for u, (_, line, _) in enumerate(self.units)
            if (self.kind is None and not self.confirms)
            or (self.kind is not None and relevance.gives(self.kind, line))
            or (self.confirms and not claims.missing(" ".join(self.confirms), line))
        ]

    def closest_stating(self) -> int | None:
        """The passage of the closest line stating the kind of answer asked for."""
        if not self.stating:
            return None
        return self.units[max(self.stating, key=lambda u: self.closeness[u])][0]

    def answering(self) -> Line | None:
        """The closest line stating the kind asked for, if close enough and closer than every
        line (of any kind) of the other passages: a line of a passage that does not state the
        kind at least as close means the question is about that one (a near miss)."""
        if not self.stating:
            return None
        top = max(self.stating, key=lambda u: self.closeness[u])
        i, line, paragraph = self.units[top]
        # Lines of other passages stating the same values agree with it (two chunks of the
        # returns page both say 30 days): they are no rivals.
        stated = " ".join(c.surface for c in claims.claims(line))
        others = [
            c
            for u, c in enumerate(self.closeness)
            if self.units[u][0] != i
            and not (stated and not claims.missing(stated, self.units[u][1]))
        ]
        margin = self.closeness[top] - max(others, default=0.0)
        specific = self.kind or self.confirms
        floor, clear = (KIND_ANSWERS, KIND_MARGIN) if specific else (LINE_ANSWERS, LINE_MARGIN)
        if self.closeness[top] < floor or margin < clear:
            return self._the_one_naming()
        return Line(i, line, paragraph.strip(), round(self.closeness[top], 4), round(margin, 4))

    def _the_one_naming(self) -> Line | None:
        """For a question that asks for a kind of answer about named things ("how long does
        delivery to the Netherlands take?"), the one line of all the passages that states that
        kind and names them all, if it is close enough: the encoder ranks "Express delivery is
        available to the Netherlands for €9.95" above "Netherlands, Germany: 1 to 2 working
        days" for the question in Spanish, but only the second says how long."""
        if not self.kind or not self.named:
            return None
        naming = [u for u in self.stating if self.named <= entities(self.units[u][1])]
        if len(naming) != 1 or self.closeness[naming[0]] < NAMED_ANSWERS:
            return None
        i, line, paragraph = self.units[naming[0]]
        return Line(i, line, paragraph.strip(), round(self.closeness[naming[0]], 4), 0.0)


def _closeness(
    question: str,
    passages: Sequence[PassageLike],
    units: Sequence[tuple[int, str, str]],
    across: Embedder,
    bridged: str,
) -> list[float]:
    """Each line's cosine with the question (the line read alone or under its heading, the
    closer), plus SHARED_WORDS times the share of the question's words it holds with its
    title and heading and SHARED_NAMES times the share of its named things."""
    if not units:
        return []
    alone = [line for _, line, _ in units]
    headed = [f"{passages[i].heading}: {line}" for i, line, _ in units]
    vectors = remembered_passages(across, alone + headed)
    asked = across.queries([relevance.without_asking(question)])[0]
    cosines = np.maximum(vectors[: len(units)] @ asked, vectors[len(units) :] @ asked)
    own = sentences.stems(question) - _ASKING - sentences.COURTESY
    words = own | (sentences.stems(bridged) - _ASKING - sentences.COURTESY)
    named = entities(question)
    out = []
    for (i, line, _), cosine in zip(units, cosines, strict=True):
        p = passages[i]
        held = sentences.stems(f"{p.title} {p.heading} {line}")
        shared = min(1.0, len(words & held) / len(own)) if own else 0.0
        names = len(named & entities(f"{p.heading} {line}")) / len(named) if named else 0.0
        out.append(float(cosine) + SHARED_WORDS * shared + SHARED_NAMES * names)
    return out
