"""The escalation decision: signals and the operator's policy in, one verdict out. Pure.

Every policy threshold is applied here and nowhere else, so the live turn and the policy
preview (which replays stored signals under a proposed policy) decide alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

from app.policy import MAX_NEGATIVE_TURNS, Policy

Outcome = Literal["answered", "declined", "escalated"]
Reason = Literal[
    "customer_request",
    "ai_opt_out",
    "human_only",
    "restricted_topic",
    "negative_sentiment",
    "llm_unavailable",
    "unsafe_output",
    "low_confidence",
    "max_bot_turns",
    "handed_over",  # a person took over while the AI was drafting: the AI stays silent
]

# Plain words for the customer-facing `escalation.detail`.
REASONS: dict[str, str] = {
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
    """What the checks found this turn, as raw values: no threshold has been applied yet
    (and the LLM's own judgement is never one of them)."""

    human_request: bool = False
    ai_opt_out: bool = False
    restricted_topic: str | None = None
    negative: float = 0.0  # probability that this message is negative
    earlier_negative: tuple[float, ...] = ()  # the previous customer turns' `negative`, in order
    llm_error: str | None = None
    unsafe: tuple[str, ...] = ()
    confidence: float | None = None  # None when no draft was made
    bot_turns: int = 0


@dataclass(frozen=True)
class Verdict:
    outcome: Outcome
    reason: Reason | None
    offer_person: bool = False

    @property
    def detail(self) -> str:
        return REASONS.get(self.reason or "", "")

    @classmethod
    def stored(cls, outcome: str, reason: str | None) -> Verdict:
        """A verdict as a decision record keeps it (whose columns are plain strings)."""
        return cls(cast(Outcome, outcome), cast(Reason | None, reason))


def negative_streak(signals: Signals, policy: Policy) -> int:
    """Consecutive customer turns, this one included, at or above the offer threshold."""
    streak = 0
    for negative in reversed((*signals.earlier_negative, signals.negative)):
        if negative < policy.offer_person_threshold:
            break
        streak += 1
    return streak


def looking_back(previous: Signals | None) -> tuple[float, ...]:
    """The `earlier_negative` of the turn after `previous` (None, say a button press, breaks
    the streak), as long as the longest streak a policy may ask for."""
    if previous is None:
        return ()
    return (*previous.earlier_negative, previous.negative)[-(MAX_NEGATIVE_TURNS - 1) :]


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
    if (
        signals.negative >= policy.negative_sentiment_threshold
        or negative_streak(signals, policy) >= policy.negative_turns
    ):
        return Verdict("escalated", "negative_sentiment")
    if signals.bot_turns >= policy.max_bot_turns:
        return Verdict("escalated", "max_bot_turns")
    return None


def decide(signals: Signals, policy: Policy) -> Verdict:
    """The whole decision for a turn once the draft (if any) has been checked: only an
    "answered" verdict lets the draft reach the customer."""
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
