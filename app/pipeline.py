"""A customer message, top to bottom, from any face (HTTP or socket): store it once →
human mode? → explicit request → redaction → sentiment → restricted topics → retrieval →
draft (LLM or quote) → output checks → confidence → escalation policy → persist reply,
decision and handoff → publish."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

import anyio
from sqlalchemy import select

from app import conversations, decisions, drafting, escalation, policy
from app.analysis import Analysis, Reading, analyse, read
from app.checks import redaction
from app.checks.confidence import Confidence, assess, says_dont_know
from app.checks.output import check_output
from app.checks.sentiment import rolling
from app.checks.topics import match_topic
from app.escalation import Signals, Verdict
from app.events import DraftDiscarded, Event, MessageCreated, Token
from app.llm import LLMUnavailable
from app.models import Conversation, Decision, Message
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
    previous: dict[str, Any]


@dataclass
class Outcome:
    verdict: Verdict
    reply: str | None = None
    sources: list[dict[str, Any]] = field(default_factory=list)
    signals: dict[str, Any] = field(default_factory=dict)
    confidence: float | None = None


async def receive(
    svc: Services,
    conversation_id: str,
    text: str,
    client_id: str | None,
    *,
    ai_holds: bool,
    stored: Callable[[Message], None] | None = None,
) -> Turn:
    """The one way in for a customer message: stored once per client_id (`stored` is told,
    say to ack it), published, then answered, declined or handed over. A retried client_id
    gets the answer its first send caused. `ai_holds`: the caller saw the AI (or nobody) in
    charge, so the message's reading can start while it is stored."""
    reading = start_reading(svc, text) if ai_holds else None
    try:
        async with svc.sessions() as s:
            message, is_new = await conversations.append_customer(
                s, conversation_id, text, client_id
            )
        if stored is not None:
            stored(message)
        if not is_new:
            return await _replay(svc, conversation_id, message)
        await svc.broker.publish(MessageCreated.of(message))
        return await run_turn(svc, conversation_id, message, reading)
    finally:
        if reading is not None:
            reading.cancel()  # unused after a retry or an error; once the turn read it, a no-op


async def _replay(svc: Services, conversation_id: str, message: Message) -> Turn:
    """A retried send: the same answer as the first time, waiting for it if still in flight."""
    deadline = time.monotonic() + svc.settings.llm_turn_timeout + 2
    while True:
        async with svc.sessions() as s:
            conv = await s.get(Conversation, conversation_id)
            assert conv is not None
            decided = await decisions.for_message(s, conversation_id, message.seq)
            if decided is not None or conv.status != "bot" or time.monotonic() > deadline:
                replies = await conversations.replies_to(s, conversation_id, message.seq)
                verdict = None
                if decided is not None and decided.outcome != "answered":
                    verdict = Verdict(decided.outcome, decided.reason)
                return Turn([message, *replies], conv.status, verdict)
        await asyncio.sleep(0.1)


def start_reading(svc: Services, text: str) -> asyncio.Future[Reading]:
    """Begin the message's CPU work (embedding above all) in a worker thread now, so it runs
    while the message is stored and the context is read; `run_turn` awaits it."""
    return asyncio.ensure_future(
        anyio.to_thread.run_sync(
            partial(read, text, human=svc.human, sentiment=svc.sentiment, embedder=svc.embedder)
        )
    )


async def run_turn(
    svc: Services,
    conversation_id: str,
    message: Message,
    reading: asyncio.Future[Reading] | None = None,
) -> Turn:
    """Answer, decline or hand over for one stored customer message. `reading` is the message's
    `start_reading` if the caller began it; otherwise it starts here, once the AI is known to
    hold the conversation (people's conversations never pay for an embedding)."""
    try:
        ctx = await _load(svc, conversation_id, message.seq)
    except BaseException:
        if reading is not None:
            reading.cancel()
        raise
    if ctx.conv.status != "bot":  # held by people: the message is theirs, the AI stays out
        if reading is not None:
            reading.cancel()
        return Turn([message], ctx.conv.status)
    if reading is None:
        reading = start_reading(svc, message.text)
    # Retrieval comes after _load, which brought the index up to date with the knowledge base.
    analysis = await anyio.to_thread.run_sync(analyse, await reading, svc.retriever)
    outcome = await _decide(svc, ctx, message, analysis)
    return await _persist(svc, ctx, message, outcome)


async def _load(svc: Services, conversation_id: str, seq: int) -> Context:
    """The conversation (a closed one reopens with the AI: the customer wrote again), the
    operator settings in force, recent history and the previous decision's signals."""
    async with svc.sessions() as s:
        conv = await s.get(Conversation, conversation_id)
        assert conv is not None
        if conv.status == "closed":
            change = await queue.transition(s, conv, "bot")
            await s.commit()
            for event in change.events:
                await svc.broker.publish(event)
        config = await policy.load(s)
        if conv.status != "bot":
            return Context(conv, config, [], {})
        await svc.retriever.refresh(s)
        rows = await s.execute(
            select(Message.role, Message.text)
            .where(Message.conversation_id == conversation_id, Message.seq < seq)
            .where(Message.kind == "text", Message.internal.is_(False))
            .order_by(Message.seq.desc())
            .limit(6)
        )
        history = [(str(role), text) for role, text in reversed(rows.all())]
        last = await s.execute(
            select(Decision.signals)
            .where(Decision.conversation_id == conversation_id)
            .order_by(Decision.id.desc())
            .limit(1)
        )
        previous = last.scalar_one_or_none() or {}
    return Context(conv, config, history, previous)


