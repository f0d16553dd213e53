"""The policy preview decides each stored turn as the live turn would under that policy: real
turns through the API (quote mode, so drafts are deterministic), then for several proposed
policies the preview of the first run against the same messages sent live under each."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Chat
from tests.test_turn_checks import operator

# Calm questions; a customer growing annoyed (negative probabilities about 0, 0.67, 0.71, 0.17,
# 0.98 with the shipped model); a question the help centre cannot answer, then frustration.
CONVERSATIONS = [
    ["How long does delivery take?", "Which payment methods can I use?", "How do returns work?"],
    [
        "My parcel is late, where is it?",
        "Why is this so slow? How long does delivery take?",
        "This is getting ridiculous. Where is my order?",
        "I'm a bit disappointed. Can I pay with iDEAL?",
        "Honestly, this is annoying. How do returns work?",
    ],
    [
        "What is the airspeed velocity of an unladen swallow?",
        "Ugh, this is useless and frustrating. Can I pay with iDEAL?",
        "Still no parcel, this is disappointing. Which payment methods can I use?",
    ],
]

# Lets every turn reach a draft, so each stored turn carries a confidence to replay.
PERMISSIVE = {
    "min_confidence": 0.0,
    "low_confidence_action": "offer",
    "negative_sentiment_threshold": 1.0,
    "offer_person_threshold": 1.0,
    "negative_turns": 20,
    "max_bot_turns": 100,
}
PROPOSED = [
    {},  # the defaults: two turns at 0.6 or one at 0.85 hand over
    {"offer_person_threshold": 0.15, "negative_turns": 3, "negative_sentiment_threshold": 0.99},
    {"offer_person_threshold": 0.5, "negative_turns": 3, "negative_sentiment_threshold": 0.95},
    {"negative_sentiment_threshold": 0.6, "offer_person_threshold": 0.4, "negative_turns": 1},
    {"min_confidence": 0.8, "low_confidence_action": "offer", "negative_turns": 5},
    {"min_confidence": 0.6, "offer_person_threshold": 0.05, "negative_turns": 2},
]


async def _converse(http: httpx.AsyncClient, ops: dict[str, str]) -> list[list[str]]:
    """Every conversation sent live; per conversation, the recorded "outcome:reason" of each
    turn the AI decided (it decides none after handing over)."""
    decided = []
    for messages in CONVERSATIONS:
        chat = Chat(http)
        await chat.start()
        for text in messages:
            await chat.say(text)
        trail = await http.get(
            "/api/v1/admin/decisions", params={"conversation_id": chat.id}, headers=ops
        )
        rows = sorted(trail.json()["decisions"], key=lambda d: d["message_seq"])
        decided.append([_outcome(d) for d in rows])
    return decided


def _outcome(decision: dict[str, Any]) -> str:
    return f"{decision['outcome']}:{decision['reason'] or '-'}"


def _until_handed_over(outcomes: list[str]) -> list[str]:
    """The turns the AI still decides: after an escalation people hold the conversation."""
    for i, outcome in enumerate(outcomes):
        if outcome.startswith("escalated"):
            return outcomes[: i + 1]
    return outcomes


async def _use(http: httpx.AsyncClient, ops: dict[str, str], current: Any, **policy: Any) -> None:
    body = {**current, "policy": {**current["policy"], **policy}}
    r = await http.put("/api/v1/admin/settings", json=body, headers=ops)
    assert r.status_code == 200, r.text


async def _preview(http: httpx.AsyncClient, ops: dict[str, str], policy: Any, turns: int) -> Any:
    r = await http.post(
        "/api/v1/admin/settings/preview",
        json={"policy": policy, "limit": turns},
        headers=ops,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["considered"] == turns and body["changed_count"] == len(body["changed"])
    return {c["decision_id"]: c["after"] for c in body["changed"]}


async def test_preview_decides_each_turn_as_the_live_turn_would(
    quote_client: httpx.AsyncClient,
) -> None:
    http = quote_client
    ops = await operator(http)
    current = (await http.get("/api/v1/admin/settings", headers=ops)).json()
    base = current["policy"]
    try:
        await _use(http, ops, current, **PERMISSIVE)
        first = await _converse(http, ops)
        assert [len(turns) for turns in first] == [len(m) for m in CONVERSATIONS]
        turns = sum(len(m) for m in CONVERSATIONS)
        recent = await http.get("/api/v1/admin/decisions", params={"limit": turns}, headers=ops)
        oldest_first = sorted(recent.json()["decisions"], key=lambda d: d["id"])
        assert [_outcome(d) for d in oldest_first] == [o for c in first for o in c]
        assert await _preview(http, ops, {**base, **PERMISSIVE}, turns) == {}
        previews = [await _preview(http, ops, {**base, **proposed}, turns) for proposed in PROPOSED]
        seen: set[str] = set()
        for proposed, changed in zip(PROPOSED, previews, strict=True):
            after = [changed.get(d["id"], _outcome(d)) for d in oldest_first]
            expected, start = [], 0
            for messages in CONVERSATIONS:
                expected.append(after[start : start + len(messages)])
                start += len(messages)
            await _use(http, ops, current, **proposed)
            live = await _converse(http, ops)
            assert live == [_until_handed_over(want) for want in expected], proposed
            seen.update(after)
        assert {
            "answered:-",
            "declined:low_confidence",
            "escalated:low_confidence",
            "escalated:negative_sentiment",
        } <= seen
    finally:
        r = await http.put("/api/v1/admin/settings", json=current, headers=ops)
        assert r.status_code == 200
