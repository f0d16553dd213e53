"""E-mail: agents' replies and new-message alerts leave through a real SMTP server on loopback,
exactly once, retried and given up on visibly; without SMTP no screen promises an e-mail."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.cli import main as cli
from app.db import create_engine, sessionmaker
from app.models import MailKind, Outbox, User, utcnow
from app.policy import DAYS
from app.settings import InvalidSettings, SmtpServer, parse_smtp_url
from disclosure.texts import LOCALES, phrase
from tests.conftest import SITE, Chat, empty_database
from tests.llm_stub import ThreadedServer
from tests.smtp_sink import Sink
from tests.test_replicas import Replica, _environment, _start, _stop, _wait_healthy

AGENT = ("agent@example.com", "agent-password")
AGENT2 = ("agent2@example.com", "agent-password")
OPERATOR = ("operator@example.com", "operator-password")
PROMISES = ("mail", "correo")  # e-mail, E-Mail, per e-mail, par e-mail, por correo

# Open one minute on a day three days away: closed now (a schedule with no hours is refused).
CLOSED_NOW = {"days": {DAYS[(utcnow().weekday() + 3) % 7]: [["00:00", "00:01"]]}}


@pytest.fixture
async def mailing(mail_server: ThreadedServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=mail_server.url, timeout=30) as http:
        yield http


@pytest.fixture
async def db(db_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Nobody online (no auto-assignment) and nobody opted in to alerts, unless a test says so."""
    engine = create_engine(db_url)
    sessions = sessionmaker(engine)
    async with sessions() as s:
        await s.execute(update(User).values(last_seen_at=None, notify_new_messages=False))
        await s.commit()
    yield sessions
    async with sessions() as s:
        await s.execute(update(User).values(notify_new_messages=False))
        await s.commit()
    await engine.dispose()


