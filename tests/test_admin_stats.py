"""The operator's stats against a seeded history whose right answers are known, on SQLite and
PostgreSQL: every figure of `GET /api/v1/admin/stats` is asserted exactly, edges included (a
handoff before any typed message, a conversation that started before the range, a decision
after it, an internal note, a transfer)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.auth import create_user
from app.db import create_engine, sessionmaker
from app.models import Conversation, Decision, Message
from app.security import hash_token
from tests.conftest import settings_for
from tests.llm_stub import ThreadedServer

OPERATOR = ("stats-op@example.com", "operator-password")
RANGE = {"from": "2021-03-01", "to": "2021-03-03"}


def at(day: int, hh: int, mm: int, ss: int = 0) -> datetime:
    """A moment in March 2021, UTC (day 0 is 28 February)."""
    if day == 0:
        return datetime(2021, 2, 28, hh, mm, ss, tzinfo=UTC)
    return datetime(2021, 3, day, hh, mm, ss, tzinfo=UTC)


class History:
    """Builds conversations with messages and decisions at chosen moments."""

    def __init__(self) -> None:
        self.rows: list[Any] = []
        self.hashes = 0

    def conversation(self, cid: str, started: datetime, rating: int | None = None) -> str:
        self.rows.append(
            Conversation(
                id=cid,
                token_hash=hash_token(cid),
                created_at=started,
                updated_at=started,
                rating=rating,
                last_seq=20,
            )
        )
        return cid

    def message(
        self,
        cid: str,
        seq: int,
        role: str,
        when: datetime,
        author: int | None = None,
        internal: bool = False,
        kind: str = "text",
    ) -> None:
        self.rows.append(
            Message(
                conversation_id=cid,
                seq=seq,
                role=role,
                kind=kind,
                text=f"{role} {seq}",
                created_at=when,
                author_id=author,
                internal=internal,
            )
        )

    def decision(
        self, cid: str, seq: int, outcome: str, reason: str | None, when: datetime
    ) -> None:
        self.hashes += 1
        self.rows.append(
            Decision(
                conversation_id=cid,
                message_seq=seq,
                outcome=outcome,
                reason=reason,
                created_at=when,
                prev_hash=f"{self.hashes - 1:064x}",
                hash=f"{self.hashes:064x}",
            )
        )


async def _seed(url: str) -> dict[str, int]:
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        await create_user(s, OPERATOR[0], OPERATOR[1], "operator", "Stats Op")
        ann = (await create_user(s, "ann@example.com", "agent-password", "agent", "Ann")).id
        ben = (await create_user(s, "ben@example.com", "agent-password", "agent", "Ben")).id
        h = History()
        # c1: answered by the AI, rated 5: contained.
        c1 = h.conversation("c1", at(1, 10, 0), rating=5)
        h.message(c1, 1, "system", at(1, 10, 0), kind="disclosure")
        h.message(c1, 2, "customer", at(1, 10, 0, 5))
        h.decision(c1, 2, "answered", None, at(1, 10, 0, 6))
        # c2: low confidence, Ann answers 60 s later; Ben's internal note earlier is no answer.
        c2 = h.conversation("c2", at(1, 11, 0), rating=4)
        h.message(c2, 1, "customer", at(1, 11, 0, 5))
        h.decision(c2, 1, "escalated", "low_confidence", at(1, 11, 0, 10))
        h.message(c2, 2, "agent", at(1, 11, 0, 30), author=ben, internal=True)
        h.message(c2, 3, "agent", at(1, 11, 1, 10), author=ann)
        # c3: the button before typing anything; Ben answers after 120 s; rated 2.
        c3 = h.conversation("c3", at(2, 9, 0), rating=2)
        h.decision(c3, 1, "escalated", "customer_request", at(2, 9, 0, 5))
        h.message(c3, 2, "agent", at(2, 9, 2, 5), author=ben)
        # c4: negative sentiment; Ann after 300 s, then transferred to Ben (after 360 s).
        c4 = h.conversation("c4", at(2, 12, 0))
        h.message(c4, 1, "customer", at(2, 12, 0, 10))
        h.decision(c4, 1, "escalated", "negative_sentiment", at(2, 12, 0, 20))
        h.message(c4, 2, "agent", at(2, 12, 5, 20), author=ann)
        h.message(c4, 3, "agent", at(2, 12, 6, 20), author=ben)
        h.message(c4, 4, "agent", at(2, 12, 7, 0), author=ann)  # not Ann's first: no change
        # c5: the AI declined and offered a person, who was never asked for: contained; rated 1.
        c5 = h.conversation("c5", at(3, 8, 0), rating=1)
        h.message(c5, 1, "customer", at(3, 8, 0, 5))
        h.decision(c5, 1, "declined", "low_confidence", at(3, 8, 0, 6))
        # c6: started in the range, escalated just after it: not contained, no handoff counted.
        c6 = h.conversation("c6", at(3, 23, 59, 30))
        h.message(c6, 1, "customer", at(3, 23, 59, 40))
        h.decision(
            c6,
            1,
            "escalated",
            "restricted_topic",
            datetime(2021, 3, 4, 0, 0, 10, tzinfo=UTC),
        )
        # c7: started before the range: only its handoff (in the range) counts.
        c7 = h.conversation("c7", at(0, 23, 0), rating=3)
        h.message(c7, 1, "customer", at(0, 23, 0, 5))
        h.decision(c7, 1, "escalated", "customer_request", at(1, 0, 10))
        h.message(c7, 2, "agent", at(1, 0, 15), author=ann)
        # c8: opened, never typed in, never handed over: in nothing.
        c8 = h.conversation("c8", at(2, 15, 0))
        h.message(c8, 1, "system", at(2, 15, 0), kind="disclosure")
        s.add_all(h.rows)
        await s.commit()
    await engine.dispose()
    return {"ann": ann, "ben": ben}


@pytest.fixture(scope="module")
def seeded(kb_url: str) -> Iterator[tuple[str, dict[str, int]]]:
    agents = asyncio.run(_seed(kb_url))
    srv = ThreadedServer(create_app_for(kb_url)).start()
    yield srv.url, agents
    srv.stop()


def create_app_for(url: str) -> Any:
    from app.main import create_app

    return create_app(settings_for(url))


async def _login(http: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def test_every_figure_of_the_seeded_history(seeded: tuple[str, dict[str, int]]) -> None:
    url, agents = seeded
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.get(
            "/api/v1/admin/stats", params=RANGE, headers=await _login(http, OPERATOR)
        )
    assert r.status_code == 200, r.text
    s = r.json()
    assert (s["from"], s["to"]) == ("2021-03-01", "2021-03-03")
    # typed in: c1 c2 c4 c5 c6; of those without any handoff: c1 c5; c3 only pressed the button
    assert (s["conversations"], s["contained"], s["containment_rate"]) == (5, 2, 0.4)
    assert s["handed_over_before_typing"] == 1
    # decisions made in the range: c1 c2 c3 c4 c5 c7 (c6's came the day after)
    assert s["turns"] == 6
    assert s["outcomes"] == {"answered": 1, "escalated": 4, "declined": 1}
    assert s["escalations_by_reason"] == {
        "low_confidence": 1,
        "customer_request": 2,
        "negative_sentiment": 1,
    }
    assert s["handoffs_by_day"] == [
        {"day": "2021-03-01", "reasons": {"low_confidence": 1, "customer_request": 1}},
        {"day": "2021-03-02", "reasons": {"customer_request": 1, "negative_sentiment": 1}},
        {"day": "2021-03-03", "reasons": {}},
    ]
    # waits of c2, c3, c4: 60, 120, 300 s (c7 started before the range)
    assert s["wait_seconds"] == {"median": 120.0, "p90": 300.0, "count": 3}
    assert s["satisfaction"] == {
        "ratings": 4,
        "average": 3.0,
        "distribution": {"1": 1, "2": 1, "3": 0, "4": 1, "5": 1},
    }
    assert s["agents"] == [
        {
            "id": agents["ann"],
            "name": "Ann",
            "conversations": 2,  # c2, c4 (c7 started before the range)
            "median_first_response_seconds": 180.0,  # 60 and 300
            "ratings": 1,
            "average_rating": 4.0,
        },
        {
            "id": agents["ben"],
            "name": "Ben",
            "conversations": 2,  # c3, c4 (the note in c2 is not an answer)
            "median_first_response_seconds": 240.0,  # 120 and 360
            "ratings": 1,
            "average_rating": 2.0,
        },
    ]


async def test_one_day_and_an_empty_range(seeded: tuple[str, dict[str, int]]) -> None:
    url, _ = seeded
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        op = await _login(http, OPERATOR)
        day = await http.get(
            "/api/v1/admin/stats", params={"from": "2021-03-03", "to": "2021-03-03"}, headers=op
        )
        empty = await http.get(
            "/api/v1/admin/stats", params={"from": "2020-01-01", "to": "2020-01-02"}, headers=op
        )
    d = day.json()
    assert (d["conversations"], d["contained"], d["containment_rate"]) == (2, 1, 0.5)  # c5, c6
    assert d["handoffs_by_day"] == [{"day": "2021-03-03", "reasons": {}}]
    e = empty.json()
    assert (e["conversations"], e["containment_rate"], e["turns"]) == (0, None, 0)
    assert e["wait_seconds"] == {"median": None, "p90": None, "count": 0}
    assert e["satisfaction"]["average"] is None and e["agents"] == []


@pytest.mark.parametrize(
    ("params", "says"),
    [
        ({"from": "2021-03-04", "to": "2021-03-01"}, "starts (2021-03-04) after it ends"),
        ({"from": "2021-02-30"}, "from: Enter a date as YYYY-MM-DD."),
        ({"to": "yesterday"}, "to: Enter a date as YYYY-MM-DD."),
        ({"from": "2019-01-01", "to": "2021-01-01"}, "at most 366 days"),
    ],
)
async def test_a_nonsense_range_gets_a_sentence(
    seeded: tuple[str, dict[str, int]], params: dict[str, str], says: str
) -> None:
    url, _ = seeded
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        r = await http.get(
            "/api/v1/admin/stats", params=params, headers=await _login(http, OPERATOR)
        )
        assert r.status_code == 422 and says in r.json()["detail"], r.text
        agent = await _login(http, ("ann@example.com", "agent-password"))
        assert (await http.get("/api/v1/admin/stats", headers=agent)).status_code == 403
