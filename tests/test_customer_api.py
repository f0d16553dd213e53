"""The customer API contract, through real HTTP on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import Chat
from tests.llm_stub import StubState


async def test_conversation_starts_with_the_disclosure(chat: Chat) -> None:
    data = await chat.start()
    assert data["status"] == "bot"
    first = data["messages"][0]
    assert first["kind"] == "disclosure" and first["ai"] is True and first["seq"] == 1
    assert "AI" in first["text"] and "/ai-policy" in first["text"]


@pytest.mark.parametrize(
    ("body", "headers", "word"),
    [
        ({"locale": "nl"}, {}, "medewerker"),
        ({}, {"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"}, "Menschen"),
        ({"locale": "fr-BE"}, {}, "personne"),
        ({"locale": "es"}, {}, "persona"),
        ({"locale": "ja"}, {"Accept-Language": "ja"}, "person"),
    ],
)
async def test_disclosure_in_the_customers_language(
    client: httpx.AsyncClient, body: dict[str, str], headers: dict[str, str], word: str
) -> None:
    r = await client.post("/api/v1/conversations", json=body, headers=headers)
    assert r.status_code == 201
    assert word in r.json()["messages"][0]["text"]


async def test_question_from_the_kb_is_answered_with_sources(chat: Chat, llm: StubState) -> None:
    await chat.start()
    data = await chat.say("How long does delivery take within the Netherlands?")
    reply = data["messages"][-1]
    assert data["status"] == "bot", data
    assert reply["role"] == "assistant" and reply["ai"] is True
    assert reply["sources"] and {"document_id", "title", "score"} <= set(reply["sources"][0])
    assert len(llm.requests) == 1
    request = llm.requests[0]
    assert request["stream"] is True and request["store"] is False and request["max_tokens"] > 0


async def test_retry_with_client_id_is_stored_once_and_answered_once(
    chat: Chat, llm: StubState
) -> None:
    await chat.start()
    first = await chat.say("What payment methods do you accept?", client_id="c-1")
    again = await chat.say("What payment methods do you accept?", client_id="c-1")
    assert [m["id"] for m in again["messages"]] == [m["id"] for m in first["messages"]]
    assert len(llm.requests) == 1


async def test_concurrent_retries_store_one_message(chat: Chat, llm: StubState) -> None:
    await chat.start()
    results = await asyncio.gather(
        *(chat.say("Can I pay with iDEAL?", client_id="same") for _ in range(5))
    )
    customer_ids = {r["messages"][0]["id"] for r in results}
    assert len(customer_ids) == 1
    assert len(llm.requests) == 1
    r = await chat.http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert sum(m["role"] == "customer" for m in r.json()["messages"]) == 1


async def test_replay_after_a_sequence_number(chat: Chat) -> None:
    await chat.start()
    await chat.say("How can I track my order?")
    r = await chat.http.get(
        f"/api/v1/conversations/{chat.id}/messages", params={"after": 1}, headers=chat.auth
    )
    seqs = [m["seq"] for m in r.json()["messages"]]
    assert seqs == sorted(seqs) and seqs[0] == 2 and len(seqs) >= 2


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"text": ""}, "text"),
        ({"text": "x" * 4001}, "text"),
        ({"text": 42}, "text"),
        ({"text": "   "}, "empty"),
        ({"txt": "hello"}, "text"),
        ({"text": "hi", "client_id": ""}, "client_id"),
    ],
)
async def test_bad_messages_get_a_clear_4xx_and_store_nothing(
    chat: Chat, payload: dict[str, object], fragment: str
) -> None:
    await chat.start()
    r = await chat.http.post(
        f"/api/v1/conversations/{chat.id}/messages", json=payload, headers=chat.auth
    )
    assert r.status_code == 422
    body = r.json()
    assert body["error"] == "invalid" and fragment in body["detail"]
    after = await chat.http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert [m["role"] for m in after.json()["messages"]] == ["assistant"]


async def test_invalid_json_is_a_4xx(chat: Chat) -> None:
    await chat.start()
    r = await chat.http.post(
        f"/api/v1/conversations/{chat.id}/messages",
        content=b"{not json",
        headers={**chat.auth, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "JSON" in r.json()["detail"]


async def test_tokens_are_valid_for_their_own_conversation_only(client: httpx.AsyncClient) -> None:
    a, b = Chat(client), Chat(client)
    await a.start()
    await b.start()
    url = f"/api/v1/conversations/{b.id}/messages"
    # A wrong token looks like an unknown id (tests/test_inputs.py compares the bodies).
    assert (await client.get(url, headers=a.auth)).status_code == 404
    assert (await client.get(url)).status_code == 401
    assert (await client.get(url, headers={"Authorization": "Bearer nope"})).status_code == 404
    missing = await client.get("/api/v1/conversations/deadbeef/messages", headers=a.auth)
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


async def test_opt_out_means_the_ai_never_answers(chat: Chat, llm: StubState) -> None:
    data = await chat.start(ai_opt_out=True)
    assert data["status"] in ("queued", "offline")
    reply = await chat.say("Where is my order?")
    assert [m["role"] for m in reply["messages"]] == ["customer"]
    assert llm.requests == []  # not even a summary: an opted-out customer's text stays with people


async def test_export_and_erase(chat: Chat) -> None:
    await chat.start()
    await chat.say("My e-mail is jan@example.org, how do returns work?")
    export = await chat.http.get(f"/api/v1/conversations/{chat.id}/export", headers=chat.auth)
    assert export.status_code == 200
    assert any("jan@example.org" in m["text"] for m in export.json()["messages"])
    gone = await chat.http.delete(f"/api/v1/conversations/{chat.id}", headers=chat.auth)
    assert gone.status_code == 204
    after = await chat.http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert after.status_code == 404


async def test_handoff_button(chat: Chat) -> None:
    await chat.start()
    r = await chat.http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)
    assert r.status_code == 200
    assert r.json()["status"] == "queued"
    assert r.json()["escalation"]["reason"] == "customer_request"


async def test_ai_policy_page(client: httpx.AsyncClient) -> None:
    r = await client.get("/ai-policy")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    for phrase in ("AI assistant", "never used to train", "days", "talk to a person"):
        assert phrase.lower() in r.text.lower()


async def test_health(client: httpx.AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    ready = (await client.get("/readyz")).json()
    assert ready["database"] == "ok"
    assert (await client.get("/metrics")).status_code == 401  # tests/test_pages_hardening.py


async def test_bot_reply_in_flight_is_dropped_when_a_person_takes_over(
    chat: Chat, llm: StubState
) -> None:
    llm.delay = 1.0  # the model is still writing when the customer presses the button
    await chat.start()

    async def press_button() -> httpx.Response:
        await asyncio.sleep(0.3)
        return await chat.http.post(f"/api/v1/conversations/{chat.id}/handoff", headers=chat.auth)

    turn, button = await asyncio.gather(chat.say("How long does delivery take?"), press_button())
    assert button.json()["status"] == "queued"
    assert turn["status"] == "queued"
    r = await chat.http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    roles = [(m["role"], m["kind"]) for m in r.json()["messages"]]
    assert roles == [("assistant", "disclosure"), ("customer", "text"), ("system", "event")]
