"""Confidence and groundedness of drafted answers: claims, polarity, don't-know, the score."""

from __future__ import annotations

import pytest

from app.checks import claims
from app.checks.confidence import (
    CAP_DONT_KNOW,
    CAP_NO_PASSAGES,
    CAP_UNSUPPORTED,
    Confidence,
    PassageView,
    assess,
    says_dont_know,
    unsupported_claims,
)
from app.evals.checks import BARS, evaluate, format_report

SHIPPING = (
    "Standard shipping costs €4.95 and is free for orders over €50. "
    "Delivery takes 2-3 business days."
)
RETURNS = "Returns are accepted within 14 days. Opened hygiene products cannot be returned."
HOURS = "Customer service is available Monday to Friday from 9:00 to 17:30."
LEVERING = "Verzending kost €4,95. De levering duurt 2 tot 3 werkdagen."


def passages(*texts: str, score: float = 0.7) -> list[PassageView]:
    return [PassageView(t, score - 0.3 * i) for i, t in enumerate(texts)]


@pytest.mark.parametrize(
    ("source", "answer"),
    [
        (SHIPPING, "Shipping is 4,95 EUR."),
        (SHIPPING, "Shipping costs 4.95 euro."),
        (SHIPPING, "It costs € 4,95 and nothing above 50 euros."),
        (SHIPPING, "Delivery takes 2\u20133 days."),  # en dash
        (SHIPPING, "Delivery takes 2 to 3 days."),
        (SHIPPING, "Delivery takes between 2 and 3 working days."),
        (SHIPPING, "Delivery takes two to three days."),
        (LEVERING, "Delivery takes 2-3 days and costs €4.95."),
        (LEVERING, "De levering duurt twee tot drie werkdagen."),
        (RETURNS, "You have two weeks to return it."),
        (RETURNS, "Sie haben 14 Tage Zeit."),
        (RETURNS, "Vous avez quatorze jours."),
        (RETURNS, "Tienes catorce días."),
        (HOURS, "We're open from 9am to 5:30pm."),
        (HOURS, "Wij zijn er van 9 uur tot 17:30."),
        (HOURS, "Nous sommes là de 9h à 17h30."),
        ("Call 020 123 4567 or mail help@shop.example.", "Call 020 123 4567."),
        ("Mail help@shop.example.", "Write to help@shop.example."),
    ],
)
def test_numbers_match_across_formats(source: str, answer: str) -> None:
    assert unsupported_claims(answer, passages(source)) == []


@pytest.mark.parametrize(
    "answer",
    [
        "Refunds arrive within 1 working day.",  # SmolLM2, for "1 to 2 working days"
        "Refunds arrive within 2 working days.",
        "Refunds arrive within 1 to 3 working days.",
    ],
)
def test_one_end_of_a_range_is_not_the_range(answer: str) -> None:
    source = "PayPal refunds usually arrive within 1 to 2 working days after we pay them."
    assert unsupported_claims(answer, passages(source)) != []
    assert unsupported_claims("Ze komen binnen 1 tot 2 werkdagen.", passages(source)) == []


@pytest.mark.parametrize(
    ("answer", "source", "reversed_"),
    [
        ("Report it as soon as 48 hours after delivery.", "Report it within 48 hours.", True),
        ("Report it no later than 48 hours after delivery.", "Report it within 48 hours.", False),
        ("Klarna works for orders from €1,500.", "Klarna: orders up to €1,500.", True),
        ("Klarna funktioniert bis zu 1.500 €.", "Klarna: orders up to €1,500.", False),
        ("Shipping is free up to €50.", "Shipping is free from €50.", True),
        ("Le service est ouvert à partir de 17:00.", "Open from 9:00 until 17:00.", True),
        ("Abierto hasta las 17:00.", "Open from 9:00 until 17:00.", False),
        ("We are open until 9:00.", "Open from 9:00 until 17:00.", True),
        # A value the source states without a bound, or both ways, is not reversed.
        ("It takes at least 30 days.", "You have 30 days to return it.", False),
        (
            "Orders after 15:00 leave the next day.",
            "Before 15:00: today; after 15:00: tomorrow.",
            False,
        ),
        # "from 1 to 2 days" is a range, not a lower bound.
        ("It takes from 1 to 2 days.", "It takes up to 1 to 2 days.", False),
    ],
)
def test_a_bound_read_the_other_way_round(answer: str, source: str, reversed_: bool) -> None:
    assert bool(claims.reversed_bounds(answer, source)) is reversed_


