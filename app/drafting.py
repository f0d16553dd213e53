"""Writing a reply: through the LLM with a sentence-by-sentence release gate, or, with no LLM
configured, by quoting the best help-centre passage."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import anyio
import anyio.to_thread

from app import prompt
from app.analysis import Analysis
from app.checks import answerability, redaction, relevance
from app.checks.confidence import Confidence, assess, says_dont_know
from app.checks.grounding import Entailment, Grounder, Grounding
from app.checks.output import check_output
from app.embeddings import Embedder
from app.llm import LLM, Draft, LLMUnavailable
from app.retrieval import Passage
from app.text import language_of

SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n+")
# Markup remnants small models emit ("</pre>", "<br>"); the widget shows text, never HTML.
MARKUP = re.compile(r"</?[A-Za-z][A-Za-z0-9]{0,15}(?:\s[^<>]{0,80})?/?>")


def tidy(text: str) -> str:
    """The model's text without stray markup tags and with collapsed blank space."""
    return re.sub(r"[ \t]{2,}", " ", MARKUP.sub("", text)).strip()


Release = Callable[[str], Awaitable[None]]


@dataclass
class Gate:
    """Releases streamed text only in whole sentences that already passed the checks.

    A sentence with a promise, a leak or swearing closes the gate for the rest of the draft
    (the turn escalates). A sentence its aligned help-centre text does not support is held
    back; if it is the draft's first statement, the gate closes too (the answer will be
    withheld). So the widget only ever shows sentences the final message may keep.
    """

    canary: str
    instructions: str  # the system prompt: a sentence quoting it is a leak
    grounder: Grounder
    mapping: Mapping[str, str]
    release: Release
    buffer: str = ""
    released: str = ""
    stated: bool = False  # a supported statement went out
    closed: bool = False

    async def feed(self, delta: str) -> None:
        self.buffer += delta
        parts = SENTENCE_END.split(self.buffer)
        if len(parts) < 2:
            return
        complete, self.buffer = parts[:-1], parts[-1]
        for sentence in complete:
            await self._offer(sentence.strip())

    async def _offer(self, sentence: str) -> None:
        if self.closed or not sentence:
            return
        candidate = f"{self.released} {sentence}".strip()
        # Every check, on everything released so far plus this sentence, before any of it
        # reaches a socket: a canary or a quotation split over two sentences is caught too.
        if not check_output(candidate, self.canary, self.instructions).ok:
            self.closed = True
            return
        grounding = await anyio.to_thread.run_sync(self.grounder.ground, sentence)
        self.released = candidate
        for checked in grounding.sentences:  # its statements (clauses), in order
            if not checked.supported:
                self.closed = checked.substantive and not self.stated
                if self.closed:
                    return
                continue
            self.stated = self.stated or checked.substantive
            await self.release(tidy(redaction.restore(checked.text, self.mapping)) + " ")


async def with_llm(
    llm: LLM,
    *,
    question: str,
    history: Sequence[tuple[str, str]],
    passages: Sequence[Passage],
    locale: str,
    mapping: Mapping[str, str],
    release: Release,
    grounder: Grounder,
) -> tuple[Draft, str, str]:
    """The model's draft, the canary planted in its instructions and the instructions."""
    canary = prompt.new_canary()
    messages = prompt.build(
        question=question, history=history, passages=passages, locale=locale, canary=canary
    )
    instructions = messages[0]["content"]
    gate = Gate(canary, instructions, grounder, mapping, release)
    draft = await llm.draft(messages, gate.feed)
    return draft, canary, instructions


def quote(passage: Passage, intro: str, note: str = "", text: str = "") -> str:
    """A passage (or `text`, the part of it that answers), labelled as a quote from the help
    centre (the no-LLM mode)."""
    title = (
        f"{passage.title} - {passage.heading}"
        if passage.heading and passage.heading != passage.title
        else passage.title
    )
    tail = f"\n\n{note}" if note else ""
    return f"{intro} — “{title}”:\n\n{(text or passage.text).strip()}{tail}"


@dataclass(frozen=True)
class Drafted:
    """A reply text (customer values restored) with what the checks found, for the escalation
    policy to let through or withhold; `text` is None when nothing grounded could be written."""

    text: str | None
    confidence: Confidence | None
    checks: dict[str, Any]  # for the decision record: mode, model, unsafe, llm_error, ...
    cited: list[Passage] = field(default_factory=list)


@dataclass(frozen=True)
class Writer:
    """What drafting needs besides the turn: the model (None: quote mode), the embedder and
    entailment model grounding uses, and the customer's fixed sentences."""

    llm: LLM | None
    embedder: Embedder | None
    entailment: Entailment | None
    translate: Callable[[str], str] | None  # `Retriever.bridged`: foreign words to the KB's
    locale: str
    phrases: Callable[[str], str]  # a fixed sentence in the customer's language
    # Sentences matched across languages (grounding; quote mode's answering line).
    across: Embedder | None = None


