"""A turn's storage, either side of the LLM call: the context it reads, the one transaction
that writes its outcome (reply, decision, handoff), and the answer a retried send gets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from app import conversations, decisions, policy, recovery
from app.escalation import Verdict
from app.events import Event, MessageCreated, commit_and_publish
from app.models import Conversation, Message
from app.services import Services
from disclosure.texts import phrase
from handoff import queue


@dataclass
class Turn:
    messages: list[Message]
    status: str
    escalation: Verdict | None = None
    llm_seconds: float = 0.0  # the model's own time, so benchmarks can report our overhead


@dataclass
class Context:
    conv: Conversation
    config: policy.OperatorConfig
    history: list[tuple[str, str]]
    previous: dict[str, Any]  # the signals of the conversation's previous decision


@dataclass
class Decided:
    """A decided turn, not yet stored: the reply only when the verdict lets it through."""

    verdict: Verdict
    reply: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    signals: dict[str, Any] = field(default_factory=dict)
    confidence: float | None = None


async def load(svc: Services, conversation_id: str, seq: int) -> Context:
    """The conversation (a closed one reopens with the AI: the customer wrote again), the
    operator settings in force, recent history and the previous decision's signals."""
    async with svc.sessions() as s:
        conv = await s.get(Conversation, conversation_id)
        assert conv is not None
        if conv.status == "closed":
            change = await queue.transition(s, conv, "bot")
            await commit_and_publish(s, svc.broker, change.events)
        config = await policy.load(s)
        if conv.status != "bot":
            return Context(conv, config, [], {})
        await svc.retriever.refresh(s)
        history = await conversations.history(s, conversation_id, seq)
        previous = await decisions.latest_signals(s, conversation_id)
    return Context(conv, config, history, previous)


async def persist(svc: Services, ctx: Context, message: Message, out: Decided) -> Turn:
    """Store the reply, the decision and any handoff in one transaction, then publish."""
    events: list[Event] = []
    stored: list[Message] = [message]
    verdict = out.verdict
    cid = ctx.conv.id
    async with svc.sessions() as s:
        replied = False
        text = customer_text(ctx, out)
        if text is not None:
            reply = await conversations.append(
                s,
                cid,
                "assistant",
                text,
                ai=True,
                sources=out.sources if verdict.outcome == "answered" else [],
                reply_to=message.seq,
                require_status="bot",
                bot_turn=verdict.outcome == "answered",
            )
            if reply is None:  # a handoff committed while we were drafting: stay silent
                verdict = Verdict("declined", "handed_over")
            else:
                replied = True
                stored.append(reply)
                events.append(MessageCreated.of(reply))
        if verdict.outcome == "answered" and replied:
            status = "bot"  # the reply's append required it and holds the conversation's lock
        else:
            conv = await s.get(Conversation, cid)  # first read in this session: current
            assert conv is not None
            if verdict.outcome == "escalated":
                priority = 1 if verdict.reason == "negative_sentiment" else 0
                change = await queue.escalate(
                    s,
                    conv,
                    verdict.reason or "",
                    verdict.detail,
                    ctx.config,
                    priority=priority,
                    reply_to=message.seq,  # a retried send gets the same answer
                    mail=svc.settings.mail_configured,
                )
                if change.notice is not None:
                    stored.append(change.notice)
                events.extend(change.events)
            status = conv.status
        await decisions.record(
            s,
            key=decisions.chain_key(svc.settings.secret_key),
            conversation_id=cid,
            message_seq=message.seq,
            outcome=verdict.outcome,
            reason=verdict.reason,
            signals=out.signals,
            thresholds=ctx.config.policy.model_dump(mode="json"),
            confidence=out.confidence,
        )
        await commit_and_publish(s, svc.broker, events)
    if status == "offline":  # a message left for later may have queued alerts
        svc.wake_postman()
    escalated = verdict if verdict.outcome != "answered" else None
    return Turn(stored, status, escalated, float(out.signals.get("llm_seconds", 0.0)))


def customer_text(ctx: Context, out: Decided) -> str | None:
    """What the AI says this turn: the reply, an honest decline, or nothing (the notice speaks)."""
    locale, overrides = ctx.conv.locale, ctx.config.disclosure.texts
    v = out.verdict
    if v.outcome == "answered" and out.reply:
        if v.offer_person:
            return out.reply + "\n\n" + phrase("offer_person", locale, overrides)
        return out.reply
    # Withheld drafts get an honest sentence (whether or not a person takes over); other
    # handoffs speak through the queue's notice alone.
    honest = {"low_confidence": "no_answer", "unsafe_output": "declined"}.get(v.reason or "")
    return phrase(honest, locale, overrides) if honest else None


async def replay(svc: Services, conversation_id: str, message: Message) -> Turn:
    """A retried send: the same answer as the first time, waiting for it if still in flight.
    A turn nobody is running any more (its process died) is handed over, and that is the
    answer; so the wait is at most the grace after the first send."""
    rescued = False
    while True:
        async with svc.sessions() as s:
            conv = await s.get(Conversation, conversation_id)
            assert conv is not None
            decided = await decisions.for_message(s, conversation_id, message.seq)
            if decided is not None or conv.status != "bot" or rescued:
                replies = await conversations.replies_to(s, conversation_id, message.seq)
                verdict = None
                if decided is not None and decided.outcome != "answered":
                    verdict = Verdict.stored(decided.outcome, decided.reason)
                return Turn([message, *replies], conv.status, verdict)
        if recovery.overdue(svc, message):
            await recovery.rescue_one(svc, message)
            rescued = True  # handed over now, or decided meanwhile: read it once more
            continue
        await asyncio.sleep(0.1)