@pytest.mark.parametrize(
    ("source", "answer", "claim"),
    [
        (SHIPPING, "Shipping costs €5.95.", "€5.95"),
        (SHIPPING, "Shipping is free over €40.", "€40"),
        (SHIPPING, "Delivery takes 2-5 days.", "2-5 days"),
        (SHIPPING, "Delivery takes 3 weeks.", "3 weeks"),
        (RETURNS, "You have 30 days to return it.", "30 days"),
        (RETURNS, "You have thirty days to return it.", "30 days"),
        (RETURNS, "You have a full month to return it.", "1 month"),
        (LEVERING, "De levering duurt 5 werkdagen.", "5 werkdagen"),
        (RETURNS, "Sie haben 30 Tage Zeit.", "30 tage"),
        (HOURS, "We're open until 6pm.", "6pm"),
        (HOURS, "We open at 8:00.", "8:00"),
        (SHIPPING, "Students get 10% off.", "10%"),
        (SHIPPING, "Visit https://evil.example/deal for details.", "https://evil.example/deal"),
    ],
)
def test_invented_numbers_are_unsupported(source: str, answer: str, claim: str) -> None:
    found = unsupported_claims(answer, passages(source))
    assert found, answer
    assert claim.split()[0].strip("€") in " ".join(found) or claim in found


@pytest.mark.parametrize(
    ("source", "answer", "contradicts"),
    [
        (RETURNS, "Yes, you can return opened hygiene products.", True),
        (RETURNS, "Opened hygiene products can be returned.", True),
        (RETURNS, "Unfortunately, opened hygiene products cannot be returned.", False),
        (RETURNS, "Opened hygiene products can't be returned, sorry.", False),
        (
            "Bereavement fares must be requested before travel. Refunds after travel are not "
            "available.",
            "Refunds after travel are available for bereavement fares.",
            True,
        ),
        (
            "Gift cards are valid for 12 months and cannot be exchanged for cash.",
            "Gift cards are valid for 12 months.",
            False,
        ),
        (
            "Geopende producten kunnen niet worden geretourneerd.",
            "Ja, geopende producten kunnen worden geretourneerd.",
            True,
        ),
        (
            "Geöffnete Produkte sind vom Umtausch ausgeschlossen.",
            "Geöffnete Produkte sind vom Umtausch nicht ausgeschlossen.",
            False,
        ),
        (
            "Opened items cannot be returned unless they are faulty.",
            "Faulty items can be returned even when opened.",
            False,
        ),
    ],
)
def test_polarity(source: str, answer: str, contradicts: bool) -> None:
    found = [c for c in unsupported_claims(answer, passages(source)) if c.startswith("contra")]
    assert bool(found) is contradicts, found


@pytest.mark.parametrize(
    ("answer", "overreach"),
    [
        ("You can pick up orders at our Amsterdam store.", True),
        ("You can pick up orders at our Utrecht store.", False),
        ("Orders can always be picked up at our Utrecht store.", True),
        ("Hi Jan! Orders can be picked up at our Utrecht store.", False),
    ],
)
def test_names_and_absolutes(answer: str, overreach: bool) -> None:
    source = "Orders can be picked up at our Utrecht store after you receive a pick-up email."
    found = [c for c in unsupported_claims(answer, passages(source)) if c.startswith("not in")]
    assert bool(found) is overreach, found


