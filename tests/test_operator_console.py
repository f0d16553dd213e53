"""The operator API behind the console (issue 14): errors that name their field in sentences, a
schedule that would never open refused, restricted topics checked, what retrieval returns for a
question, a document's passages, the team (create, disable, reset a password) and the settings
history as field changes; SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from pydantic import ValidationError

from app import policy
from app.models import utcnow
from app.stats import percentiles
from tests.test_kb_files import WARRANTY_HTML, upload
from tests.test_turn_checks import operator

OPERATOR = ("operator@example.com", "operator-password")


async def login(http: httpx.AsyncClient, email: str, password: str) -> httpx.Response:
    return await http.post("/api/v1/auth/login", json={"email": email, "password": password})


def bearer(r: httpx.Response) -> dict[str, str]:
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
async def ops(quote_client: httpx.AsyncClient) -> AsyncIterator[dict[str, str]]:
    """An operator's headers; the settings and documents are put back afterwards (shared)."""
    headers = await operator(quote_client)
    settings = (await quote_client.get("/api/v1/admin/settings", headers=headers)).json()
    docs = {
        d["id"]
        for d in (await quote_client.get("/api/v1/admin/kb/documents", headers=headers)).json()
    }
    yield headers
    settings.pop("default_texts")
    assert (
        await quote_client.put("/api/v1/admin/settings", json=settings, headers=headers)
    ).is_success
    for d in (await quote_client.get("/api/v1/admin/kb/documents", headers=headers)).json():
        if d["id"] not in docs:
            await quote_client.delete(f"/api/v1/admin/kb/documents/{d['id']}", headers=headers)


async def put_policy(
    http: httpx.AsyncClient, headers: dict[str, str], **changes: Any
) -> httpx.Response:
    current = (await http.get("/api/v1/admin/settings", headers=headers)).json()
    current.pop("default_texts")
    current["policy"].update(changes)
    return await http.put("/api/v1/admin/settings", json=current, headers=headers)


