"""The escalation policy, table-tested: raw signals and a policy in, one verdict out."""

from __future__ import annotations

import pytest

from app.escalation import Signals, Verdict, before_draft, decide, looking_back, negative_streak
from app.policy import MAX_NEGATIVE_TURNS, Policy

CALM = Policy(restricted_topics=[])


@pytest.mark.parametrize(
    ("earlier", "negative", "threshold", "streak"),
    [
        ((), 0.7, 0.6, 1),
        ((), 0.5, 0.6, 0),
        ((0.7, 0.65), 0.61, 0.6, 3),
        ((0.7, 0.65), 0.61, 0.62, 0),  # the same turns under a stricter threshold
        ((0.9, 0.1, 0.7), 0.8, 0.6, 2),  # a calm turn breaks the streak
        ((0.9, 0.1, 0.7), 0.8, 0.05, 4),
    ],
)
def test_the_streak_is_counted_under_the_policy_given(
    earlier: tuple[float, ...], negative: float, threshold: float, streak: int
) -> None:
    policy = CALM.model_copy(update={"offer_person_threshold": threshold})
    signals = Signals(negative=negative, earlier_negative=earlier)
    assert negative_streak(signals, policy) == streak


@pytest.mark.parametrize(
    ("earlier", "negative", "policy", "verdict"),
    [
        ((0.7,), 0.7, {}, Verdict("escalated", "negative_sentiment")),
        ((0.7,), 0.7, {"negative_turns": 3}, None),
        ((0.7, 0.7), 0.7, {"negative_turns": 3}, Verdict("escalated", "negative_sentiment")),
        ((0.7,), 0.7, {"offer_person_threshold": 0.75}, None),
        ((), 0.86, {}, Verdict("escalated", "negative_sentiment")),
        ((), 0.86, {"negative_sentiment_threshold": 0.9}, None),
    ],
)
def test_negative_turns_hand_over_before_any_draft(
    earlier: tuple[float, ...], negative: float, policy: dict[str, float], verdict: Verdict | None
) -> None:
    signals = Signals(negative=negative, earlier_negative=earlier)
    assert before_draft(signals, CALM.model_copy(update=policy)) == verdict


def test_the_next_turn_looks_back_as_far_as_any_policy_may_ask() -> None:
    assert looking_back(None) == ()
    turns = Signals(negative=0.9, earlier_negative=tuple(0.8 for _ in range(40)))
    back = looking_back(turns)
    assert len(back) == MAX_NEGATIVE_TURNS - 1 and back[-1] == 0.9
    strictest = CALM.model_copy(update={"negative_turns": MAX_NEGATIVE_TURNS})
    assert before_draft(Signals(negative=0.7, earlier_negative=back), strictest) is not None


@pytest.mark.parametrize(
    ("signals", "policy", "verdict"),
    [
        (Signals(confidence=0.49), {}, Verdict("escalated", "low_confidence")),
        (
            Signals(confidence=0.49),
            {"low_confidence_action": "offer"},
            Verdict("declined", "low_confidence", offer_person=True),
        ),
        (Signals(confidence=0.49), {"min_confidence": 0.4}, Verdict("answered", None)),
        (Signals(confidence=None), {"min_confidence": 0.0}, Verdict("escalated", "low_confidence")),
        (Signals(confidence=0.9, unsafe=("promise",)), {}, Verdict("escalated", "unsafe_output")),
        (Signals(llm_error="timeout"), {}, Verdict("escalated", "llm_unavailable")),
        (
            Signals(confidence=0.9, negative=0.65),
            {},
            Verdict("answered", None, offer_person=True),
        ),
    ],
)
def test_only_the_policy_withholds_a_draft(
    signals: Signals, policy: dict[str, object], verdict: Verdict
) -> None:
    assert decide(signals, CALM.model_copy(update=policy)) == verdict
