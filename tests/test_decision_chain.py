"""The decision record no one can rewrite: an HMAC chain keyed from TANDEM_SECRET_KEY, checked
by `tandem audit verify`, which names the first broken link."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from app import decisions
from app.db import create_engine, sessionmaker
from app.models import Decision, utcnow
from tests.conftest import BACKENDS, empty_database
from tests.test_cli import tandem

SECRET = "a-secret-key-for-the-chain-" + "k" * 20
KEY = decisions.chain_key(SECRET)


@pytest.fixture(params=BACKENDS)
def url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with empty_database(request.param, tmp_path_factory) as db:
        yield db


def verify(url: str, tmp_path: Path, secret: str = SECRET) -> tuple[int, str]:
    done = tandem(
        ["audit", "verify"],
        tmp_path / "unused.db",
        TANDEM_DATABASE_URL=url,
        TANDEM_SECRET_KEY=secret,
    )
    assert not done.stderr, done.stderr
    return done.returncode, done.stdout.strip()


def _plain(prev: str, d: Decision) -> str:
    """The unkeyed SHA-256 anyone can compute (the scheme before issue 13)."""
    canonical = json.dumps(decisions._body(d), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev + canonical).encode()).hexdigest()


async def _append(url: str, n: int, start: int = 0) -> list[int]:
    engine = create_engine(url)
    ids = []
    async with sessionmaker(engine)() as s:
        for i in range(start, start + n):
            d = await decisions.record(
                s,
                key=KEY,
                conversation_id=f"c{i}",
                message_seq=1,
                outcome="answered",
                reason=None,
                signals={"sentiment": {"negative": 0.1}},
                thresholds={"t": 0.5},
                confidence=0.9,
            )
            ids.append(d.id)
        await s.commit()
    await engine.dispose()
    return ids


async def _plain_rows(url: str, n: int) -> None:
    """Records as written before the chain was keyed: scheme sha256, plain hashes."""
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        prev = decisions.GENESIS
        for i in range(n):
            d = Decision(
                conversation_id=f"old{i}",
                message_seq=1,
                outcome="escalated",
                reason="customer_request",
                signals={},
                thresholds={},
                confidence=None,
                created_at=(utcnow() - timedelta(days=10 - i)).replace(microsecond=0),
                prev_hash=prev,
                scheme=decisions.PLAIN,
            )
            d.hash = prev = _plain(prev, d)
            s.add(d)
            await s.flush()
        await s.commit()
    await engine.dispose()


async def test_an_untouched_chain_holds_and_a_wrong_key_breaks_it(url: str, tmp_path: Path) -> None:
    await _plain_rows(url, 2)
    ids = await _append(url, 3)
    code, out = verify(url, tmp_path)
    assert code == 0, out
    assert out.splitlines()[0] == "The decision chain holds: 5 records."
    assert "The first 2 predate the keyed chain" in out
    code, out = verify(url, tmp_path, secret="another-secret-" + "z" * 30)
    assert code == 1
    assert out.startswith(f"The decision chain is broken at record {ids[0]} (created ")
    assert "hmac-sha256 hash does not match its content" in out


async def test_the_old_attack_rewriting_plain_hashes_is_caught(url: str, tmp_path: Path) -> None:
    ids = await _append(url, 4)
    target = ids[1]
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        rows = (await s.execute(select(Decision).order_by(Decision.id))).scalars().all()
        prev = decisions.GENESIS
        for d in rows:  # change one record's signals, then recompute every hash after it
            if d.id == target:
                d.signals = {"sentiment": {"negative": 0.99}}
            if d.id >= target:
                d.prev_hash, d.hash = prev, _plain(prev, d)
            prev = d.hash
        await s.commit()
    code, out = verify(url, tmp_path)
    assert code == 1
    assert out.startswith(f"The decision chain is broken at record {target} (created ")
    assert "does not match its content" in out

    async with sessionmaker(engine)() as s:  # and passing the forgery off as an old record
        await s.execute(update(Decision).where(Decision.id == target).values(scheme="sha256"))
        await s.commit()
    await engine.dispose()
    code, out = verify(url, tmp_path)
    assert code == 1 and f"record {target} " in out
    assert "an unkeyed (sha256) record after keyed ones" in out


async def test_keyed_records_anchor_on_the_last_plain_hash(url: str) -> None:
    await _plain_rows(url, 3)
    ids = await _append(url, 1)
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        rows = (await s.execute(select(Decision).order_by(Decision.id))).scalars().all()
        assert [d.scheme for d in rows] == ["sha256"] * 3 + ["hmac-sha256"]
        assert rows[3].id == ids[0] and rows[3].prev_hash == rows[2].hash
        verdict = await decisions.verify(s, KEY)
        assert (verdict.records, verdict.plain, verdict.broken) == (4, 3, None)
        # An old record rewritten (and its plain successors recomputed) breaks the anchor.
        rows[1].outcome = "answered"
        rows[1].hash = _plain(rows[1].prev_hash, rows[1])
        rows[2].prev_hash = rows[1].hash
        rows[2].hash = _plain(rows[2].prev_hash, rows[2])
        await s.commit()
        broken = (await decisions.verify(s, KEY)).broken
        assert broken is not None and broken.id == ids[0]
        assert "prev_hash" in broken.problem
    await engine.dispose()