async def test_errors_name_their_field_in_a_sentence(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    saves = len((await quote_client.get("/api/v1/admin/settings/history", headers=ops)).json())
    r = await put_policy(quote_client, ops, min_confidence=7, negative_turns="two")
    assert r.status_code == 422
    assert r.json()["fields"] == [
        {"path": "policy.min_confidence", "message": "Must be at most 1.0."},
        {"path": "policy.negative_turns", "message": "Enter a whole number."},
    ]
    assert r.json()["detail"].startswith("policy.min_confidence: Must be at most 1.0.")
    r = await put_policy(
        quote_client, ops, negative_sentiment_threshold=0.5, offer_person_threshold=0.7
    )
    (problem,) = r.json()["fields"]
    assert problem["path"] == "policy.offer_person_threshold"
    assert problem["message"] == (
        "The level that offers a person (0.7) must not be above the level that hands over "
        "(0.5): a person is offered first, then handed over."
    )
    history = (await quote_client.get("/api/v1/admin/settings/history", headers=ops)).json()
    assert len(history) == saves  # nothing refused was saved


async def test_a_schedule_that_never_opens_is_refused(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    for days in ({}, {"mon": [], "tue": []}):
        r = await put_policy(quote_client, ops, business_hours={"timezone": "UTC", "days": days})
        assert r.status_code == 422, r.text
        assert r.json()["fields"] == [
            {
                "path": "policy.business_hours",
                "message": "Business hours are on but no day has opening hours, so the service "
                "would be closed all day, every day. Add hours to at least one day, or turn "
                "business hours off.",
            }
        ]
    r = await put_policy(
        quote_client,
        ops,
        business_hours={"timezone": "Mars/Base", "days": {"mon": [["09:00", "17:00"]]}},
    )
    assert r.json()["fields"][0]["path"] == "policy.business_hours.timezone"
    assert "use a name such as Europe/Amsterdam" in r.json()["fields"][0]["message"]
    ok = await put_policy(
        quote_client, ops, business_hours={"timezone": "UTC", "days": {"sat": [["10:00", "14:00"]]}}
    )
    assert ok.status_code == 200, ok.text


async def test_restricted_topics_are_checked_row_by_row(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    topic = {"name": "warranty", "label": "Warranty claims", "phrases": ["warranty claim*"]}
    empty = {**topic, "name": "x", "phrases": [" "]}
    r = await put_policy(quote_client, ops, restricted_topics=[topic, empty])
    (problem,) = r.json()["fields"]
    assert problem["path"] == "policy.restricted_topics"
    assert problem["message"].startswith("Topic 2 (Warranty claims) has no phrases")
    r = await put_policy(quote_client, ops, restricted_topics=[topic, topic])
    assert "Topic 2 (Warranty claims) has the same name" in r.json()["fields"][0]["message"]
    assert (await put_policy(quote_client, ops, restricted_topics=[topic])).status_code == 200


async def test_settings_history_says_who_changed_what(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    before = (await quote_client.get("/api/v1/admin/settings", headers=ops)).json()["policy"]
    new = 0.37 if before["min_confidence"] != 0.37 else 0.38
    assert (await put_policy(quote_client, ops, min_confidence=new, max_bot_turns=11)).is_success
    latest = (await quote_client.get("/api/v1/admin/settings/history", headers=ops)).json()[0]
    assert latest["user"] == "Ola Op (operator@example.com)"
    changes = {c["field"]: (c["before"], c["after"]) for c in latest["changes"]}
    assert changes["policy.min_confidence"] == (before["min_confidence"], new)
    if before["max_bot_turns"] != 11:
        assert changes["policy.max_bot_turns"] == (before["max_bot_turns"], 11)
    assert set(changes) <= {"policy.min_confidence", "policy.max_bot_turns"}


async def test_search_shows_what_retrieval_returns(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    q = "How long is the delivery to Germany? You can mail me at kim@example.org"
    r = await quote_client.get("/api/v1/admin/kb/search", params={"q": q}, headers=ops)
    assert r.status_code == 200, r.text
    found = r.json()
    assert "kim@example.org" not in found["question"] and found["language"] == "en"
    best = found["passages"][0]
    assert best["title"] == "Shipping and delivery" and "Germany" in best["text"]
    assert 0 < best["score"] <= 1 and best["language"] == "en"
    scores = [p["score"] for p in found["passages"]]
    assert scores == sorted(scores, reverse=True)
    nl = await quote_client.get(
        "/api/v1/admin/kb/search",
        params={"q": "Hoe lang duurt de levering van een pakket naar Duitsland?"},
        headers=ops,
    )
    assert nl.json()["language"] == "nl"
    assert nl.json()["passages"][0]["title"] == "Shipping and delivery"
    assert (
        await quote_client.get("/api/v1/admin/kb/search", params={"q": ""}, headers=ops)
    ).status_code == 422
    agent = bearer(await login(quote_client, "agent@example.com", "agent-password"))
    assert (
        await quote_client.get("/api/v1/admin/kb/search", params={"q": "x"}, headers=agent)
    ).status_code == 403


async def test_document_view_shows_html_by_its_structure(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    added = (await upload(quote_client, ops, "warranty.html", WARRANTY_HTML)).json()
    doc = (await quote_client.get(f"/api/v1/admin/kb/documents/{added['id']}", headers=ops)).json()
    assert doc["title"] == "Lantern warranty"
    assert [p["heading"] for p in doc["passages"]][-2:] == ["Claims", "Exclusions"]
    text = doc["content"] + " ".join(p["text"] for p in doc["passages"])
    for noise in ("Home", "Shop", "trackingSecret", "injected text", "color: red"):
        assert noise not in text
    assert "warranty of four years" in text
    missing = await quote_client.get("/api/v1/admin/kb/documents/999999", headers=ops)
    assert missing.status_code == 404


async def test_operators_manage_the_team(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    http = quote_client
    email = f"new.agent.{id(http)}@example.com"
    body = {
        "email": email,
        "name": "Nia New",
        "role": "agent",
        "password": "first-password",
        "max_concurrent": 2,
    }
    r = await http.post("/api/v1/admin/users", json=body, headers=ops)
    assert r.status_code == 201, r.text
    nia = r.json()
    assert (nia["name"], nia["role"], nia["active"], nia["max_concurrent"]) == (
        "Nia New",
        "agent",
        True,
        2,
    )
    again = await http.post(
        "/api/v1/admin/users", json={**body, "email": email.upper()}, headers=ops
    )
    assert (
        again.status_code == 409
        and again.json()["detail"] == f"Someone already logs in as {email}."
    )
    bad = await http.post(
        "/api/v1/admin/users", json={**body, "email": "nope", "password": "short"}, headers=ops
    )
    assert {f["path"] for f in bad.json()["fields"]} == {"email", "password"}
    assert "The password must have at least 10 characters." in bad.text

    # A new password ends her logins; the old one no longer works.
    first = bearer(await login(http, email, "first-password"))
    assert (await http.get("/api/v1/agent/queue", headers=first)).status_code == 200
    path = f"/api/v1/admin/users/{nia['id']}"
    assert (
        await http.post(f"{path}/password", json={"password": "second-password"}, headers=ops)
    ).status_code == 204
    assert (await http.get("/api/v1/agent/queue", headers=first)).status_code == 401
    assert (await login(http, email, "first-password")).status_code == 401
    second = bearer(await login(http, email, "second-password"))
    short = await http.post(f"{path}/password", json={"password": "x"}, headers=ops)
    assert short.status_code == 422

    # Disabled: signed out at once and cannot log in; enabled: can again.
    r = await http.patch(path, json={"active": False}, headers=ops)
    assert r.status_code == 200 and r.json()["active"] is False
    assert (await http.get("/api/v1/agent/queue", headers=second)).status_code == 401
    assert (await login(http, email, "second-password")).status_code == 401
    assert (await http.patch(path, json={"active": True, "max_concurrent": 4}, headers=ops)).json()[
        "max_concurrent"
    ] == 4
    assert (await login(http, email, "second-password")).status_code == 200


async def test_an_operator_cannot_disable_themself(
    quote_client: httpx.AsyncClient, ops: dict[str, str]
) -> None:
    people = (await quote_client.get("/api/v1/admin/users", headers=ops)).json()
    me = next(p for p in people if p["email"] == OPERATOR[0])
    sentence = (
        "You cannot disable yourself or take away your own operator role: another operator "
        "must do it, so that someone can always change the settings."
    )
    for change in ({"active": False}, {"role": "agent"}):
        r = await quote_client.patch(f"/api/v1/admin/users/{me['id']}", json=change, headers=ops)
        assert r.status_code == 409 and r.json()["detail"] == sentence
    assert (
        await quote_client.get("/api/v1/admin/users", headers=ops)
    ).status_code == 200  # still in


@pytest.mark.parametrize(
    ("before", "after", "changes"),
    [
        ({"policy": {"a": 1, "b": [1]}}, {"policy": {"a": 1, "b": [1]}}, []),
        (
            {"policy": {"a": 1, "h": None}},
            {"policy": {"a": 2, "h": {"timezone": "UTC"}}},
            [
                {"field": "policy.a", "before": 1, "after": 2},
                {"field": "policy.h", "before": None, "after": {"timezone": "UTC"}},
            ],
        ),
        (
            {"disclosure": {"texts": {}}},
            {"disclosure": {"texts": {"nl": {"closed": "Dicht."}}}},
            [{"field": "disclosure.texts.nl", "before": None, "after": {"closed": "Dicht."}}],
        ),
        (
            {"policy": {"t": [1, 2]}},
            {"policy": {"t": [2]}},
            [{"field": "policy.t", "before": [1, 2], "after": [2]}],
        ),
    ],
)
def test_a_change_is_listed_field_by_field(
    before: dict[str, Any], after: dict[str, Any], changes: list[dict[str, Any]]
) -> None:
    assert policy.changes(before, after) == changes


@pytest.mark.parametrize(
    ("values", "median", "p90"),
    [
        ([], None, None),
        ([5.0], 5.0, 5.0),
        ([1.0, 3.0], 2.0, 3.0),
        ([float(v) for v in range(1, 11)], 5.5, 9.0),  # nearest rank: the 9th of 10
        ([float(v) for v in range(1, 12)], 6.0, 10.0),  # the 10th of 11 (ceil 9.9)
    ],
)
def test_median_and_nearest_rank_p90(
    values: list[float], median: float | None, p90: float | None
) -> None:
    assert percentiles(values) == {"median": median, "p90": p90, "count": len(values)}


def test_a_stored_policy_from_before_the_checks_still_loads() -> None:
    """The service keeps running on what it has; only a new save must be fixed."""
    legacy = {
        "business_hours": {"days": {}},
        "restricted_topics": [{"name": "x", "label": "X", "phrases": []}],
    }
    loaded = policy.Policy.model_validate(legacy, context={"stored": True})
    assert loaded.business_hours is not None and not policy.is_open(loaded.business_hours, utcnow())
    with pytest.raises(ValidationError) as refused:
        policy.Policy.model_validate(legacy)
    assert {e["loc"][0] for e in refused.value.errors()} == {"business_hours", "restricted_topics"}
