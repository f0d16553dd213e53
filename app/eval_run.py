"""`tandem eval SUITE.yaml`: each scripted conversation through the real turn (`pipeline.receive`
with the services the app's lifespan builds), on a throw-away SQLite database, against the
configured LLM or in quote mode. Loading and scoring the suite are pure (`app/evals/`)."""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from pathlib import Path

import anyio.to_thread

from app import conversations, decisions, pipeline, policy
from app.db import migrate
from app.evals.suite import Case, Scored, Shown, Suite, score
from app.knowledge import ingest_demo, ingest_path
from app.main import build_services
from app.models import Message
from app.services import Services
from app.settings import Settings
from app.turns import Turn
from disclosure.texts import notice, phrase
from handoff import queue

Documents = dict[int, tuple[str, str]]  # document id → (title, file name)


async def run_suite(suite: Suite, settings: Settings) -> list[Scored]:
    """Every case's turns, scored; the database lives only as long as the run."""
    with tempfile.TemporaryDirectory(prefix="tandem-eval-") as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'eval.db'}"
        await anyio.to_thread.run_sync(migrate, url)
        # No Redis: the run's events must not reach the replicas of a deployment sharing it.
        private = settings.model_copy(update={"database_url": url, "redis_url": None})
        svc = build_services(private)
        try:
            docs = await _ingest(svc, suite.documents)
            return [r for case in suite.cases for r in await _run_case(svc, case, docs)]
        finally:
            if svc.llm is not None:
                await svc.llm.close()
            await svc.engine.dispose()


def mode(settings: Settings) -> str:
    """How answers are written in this run, for the report."""
    return f"llm {settings.llm_model}" if settings.llm_configured else "quote mode (no LLM)"


async def _ingest(svc: Services, paths: Sequence[Path]) -> Documents:
    async with svc.sessions() as s:
        if paths:
            docs = [await ingest_path(s, p, svc.embedder, source=p.name) for p in paths]
        else:
            docs = await ingest_demo(s, svc.embedder)
        await s.commit()
        return {d.id: (d.title, d.source.removeprefix("demo:")) for d in docs}


async def _run_case(svc: Services, case: Case, docs: Documents) -> list[Scored]:
    conversation_id, reason = await _open(svc, case)
    results = []
    for number, step in enumerate(case.steps, 1):
        turn = await pipeline.receive(svc, conversation_id, step.say, None, ai_holds=True)
        if turn.escalation is not None and turn.escalation.outcome == "escalated":
            reason = turn.escalation.reason
        shown = _shown(turn, docs, case.locale, reason)
        results.append(score(case.name, number, step, shown, case.locale))
    return results


async def _open(svc: Services, case: Case) -> tuple[str, str | None]:
    """A conversation as `POST /api/v1/conversations` opens one: the disclosure first, and
    with the AI opted out a handoff at once (its reason is returned)."""
    async with svc.sessions() as s:
        config = await policy.load(s)
        conv, _ = await conversations.create(s, case.locale, case.ai_opt_out)
        await conversations.append(
            s, conv.id, "assistant", notice(case.locale), kind="disclosure", ai=True
        )
        if case.ai_opt_out:
            await queue.hand_over(
                s,
                conv,
                "ai_opt_out",
                config,
                {"ai_opt_out": True},
                chain_key=decisions.chain_key(svc.settings.secret_key),
            )
        await s.commit()
        return conv.id, "ai_opt_out" if case.ai_opt_out else None


def _shown(turn: Turn, docs: Documents, locale: str, held_for: str | None) -> Shown:
    """What the customer saw after their message, as the scorer reads it."""
    replies: list[Message] = turn.messages[1:]
    text = "\n".join(m.text for m in replies)
    verdict = turn.escalation
    if verdict is None and not any(m.ai for m in replies):  # people held it: the AI kept out
        return Shown("people", held_for, text=text, offered_person=True)
    if verdict is None:
        answer = next(m for m in replies if m.ai)
        return Shown(
            "answered",
            answer=answer.text,
            text=text,
            sources=tuple(docs.get(s["document_id"], (s["title"], "")) for s in answer.sources),
            offered_person=phrase("offer_person", locale) in answer.text,
        )
    offered = verdict.outcome == "escalated" or verdict.offer_person
    return Shown(verdict.outcome, verdict.reason, text=text, offered_person=offered)
