"""A customer message, top to bottom, from any face (HTTP or socket): store it once →
human mode? → explicit request → redaction → sentiment → restricted topics → retrieval →
draft (LLM or quote) → output checks → confidence → escalation policy → persist reply,
decision and handoff → publish."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from functools import partial

import anyio

from app import conversations, decisions, drafting, escalation, turns
from app.analysis import Analysis, Reading, analyse, read
from app.checks.topics import match_topic
from app.escalation import Signals
from app.events import DraftDiscarded, MessageCreated, Token
from app.models import Message
from app.services import Services
from app.turns import Context, Decided, Turn
from disclosure.texts import phrase


async def receive(
    svc: Services,
    conversation_id: str,
    text: str,
    client_id: str | None,
    *,
    ai_holds: bool,
    stored: Callable[[Message], None] | None = None,
    ip: str | None = None,
) -> Turn:
    """The one way in for a customer message: stored once per client_id (`stored` is told,
    say to ack it), published, then answered, declined or handed over. A retried client_id
    gets the answer its first send caused. `ai_holds`: the caller saw the AI (or nobody) in
    charge, so the message's reading can start while it is stored. `ip`: the sender's address,
    for the LLM-call budget per address (app/limits.py)."""
    reading = start_reading(svc, text) if ai_holds else None
    try:
        async with svc.sessions() as s:
            message, is_new = await conversations.append_customer(
                s, conversation_id, text, client_id
            )
        if stored is not None:
            stored(message)
        if not is_new:
            return await turns.replay(svc, conversation_id, message)
        await svc.broker.publish(MessageCreated.of(message))
        return await run_turn(svc, conversation_id, message, reading, ip=ip)
    finally:
        if reading is not None:
            reading.cancel()  # unused after a retry or an error; once the turn read it, a no-op


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
    *,
    ip: str | None = None,
) -> Turn:
    """Answer, decline or hand over for one stored customer message. `reading` is the message's
    `start_reading` if the caller began it; otherwise it starts here, once the AI is known to
    hold the conversation (people's conversations never pay for an embedding)."""
    try:
        ctx = await turns.load(svc, conversation_id, message.seq)
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
    # Retrieval comes after load, which brought the index up to date with the knowledge base.
    analysis = await anyio.to_thread.run_sync(analyse, await reading, svc.retriever)
    decided = await _decide(svc, ctx, message, analysis, ip)
    return await turns.persist(svc, ctx, message, decided)


async def _decide(
    svc: Services, ctx: Context, message: Message, a: Analysis, ip: str | None
) -> Decided:
    """The escalation policy on the message's signals, then, unless it hands over already,
    on the draft's: only an answered verdict lets the draft through."""
    policy = ctx.config.policy
    signals = _signals(ctx, a)
    record = decisions.signals_record(signals, a, ctx.previous, policy)
    early = escalation.before_draft(signals, policy)
    if early is not None:
        return Decided(early, signals=record)
    spent = await svc.limits.llm_call(ctx.conv.id, ip) if svc.llm is not None else None
    if spent is not None:  # this conversation's or address's LLM calls ran out: a person
        record.update(llm_error=f"budget: {spent}")
        verdict = escalation.decide(replace(signals, llm_error="budget"), policy)
        return Decided(verdict, signals=record)

    async def release(piece: str) -> None:
        await svc.broker.publish(Token(ctx.conv.id, piece, message.seq))

    locale, texts = ctx.conv.locale, ctx.config.disclosure.texts
    phrases = partial(phrase, locale=locale, overrides=texts)
    writer = drafting.Writer(
        svc.llm, svc.embedder, svc.entailment, svc.retriever.bridged, locale, phrases, svc.across
    )
    draft = await drafting.draft(writer, a, history=ctx.history, release=release)
    # Only a grounded text can be answered with; the record keeps the score either way.
    conf = draft.confidence.score if draft.confidence and draft.text else None
    record.update(draft.checks, confidence=draft.confidence.parts if draft.confidence else None)
    checked = replace(
        signals,
        llm_error=draft.checks.get("llm_error"),
        unsafe=tuple(draft.checks.get("unsafe", ())),
        confidence=conf,
    )
    verdict = escalation.decide(checked, policy)
    if verdict.outcome != "answered":
        if svc.llm is not None:  # take back what the widget was streamed
            await svc.broker.publish(DraftDiscarded(ctx.conv.id, message.seq))
        return Decided(verdict, signals=record, confidence=conf)
    sources = [
        {"document_id": p.document_id, "title": p.title, "score": round(p.score, 4)}
        for p in draft.cited
    ]
    return Decided(verdict, draft.text, sources, record, conf)


def _signals(ctx: Context, a: Analysis) -> Signals:
    """What the message tells, as raw values; thresholds are the escalation policy's."""
    topic = match_topic(a.text, ctx.config.policy.restricted_topics)
    return Signals(
        human_request=a.human.requested,
        ai_opt_out=ctx.conv.ai_opt_out,
        restricted_topic=topic.name if topic else None,
        negative=float(a.sentiment.negative),
        earlier_negative=escalation.looking_back(decisions.signals_of(ctx.previous)),
        bot_turns=ctx.conv.bot_turns,
    )
