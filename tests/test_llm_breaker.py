"""The circuit breaker: repeated LLM failures send customers to a person without waiting."""

from __future__ import annotations

import time

from app.llm import CircuitBreaker
from tests.conftest import Chat
from tests.llm_stub import StubState, ThreadedServer


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_then_probes_once_then_closes() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, cooldown=30, clock=clock)
    for _ in range(3):
        assert breaker.allow()
        breaker.failure()
    assert breaker.state == "open" and not breaker.allow()
    clock.now = 31
    assert breaker.state == "half_open"
    assert breaker.allow() and not breaker.allow()  # exactly one probe
    breaker.failure()
    assert breaker.state == "open"
    clock.now = 62
    assert breaker.allow()
    breaker.success()
    assert breaker.state == "closed" and breaker.allow()


async def test_open_breaker_hands_over_at_once(
    chat: Chat, llm: StubState, server: ThreadedServer
) -> None:
    breaker = server.server.config.app.state.services.llm.breaker
    try:
        await _open_then_hand_over(chat, llm)
    finally:
        breaker.success()  # the server is shared with later tests


async def _open_then_hand_over(chat: Chat, llm: StubState) -> None:
    llm.mode = "fail"
    for _ in range(6):  # each failed turn is retried once inside its budget
        c = Chat(chat.http)
        await c.start()
        assert (await c.say("How long does delivery take?"))["escalation"][
            "reason"
        ] == "llm_unavailable"
    calls = len(llm.drafts)
    llm.mode = "grounded"
    await chat.start()
    started = time.monotonic()
    data = await chat.say("How long does delivery take?")
    assert time.monotonic() - started < 1.0
    assert data["escalation"]["reason"] == "llm_unavailable"
    assert len(llm.drafts) == calls  # no call while the breaker is open
    ready = (await chat.http.get("/readyz")).json()
    assert ready["status"] == "degraded" and ready["llm"] == "open"