def _signals(ctx: Context, a: Analysis) -> Signals:
    p = ctx.config.policy
    negative = a.sentiment.negative >= p.offer_person_threshold
    streak = int(ctx.previous.get("negative_streak", 0)) + 1 if negative else 0
    topic = match_topic(a.text, p.restricted_topics)
    return Signals(
        human_request=a.human.requested,
        ai_opt_out=ctx.conv.ai_opt_out,
        restricted_topic=topic.name if topic else None,
        negative=a.sentiment.negative,
        negative_streak=streak,
        bot_turns=ctx.conv.bot_turns,
    )


def _record(ctx: Context, a: Analysis, s: Signals) -> dict[str, Any]:
    """The signals for the decision record: scores and rule names, never customer text."""
    return {
        "human_request": {
            "requested": a.human.requested,
            "rule": a.human.rule,
            "score": a.human.score,
        },
        "pii_kinds": a.redacted.kinds,
        "sentiment": {
            "label": a.sentiment.label,
            "negative": round(a.sentiment.negative, 4),
            "score": round(a.sentiment.score, 4),
        },
        "sentiment_rolling": round(
            rolling(ctx.previous.get("sentiment_rolling"), a.sentiment.score), 4
        ),
        "negative_streak": s.negative_streak,
        "restricted_topic": s.restricted_topic,
        "retrieval": [
            {
                "document_id": p.document_id,
                "chunk_id": p.chunk_id,
                "score": round(p.score, 4),
                "lexical": round(p.lexical, 4),
                "dense": None if p.dense is None else round(p.dense, 4),
            }
            for p in a.passages
        ],
        "bot_turns": s.bot_turns,
    }


async def _decide(svc: Services, ctx: Context, message: Message, a: Analysis) -> Outcome:
    signals = _signals(ctx, a)
    record = _record(ctx, a, signals)
    early = escalation.before_draft(signals, ctx.config.policy)
    if early is not None:
        return Outcome(early, signals=record)
    reply, conf, extra = await _draft(svc, ctx, message, a)
    record.update(extra)
    record["confidence"] = conf.parts if conf else None
    signals = replace(
        signals,
        llm_error=extra.get("llm_error"),
        unsafe=tuple(extra.get("unsafe", ())),
        confidence=conf.score if conf else None,
    )
    verdict = escalation.decide(signals, ctx.config.policy)
    sources = [
        {"document_id": p.document_id, "title": p.title, "score": round(p.score, 4)}
        for p in _cited(a, quoted=extra.get("mode") == "quote")
    ]
    return Outcome(verdict, reply, sources, record, conf.score if conf else None)


def _cited(a: Analysis, quoted: bool) -> list[Any]:
    """The documents behind the reply: the quoted one, or those the model was given."""
    seen: dict[int, Any] = {}
    for p in a.passages[: 1 if quoted else 3]:
        seen.setdefault(p.document_id, p)
    return list(seen.values())


async def _draft(
    svc: Services, ctx: Context, message: Message, a: Analysis
) -> tuple[str | None, Confidence | None, dict[str, Any]]:
    """A checked reply text (customer values restored) and its confidence, or why not."""
    locale = ctx.conv.locale
    overrides = ctx.config.disclosure.texts
    if svc.llm is None:
        text = drafting.quote(a.passages, phrase("quote_intro", locale, overrides))
        if text is None:
            return None, None, {"mode": "quote"}
        return text, assess(a.passages[0].text, a.passages[:1], None), {"mode": "quote"}

    async def release(piece: str) -> None:
        await svc.broker.publish(Token(ctx.conv.id, piece, message.seq))

    history = [(role, redaction.scrub(text)) for role, text in ctx.history]
    try:
        draft, canary = await drafting.with_llm(
            svc.llm,
            question=a.redacted.text,
            history=history,
            passages=a.passages,
            locale=locale,
            mapping=a.redacted.mapping,
            release=release,
        )
    except LLMUnavailable as exc:
        await svc.broker.publish(DraftDiscarded(ctx.conv.id, message.seq))
        return None, None, {"mode": "llm", "llm_error": exc.detail}
    verdict = check_output(draft.text, canary)
    conf = assess(draft.text, a.passages, draft.logprobs)
    extra: dict[str, Any] = {
        "mode": "llm",
        "model": draft.model,
        "llm_seconds": round(draft.seconds, 3),
        "unsafe": list(verdict.fired),
        "dont_know": says_dont_know(draft.text),
    }
    if not verdict.ok or conf.score < ctx.config.policy.min_confidence:
        await svc.broker.publish(DraftDiscarded(ctx.conv.id, message.seq))
        return None, conf, extra
    return drafting.tidy(redaction.restore(draft.text, a.redacted.mapping)), conf, extra


async def _persist(svc: Services, ctx: Context, message: Message, out: Outcome) -> Turn:
    """Store the reply, the decision and any handoff in one transaction, then publish."""
    p = ctx.config.policy
    events: list[Event] = []
    stored: list[Message] = [message]
    verdict = out.verdict
    cid = ctx.conv.id
    async with svc.sessions() as s:
        replied = False
        text = _customer_text(ctx, out)
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
                )
                if change.notice is not None:
                    stored.append(change.notice)
                events.extend(change.events)
            status = conv.status
        await decisions.record(
            s,
            conversation_id=cid,
            message_seq=message.seq,
            outcome=verdict.outcome,
            reason=verdict.reason,
            signals=out.signals,
            thresholds=p.model_dump(mode="json"),
            confidence=out.confidence,
        )
        await s.commit()
    for event in events:
        await svc.broker.publish(event)
    escalated = verdict if verdict.outcome != "answered" else None
    return Turn(stored, status, escalated, float(out.signals.get("llm_seconds", 0.0)))


def _customer_text(ctx: Context, out: Outcome) -> str | None:
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
