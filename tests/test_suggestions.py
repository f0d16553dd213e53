"""Knowledge-base suggestions: missed questions grouped by meaning (the pure grouping, table
tested), and the operator's route end to end on real conversations (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from app.embeddings import Embedder
from app.suggestions import Missed, group, suggest
from tests.conftest import Chat

OPERATOR = ("operator@example.com", "operator-password")
AGENT = ("agent@example.com", "agent-password")

# (questions, the expected groups as sets of indices): paraphrases across English and Dutch
# group together, an unrelated question does not.
WITH_EMBEDDINGS = [
    (
        ["How long does delivery take?", "Hoe lang duurt de levering?", "Can I pay with PayPal?"],
        [{0, 1}, {2}],
    ),
    (
        [
            "Do you rent out bikes for the weekend?",
            "What is the airspeed velocity of an unladen swallow?",
            "Verhuren jullie fietsen voor het weekend?",
            "Can I rent a bike?",
        ],
        [{0, 2, 3}, {1}],
    ),
    (
        ["Is the product waterproof?", "Kan ik met PayPal betalen?", "Is dit product waterdicht?"],
        [{0, 2}, {1}],
    ),
    ([], []),
]
# Without an embedder only shared words count, so languages never meet.
WITHOUT_EMBEDDINGS = [
    (
        ["Do you sell gift cards?", "Gift cards: do you sell them?", "Can I pay with PayPal?"],
        [{0, 1}, {2}],
    ),
    (["How long does delivery take?", "Hoe lang duurt de levering?"], [{0}, {1}]),
    (["Rent a bike?", "Can I rent a bike in Utrecht?", "rent bike"], [{0, 1, 2}]),
]


@pytest.mark.parametrize(("texts", "expected"), WITH_EMBEDDINGS)
def test_alike_questions_group_by_their_embeddings(
    texts: list[str], expected: list[set[int]], embedder: Embedder
) -> None:
    vectors = list(embedder.queries(texts)) if texts else []
    groups = group(list(zip(texts, vectors, strict=True)))
    assert [set(g) for g in groups] == expected


@pytest.mark.parametrize(("texts", "expected"), WITHOUT_EMBEDDINGS)
def test_without_an_embedder_shared_words_group(texts: list[str], expected: list[set[int]]) -> None:
    assert [set(g) for g in group([(text, None) for text in texts])] == expected


def test_a_question_declined_and_marked_wrong_counts_once_with_redacted_examples() -> None:
    now = datetime.now(UTC)
    missed = [
        Missed("c1", 3, "Mail kim.jansen@example.org: can I rent a bike?", "declined", now),
        Missed("c1", 3, "Mail kim.jansen@example.org: can I rent a bike?", "marked_wrong", now),
        Missed("c2", 5, "Can I rent a bike?", "marked_wrong", now.replace(year=2025)),
    ]
    [only] = suggest(missed, None)
    assert only.count == 2
    assert only.reasons == {"declined": 1, "marked_wrong": 2}
    assert only.examples == ["Mail <EMAIL_1>: can I rent a bike?", "Can I rent a bike?"]
    assert only.last_seen == now


async def login(http: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def ask(http: httpx.AsyncClient, text: str) -> tuple[Chat, dict[str, Any]]:
    """A new conversation's question and the turn it caused."""
    chat = Chat(http)
    await chat.start()
    return chat, await chat.say(text)


def containing(found: list[dict[str, Any]], text: str) -> dict[str, Any]:
    return next(s for s in found if text in s["examples"])


async def wrongly_answered(http: httpx.AsyncClient, text: str, who: dict[str, str]) -> None:
    """Ask, see the AI answer, and mark the answer wrong."""
    chat, turn = await ask(http, text)
    answer = turn["messages"][-1]
    assert answer["ai"] and turn["escalation"] is None, turn
    url = f"/api/v1/agent/conversations/{chat.id}/messages/{answer['seq']}/mark"
    r = await http.post(url, json={"verdict": "wrong"}, headers=who)
    assert r.status_code == 200, r.text


async def test_declined_and_wrongly_answered_questions_are_suggested(
    quote_client: httpx.AsyncClient,
) -> None:
    operator = await login(quote_client, OPERATOR)
    # Quote mode answers this from the account page; an agent finds the answer wrong.
    deletion = "How long does it take you to delete my account once I ask?"
    await wrongly_answered(quote_client, deletion, operator)
    pii = "Hi, this is kim.jansen@example.org: do you organise group rides?"
    declined = [
        pii,
        "Organiseren jullie groepsritten?",
        "Do you organise group rides?",
        "Can I rent a bike?",
        "Do you rent out bikes for the weekend?",
        "What is the airspeed velocity of an unladen swallow?",
    ]
    for text in declined:
        _, turn = await ask(quote_client, text)
        assert (turn["escalation"] or {}).get("reason") == "low_confidence", turn

    r = await quote_client.get("/api/v1/admin/kb/suggestions?days=1", headers=operator)
    assert r.status_code == 200, r.text
    found = r.json()
    assert [s["count"] for s in found] == sorted((s["count"] for s in found), reverse=True)
    rides = containing(found, "Do you organise group rides?")
    assert rides["count"] >= 3 and rides["reasons"]["declined"] >= 3
    assert "Organiseren jullie groepsritten?" in rides["examples"]
    assert "Hi, this is <EMAIL_1>: do you organise group rides?" in rides["examples"]
    assert "kim.jansen" not in r.text  # personal data never reaches a suggestion
    swallow = containing(found, declined[-1])
    assert "Do you organise group rides?" not in swallow["examples"]
    rental = containing(found, "Do you rent out bikes for the weekend?")
    assert "Can I rent a bike?" in rental["examples"]
    assert rental["reasons"]["declined"] >= 2
    assert containing(found, deletion)["reasons"]["marked_wrong"] >= 1
    assert datetime.fromisoformat(rental["last_seen"]) <= datetime.now(UTC)


async def test_suggestions_are_for_operators_only(quote_client: httpx.AsyncClient) -> None:
    url = "/api/v1/admin/kb/suggestions"
    assert (await quote_client.get(url)).status_code == 401
    agent = await login(quote_client, AGENT)
    assert (await quote_client.get(url, headers=agent)).status_code == 403
    operator = await login(quote_client, OPERATOR)
    assert (await quote_client.get(url + "?days=0", headers=operator)).status_code == 422
