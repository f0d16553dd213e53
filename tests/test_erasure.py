"""Operators export and erase a customer's data through the API; an erasure leaves no byte of
the text in any database file, is logged without its content, and keeps the chain whole."""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import func, select

from app.db import create_engine, migrate, sessionmaker
from app.main import create_app
from app.models import AnswerMark, Conversation, Erasure, Message, Outbox, User, utcnow
from tests.browsing import launch, shot, watched
from tests.conftest import Chat, settings_for
from tests.llm_stub import StubState, ThreadedServer
from tests.test_cli import tandem
from tests.test_turn_checks import operator
from tests.test_websockets import open_socket, until

SECRET = settings_for("sqlite://").secret_key


async def seed_text(url: str, conversation_id: str, marker: str) -> None:
    """Put `marker` everywhere customer text lives besides the customer's own messages: an
    agent's note, the handoff summary, the contact address, an e-mail and a mark's note."""
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        conv = await s.get(Conversation, conversation_id)
        assert conv is not None
        agent_id = (
            await s.execute(select(User.id).where(User.email == "operator@example.com"))
        ).scalar_one()
        conv.summary_text = f"Summary: the customer wrote {marker}"
        conv.contact_email = conv.contact_email or f"{marker.lower()}@example.com"
        conv.last_seq += 1
        note = Message(
            conversation_id=conv.id,
            seq=conv.last_seq,
            role="agent",
            text=f"note about {marker}",
            internal=True,
            author_id=agent_id,
        )
        s.add(note)
        s.add(
            Outbox(
                conversation_id=conv.id,
                recipient=conv.contact_email,
                body=f"Dear customer, about {marker}",
            )
        )
        answer = (
            (
                await s.execute(
                    select(Message.id).where(
                        Message.conversation_id == conv.id, Message.role == "assistant"
                    )
                )
            )
            .scalars()
            .first()
        )
        assert answer is not None
        s.add(
            AnswerMark(
                message_id=answer,
                conversation_id=conv.id,
                verdict="wrong",
                note=f"wrong about {marker}",
                user_id=agent_id,
            )
        )
        await s.commit()
    await engine.dispose()


async def _leave(http: httpx.AsyncClient, email: str, text: str) -> Chat:
    chat = Chat(http)
    await chat.start(locale="en")
    await chat.say(text)
    r = await http.post(
        f"/api/v1/conversations/{chat.id}/contact",
        json={"email": email, "leave_message": False},
        headers=chat.auth,
    )
    assert r.status_code == 200, r.text
    return chat


async def test_an_export_holds_everything_about_that_customer_and_nothing_else(
    quote_client: httpx.AsyncClient, db_url: str
) -> None:
    tag = secrets.token_hex(4)
    ann = f"ann.{tag}@example.com"
    first = await _leave(quote_client, ann, f"Ann asks about delivery {tag}-ONE")
    second = await _leave(quote_client, ann.upper(), f"Ann asks about returns {tag}-TWO")
    other = await _leave(quote_client, f"bob.{tag}@example.com", f"Bob asks {tag}-BOB")
    await seed_text(db_url, second.id, f"ANNMARK{tag}")
    await seed_text(db_url, other.id, f"BOBMARK{tag}")
    ops = await operator(quote_client)

    r = await quote_client.get("/api/v1/admin/privacy/export", params={"email": ann}, headers=ops)
    assert r.status_code == 200, r.text
    exported = r.json()["conversations"]
    assert [c["conversation"]["id"] for c in exported] == [first.id, second.id]
    body = r.text
    for expected in (f"{tag}-ONE", f"{tag}-TWO", f"note about ANNMARK{tag}", "Summary:"):
        assert expected in body
    assert exported[1]["marks"][0]["note"] == f"wrong about ANNMARK{tag}"
    assert exported[1]["outbox"][0]["body"] == f"Dear customer, about ANNMARK{tag}"
    assert exported[0]["decisions"], "the decisions about the customer's turns are included"
    for absent in (f"{tag}-BOB", f"BOBMARK{tag}", f"bob.{tag}", other.id):
        assert absent not in body

    one = await quote_client.get(
        "/api/v1/admin/privacy/export", params={"conversation_id": other.id}, headers=ops
    )
    assert one.status_code == 200
    assert [c["conversation"]["id"] for c in one.json()["conversations"]] == [other.id]
    assert f"{tag}-ONE" not in one.text and ann not in one.text


