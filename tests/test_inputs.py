"""One input rule, against a running server on SQLite and PostgreSQL: NUL and lone surrogates get
a 422 naming the field (an error frame on a socket, which stays open), integers stay within what
the database holds, unknown and foreign conversations look the same, and nothing is cached."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import InvalidStatus

from app.inputs import INT_MAX, problem
from tests.conftest import Chat
from tests.llm_stub import ThreadedServer
from tests.test_websockets import customer, open_socket, until

HUGE = "9223372036854775808"  # 2**63: overflows SQLite's integer too


async def operator(http: httpx.AsyncClient) -> dict[str, str]:
    login = {"email": "operator@example.com", "password": "operator-password"}
    r = await http.post("/api/v1/auth/login", json=login)
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def refused(r: httpx.Response, field: str, words: str) -> None:
    """A 422 in the one error shape, whose sentence names the field."""
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["error"] == "invalid"
    assert body["detail"].startswith(f"{field}: "), body
    assert words in body["detail"], body
    assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("value", "words"),
    [("a\u0000b@x.io", "NUL character"), ("a\ud800b@x.io", "unpaired surrogate")],
)
async def test_bad_text_in_a_body_gets_a_422_naming_the_field(
    quote_client: httpx.AsyncClient, value: str, words: str
) -> None:
    # json.dumps escapes as \\uXXXX, as a browser would; httpx refuses to encode a surrogate.
    body = json.dumps({"email": value, "password": "x"})
    headers = {"Content-Type": "application/json"}
    r = await quote_client.post("/api/v1/auth/login", content=body, headers=headers)
    refused(r, "email", words)


async def test_bad_text_deep_in_a_body_is_named_by_its_path(
    quote_client: httpx.AsyncClient,
) -> None:
    ops = await operator(quote_client)
    current = (await quote_client.get("/api/v1/admin/settings", headers=ops)).json()
    key = next(iter(current["disclosure"]))
    current["disclosure"][key] = "AI here\u0000"
    r = await quote_client.put("/api/v1/admin/settings", json=current, headers=ops)
    refused(r, f"disclosure.{key}", "NUL character")


async def test_bad_text_in_a_path_or_a_query_gets_a_422(
    quote_client: httpx.AsyncClient, chat: Chat
) -> None:
    chat.http = quote_client
    await chat.start()
    r = await quote_client.get("/api/v1/conversations/ab%00cd/messages", headers=chat.auth)
    refused(r, "conversation_id", "NUL character")
    ops = await operator(quote_client)
    r = await quote_client.get("/api/v1/admin/decisions?outcome=a%00b", headers=ops)
    refused(r, "outcome", "NUL character")


@pytest.mark.parametrize(
    ("method", "url", "field"),
    [
        ("GET", f"/api/v1/conversations/{{id}}/messages?after={HUGE}", "after"),
        ("DELETE", "/api/v1/admin/kb/documents/99999999999", "document_id"),
        ("GET", "/api/v1/admin/decisions?before_id=-99999999999", "before_id"),
        ("POST", f"/api/v1/agent/conversations/{{id}}/messages/{HUGE}/mark", "seq"),
    ],
)
async def test_integers_beyond_the_database_get_a_422(
    quote_client: httpx.AsyncClient, chat: Chat, method: str, url: str, field: str
) -> None:
    chat.http = quote_client
    await chat.start()
    headers = chat.auth if "/conversations/{id}/messages?" in url else await operator(quote_client)
    body = {"verdict": "good"} if url.endswith("mark") else None
    r = await quote_client.request(method, url.format(id=chat.id), headers=headers, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith(f"{field}: "), r.json()


async def test_integers_and_non_numbers_in_a_body_are_refused(
    quote_client: httpx.AsyncClient, chat: Chat
) -> None:
    chat.http = quote_client
    await chat.start()
    url = f"/api/v1/conversations/{chat.id}/rating"
    r = await quote_client.post(url, json={"score": 2**63}, headers=chat.auth)
    refused(r, "score", f"Must be between {-(2**31)} and {INT_MAX}.")
    raw = {**chat.auth, "Content-Type": "application/json"}
    r = await quote_client.post(url, content=b'{"score": NaN}', headers=raw)
    refused(r, "score", "Enter a finite number.")


async def test_nul_over_the_customer_socket_gets_an_error_frame_and_the_socket_stays(
    quote_server: ThreadedServer, quote_client: httpx.AsyncClient, chat: Chat
) -> None:
    chat.http = quote_client
    await chat.start()
    ws = await customer(quote_server, chat)
    await until(ws, lambda f: f["type"] == "status")
    for text in ("ab\u0000cd", "ab\ud800cd"):
        await ws.send(json.dumps({"type": "message", "text": text, "client_id": "c1"}))
        error = (await until(ws, lambda f: f["type"] == "error"))[-1]
        assert error["detail"].startswith("text: Remove the "), error
        assert error["client_id"] == "c1"
    await ws.send(json.dumps({"type": "typing", "typing": 2**40}))
    error = (await until(ws, lambda f: f["type"] == "error"))[-1]
    assert error["detail"].startswith("typing: Must be between"), error
    await ws.send(json.dumps({"type": "ping"}))
    await until(ws, lambda f: f["type"] == "pong")  # still open and answering
    await ws.close()
    stored = await quote_client.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert all("cd" not in m["text"] for m in stored.json()["messages"])


async def test_a_socket_path_with_nul_is_refused_at_the_handshake(
    quote_server: ThreadedServer,
) -> None:
    with pytest.raises(InvalidStatus) as info:
        await open_socket(quote_server, "/api/v1/conversations/ab%00cd/ws")
    assert info.value.response.status_code == 403


async def test_unknown_and_foreign_conversations_answer_the_same_404(
    quote_client: httpx.AsyncClient,
) -> None:
    mine, theirs = Chat(quote_client), Chat(quote_client)
    await mine.start()
    await theirs.start()
    foreign = await quote_client.get(
        f"/api/v1/conversations/{theirs.id}/messages", headers=mine.auth
    )
    unknown = await quote_client.get(
        f"/api/v1/conversations/{theirs.id[:-4]}zzzz/messages", headers=mine.auth
    )
    assert foreign.status_code == unknown.status_code == 404
    assert foreign.json() == unknown.json()
    assert foreign.json()["detail"] == "No such conversation, or this token does not open it."


async def test_responses_that_carry_a_token_are_never_cached(
    quote_client: httpx.AsyncClient,
) -> None:
    created = await quote_client.post("/api/v1/conversations", json={})
    assert created.status_code == 201 and created.json()["token"]
    login = {"email": "agent@example.com", "password": "agent-password"}
    logged_in = await quote_client.post("/api/v1/auth/login", json=login)
    assert logged_in.status_code == 200 and logged_in.json()["token"]
    for r in (created, logged_in):
        assert r.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ({"a": [1, {"b": "x\u0000"}]}, ("a.1.b", "NUL")),
        ({"k\ud83d": 1}, ("k\ud83d", "unpaired")),
        ({"ok": "\U0001f600 é", "n": INT_MAX, "m": -(2**31), "f": 1.5, "t": True}, None),
        ({"n": INT_MAX + 1}, ("n", "between")),
        ([float("inf")], ("0", "finite")),
    ],
)
def test_the_rule_table(value: Any, found: tuple[str, str] | None) -> None:
    got = problem(value)
    if found is None:
        assert got is None
    else:
        assert got is not None and got[0] == found[0] and found[1] in got[1], got


async def test_a_policy_that_leaves_the_offer_level_out_cannot_break_the_service(
    quote_client: httpx.AsyncClient,
) -> None:
    """Found by the fuzzer: a policy with a lowered hand-over level and no offer level was saved
    with the default offer level above it, and then every new conversation answered 500."""
    ops = await operator(quote_client)
    current = (await quote_client.get("/api/v1/admin/settings", headers=ops)).json()
    policy = {k: v for k, v in current["policy"].items() if k != "offer_person_threshold"}
    body = {**current, "policy": {**policy, "negative_sentiment_threshold": 0.5}}
    r = await quote_client.put("/api/v1/admin/settings", json=body, headers=ops)
    assert r.status_code == 422, r.text
    assert r.json()["fields"][0]["path"] == "policy.offer_person_threshold"
    assert (await quote_client.post("/api/v1/conversations", json={})).status_code == 201
