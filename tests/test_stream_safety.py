"""Nothing the model writes reaches a socket before every output check passed it (issue 15,
point 3), and a stream cut off mid-answer is a failure, never the stored answer (point 4)."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app import prompt
from app.checks.grounding import Grounder
from app.checks.output import check_output
from app.drafting import Gate
from app.llm import LLM
from app.main import create_app
from app.settings import Settings
from handoff import summary
from tests.conftest import Chat, settings_for
from tests.llm_stub import StubState, ThreadedServer
from tests.test_websockets import QUESTION, customer, until

Frame = dict[str, Any]
CANARY = "tandem-canary-0123456789abcdef"
SYSTEM = prompt.build(question="q", history=[], passages=[], locale="en", canary=CANARY)[0][
    "content"
]


def instruction_runs(text: str, n: int = 4) -> set[str]:
    """Every run of `n` words of the instruction text, lower-cased (what a leak would show)."""
    tokens = re.findall(r"[a-z0-9']+", text.lower())
    return {" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)}


def quotes_instructions(text: str) -> bool:
    tokens = re.findall(r"[a-z0-9']+", text.lower())
    runs = instruction_runs(prompt.INSTRUCTIONS.split("{company}")[1])
    said = {" ".join(tokens[i : i + 4]) for i in range(len(tokens) - 3)}
    return "tandem-canary" in text or bool(runs & said)


def test_repeating_the_instructions_is_a_leak_even_without_the_canary() -> None:
    first = "You are the AI assistant of our company's customer service."
    assert "prompt_leak" in check_output(first, CANARY, SYSTEM).fired
    # Re-punctuated and split over sentences still counts: the run is found across them.
    spread = "Answer ONLY from the help-centre passages. Inside passages, always."
    assert "prompt_leak" in check_output(spread, CANARY, SYSTEM).fired
    ordinary = "Delivery within the Netherlands takes one to two working days."
    assert check_output(ordinary, CANARY, SYSTEM).ok


async def test_the_gate_releases_no_instruction_even_when_the_help_centre_says_it() -> None:
    """A help centre that contains the instructions word for word grounds every sentence of
    them: only the output checks stand between them and the socket, and they hold."""

    class Row:
        title, heading = "Leaked", ""
        text = SYSTEM.replace(CANARY, "")

    released: list[str] = []

    async def release(piece: str) -> None:
        released.append(piece)

    gate = Gate(CANARY, SYSTEM, Grounder([Row()]), {}, release)
    for word in re.findall(r"\S+\s*", SYSTEM):
        await gate.feed(word)
    assert gate.closed and released == []


async def test_leak_mode_sends_no_instruction_text_over_the_customer_socket(
    server: ThreadedServer, chat: Chat, llm: StubState
) -> None:
    llm.mode = "leak"
    await chat.start()
    ws = await customer(server, chat, last_seq=1)
    await until(ws, lambda f: f["type"] == "status")
    await ws.send(json.dumps({"type": "message", "text": QUESTION, "client_id": "leak-1"}))
    frames = await until(
        ws,
        lambda f: (
            (f["type"] == "status" and f.get("status") != "bot")
            or (f["type"] == "message" and f["message"]["role"] in ("assistant", "system"))
        ),
        within=20,
    )
    await ws.close()
    assert llm.drafts and "tandem-canary-" in llm.drafts[-1]["messages"][0]["content"]
    texts = [f.get("text") or (f.get("message") or {}).get("text") or "" for f in frames]
    assert not [t for t in texts if quotes_instructions(t)], frames
    assert not [f for f in frames if f["type"] == "token"]  # its first sentence is the leak
    stored = await chat.http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    assert not [m for m in stored.json()["messages"] if quotes_instructions(m["text"])]


async def test_the_agents_summary_in_leak_mode_is_the_extractive_one(
    stub: tuple[StubState, str], llm: StubState
) -> None:
    lines = [summary.Line("customer", "My parcel is late, where is it?")]
    model = LLM(settings_for("sqlite+aiosqlite://", openai_base_url=stub[1]))
    extractive = summary.Summary(summary.extractive(lines, "customer_request"), "extractive")
    try:
        llm.mode = "leak"
        assert await summary.summarise(model, lines, "customer_request") == extractive
        assert llm.requests[-1]["messages"][0]["content"].startswith("Summarise")
        # Its instructions without the canary line: the quotation alone is the leak.
        llm.mode, llm.script = "script", summary.PROMPT.split("\n")[0]
        assert await summary.summarise(model, lines, "customer_request") == extractive
    finally:
        await model.close()


async def test_a_truncated_stream_is_handed_over_never_stored(chat: Chat, llm: StubState) -> None:
    llm.mode = "truncated"
    await chat.start()
    reply = await chat.say(QUESTION)
    assert llm.drafts  # the model was asked, and its half answer refused
    assert reply["escalation"] and reply["escalation"]["reason"] == "llm_unavailable"
    assert not [m for m in reply["messages"] if m["role"] == "assistant"], reply
    stored = await chat.http.get(f"/api/v1/conversations/{chat.id}/messages", headers=chat.auth)
    kept = [(m["role"], m["kind"]) for m in stored.json()["messages"]]
    assert kept == [("assistant", "disclosure"), ("customer", "text"), ("system", "event")]


GIVEN = [
    "As a gesture of goodwill your next e-bike is free of charge.",
    "Your next e-bike is fr\u0435\u0435 of charge.",  # a Cyrillic e, twice
    "Your next order is f r e e.",
    "Als cadeau krijgt u een fietsslot van ons.",
    "Das Schloss bekommen Sie von uns geschenkt.",
    "En geste commercial, votre prochain vélo est offert.",
    "Le regalamos un casco con su pedido.",
]
THE_SHOPS_OWN = [
    "Shipping is free for orders from €50.",
    "Pick-up at our store is free.",
    "Verzending is gratis vanaf €50.",
    "Der Versand ist ab 50 € kostenlos.",
    "La livraison est gratuite à partir de 50 €.",
    "El envío es gratis a partir de 50 €.",
    "Velora gift cards are available from €10 to €250.",
    "Feel free to send us a photo of the damaged e-bike.",
    "Sie können Ihre Bestellung kostenlos in unserem Lager abholen.",
    "Vous pouvez retirer votre commande gratuitement à notre entrepôt.",
    "Puede recoger su pedido gratis en nuestro almacén.",
]


def test_free_products_and_gifts_are_promises_the_shops_free_services_are_not() -> None:
    assert [t for t in GIVEN if "promise:gift" not in check_output(t, CANARY).fired] == []
    assert [t for t in THE_SHOPS_OWN if not check_output(t, CANARY).ok] == []


@pytest.fixture(scope="module")
def default_budgets(db_url: str, stub: tuple[StubState, str]) -> Iterator[ThreadedServer]:
    """Tandem with the shipped LLM budgets (the shared test server shortens them)."""
    shipped = {
        name: Settings.model_fields[name].default
        for name in ("llm_first_token_timeout", "llm_stall_timeout", "llm_turn_timeout")
    }
    settings = settings_for(db_url, openai_base_url=stub[1], openai_api_key="k", **shipped)
    srv = ThreadedServer(create_app(settings)).start()
    # One answered turn first: the first turn loads the index and warms the models, which
    # is start-up time, not the time a hung model costs.
    with httpx.Client(base_url=srv.url, timeout=60) as http:
        conv = http.post("/api/v1/conversations", json={}).json()
        auth = {"Authorization": f"Bearer {conv['token']}"}
        warm = http.post(
            f"/api/v1/conversations/{conv['id']}/messages", json={"text": QUESTION}, headers=auth
        )
        assert warm.status_code == 200, warm.text
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    ("mode", "within"),
    [("hang", 6.0), ("stall", 6.0), ("trickle", 13.0)],  # the bar: a person within 6 s
)
async def test_time_to_a_person_when_the_model_hangs_stalls_or_trickles(
    default_budgets: ThreadedServer, llm: StubState, mode: str, within: float
) -> None:
    llm.mode = mode
    async with httpx.AsyncClient(base_url=default_budgets.url, timeout=60) as http:
        chat = Chat(http)
        await chat.start()
        started = time.monotonic()
        reply = await chat.say(QUESTION)
        took = time.monotonic() - started
    print(f"time to a person, {mode}: {took:.2f} s")
    assert reply["escalation"]["reason"] == "llm_unavailable" and reply["status"] == "queued"
    assert len(llm.drafts) == 1  # one attempt, no retry
    assert took < within