async def test_export_and_erase_say_what_is_wrong(quote_client: httpx.AsyncClient) -> None:
    ops = await operator(quote_client)
    url = "/api/v1/admin/privacy/export"
    both = await quote_client.get(
        url, params={"email": "a@b.c", "conversation_id": "x"}, headers=ops
    )
    assert both.status_code == 422 and "not both" in both.json()["detail"]
    nothing = await quote_client.get(url, params={"email": "nobody-here@example.com"}, headers=ops)
    assert nothing.status_code == 404
    assert "nobody-here@example.com" in nothing.json()["detail"]
    erase = await quote_client.post("/api/v1/admin/privacy/erase", json={}, headers=ops)
    assert erase.status_code == 422
    chat = Chat(quote_client)
    await chat.start()
    denied = await quote_client.get(url, params={"conversation_id": chat.id}, headers=chat.auth)
    assert denied.status_code == 401


async def test_an_erasure_by_email_removes_every_row_and_is_logged_without_content(
    quote_client: httpx.AsyncClient, db_url: str
) -> None:
    tag = secrets.token_hex(4)
    email = f"cleo.{tag}@example.com"
    chats = [await _leave(quote_client, email, f"Cleo asks {tag} #{n}") for n in (1, 2)]
    await seed_text(db_url, chats[0].id, f"CLEO{tag}")
    ops = await operator(quote_client)
    r = await quote_client.post("/api/v1/admin/privacy/erase", json={"email": email}, headers=ops)
    assert r.status_code == 200, r.text
    assert r.json()["conversations"] == 2
    assert r.json()["counts"]["notes"] == 1 and r.json()["counts"]["outbox"] == 1

    ids = [c.id for c in chats]
    engine = create_engine(db_url)
    async with sessionmaker(engine)() as s:
        for table, column in (
            (Conversation, Conversation.id),
            (Message, Message.conversation_id),
            (Outbox, Outbox.conversation_id),
            (AnswerMark, AnswerMark.conversation_id),
        ):
            left = await s.execute(select(func.count()).select_from(table).where(column.in_(ids)))
            assert left.scalar_one() == 0, f"{table.__tablename__} still holds rows"
        logged = (await s.execute(select(Erasure).order_by(Erasure.id.desc()))).scalars().first()
    await engine.dispose()
    assert logged is not None
    assert (logged.actor, logged.scope, logged.counts["conversations"]) == ("operator", "email", 2)
    assert tag not in repr(logged.counts) and logged.user_id is not None
    overview = await quote_client.get("/api/v1/admin/privacy", headers=ops)
    assert overview.json()["erasures"][0]["counts"] == logged.counts
    gone = await quote_client.get(
        f"/api/v1/conversations/{chats[0].id}/messages", headers=chats[0].auth
    )
    assert gone.status_code in (401, 404)


@pytest.fixture
def sqlite_server(tmp_path: Path) -> Iterator[tuple[ThreadedServer, Path]]:
    """Tandem on its own SQLite file, so every byte of that file can be read afterwards."""
    path = tmp_path / "tandem.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url)

    async def seed() -> None:
        from app.auth import create_user

        engine = create_engine(url)
        async with sessionmaker(engine)() as s:
            await create_user(s, "operator@example.com", "operator-password", "operator", "Op")
            await s.commit()
        await engine.dispose()

    asyncio.run(seed())
    server = ThreadedServer(create_app(settings_for(url))).start()
    yield server, path
    server.stop()


def _files(path: Path) -> dict[str, bytes]:
    names = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
    return {p.name: p.read_bytes() for p in names if p.exists()}


async def test_after_an_erasure_no_byte_of_the_text_is_left_in_any_database_file(
    sqlite_server: tuple[ThreadedServer, Path],
) -> None:
    server, path = sqlite_server
    url = f"sqlite+aiosqlite:///{path}"
    marker = "ZQX" + secrets.token_hex(8).upper()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        chat = Chat(http)
        await chat.start(locale="en")
        await chat.say(f"My order {marker} never came, where is it?")
        await seed_text(url, chat.id, marker)
        before = _files(path)
        assert any(marker.encode() in data for data in before.values()), "the marker was written"
        ops = await operator(http)
        r = await http.post(
            "/api/v1/admin/privacy/erase", json={"conversation_id": chat.id}, headers=ops
        )
        assert r.status_code == 200, r.text
    for name, data in _files(path).items():
        assert marker.encode() not in data, f"{name} still holds the erased text"
        assert marker.lower().encode() not in data, f"{name} still holds the erased address"
    verify = tandem(["audit", "verify"], path, TANDEM_SECRET_KEY=SECRET)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "The decision chain holds" in verify.stdout