async def eventually(check: Callable[[], Any], within: float = 15.0) -> Any:
    """Poll `check` (sync or async) until it returns something truthy, or fail."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def login(http: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def address() -> str:
    return f"kim.{secrets.token_hex(4)}@example.org"


async def leave_message(chat: Chat, recipient: str, locale: str = "en") -> dict[str, Any]:
    """A customer asks for a person, then leaves a message and an address instead of waiting."""
    await chat.start(locale=locale)
    r = await chat.http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code == 200, r.text
    await chat.say("My parcel never arrived, order 123.")
    r = await chat.http.post(
        f"/api/v1/conversations/{chat.id}/contact", json={"email": recipient}, headers=chat.auth
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "offline"
    data: dict[str, Any] = r.json()
    return data


async def answer(http: httpx.AsyncClient, cid: str, text: str) -> None:
    """An agent claims the left message, replies, and closes (freeing their capacity)."""
    agent = await login(http, AGENT)
    base = f"/api/v1/agent/conversations/{cid}"
    assert (await http.post(base + "/claim", headers=agent)).status_code == 200
    r = await http.post(base + "/messages", json={"text": text}, headers=agent)
    assert r.status_code == 200, r.text
    assert (await http.post(base + "/close", headers=agent)).status_code == 200


async def rows(db: async_sessionmaker[AsyncSession], cid: str) -> list[Outbox]:
    async with db() as s:
        found = await s.execute(select(Outbox).where(Outbox.conversation_id == cid))
        return list(found.scalars())


def body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


async def test_a_reply_is_mailed_once_in_the_customers_language(
    mailing: httpx.AsyncClient, sink: tuple[Sink, int], db: async_sessionmaker[AsyncSession]
) -> None:
    server, _ = sink
    chat, recipient = Chat(mailing), address()
    left = await leave_message(chat, recipient, "nl")
    assert left["email_replies"] is True
    assert left["messages"][0]["text"] == phrase("message_left", "nl")
    reply = "Sorry! Er is een nieuw pakket naar je onderweg."
    await answer(mailing, chat.id, reply)

    [mail] = await eventually(lambda: server.to(recipient))
    assert mail["Subject"] == phrase("mail_reply_subject", "nl")
    text = body(mail)
    assert reply in text and phrase("mail_reply_intro", "nl") in text
    assert f"{SITE}/" in text and chat.token not in text  # the link never carries the token
    [row] = await eventually(lambda: _sent(db, chat.id))
    assert row.kind == MailKind.reply and row.locale == "nl" and row.attempts == 1
    assert mail["Message-ID"] == f"<tandem.outbox.{row.id}.shop.example@localhost>"
    assert len(server.to(recipient)) == 1


async def _sent(db: async_sessionmaker[AsyncSession], cid: str) -> list[Outbox]:
    found = [r for r in await rows(db, cid) if r.kind == MailKind.reply]
    return found if found and all(r.sent_at is not None for r in found) else []


async def test_a_refused_send_is_retried_and_arrives_once(
    mailing: httpx.AsyncClient, sink: tuple[Sink, int], db: async_sessionmaker[AsyncSession]
) -> None:
    server, _ = sink
    chat, recipient = Chat(mailing), address()
    server.refuse(recipient, times=1)
    await leave_message(chat, recipient)
    await answer(mailing, chat.id, "Your refund was sent today.")
    [row] = await eventually(lambda: _sent(db, chat.id))
    assert row.attempts == 2 and row.failed_at is None
    assert row.last_error is not None and row.last_error.startswith("451")
    assert len(server.to(recipient)) == 1


async def test_after_the_last_attempt_it_gives_up_and_operators_see_it(
    mailing: httpx.AsyncClient, sink: tuple[Sink, int], db: async_sessionmaker[AsyncSession]
) -> None:
    server, _ = sink
    chat, recipient = Chat(mailing), address()
    server.refuse(recipient, times=99)
    await leave_message(chat, recipient)
    await answer(mailing, chat.id, "We will call you tomorrow.")

    async def gave_up() -> list[Outbox]:
        return [r for r in await rows(db, chat.id) if r.failed_at is not None]

    [row] = await eventually(gave_up)
    assert row.attempts == 3 and row.sent_at is None and server.to(recipient) == []
    operator = await login(mailing, OPERATOR)
    r = await mailing.get("/api/v1/admin/outbox?state=failed", headers=operator)
    assert r.status_code == 200, r.text
    shown = r.json()
    assert shown["configured"] is True and shown["counts"]["failed"] >= 1
    [listed] = [x for x in shown["rows"] if x["id"] == row.id]
    assert listed["recipient"] == recipient and listed["kind"] == "reply"
    assert listed["attempts"] == 3 and listed["last_error"].startswith("451")
    assert listed["failed_at"] and listed["created_at"] and listed["sent_at"] is None
    sent = await mailing.get("/api/v1/admin/outbox?state=sent", headers=operator)
    assert row.id not in [x["id"] for x in sent.json()["rows"]]
    agent = await login(mailing, AGENT)
    assert (await mailing.get("/api/v1/admin/outbox", headers=agent)).status_code == 403


async def test_a_permanent_refusal_is_not_retried(
    mailing: httpx.AsyncClient, sink: tuple[Sink, int], db: async_sessionmaker[AsyncSession]
) -> None:
    server, _ = sink
    chat, recipient = Chat(mailing), address()
    server.refuse(recipient, times=99, reply="550 5.1.1 no such mailbox")
    await leave_message(chat, recipient)
    await answer(mailing, chat.id, "Hello again.")

    async def gave_up() -> list[Outbox]:
        return [r for r in await rows(db, chat.id) if r.failed_at is not None]

    [row] = await eventually(gave_up)
    assert row.attempts == 1 and row.last_error is not None and row.last_error.startswith("550")


async def test_opted_in_agents_hear_of_a_left_message_and_others_do_not(
    mailing: httpx.AsyncClient, sink: tuple[Sink, int], db: async_sessionmaker[AsyncSession]
) -> None:
    server, _ = sink
    async with db() as s:
        await s.execute(update(User).where(User.email == AGENT[0]).values(notify_new_messages=True))
        await s.commit()
    before, others = len(server.to(AGENT[0])), len(server.to(AGENT2[0]))
    chat, recipient = Chat(mailing), address()
    await leave_message(chat, recipient)

    alerts = await eventually(lambda: server.to(AGENT[0])[before:])
    assert [r.recipient for r in await rows(db, chat.id)] == [AGENT[0]]
    text = body(alerts[0])
    assert "/console" in text and recipient not in text and "parcel" not in text
    assert alerts[0]["Subject"] == "A customer left a message"
    # A changed address for the same message is not a new message.
    again = f"/api/v1/conversations/{chat.id}/contact"
    r = await mailing.post(again, json={"email": address()}, headers=chat.auth)
    assert r.status_code == 200
    assert len(await rows(db, chat.id)) == 1
    assert len(server.to(AGENT2[0])) == others


async def test_going_offline_with_a_known_address_is_a_left_message(
    mailing: httpx.AsyncClient, sink: tuple[Sink, int], db: async_sessionmaker[AsyncSession]
) -> None:
    server, _ = sink
    async with db() as s:
        await s.execute(
            update(User).where(User.email == AGENT2[0]).values(notify_new_messages=True)
        )
        await s.commit()
    before = len(server.to(AGENT2[0]))
    chat = Chat(mailing)
    await chat.start()
    contact = {"email": address(), "leave_message": False}  # given early, while the AI helps
    r = await mailing.post(
        f"/api/v1/conversations/{chat.id}/contact", json=contact, headers=chat.auth
    )
    assert r.json()["status"] == "bot" and await rows(db, chat.id) == []
    async with team_away(mailing):
        r = await mailing.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.json()["status"] == "offline"
    await eventually(lambda: server.to(AGENT2[0])[before:])
    assert [r.recipient for r in await rows(db, chat.id)] == [AGENT2[0]]


@pytest.fixture(scope="module")
def mail_replicas(
    sink: tuple[Sink, int], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, list[Replica]]]:
    """Two `tandem serve` processes with SMTP on one fresh PostgreSQL database."""
    with empty_database("postgres", tmp_path_factory) as url:
        env = _environment(url)
        env.update(
            TANDEM_SMTP_URL=f"smtp://127.0.0.1:{sink[1]}",
            TANDEM_EMBEDDING_MODEL="none",
            TANDEM_MAIL_RETRY_SECONDS="0.2",
        )
        logs = tmp_path_factory.mktemp("mail-replicas")
        started: list[Replica] = []
        try:
            for name in ("a", "b"):  # each signs its e-mails, so the test sees both took part
                mine = {**env, "TANDEM_MAIL_FROM": f"{name}@example.com"}
                started.append(_start(mine, logs / f"{name}.log"))
            for replica in started:
                _wait_healthy(replica)
            yield url, started
        finally:
            for replica in started:
                _stop(replica)


@pytest.mark.postgres
async def test_two_replicas_send_each_e_mail_once(
    sink: tuple[Sink, int], mail_replicas: tuple[str, list[Replica]]
) -> None:
    """Both replicas' postmen race for the same rows; a slow SMTP server keeps one busy for
    longer than the other takes to poll, so both send some. A third of the recipients' first
    attempt is refused ("451 try again"): retried, by either replica, and still sent once."""
    server, _ = sink
    url, (a, _b) = mail_replicas
    async with httpx.AsyncClient(base_url=a.url, timeout=30) as http:
        chat = Chat(http)
        await chat.start()
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    recipients = [address() for _ in range(30)]
    refused = recipients[::3]
    for r in refused:
        server.refuse(r, 1)
    server.delay = 0.2
    try:
        async with sessions() as s:
            s.add_all(
                Outbox(conversation_id=chat.id, recipient=r, body=f"Reply {i}")
                for i, r in enumerate(recipients)
            )
            await s.commit()

        async def all_sent() -> bool:
            async with sessions() as s:
                done = await s.execute(select(Outbox).where(Outbox.sent_at.is_not(None)))
                return len(done.scalars().all()) == len(recipients)

        await eventually(all_sent, within=60)
        assert [len(server.to(r)) for r in recipients] == [1] * len(recipients)
        senders = {m["From"] for r in recipients for m in server.to(r)}
        assert senders == {"a@example.com", "b@example.com"}
        async with sessions() as s:
            rows = (await s.execute(select(Outbox.recipient, Outbox.attempts))).all()
        assert {r: n for r, n in rows} == {r: 2 if r in refused else 1 for r in recipients}
    finally:
        server.delay = 0.0
        await engine.dispose()


@asynccontextmanager
async def team_away(http: httpx.AsyncClient) -> AsyncIterator[None]:
    """Outside business hours for the duration (the settings are shared: put back after)."""
    operator = await login(http, OPERATOR)
    before = (await http.get("/api/v1/admin/settings", headers=operator)).json()
    closed = {**before, "policy": {**before["policy"], "business_hours": CLOSED_NOW}}
    assert (await http.put("/api/v1/admin/settings", json=closed, headers=operator)).is_success
    try:
        yield
    finally:
        await http.put("/api/v1/admin/settings", json=before, headers=operator)


async def offline_texts(http: httpx.AsyncClient, locale: str) -> tuple[Chat, list[str], bool]:
    """Everything a customer reads from asking for a person outside hours to leaving a message,
    and whether the API says replies go by e-mail."""
    chat = Chat(http)
    created = await chat.start(locale=locale)
    r = await http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.json()["status"] == "offline"
    r = await http.post(
        f"/api/v1/conversations/{chat.id}/contact", json={"email": address()}, headers=chat.auth
    )
    assert r.status_code == 200
    view = await http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert view.json()["email_replies"] is created["email_replies"]
    return chat, [m["text"] for m in view.json()["messages"]], created["email_replies"]


async def test_without_smtp_nothing_promises_an_e_mail(
    quote_client: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    async with team_away(quote_client):
        shown = [await offline_texts(quote_client, locale) for locale in LOCALES]
    for (_, texts, email_replies), locale in zip(shown, LOCALES, strict=True):
        assert email_replies is False
        assert phrase("handoff_offline_chat", locale) in texts
        assert phrase("message_left_chat", locale) in texts
        assert not [t for t in texts if any(p in t.lower() for p in PROMISES)], texts
    page = (await quote_client.get("/ai-policy")).text
    assert "your e-mail address" not in page and "same browser" in page
    # The agent still sees where the customer can be reached; nothing is queued to send.
    chat = shown[0][0]
    agent = await login(quote_client, AGENT)
    seen = await quote_client.get(f"/api/v1/agent/conversations/{chat.id}", headers=agent)
    assert seen.json()["conversation"]["contact_email"]
    await answer(quote_client, chat.id, "Thanks, a new parcel is on its way.")
    assert await rows(db, chat.id) == []


async def test_with_smtp_the_texts_promise_an_e_mail(
    mailing: httpx.AsyncClient, db: async_sessionmaker[AsyncSession]
) -> None:
    async with team_away(mailing):
        _, texts, email_replies = await offline_texts(mailing, "de")
    assert email_replies is True
    assert phrase("handoff_offline", "de") in texts and phrase("message_left", "de") in texts
    assert "E-Mail" in phrase("message_left", "de")
    assert "your e-mail address" in (await mailing.get("/ai-policy")).text


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example", SmtpServer("mail.example", 25, tls=False)),
        ("smtps://mail.example", SmtpServer("mail.example", 465, tls=True)),
        (
            "smtp://me%40shop.example:p%3Ass%2Fw@mail.example:587",
            SmtpServer("mail.example", 587, False, "me@shop.example", "p:ss/w"),
        ),
    ],
)
def test_smtp_urls_are_read_with_decoded_credentials(url: str, expected: SmtpServer) -> None:
    assert parse_smtp_url(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example", "smtp://", "smtp://host:port"])
def test_a_bad_smtp_url_stops_the_server_with_one_line(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(InvalidSettings):
        parse_smtp_url(url)
    monkeypatch.setenv("TANDEM_SMTP_URL", url)
    monkeypatch.setenv("TANDEM_SECRET_KEY", "s" * 40)
    assert cli(["serve", "--port", "1"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("tandem: TANDEM_SMTP_URL") and err.count("\n") == 1
