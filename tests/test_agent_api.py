"""The agent side of a handoff, through the HTTP API, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.db import create_engine, sessionmaker
from app.models import Conversation, Outbox, User, utcnow
from app.policy import DAYS
from disclosure.texts import phrase
from tests.conftest import Chat

AGENT = ("agent@example.com", "agent-password")
AGENT2 = ("agent2@example.com", "agent-password")
OPERATOR = ("operator@example.com", "operator-password")

# Open one minute on a day three days away: closed now (a schedule with no hours is refused).
CLOSED_NOW = {"days": {DAYS[(utcnow().weekday() + 3) % 7]: [["00:00", "00:01"]]}}


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Direct database access for arranging what the API cannot (an agent vanishing)."""
    engine = create_engine(db_url)
    sessions = sessionmaker(engine)
    async with sessions() as s:  # nobody online: no auto-assignment during these tests
        await s.execute(update(User).values(last_seen_at=None))
        await s.commit()
    yield sessions
    await engine.dispose()


async def login(http: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def user_id(db: async_sessionmaker[AsyncSession], email: str) -> int:
    async with db() as s:
        return (await s.execute(select(User.id).where(User.email == email))).scalar_one()


async def queued(chat: Chat) -> str:
    await chat.start()
    r = await chat.http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "queued"
    return chat.id


def url(cid: str, action: str = "") -> str:
    return f"/api/v1/agent/conversations/{cid}" + (f"/{action}" if action else "")


async def customer_view(chat: Chat) -> dict[str, Any]:
    r = await chat.http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


async def claimed(client: httpx.AsyncClient, chat: Chat, who: tuple[str, str]) -> dict[str, str]:
    agent = await login(client, who)
    await queued(chat)
    r = await client.post(url(chat.id, "claim"), headers=agent)
    assert r.status_code == 200, r.text
    return agent


async def test_handoff_on_request_shows_reason_signals_and_summary(
    client: httpx.AsyncClient, chat: Chat, llm: Any, db: Any
) -> None:
    await chat.start()
    turn = await chat.say("I want to talk to a human, please, my parcel is late")
    assert turn["status"] == "queued"
    agent = await login(client, AGENT)
    q = (await client.get("/api/v1/agent/queue", headers=agent)).json()
    assert chat.id in [c["id"] for c in q["queued"]]
    r = await client.get(url(chat.id), headers=agent)
    assert r.status_code == 200, r.text
    detail = r.json()
    assert detail["escalation"]["reason"] == "customer_request"
    assert detail["signals"][-1]["reason"] == "customer_request"
    assert detail["signals"][-1]["signals"]["human_request"]["requested"] is True
    assert len(detail["sentiment_trend"]) == 1
    assert detail["summary"]["text"]
    texts = [m["text"] for m in detail["messages"]]
    assert "I want to talk to a human, please, my parcel is late" in texts


async def summarised(client: httpx.AsyncClient, cid: str, agent: dict[str, str]) -> dict[str, Any]:
    """The conversation once its handoff summary is written (in the background)."""
    async with asyncio.timeout(10):
        while True:
            detail: dict[str, Any] = (await client.get(url(cid), headers=agent)).json()
            if detail["summary"]["source"] == "llm":
                return detail
            await asyncio.sleep(0.1)


async def test_summary_is_redacted_and_falls_back_when_the_llm_hangs(
    client: httpx.AsyncClient, chat: Chat, llm: Any
) -> None:
    await chat.start()
    await chat.say("I want a human. Mail me at kim.jansen@example.org about order 4417")
    agent = await login(client, AGENT)
    detail = await summarised(client, chat.id, agent)
    summaries = [r for r in llm.requests if not r.get("stream")]  # one plain completion each
    assert len(summaries) == 1  # once per handoff
    assert "kim.jansen@example.org" not in str(summaries)
    assert any("kim.jansen@example.org" in m["text"] for m in detail["messages"])  # real values
    asked = len(llm.requests)
    again = (await client.get(url(chat.id), headers=agent)).json()
    assert again["summary"] == detail["summary"] and len(llm.requests) == asked  # read, not asked
    llm.mode = "hang"
    started = asyncio.get_running_loop().time()
    r = await client.post(url(chat.id, "summary"), headers=agent)  # asked for again
    assert r.status_code == 200, r.text
    assert asyncio.get_running_loop().time() - started < 6
    assert r.json()["source"] == "extractive"
    assert "kim.jansen" in r.json()["text"]
    assert (await client.get(url(chat.id), headers=agent)).json()["summary"] == r.json()


async def test_claim_is_atomic_and_idempotent(client: httpx.AsyncClient, chat: Chat) -> None:
    one, two = await login(client, AGENT), await login(client, AGENT2)
    await queued(chat)
    results = await asyncio.gather(
        client.post(url(chat.id, "claim"), headers=one),
        client.post(url(chat.id, "claim"), headers=two),
    )
    assert sorted(r.status_code for r in results) == [200, 409]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"] == "conflict"
    winner = one if results[0].status_code == 200 else two
    again = await client.post(url(chat.id, "claim"), headers=winner)
    assert again.status_code == 200 and again.json()["status"] == "agent"
    view = await customer_view(chat)
    joined = [m for m in view["messages"] if m["kind"] == "event" and "has joined" in m["text"]]
    assert len(joined) == 1  # the idempotent retry told the customer nothing twice


async def test_agent_reply_reaches_customer_and_ai_stays_silent(
    client: httpx.AsyncClient, chat: Chat, llm: Any
) -> None:
    await queued(chat)
    waiting = await chat.say("Is anyone there?")
    assert [m["role"] for m in waiting["messages"]] == ["customer"]
    agent = await login(client, AGENT)
    assert (await client.post(url(chat.id, "claim"), headers=agent)).status_code == 200
    r = await client.post(url(chat.id, "messages"), json={"text": "Hi, Alex here."}, headers=agent)
    assert r.status_code == 200, r.text
    assert r.json()["role"] == "agent" and r.json()["ai"] is False
    later = await chat.say("Great, my order is late")
    assert [m["role"] for m in later["messages"]] == ["customer"]
    view = await customer_view(chat)
    assert any(m["role"] == "agent" and m["text"] == "Hi, Alex here." for m in view["messages"])
    handed = next(m["seq"] for m in view["messages"] if m["kind"] == "event")
    assert not [m for m in view["messages"] if m["role"] == "assistant" and m["seq"] > handed]


async def test_notes_are_never_shown_to_the_customer(client: httpx.AsyncClient, chat: Chat) -> None:
    agent = await claimed(client, chat, AGENT)
    r = await client.post(url(chat.id, "notes"), json={"text": "VIP customer"}, headers=agent)
    assert r.status_code == 200 and r.json()["internal"] is True
    assert "VIP customer" not in [m["text"] for m in (await customer_view(chat))["messages"]]
    detail = (await client.get(url(chat.id), headers=agent)).json()
    assert any(m["text"] == "VIP customer" and m["internal"] for m in detail["messages"])


async def test_release_hands_back_to_the_ai(
    client: httpx.AsyncClient, chat: Chat, llm: Any
) -> None:
    agent = await claimed(client, chat, AGENT)
    r = await client.post(url(chat.id, "release"), headers=agent)
    assert r.status_code == 200 and r.json()["status"] == "bot"
    view = await customer_view(chat)
    assert view["messages"][-1]["text"] == phrase("agent_left", "en")
    turn = await chat.say("How do I return an item?")
    assert len(turn["messages"]) > 1  # the AI speaks again (an answer, or a handoff notice)


async def test_transfer_to_another_agent(
    client: httpx.AsyncClient, chat: Chat, db: async_sessionmaker[AsyncSession]
) -> None:
    one = await claimed(client, chat, AGENT)
    two = await login(client, AGENT2)
    target = await user_id(db, AGENT2[0])
    async with db() as s:  # a console of theirs is live, with room: only then may they take one
        live = {"last_seen_at": utcnow(), "max_concurrent": 50}
        await s.execute(update(User).where(User.id == target).values(**live))
        await s.commit()
    r = await client.post(url(chat.id, "transfer"), json={"agent_id": target}, headers=one)
    assert r.status_code == 200 and r.json()["agent_id"] == target
    assert (await customer_view(chat))["messages"][-1]["text"].startswith("Bo Agent")
    denied = await client.post(url(chat.id, "messages"), json={"text": "x"}, headers=one)
    assert denied.status_code == 409
    ok = await client.post(url(chat.id, "messages"), json={"text": "Bo here"}, headers=two)
    assert ok.status_code == 200
    async with db() as s:
        await s.execute(update(User).where(User.id == target).values(max_concurrent=3))
        await s.commit()


async def test_close_tells_the_customer(client: httpx.AsyncClient, chat: Chat) -> None:
    agent = await claimed(client, chat, AGENT)
    r = await client.post(url(chat.id, "close"), headers=agent)
    assert r.status_code == 200 and r.json()["status"] == "closed"
    view = await customer_view(chat)
    assert view["status"] == "closed"
    assert view["messages"][-1]["text"] == phrase("closed", "en")


async def test_lease_expiry_requeues_to_the_front(
    client: httpx.AsyncClient, chat: Chat, db: async_sessionmaker[AsyncSession]
) -> None:
    await claimed(client, chat, AGENT)
    later = Chat(client)
    await queued(later)  # queued after ours, with no special priority
    async with db() as s:
        await s.execute(
            update(Conversation)
            .where(Conversation.id == chat.id)
            .values(lease_expires_at=utcnow() - timedelta(seconds=1))
        )
        await s.commit()
    for _ in range(50):  # the app's clock notices within a tick
        view = await customer_view(chat)
        if view["status"] == "queued":
            break
        await asyncio.sleep(0.2)
    assert view["status"] == "queued"
    assert view["messages"][-1]["text"] == phrase("lease_expired", "en")
    assert view["queue"]["position"] < (await customer_view(later))["queue"]["position"]
    agent = await login(client, AGENT2)
    ids = [
        c["id"] for c in (await client.get("/api/v1/agent/queue", headers=agent)).json()["queued"]
    ]
    assert ids.index(chat.id) < ids.index(later.id)


async def test_waiting_customer_sees_position_and_may_leave_a_message(
    client: httpx.AsyncClient, chat: Chat
) -> None:
    await queued(chat)
    info = (await customer_view(chat))["queue"]
    assert info["position"] >= 1 and info["expected_wait_seconds"] >= 0
    assert info["leave_message"] is True  # nobody is online
    contact = f"/api/v1/conversations/{chat.id}/contact"
    bad = await client.post(contact, json={"email": "not-an-address"}, headers=chat.auth)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid"
    r = await client.post(contact, json={"email": "kim@example.org"}, headers=chat.auth)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "offline"
    assert r.json()["messages"][0]["text"] == phrase("message_left_chat", "en")  # no SMTP


async def test_offline_outside_hours_is_answered_later(
    client: httpx.AsyncClient, chat: Chat, db: async_sessionmaker[AsyncSession]
) -> None:
    operator = await login(client, OPERATOR)
    before = (await client.get("/api/v1/admin/settings", headers=operator)).json()
    closed = {**before, "policy": {**before["policy"], "business_hours": CLOSED_NOW}}
    assert (await client.put("/api/v1/admin/settings", json=closed, headers=operator)).is_success
    try:
        await chat.start()
        r = await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
        assert r.json()["status"] == "offline"
    finally:
        await client.put("/api/v1/admin/settings", json=before, headers=operator)
    await chat.say("My parcel never arrived, order 123.")
    contact = f"/api/v1/conversations/{chat.id}/contact"
    r = await client.post(contact, json={"email": "sam@example.org"}, headers=chat.auth)
    assert r.json()["status"] == "offline"
    agent = await login(client, AGENT)
    offline = (await client.get("/api/v1/agent/queue", headers=agent)).json()["offline"]
    assert chat.id in [c["id"] for c in offline]
    assert (await client.post(url(chat.id, "claim"), headers=agent)).status_code == 200
    text = "Sorry! A new parcel is on its way."
    assert (
        await client.post(url(chat.id, "messages"), json={"text": text}, headers=agent)
    ).is_success
    assert text in [m["text"] for m in (await customer_view(chat))["messages"]]
    async with db() as s:  # no SMTP configured: nothing is queued (tests/test_mail.py sends)
        mail = await s.execute(select(Outbox).where(Outbox.conversation_id == chat.id))
    assert mail.scalars().all() == []


async def test_roles_and_ownership_are_enforced(client: httpx.AsyncClient, chat: Chat) -> None:
    assert (await client.get("/api/v1/agent/queue")).status_code == 401
    one = await claimed(client, chat, AGENT)
    assert (await client.get("/api/v1/agent/queue", headers=chat.auth)).status_code == 401
    assert (await client.get("/api/v1/admin/settings", headers=one)).status_code == 403
    two = await login(client, AGENT2)
    assert (await client.get(url(chat.id), headers=two)).status_code == 403
    for action in ("messages", "release", "close"):
        body = {"text": "mine now"} if action == "messages" else None
        r = await client.post(url(chat.id, action), json=body, headers=two)
        assert r.status_code == 409, (action, r.text)
    assert (await client.post(url(chat.id, "claim"), headers=two)).status_code == 409
    extra = await client.post(url(chat.id, "messages"), json={"text": "x", "ai": True}, headers=one)
    assert extra.status_code == 422
    assert (await client.get(url("0" * 32), headers=one)).status_code == 404


async def test_canned_replies(client: httpx.AsyncClient) -> None:
    agent = await login(client, AGENT)
    shortcut = f"thanks-{id(agent)}"
    body = {"shortcut": shortcut, "text": "Thank you for your patience."}
    assert (await client.post("/api/v1/agent/canned", json=body, headers=agent)).status_code == 201
    assert (await client.post("/api/v1/agent/canned", json=body, headers=agent)).status_code == 409
    listed = (await client.get("/api/v1/agent/canned", headers=agent)).json()
    assert body["text"] in [c["text"] for c in listed if c["shortcut"] == shortcut]
    agents = (await client.get("/api/v1/agent/agents", headers=agent)).json()
    assert {"Alex Agent", "Bo Agent"} <= {a["name"] for a in agents}
