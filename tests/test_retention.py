"""The retention purge deletes exactly what has expired, keeps the anonymous statistics, and
runs on one replica at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app import policy, retention
from app.db import create_engine, sessionmaker
from app.main import create_app
from app.models import AnswerMark, Conversation, Erasure, Message, Outbox, ScheduledJob, User
from app.stats import Range, compute_stats
from tests.conftest import BACKENDS, empty_database, settings_for
from tests.llm_stub import ThreadedServer
from tests.test_cli import tandem

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
DAYS = 30
CUTOFF = AS_OF - timedelta(days=DAYS)
MINUTE = timedelta(minutes=1)
# name: (the conversation's updated_at, its latest message's time, expired?)
AGES = {
    "long_gone": (CUTOFF - timedelta(days=200), CUTOFF - timedelta(days=200), True),
    "a_minute_too_old": (CUTOFF - MINUTE, CUTOFF - 2 * MINUTE, True),
    "exactly_at_cutoff": (CUTOFF, CUTOFF - MINUTE, False),
    "a_minute_young": (CUTOFF + MINUTE, CUTOFF + MINUTE, False),
    "old_row_recent_message": (CUTOFF - timedelta(days=5), CUTOFF + MINUTE, False),
    "fresh": (AS_OF - MINUTE, AS_OF - MINUTE, False),
}


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with empty_database(request.param, tmp_path_factory) as db:
        yield db


async def _seed(url: str) -> None:
    """One conversation per age, each with text everywhere customer text lives."""
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        user = User(email="op@example.com", password_hash="x", role="operator")
        s.add(user)
        config = await policy.load(s)
        config.policy.retention_days = DAYS
        await policy.save(s, config, None)
        await s.flush()
        for name, (updated, last, _) in AGES.items():
            s.add(
                Conversation(
                    id=name,
                    token_hash="h" * 64,
                    status="closed",
                    created_at=updated - timedelta(days=1),
                    updated_at=updated,
                    contact_email=f"{name}@example.com",
                    summary_text=f"summary of {name}",
                    escalation_reason="customer_request",
                    rating=4,
                    last_seq=3,
                )
            )
            for seq, role, internal in (
                (1, "customer", False),
                (2, "agent", False),
                (3, "agent", True),
            ):
                s.add(
                    Message(
                        conversation_id=name,
                        seq=seq,
                        role=role,
                        text=f"{role} {seq} of {name}",
                        internal=internal,
                        created_at=last - timedelta(seconds=3 - seq),
                    )
                )
            s.add(
                Outbox(conversation_id=name, recipient=f"{name}@example.com", body=f"mail {name}")
            )
            await s.flush()
            answer = (
                await s.execute(
                    select(Message.id).where(Message.conversation_id == name, Message.seq == 2)
                )
            ).scalar_one()
            s.add(
                AnswerMark(
                    message_id=answer,
                    conversation_id=name,
                    verdict="good",
                    note=f"mark {name}",
                    user_id=user.id,
                )
            )
        await s.commit()
    await engine.dispose()


async def _snapshot(url: str) -> dict[str, Any]:
    """Every stored value of every seeded conversation, and the statistics."""
    engine = create_engine(url)
    out: dict[str, Any] = {}
    async with sessionmaker(engine)() as s:
        for name in AGES:
            conv = await s.get(Conversation, name)
            assert conv is not None
            messages = await s.execute(
                select(Message.seq, Message.role, Message.text).where(
                    Message.conversation_id == name
                )
            )
            mails = await s.execute(select(Outbox.body).where(Outbox.conversation_id == name))
            marks = await s.execute(
                select(AnswerMark.verdict, AnswerMark.note).where(
                    AnswerMark.conversation_id == name
                )
            )
            out[name] = {
                "token": conv.token_hash,
                "email": conv.contact_email,
                "summary": conv.summary_text,
                "status": conv.status,
                "reason": conv.escalation_reason,
                "rating": conv.rating,
                "messages": sorted(tuple(m) for m in messages.all()),
                "outbox": list(mails.scalars()),
                "marks": [tuple(m) for m in marks.all()],
            }
        # Every seeded conversation falls in this range (the oldest 230 days before AS_OF).
        everything = Range((AS_OF - timedelta(days=365)).date(), AS_OF.date())
        stats = await compute_stats(s, everything)
        out["stats"] = (stats["conversations"], stats["satisfaction"], stats["wait_seconds"])
        out["erasures"] = [
            (e.actor, e.scope, e.counts) for e in (await s.execute(select(Erasure))).scalars()
        ]
        out["last_run"] = await retention.last_run(s)
    await engine.dispose()
    return out


def _env(url: str) -> dict[str, str]:
    return {"TANDEM_DATABASE_URL": url}


async def test_the_purge_deletes_exactly_what_has_expired(url: str, tmp_path: Path) -> None:
    await _seed(url)
    before = await _snapshot(url)

    dry = tandem(["purge", "--dry-run", "--as-of", "2026-06-01"], tmp_path / "x.db", **_env(url))
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith(
        "would purge 2 conversations idle since before 2026-05-02T00:00:00"
    )
    assert "  messages: 4" in dry.stdout and "  notes: 2" in dry.stdout
    assert await _snapshot(url) == before, "a dry run changes nothing"

    done = tandem(["purge", "--as-of", "2026-06-01"], tmp_path / "x.db", **_env(url))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("purged 2 conversations")
    after = await _snapshot(url)
    for name, (_, _, expired) in AGES.items():
        if not expired:
            assert after[name] == before[name], f"{name} was touched"
            continue
        kept = after[name]
        assert kept["email"] is None and kept["summary"] is None and kept["outbox"] == []
        assert kept["token"] == "", "a purged conversation can no longer be opened"
        assert [text for _, _, text in kept["messages"]] == ["", "", ""]
        assert [role for _, role, _ in kept["messages"]] == ["customer", "agent", "agent"]
        assert kept["marks"] == [("good", None)]
        assert (kept["status"], kept["reason"], kept["rating"]) == ("closed", "customer_request", 4)
    assert after["stats"] == before["stats"], "the statistics still count purged conversations"
    assert after["erasures"] == [
        (
            "retention",
            "expired",
            {
                "conversations": 2,
                "messages": 4,
                "notes": 2,
                "summaries": 2,
                "contacts": 2,
                "mark_notes": 2,
                "outbox": 2,
            },
        )
    ]
    assert after["last_run"] is not None

    again = tandem(["purge", "--as-of", "2026-06-01"], tmp_path / "x.db", **_env(url))
    assert again.stdout.startswith("purged 0 conversations"), "a purged conversation goes once"


def test_a_bad_date_is_one_clear_line(tmp_path: Path) -> None:
    bad = tandem(["purge", "--as-of", "1st of June"], tmp_path / "t.db")
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0
    assert "is not a date: write YYYY-MM-DD" in bad.stderr


@pytest.fixture
def pg() -> Iterator[str]:
    from tests.databases import pg_database

    with pg_database() as db:
        yield db


@pytest.mark.postgres
async def test_two_replicas_never_purge_at_once(pg: str) -> None:
    """Two engines (replicas) race for the lease: exactly one runs, and not again before the
    interval; a held lease keeps the other out even when the job is due."""
    db = pg
    await _seed(db)
    a, b = create_engine(db), create_engine(db)
    try:
        runs = await asyncio.gather(
            retention.run_due(sessionmaker(a)), retention.run_due(sessionmaker(b))
        )
        assert sum(r is not None for r in runs) == 1
        assert await retention.run_due(sessionmaker(b)) is None, "not due again yet"
        async with sessionmaker(a)() as s:
            assert await retention.claim(s, _now(), interval=0, lease=60)
            await s.commit()
        async with sessionmaker(b)() as s:
            assert not await retention.claim(s, _now(), interval=0, lease=60), "lease held"
            await s.commit()
        async with sessionmaker(a)() as s:
            await retention.release(s)
            await s.commit()
        async with sessionmaker(b)() as s:
            assert await retention.claim(s, _now(), interval=0, lease=60)
            await s.commit()
    finally:
        await a.dispose()
        await b.dispose()


def _now() -> datetime:
    return datetime.now(UTC)


@pytest.mark.postgres
def test_two_app_instances_purge_once() -> None:
    """Two real Tandem apps on one PostgreSQL database start together: their schedulers purge
    the expired conversations once, by whichever took the lease."""
    from tests.databases import pg_database

    with pg_database() as db:
        asyncio.run(_seed(db))
        servers = [ThreadedServer(create_app(settings_for(db))) for _ in range(2)]
        for server in servers:  # together, so both schedulers race for the first run
            server.thread.start()
        try:
            while not all(server.server.started for server in servers):
                assert all(server.thread.is_alive() for server in servers), "a server died"
                time.sleep(0.05)
            deadline = time.monotonic() + 120
            job: tuple[Any, ...] | None = None
            while time.monotonic() < deadline:
                job = asyncio.run(_job(db))
                if job is not None and job[0] is not None and job[1] is None:
                    break
                time.sleep(0.2)
            assert job is not None and job[0] is not None, "the purge ran"
            time.sleep(1.0)  # the other replica's scheduler has polled by now, too
            snapshot = asyncio.run(_snapshot(db))
        finally:
            for server in servers:
                server.stop()
    # Every seeded conversation is older than today minus 30 days: all of them were purged.
    assert all(snapshot[name]["token"] == "" for name in AGES)
    purged = [e for e in snapshot["erasures"] if e[0] == "retention"]
    assert len(purged) == 1, purged


async def _job(url: str) -> tuple[Any, ...] | None:
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        row = await s.get(ScheduledJob, retention.JOB)
    await engine.dispose()
    return None if row is None else (row.last_run_at, row.claimed_until)


async def test_a_purge_by_hand_waits_for_a_running_one(url: str, tmp_path: Path) -> None:
    await _seed(url)
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:  # a replica is purging right now
        assert await retention.claim(s, _now(), interval=0, lease=600)
        await s.commit()
    busy = tandem(["purge"], tmp_path / "x.db", **_env(url))
    assert busy.returncode == 1
    assert busy.stderr.strip() == (
        "tandem: a purge is running on a replica right now; try again later"
    )
    async with sessionmaker(engine)() as s:
        await retention.release(s)
        await s.commit()
    await engine.dispose()
    free = tandem(["purge"], tmp_path / "x.db", **_env(url))
    assert free.returncode == 0 and free.stdout.startswith("purged 6 conversations")
