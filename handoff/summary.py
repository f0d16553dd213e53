"""A short summary of the AI part of a conversation for the agent who takes it over.

The LLM gets redacted text and a short deadline; without it (or when it fails) the summary is
extractive: the first question, the reason for the handoff, the last customer message.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.checks.redaction import scrub
from app.decisions import describe
from app.llm import LLM, LLMUnavailable
from app.models import Decision, Message

DEADLINE_SECONDS = 3.0
MAX_CHARS = 400
PROMPT = (
    "Summarise this customer-service chat for the human agent taking it over, in at most "
    "three short sentences: what the customer wants, what the assistant already answered, "
    "and what is still open. Do not invent details."
)


@dataclass(frozen=True)
class Line:
    role: str
    text: str


@dataclass(frozen=True)
class Summary:
    text: str
    source: str  # "llm" or "extractive"


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def extractive(lines: Sequence[Line], reason: str | None) -> str:
    """First question, handoff reason, last customer message (the fallback summary)."""
    asked = [line.text for line in lines if line.role == "customer"]
    parts = []
    if asked:
        parts.append("Asked: " + _clip(asked[0], 160))
    if reason:
        parts.append("Handed over: " + reason.replace("_", " "))
    if len(asked) > 1:
        parts.append("Last: " + _clip(asked[-1], 160))
    return _clip(". ".join(parts), MAX_CHARS) if parts else "No customer messages yet."


async def summarise(llm: LLM | None, lines: Sequence[Line], reason: str | None) -> Summary:
    """Through the LLM within the deadline, else extractive. Never hold a transaction here."""
    fallback = Summary(extractive(lines, reason), "extractive")
    if llm is None or not any(line.role == "customer" for line in lines):
        return fallback
    transcript = "\n".join(f"{line.role}: {scrub(line.text)}" for line in lines[-20:])
    messages = [
        {"role": "system", "content": PROMPT},
        {"role": "user", "content": f"Reason for handoff: {reason or 'unknown'}\n\n{transcript}"},
    ]
    try:
        draft = await llm.complete(messages, DEADLINE_SECONDS)
    except LLMUnavailable:
        return fallback
    text = draft.text.strip()
    return Summary(_clip(text, MAX_CHARS), "llm") if text else fallback


def bot_part(messages: Sequence[Message]) -> list[Line]:
    """The customer's and the AI's words before a person joined."""
    lines = []
    for m in messages:
        if m.role == "agent":
            break
        if m.kind == "text" and not m.internal and m.role in ("customer", "assistant"):
            lines.append(Line(m.role, m.text))
    return lines


async def decisions(session: AsyncSession, conversation_id: str) -> list[dict[str, Any]]:
    """The decision records behind the handoff: outcomes, reasons and their signals."""
    rows = await session.execute(
        select(Decision).where(Decision.conversation_id == conversation_id).order_by(Decision.id)
    )
    return [describe(d) for d in rows.scalars()]


def sentiment_trend(decided: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per customer turn: the sentiment score, how negative, and the rolling average."""
    trend = []
    for d in decided:
        sentiment = d["signals"].get("sentiment")
        if not isinstance(sentiment, dict):
            continue
        trend.append(
            {
                "message_seq": d["message_seq"],
                "label": sentiment.get("label"),
                "score": sentiment.get("score"),
                "negative": sentiment.get("negative"),
                "rolling": d["signals"].get("sentiment_rolling"),
            }
        )
    return trend
