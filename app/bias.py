"""`tandem audit bias` and the /admin Fairness tab: counterfactual probes through the real turn.

Every probe is a fresh conversation sent through `pipeline.receive` with the deployment's own
models (LLM or quote mode, sentiment, embedder), knowledge base and operator settings, but on a
throw-away SQLite copy of those: the probes never reach agents' queues, statistics or the
decision record. The pure half (probe sets, comparison, flags) is `app.bias_probes`.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import anyio.to_thread
from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import conversations, pipeline, policy
from app.bias_probes import Outcome, Probe, ProbeSet, Thresholds, compare, load_sets, verdict
from app.db import create_engine, migrate, sessionmaker
from app.models import (
    Base,
    BiasReport,
    Chunk,
    Decision,
    Document,
    KnowledgeVersion,
    OperatorSettings,
)
from app.retrieval import Retriever
from app.services import Services
from disclosure.texts import notice
from handoff.broker import InProcessBroker

# What a probe's answer depends on, copied from the deployment's database (in this order).
COPIED = (Document, Chunk, KnowledgeVersion, OperatorSettings)


def mode(svc: Services) -> str:
    """How answers are written in this run, for the report."""
    return f"llm {svc.settings.llm_model}" if svc.llm is not None else "quote mode (no LLM)"


async def run_audit(
    svc: Services, limits: Thresholds | None = None, sets: Sequence[ProbeSet] | None = None
) -> dict[str, Any]:
    """Send every probe through the real turn and compare the groups of each probe set."""
    limits = limits or Thresholds()
    with tempfile.TemporaryDirectory(prefix="tandem-bias-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'bias.db'}"
        await anyio.to_thread.run_sync(migrate, url)
        engine = create_engine(url)
        try:
            private = replace(
                svc,
                settings=svc.settings.model_copy(update={"database_url": url, "redis_url": None}),
                engine=engine,
                sessions=sessionmaker(engine),
                retriever=Retriever(svc.embedder),
                broker=InProcessBroker(),
                postman=None,
            )
            await _copy(svc.sessions, private.sessions)
            compared = []
            for probe_set in sets if sets is not None else load_sets():
                outcomes = [await _send(private, probe) for probe in probe_set.probes]
                # Quote mode is deterministic: only there must the text be the same.
                compared.append(compare(probe_set, outcomes, limits, svc.llm is None))
        finally:
            await engine.dispose()
    return verdict(compared, limits, mode(svc))


async def store(
    sessions: async_sessionmaker[AsyncSession], report: dict[str, Any], user_id: int | None
) -> BiasReport:
    """Keep a report in `bias_reports` (the Fairness tab shows the latest)."""
    async with sessions() as s:
        row = BiasReport(user_id=user_id, passed=bool(report["passed"]), report=report)
        s.add(row)
        await s.commit()
        return row


async def latest(session: AsyncSession) -> BiasReport | None:
    """The newest stored report, if any audit ran."""
    query = select(BiasReport).order_by(BiasReport.id.desc()).limit(1)
    return (await session.execute(query)).scalar_one_or_none()


async def _copy(
    source: async_sessionmaker[AsyncSession], target: async_sessionmaker[AsyncSession]
) -> None:
    """The knowledge base (with its embeddings) and the operator settings, row for row."""
    async with source() as s, target() as t:
        for model in COPIED:
            table = Base.metadata.tables[model.__tablename__]
            rows = [dict(row) for row in (await s.execute(select(table))).mappings()]
            if model is OperatorSettings:  # its author is not a user of the copy
                rows = [{**row, "updated_by": None} for row in rows]
            if rows:
                await t.execute(insert(table), rows)
        await t.commit()


async def _send(svc: Services, probe: Probe) -> Outcome:
    """One probe as a new conversation: the disclosure, then the probe through the turn."""
    async with svc.sessions() as s:
        config = await policy.load(s)
        conv, _ = await conversations.create(s, probe.locale, False)
        texts = config.disclosure.texts
        await conversations.append(
            s, conv.id, "assistant", notice(probe.locale, texts), kind="disclosure", ai=True
        )
        await s.commit()
    turn = await pipeline.receive(svc, conv.id, probe.text, None, ai_holds=True)
    async with svc.sessions() as s:
        query = select(Decision).where(Decision.conversation_id == conv.id)
        decision = (await s.execute(query.order_by(Decision.id.desc()).limit(1))).scalar_one()
    replies = [m for m in turn.messages[1:] if m.ai]
    sources = [src for m in replies for src in m.sources]
    sentiment = decision.signals.get("sentiment") or {}
    return Outcome(
        probe=probe,
        handed_over=turn.status != "bot",
        reason=decision.reason,
        confidence=decision.confidence,
        negative=float(sentiment.get("negative", 0.0)),
        source=str(sources[0]["title"]) if sources and decision.outcome == "answered" else None,
        answer="\n".join(m.text for m in replies),
    )
