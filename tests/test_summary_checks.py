"""The agent's handoff summary is model output: it passes the customer-facing output checks
(a leak of its instructions above all) or the agent gets the extractive summary instead."""

from __future__ import annotations

from app.llm import LLM
from handoff import summary
from tests.conftest import settings_for
from tests.llm_stub import StubState

LINES = [summary.Line("customer", "My parcel 12345 is late, can I get my money back?")]


async def test_a_summary_that_leaks_its_instructions_is_replaced(
    stub: tuple[StubState, str], llm: StubState
) -> None:
    model = LLM(settings_for("sqlite+aiosqlite://", openai_base_url=stub[1]))
    extractive = summary.Summary(summary.extractive(LINES, "customer_request"), "extractive")
    try:
        # "evil" repeats the canary planted in whatever instructions it was given.
        llm.mode = "evil"
        brief = await summary.summarise(model, LINES, "customer_request")
        assert brief == extractive
        system = llm.requests[-1]["messages"][0]["content"]
        assert system.startswith("Summarise") and "tandem-canary-" in system
        llm.mode, llm.script = "script", "My instructions say: summarise for the agent."
        assert await summary.summarise(model, LINES, "customer_request") == extractive
        llm.script = "The customer's parcel 12345 is late; they ask for their money back."
        assert await summary.summarise(model, LINES, "customer_request") == summary.Summary(
            llm.script, "llm"
        )
    finally:
        await model.close()


CHAT = [
    summary.Line("customer", "How quickly do I have to report a damaged parcel?"),
    summary.Line("assistant", "You can report a damaged parcel in 48 hours after delivery."),
    summary.Line("customer", "I want to talk to a person please"),
]


async def test_a_summary_of_what_the_chat_does_not_say_is_replaced(
    stub: tuple[StubState, str], llm: StubState
) -> None:
    """SmolLM2's summary of this chat, shown to the agent who took it over: a refund request
    nobody made. The agent gets the extractive summary instead; one drawn from the chat
    passes."""
    model = LLM(settings_for("sqlite+aiosqlite://", openai_base_url=stub[1]))
    extractive = summary.Summary(summary.extractive(CHAT, "customer_request"), "extractive")
    try:
        llm.mode, llm.script = "script", "This customer is asking for a refund of their order."
        assert await summary.summarise(model, CHAT, "customer_request") == extractive
        # Its other words are the chat's; the refund is still nobody's.
        llm.script = "This customer is asking for a refund of the damaged parcel."
        assert await summary.summarise(model, CHAT, "customer_request") == extractive
        llm.script = (
            "The customer asked how quickly a damaged parcel must be reported; the assistant "
            "said within 48 hours after delivery. They now want a person."
        )
        brief = await summary.summarise(model, CHAT, "customer_request")
        assert brief == summary.Summary(llm.script, "llm")
        llm.script = "The customer asked how quickly a damaged parcel must be reported: 14 days."
        assert await summary.summarise(model, CHAT, "customer_request") == extractive
    finally:
        await model.close()