async def test_a_customer_erasure_is_logged_as_the_customer_s(
    quote_client: httpx.AsyncClient, db_url: str
) -> None:
    chat = await _leave(quote_client, f"dee.{secrets.token_hex(3)}@example.com", "Where is it?")
    started = utcnow()
    erased = await quote_client.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth)
    assert erased.status_code == 204
    engine = create_engine(db_url)
    async with sessionmaker(engine)() as s:
        rows = await s.execute(
            select(Erasure).where(Erasure.actor == "customer").order_by(Erasure.id.desc())
        )
        logged = rows.scalars().first()
    await engine.dispose()
    assert logged is not None and logged.user_id is None
    assert logged.counts["conversations"] == 1 and logged.counts["contacts"] == 1
    assert logged.created_at.replace(tzinfo=None) >= started.replace(tzinfo=None, microsecond=0)


@pytest.mark.browser
def test_an_operator_exports_and_erases_a_customer_in_the_console(
    quote_server: ThreadedServer,
) -> None:
    email = f"eve.{secrets.token_hex(4)}@example.com"
    with httpx.Client(base_url=quote_server.url, timeout=30) as http:
        conv = http.post("/api/v1/conversations", json={"locale": "en"}).json()
        auth = {"Authorization": f"Bearer {conv['token']}"}
        left = http.post(
            f"/api/v1/conversations/{conv['id']}/contact",
            json={"email": email, "leave_message": False},
            headers=auth,
        )
        assert left.status_code == 200, left.text
    with sync_playwright() as p:
        browser = launch(p)
        with watched(browser) as w:
            page = w.page
            page.goto(quote_server.url + "/admin")
            page.fill("#email", "operator@example.com")
            page.fill("#password", "operator-password")
            page.click("#login button[type=submit]")
            page.click("[data-tab=privacy]")
            expect(page.locator("#privacy-retention")).to_contain_text("days after their last")
            page.fill("#privacy-value", email)
            with page.expect_download() as download:
                page.click("#privacy-form button[type=submit]")
            exported = Path(download.value.path()).read_text()
            assert conv["id"] in exported and email in exported
            expect(page.locator("#privacy-info")).to_have_text(
                "Exported 1 conversation(s) as tandem-export.json."
            )
            page.click("#privacy-erase")
            expect(page.locator("#privacy-info")).to_contain_text("Erased 1 conversation(s)")
            assert w.confirmed == [
                f"Erase every conversation that left {email} for good? This cannot be undone."
            ]
            expect(page.locator("#privacy-log tbody tr").first).to_contain_text("an operator")
            shot(page, "admin-privacy")
            assert w.problems == []
        browser.close()
    with httpx.Client(base_url=quote_server.url, timeout=30) as http:
        login = http.post(
            "/api/v1/auth/login",
            json={"email": "operator@example.com", "password": "operator-password"},
        )
        ops = {"Authorization": f"Bearer {login.json()['token']}"}
        gone = http.get("/api/v1/admin/privacy/export", params={"email": email}, headers=ops)
        assert gone.status_code == 404


async def test_agents_consoles_drop_an_erased_waiting_conversation(
    server: ThreadedServer, chat: Chat, client: httpx.AsyncClient, llm: StubState
) -> None:
    await chat.start()
    handed = await client.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert handed.status_code < 300, handed.text
    login = await client.post(
        "/api/v1/auth/login", json={"email": "agent2@example.com", "password": "agent-password"}
    )
    agent = await open_socket(server, "/api/v1/agent/ws")
    try:
        await agent.send(json.dumps({"type": "auth", "token": login.json()["token"]}))
        await until(agent, lambda f: f["type"] == "ready")
        ops = await operator(client)
        erased = await client.post(
            "/api/v1/admin/privacy/erase", json={"conversation_id": chat.id}, headers=ops
        )
        assert erased.status_code == 200, erased.text
        await until(agent, lambda f: f["type"] == "queue" and f["conversation_id"] == chat.id)
    finally:
        await agent.close()
    queue = await client.get(
        "/api/v1/agent/queue", headers={"Authorization": f"Bearer {login.json()['token']}"}
    )
    assert chat.id not in queue.text