@pytest.mark.parametrize(
    ("answer", "dont_know"),
    [
        ("I don't know the answer to that, but a colleague can help.", True),
        ("I'm not sure about that.", True),
        ("I couldn't find anything about that in our help centre.", True),
        ("Ik weet het niet, een collega helpt je graag.", True),
        ("Das weiß ich leider nicht.", True),
        ("Je ne sais pas, désolé.", True),
        ("No lo sé, lo siento.", True),
        ("No tengo información sobre eso.", True),
        ("Returns are accepted within 14 days.", False),
        ("No se puede devolver un producto abierto.", False),
        ("I know this is annoying; returns are accepted within 14 days.", False),
    ],
)
def test_says_dont_know(answer: str, dont_know: bool) -> None:
    assert says_dont_know(answer) is dont_know


@pytest.mark.parametrize(
    ("answer", "texts", "logprobs", "low", "high"),
    [
        ("Returns are accepted within 14 days.", [RETURNS], None, 0.6, 1.0),
        ("Returns are accepted within 14 days.", [RETURNS], [-0.05, -0.1], 0.6, 1.0),
        ("Returns are accepted within 14 days.", [RETURNS], [-3.0, -4.0], 0.4, 0.8),
        ("Returns are accepted within 60 days.", [RETURNS], None, 0.0, CAP_UNSUPPORTED),
        ("Returns are accepted within 60 days.", [RETURNS], [-0.01], 0.0, CAP_UNSUPPORTED),
        ("Returns are accepted within 14 days.", [], None, 0.0, CAP_NO_PASSAGES),
        ("I don't know, sorry.", [RETURNS], None, 0.0, CAP_DONT_KNOW),
        ("", [RETURNS], None, 0.0, 0.0),
        (
            "Our loyal customers can always return anything, any time, no questions asked.",
            [RETURNS],
            None,
            0.0,
            0.5,
        ),
        ("We also sell garden furniture and barbecues in every store.", [SHIPPING], None, 0.0, 0.5),
    ],
)
def test_score_table(
    answer: str, texts: list[str], logprobs: list[float] | None, low: float, high: float
) -> None:
    conf = assess(answer, passages(*texts), logprobs)
    assert low <= conf.score <= high, conf


def test_parts_are_recorded() -> None:
    conf = assess("Shipping costs €5.95.", passages(SHIPPING, RETURNS), [-0.2, -0.4])
    assert isinstance(conf, Confidence)
    assert conf.parts["best_score"] == 0.7 and conf.parts["margin"] == 0.3
    assert conf.parts["unsupported"] == ["€5.95"]
    assert conf.parts["dont_know"] is False
    assert conf.parts["logprob"] == pytest.approx(0.7408, abs=1e-3)
    assert conf.parts["caps"] == ["unsupported"]
    assert set(conf.parts) == {
        "best_score",
        "margin",
        "retrieval",
        "support",
        "logprob",
        "dont_know",
        "unsupported",
        "caps",
    }


def test_weak_retrieval_alone_does_not_sink_a_grounded_answer() -> None:
    # A Dutch question against an English page retrieves weakly; the draft decides (issue 11).
    strong = assess(RETURNS, passages(RETURNS, score=0.8), None).score
    weak = assess(RETURNS, passages(RETURNS, score=0.1), None).score
    assert strong > 0.8 and 0.5 < weak < strong


def test_quoted_passage_is_fully_supported() -> None:
    conf = assess(SHIPPING, passages(SHIPPING), None)  # the no-LLM quote mode
    assert conf.parts["unsupported"] == [] and conf.parts["support"] == 1.0


def test_redaction_placeholders_are_not_claims() -> None:
    answer = "Returns are accepted within 14 days, <PERSON_1>; mail us at <EMAIL_1>."
    assert unsupported_claims(answer, passages(RETURNS)) == []


def test_shipped_answers_meet_the_bars() -> None:
    result = evaluate()
    answers = result["answers"]
    assert answers["unsupported"] >= 30 and answers["supported"] >= 25
    assert answers["unsupported_low"] >= BARS["unsupported_low"], format_report(result)
    assert answers["supported_high"] >= BARS["supported_high"], format_report(result)
