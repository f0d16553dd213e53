"""Writing a reply: through the LLM with a sentence-by-sentence release gate, or, with no LLM
configured, by quoting the best help-centre passage."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from app import prompt
from app.analysis import Analysis
from app.checks import redaction
from app.checks.confidence import Confidence, assess, says_dont_know, unsupported_claims
from app.checks.output import check_output
from app.llm import LLM, Draft, LLMUnavailable
from app.retrieval import Passage

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

    A sentence that fails (a promise, a leak, profanity, an unsupported number) closes the
    gate for the rest of the draft; the final check then decides what the customer gets.
    """

    canary: str
    passages: Sequence[Passage]
    mapping: Mapping[str, str]
    release: Release
    buffer: str = ""
    released: str = ""
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
        if not check_output(candidate, self.canary).ok or unsupported_claims(
            sentence, self.passages
        ):
            self.closed = True
            return
        self.released = candidate
        await self.release(tidy(redaction.restore(sentence, self.mapping)) + " ")


async def with_llm(
    llm: LLM,
    *,
    question: str,
    history: Sequence[tuple[str, str]],
    passages: Sequence[Passage],
    locale: str,
    mapping: Mapping[str, str],
    release: Release,
) -> tuple[Draft, str]:
    """The model's draft and the canary planted in its instructions."""
    canary = prompt.new_canary()
    messages = prompt.build(
        question=question, history=history, passages=passages, locale=locale, canary=canary
    )
    gate = Gate(canary=canary, passages=passages, mapping=mapping, release=release)
    draft = await llm.draft(messages, gate.feed)
    return draft, canary


def quote(passages: Sequence[Passage], intro: str) -> str | None:
    """The best passage, labelled as a quote from the help centre (the no-LLM mode)."""
    if not passages:
        return None
    best = passages[0]
    title = (
        f"{best.title} - {best.heading}"
        if best.heading and best.heading != best.title
        else best.title
    )
    return f"{intro} — “{title}”:\n\n{best.text.strip()}"


@dataclass(frozen=True)
class Drafted:
    """A reply text (customer values restored) with what the checks found, for the escalation
    policy to let through or withhold; `text` is None when nothing could be written."""

    text: str | None
    confidence: Confidence | None
    checks: dict[str, Any]  # for the decision record: mode, model, unsafe, llm_error, ...
    cited: list[Passage] = field(default_factory=list)


async def draft(
    llm: LLM | None,
    a: Analysis,
    *,
    history: Sequence[tuple[str, str]],
    locale: str,
    quote_intro: str,
    release: Release,
) -> Drafted:
    """The reply through the LLM (unsafe or unsure drafts too: the policy decides), or with
    no LLM configured a quote of the best passage."""
    if llm is None:
        text = quote(a.passages, quote_intro)
        if text is None:
            return Drafted(None, None, {"mode": "quote"})
        conf = assess(a.passages[0].text, a.passages[:1], None)
        return Drafted(text, conf, {"mode": "quote"}, _cited(a.passages[:1]))
    try:
        written, canary = await with_llm(
            llm,
            question=a.redacted.text,
            history=[(role, redaction.scrub(text)) for role, text in history],
            passages=a.passages,
            locale=locale,
            mapping=a.redacted.mapping,
            release=release,
        )
    except LLMUnavailable as exc:
        return Drafted(None, None, {"mode": "llm", "llm_error": exc.detail})
    checks: dict[str, Any] = {
        "mode": "llm",
        "model": written.model,
        "llm_seconds": round(written.seconds, 3),
        "unsafe": list(check_output(written.text, canary).fired),
        "dont_know": says_dont_know(written.text),
    }
    text = tidy(redaction.restore(written.text, a.redacted.mapping))
    conf = assess(written.text, a.passages, written.logprobs)
    return Drafted(text, conf, checks, _cited(a.passages[:3]))


def _cited(passages: Sequence[Passage]) -> list[Passage]:
    """The documents behind the reply, once each: the quoted one, or those the model was given."""
    seen: dict[int, Passage] = {}
    for p in passages:
        seen.setdefault(p.document_id, p)
    return list(seen.values())