async def draft(
    w: Writer, a: Analysis, *, history: Sequence[tuple[str, str]], release: Release
) -> Drafted:
    """The reply through the LLM, trimmed to its grounded sentences (unsafe or ungrounded
    drafts too: the policy decides), or with no LLM a quote of a passage that answers."""
    if w.llm is None:
        return await anyio.to_thread.run_sync(_quote, w, a)
    grounder = Grounder(
        a.passages, w.embedder, w.entailment, w.translate, a.redacted.text, across=w.across
    )
    try:
        written, canary, instructions = await with_llm(
            w.llm,
            question=a.redacted.text,
            history=[(role, redaction.scrub(text)) for role, text in history],
            passages=a.passages,
            locale=w.locale,
            mapping=a.redacted.mapping,
            release=release,
            grounder=grounder,
        )
    except LLMUnavailable as exc:
        return Drafted(None, None, {"mode": "llm", "llm_error": exc.detail})
    grounding = await anyio.to_thread.run_sync(grounder.ground, written.text)
    checks: dict[str, Any] = {
        "mode": "llm",
        "model": written.model,
        "llm_seconds": round(written.seconds, 3),
        "unsafe": list(check_output(written.text, canary, instructions).fired),
        "dont_know": says_dont_know(written.text),
        "grounding": _record(grounding),
    }
    conf = assess(written.text, a.passages, written.logprobs, grounding)
    fit = relevance.check(a.redacted.text, grounding.text)
    checks["relevance"] = list(fit.problems)
    if grounding.holds and fit.answers and w.across is not None:
        better = await anyio.to_thread.run_sync(
            answerability.neighbour,
            a.redacted.text,
            grounding.text,
            a.passages,
            w.across,
            a.bridged,
        )
        if better is not None:
            checks["relevance"] = [
                f"answers a neighbouring question; this line answers it: {better}"
            ]
            # The help centre's own answer, if quote mode would quote it; else nothing.
            quoted = await anyio.to_thread.run_sync(_quote, w, a)
            return replace(quoted, checks={**checks, "instead": quoted.checks})
    grounded = grounding.holds and fit.answers
    text = tidy(redaction.restore(grounding.text, a.redacted.mapping)) if grounded else None
    cited = _cited([a.passages[i] for i in grounding.cited])
    return Drafted(text or None, conf, checks, cited)


def _quote(w: Writer, a: Analysis) -> Drafted:
    """Quote mode: the passage that answers the question, or nothing (then a person)."""
    found = answerability.best(
        a.redacted.text,
        a.passages,
        embedder=w.embedder,
        question_vector=a.vector,
        bridged=a.bridged,
        across=w.across,
    )
    if found is None:
        return Drafted(None, None, {"mode": "quote"})
    i, fit = found
    passage = a.passages[i]
    shown = fit.quoted(passage.text)
    kind = relevance.check(a.redacted.text, shown)
    others = [p.text for p in a.passages if p.chunk_id != passage.chunk_id]
    swapped = relevance.swapped_subject(a.bridged or a.redacted.text, passage.text, others)
    checks: dict[str, Any] = {
        "mode": "quote",
        "answerability": _fit(fit),
        "relevance": [*kind.problems, *([f"about another passage: {swapped}"] if swapped else [])],
    }
    if not fit.answers or not kind.answers or swapped:
        return Drafted(None, None, checks)
    conf = assess(shown, [passage], None)
    written_in = language_of(passage.text)
    note = ""
    if written_in is not None and written_in != w.locale:
        language = w.phrases(f"language_{written_in}")
        note = w.phrases("quote_other_language").format(language=language)
    text = quote(passage, w.phrases("quote_intro"), note, shown)
    return Drafted(text, conf, checks, [passage])


def _record(g: Grounding) -> list[dict[str, Any]]:
    """Each sentence's alignment and problems, for the decision record."""
    return [
        {
            "sentence": redaction.scrub(s.text)[:200],
            "passage": s.passage,
            "alignment": s.alignment,
            "how": s.how,
            "problems": list(s.problems),
        }
        for s in g.sentences
        if s.substantive
    ]


def _fit(fit: answerability.Answerability) -> dict[str, Any]:
    return {
        "score": fit.score,
        "words": fit.words,
        "meaning": None if fit.meaning is None else round(fit.meaning, 4),
        "missing": list(fit.missing),
        "disputed": fit.disputed or None,
        "line": None
        if fit.line is None
        else {"closeness": fit.line.closeness, "margin": fit.line.margin},
    }


def _cited(passages: Sequence[Passage]) -> list[Passage]:
    """The documents behind the reply, once each, in order of first use."""
    seen: dict[int, Passage] = {}
    for p in passages:
        seen.setdefault(p.document_id, p)
    return list(seen.values())
