"""With no LLM configured, answers quote the help centre, and nothing matching means a person."""

from __future__ import annotations

import httpx

from tests.conftest import Chat


async def test_answer_quotes_the_best_passage(quote_client: httpx.AsyncClient) -> None:
    chat = Chat(quote_client)
    await chat.start()
    data = await chat.say("How long does delivery take?")
    reply = data["messages"][-1]
    assert reply["role"] == "assistant" and reply["ai"] is True
    assert reply["text"].startswith("From our help centre")
    assert len(reply["sources"]) == 1  # only the quoted document is cited


async def test_nothing_matching_goes_to_a_person(quote_client: httpx.AsyncClient) -> None:
    chat = Chat(quote_client)
    await chat.start()
    data = await chat.say("What is the airspeed velocity of an unladen swallow?")
    assert data["status"] in ("queued", "offline")
    assert data["escalation"]["reason"] == "low_confidence"
    assert all(not m["text"].startswith("From our help centre") for m in data["messages"])
