"""Writing a reply: through the LLM with a sentence-by-sentence release gate, or, with no LLM
configured, by quoting the best help-centre passage."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from app import prompt
from app.checks import redaction
from app.checks.confidence import unsupported_claims
from app.checks.output import check_output
from app.llm import LLM, Draft
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
