"""An operator's disclosure must still say, in words and in its language, that the customer is
talking to an AI and how to reach a person: through the settings API, then the rules table."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from disclosure import override_rules
from disclosure.texts import DEFAULTS, LOCALES, notice

OPERATOR = ("operator@example.com", "operator-password")

# Each says how to reach a person and links the policy, but never that this is an AI.
NO_AI = {
    "en": "Welcome! Chat with us, or ask for a person at any time. /ai-policy",
    "nl": "Welkom! Chat met ons, of vraag op elk moment naar een medewerker. /ai-policy",
    "de": "Willkommen! Chatten Sie mit uns oder fragen Sie nach einem Mitarbeiter. /ai-policy",
    "fr": "Bienvenue ! Discutez avec nous ou demandez un conseiller à tout moment. /ai-policy",
    "es": "¡Bienvenido! Chatea con nosotros o pide un agente cuando quieras. /ai-policy",
}
LANGUAGE = {"en": "English", "nl": "Dutch", "de": "German", "fr": "French", "es": "Spanish"}


async def login(http: httpx.AsyncClient) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": OPERATOR[0], "password": OPERATOR[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def put_texts(
    http: httpx.AsyncClient, headers: dict[str, str], texts: dict[str, dict[str, str]]
) -> httpx.Response:
    current: dict[str, Any] = (await http.get("/api/v1/admin/settings", headers=headers)).json()
    body = {"policy": current["policy"], "disclosure": {"texts": texts}}
    return await http.put("/api/v1/admin/settings", json=body, headers=headers)


@pytest.mark.parametrize("locale", LOCALES)
async def test_an_override_without_an_ai_statement_is_refused_naming_the_language(
    client: httpx.AsyncClient, locale: str
) -> None:
    headers = await login(client)
    r = await put_texts(client, headers, {locale: {"disclosure": NO_AI[locale]}})
    assert r.status_code == 422, r.text
    assert r.json()["error"] == "invalid"
    expected = f"The {LANGUAGE[locale]} disclosure must say that the customer is talking to an AI."
    assert expected in r.json()["detail"]
    assert "how to reach a person" not in r.json()["detail"]  # that part was said


async def test_the_link_alone_is_refused_for_both_reasons(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    r = await put_texts(
        client, headers, {"en": {"disclosure": "Welcome! Chat with us. /ai-policy"}}
    )
    assert r.status_code == 422, r.text
    assert (
        "The English disclosure must say that the customer is talking to an AI."
        in (r.json()["detail"])
    )
    assert "The English disclosure must say how to reach a person." in r.json()["detail"]


async def test_the_shipped_defaults_pass_and_a_proper_override_is_shown(
    client: httpx.AsyncClient,
) -> None:
    headers = await login(client)
    defaults = {locale: {"disclosure": DEFAULTS[locale]["disclosure"]} for locale in LOCALES}
    assert (await put_texts(client, headers, defaults)).status_code == 200
    own = (
        "Hallo! Je praat met onze digitale assistent. Liever een mens? Typ 'medewerker'. /ai-policy"
    )
    try:
        r = await put_texts(client, headers, {"nl": {"disclosure": own}})
        assert r.status_code == 200, r.text
        created = await client.post("/api/v1/conversations", json={"locale": "nl"})
        assert created.json()["messages"][0]["text"] == own
    finally:
        assert (await put_texts(client, headers, {})).status_code == 200
    created = await client.post("/api/v1/conversations", json={"locale": "nl"})
    assert created.json()["messages"][0]["text"] == notice("nl")


async def test_a_chat_twin_that_promises_email_is_refused(client: httpx.AsyncClient) -> None:
    headers = await login(client)
    text = "Thanks! We will answer by e-mail within a day."
    r = await put_texts(client, headers, {"en": {"message_left_chat": text}})
    assert r.status_code == 422, r.text
    assert "'message_left_chat' is shown when no e-mail is sent" in r.json()["detail"]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_shipped_text_passes_the_rules(locale: str) -> None:
    assert override_rules.problems(locale, DEFAULTS[locale]) == []


RULES = [
    ("en", "You are chatting with a virtual assistant. Type 'human' for a person.", []),
    ("en", "You're talking to an AI agent, not a person. /ai-policy", ["person"]),
    ("en", "Our chatbot answers first; an agent is one click away.", []),
    ("nl", "Je chat met een AI-assistent. Een medewerker spreken? Typ 'medewerker'.", []),
    ("nl", "Welkom bij onze chat! /ai-policy", ["AI", "person"]),
    ("de", "Sie chatten mit einer KI. Ein Mensch hilft auf Wunsch weiter.", []),
    ("de", "Sie chatten mit künstlicher Intelligenz. Tippen Sie 'Mitarbeiter'.", []),
    ("de", "Willkommen im Chat! Ein Mitarbeiter hilft gern. /ai-policy", ["AI"]),
    (
        "fr",
        "Vous parlez à une intelligence artificielle. Un conseiller peut prendre le relais.",
        [],
    ),
    ("fr", "Bonjour ! Vous parlez à un assistant IA. /ai-policy", ["person"]),
    ("es", "Hablas con un asistente virtual. Escribe «persona» para hablar con alguien.", []),
    ("es", "¡Hola! Chatea con nosotros. /ai-policy", ["AI", "person"]),
]


@pytest.mark.parametrize(("locale", "text", "missing"), RULES)
def test_rules_per_language(locale: str, text: str, missing: list[str]) -> None:
    found = override_rules.problems(locale, {"disclosure": text})
    assert ["AI" if "an AI" in p else "person" for p in found] == missing, found
