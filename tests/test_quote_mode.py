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


async def test_a_passage_that_does_not_answer_is_not_quoted(
    quote_client: httpx.AsyncClient,
) -> None:
    # The help centre says nothing about e-bikes; its best passage (accounts) is no answer.
    chat = Chat(quote_client)
    await chat.start()
    data = await chat.say("Do you sell e-bikes?")
    assert data["escalation"]["reason"] == "low_confidence"
    assert not any(m["sources"] for m in data["messages"])


async def test_a_quote_in_another_language_says_so(quote_client: httpx.AsyncClient) -> None:
    chat = Chat(quote_client)
    await chat.start(locale="de")
    data = await chat.say("How long does it take you to delete my account once I ask?")
    reply = data["messages"][-1]
    assert reply["text"].startswith("Aus unserem Hilfe-Center")
    assert reply["text"].endswith(
        "(Dieser Teil unseres Hilfe-Centers ist auf Englisch geschrieben.)"
    )
