"""The escalation decision: signals and the operator's policy in, one verdict out. Pure."""

from __future__ import annotations

from dataclasses import dataclass

from app.policy import Policy

# Plain words for the customer-facing `escalation.detail`.
REASONS = {
    "customer_request": "You asked to talk to a person.",
    "ai_opt_out": "You chose to talk to a person instead of the AI.",
    "human_only": "Our team answers all conversations in person right now.",
    "restricted_topic": "This is something a person from our team needs to handle.",
    "negative_sentiment": "It sounds like this is frustrating; a person will take over.",
    "llm_unavailable": "Our AI assistant is not available right now.",
    "unsafe_output": "The AI could not give a safe answer to this, so a person will.",
    "low_confidence": "The AI could not find a reliable answer in our help centre.",
    "max_bot_turns": "This is taking a while with the AI; a person will take over.",
}


@dataclass(frozen=True)
class Signals:
    """What the checks found this turn (the LLM's own judgement is never one of them)."""

    human_request: bool = False
    ai_opt_out: bool = False
    restricted_topic: str | None = None
    negative: float = 0.0  # probability that this message is negative
    negative_streak: int = 0  # consecutive negative customer turns, this one included
    llm_error: str | None = None
    unsafe: tuple[str, ...] = ()
    confidence: float | None = None  # None when no draft was made
    bot_turns: int = 0


@dataclass(frozen=True)
class Verdict:
    outcome: str  # "answered" | "declined" | "escalated"
    reason: str | None
    offer_person: bool = False

    @property
    def detail(self) -> str:
        return REASONS.get(self.reason or "", "")


def before_draft(signals: Signals, policy: Policy) -> Verdict | None:
    """Reasons to hand over before any LLM call: the customer's own words and state."""
    if signals.human_request:
        return Verdict("escalated", "customer_request")
    if signals.ai_opt_out:
        return Verdict("escalated", "ai_opt_out")
    if policy.human_only:
        return Verdict("escalated", "human_only")
    if signals.restricted_topic:
        return Verdict("escalated", "restricted_topic")
    if signals.negative >= policy.negative_sentiment_threshold or (
        signals.negative >= policy.offer_person_threshold
        and signals.negative_streak >= policy.negative_turns
    ):
        return Verdict("escalated", "negative_sentiment")
    if signals.bot_turns >= policy.max_bot_turns:
        return Verdict("escalated", "max_bot_turns")
    return None


def decide(signals: Signals, policy: Policy) -> Verdict:
    """The whole decision for a turn once the draft (if any) has been checked."""
    early = before_draft(signals, policy)
    if early is not None:
        return early
    if signals.llm_error:
        return Verdict("escalated", "llm_unavailable")
    if signals.unsafe:
        return Verdict("escalated", "unsafe_output")
    if signals.confidence is None or signals.confidence < policy.min_confidence:
        if policy.low_confidence_action == "offer":
            return Verdict("declined", "low_confidence", offer_person=True)
        return Verdict("escalated", "low_confidence")
    offer = signals.negative >= policy.offer_person_threshold
    return Verdict("answered", None, offer_person=offer)
