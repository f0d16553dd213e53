"""An answer must give the kind of thing the question asks for: SmolLM2's true sentences that
miss the point ("Express delivery is not available for bulky items" for "How much is express
delivery?") are withheld, in all five languages."""

from __future__ import annotations

import pytest

from app.checks.grounding import Grounder
from app.checks.relevance import asks_for, check, without_asking

ASKED = [
    ("How much is express delivery?", "money"),
    ("Wat kost een grote onderhoudsbeurt?", "money"),
    ("Was kostet der Versand?", "money"),
    ("Combien coûte le montage ?", "money"),
    ("¿Cuánto cuesta el envío?", "money"),
    ("Wat zijn de verzendkosten naar Nederland?", "money"),
    ("Wie hoch sind die Versandkosten nach Österreich?", "money"),
    ("Quels sont les frais de livraison ?", "money"),
    ("How long is the reset link valid?", "duration"),
    ("Hoe lang duurt een grote onderhoudsbeurt?", "duration"),
    ("Wie lange dauert die Lieferung?", "duration"),
    ("Combien de temps prend la livraison ?", "duration"),
    ("¿Cuántos días me reservan los productos?", "duration"),
    # A learner's English (the bias audit's non-native probe): days, not a price.
    ("Hello, please how much days is taking the delivery to Netherlands?", "duration"),
    ("How much time does a large service take?", "duration"),
    # How quickly, and the span named: asked alike in every language (SmolLM2's "2 años" for
    # "¿Cuánto tardan en evaluar…?" went unchecked while "How long…" was checked).
    ("How quickly do I have to report a damaged parcel?", "duration"),
    ("Hoe snel staat het bedrag op mijn rekening?", "duration"),
    ("Wie schnell wird mein Paket geliefert?", "duration"),
    ("Quel est le délai de livraison en France ?", "duration"),
    ("Quelle est la durée de la garantie du fabricant ?", "duration"),
    ("¿Cuánto tardan en evaluar una solicitud de garantía?", "duration"),
    ("¿Cuál es el plazo para devolver un producto?", "duration"),
    ("Wie lang ist die Gewährleistungsdauer?", "duration"),
    ("Wat is de levertijd naar Duitsland?", "duration"),
    ("Until what time can I order for same-day dispatch?", "when"),
    ("Op welke dagen en tijden is de werkplaats open?", "when"),
    ("Quel est votre numéro de téléphone ?", "contact"),
    ("Do you accept cash on delivery?", None),
    ("Can I return opened brake pads?", None),
]


@pytest.mark.parametrize(("question", "kind"), ASKED)
def test_the_kind_of_answer_asked_for(question: str, kind: str | None) -> None:
    assert asks_for(question) == kind


@pytest.mark.parametrize(
    ("question", "answer", "answers"),
    [
        (
            "How much is express delivery?",
            "Express delivery is not available for bulky items.",
            False,
        ),
        ("How much is express delivery?", "Express delivery costs €9.95.", True),
        (
            "Op welke dagen en tijden is de werkplaats open?",
            "De werkplaats in Utrecht is open.",
            False,
        ),
        ("Op welke dagen is de werkplaats open?", "Van maandag tot en met zaterdag.", True),
        (
            "Hoe lang duurt een grote onderhoudsbeurt?",
            "Een grote beurt duurt 2 tot 3 werkdagen.",
            True,
        ),
        ("Do you accept cash on delivery?", "No, we do not accept cash on delivery.", True),
        # SmolLM2: a question naming the day asks for hours, and days do not give them.
        (
            "When is your customer service open on Saturday?",
            "The customer service is open on Saturday, Monday to Friday.",
            False,
        ),
        (
            "When is your customer service open on Saturday?",
            "On Saturday it is open from 10:00 to 14:00.",
            True,
        ),
    ],
)
def test_an_answer_without_it_does_not_answer(question: str, answer: str, answers: bool) -> None:
    assert check(question, answer).answers is answers


def test_an_echoed_question_is_no_statement() -> None:
    grounding = Grounder([]).ground("Wat kost een grote onderhoudsbeurt? Het is het gevraaf.")
    assert not grounding.holds and grounding.text == ""


@pytest.mark.parametrize(
    ("question", "without"),
    [
        ("How long is the reset link valid?", "is the reset link valid?"),
        ("Wie lange dauert die Lieferung?", "dauert die Lieferung?"),
        ("¿Cuánto cuesta el envío?", "¿ el envío?"),
        ("Can I return opened brake pads?", "Can I return opened brake pads?"),
        # "ß" folds to two letters: positions shift, so the folded text is cut instead.
        ("Wie lange dauert die Lieferung zur Straße?", "dauert die lieferung zur strasse?"),
    ],
)
def test_the_asking_phrase_is_left_out_when_lines_are_compared(question: str, without: str) -> None:
    assert without_asking(question) == without
