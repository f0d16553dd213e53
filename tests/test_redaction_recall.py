"""Redaction recall per kind and per language on both labelled sets (target 0.98 for each kind),
no finding on the labelled negatives, the demo help centre or product names; and the forms the
issue found missing (issue 13), table-tested."""

from __future__ import annotations

import pytest

from app.checks import redaction
from app.evals import redaction_table

CAUGHT = [
    ("Keizersgracht 123, 1015 CJ Amsterdam", "ADDRESS"),
    ("Ik woon op Dorpsstraat 5 in Zwolle.", "ADDRESS"),
    ("Hauptstraße 12, 10115 Berlin", "ADDRESS"),
    ("12 rue de la Paix, 75002 Paris", "ADDRESS"),
    ("Calle Mayor 5, 28013 Madrid", "ADDRESS"),
    ("10 Downing Street, London SW1A 2AA", "ADDRESS"),
    ("1600 Pennsylvania Ave NW, Washington, DC 20500", "ADDRESS"),
    ("Rue Neuve 1, 1000 Bruxelles", "ADDRESS"),
    ("Meir 50, 2000 Antwerpen", "ADDRESS"),
    ("Mijn rekening is BE71 0961 2345 6769.", "IBAN"),
    ("Remboursez sur BE71096123456769 svp", "IBAN"),
    ("Karte 4111.1111.1111.1111 wurde belastet", "CARD"),
    ("tarjeta 4111-1111-1111-1111", "CARD"),
    ("jan at example dot com", "EMAIL"),
    ("jan [at] example [dot] com", "EMAIL"),
    ("jan apenstaartje example punt com", "EMAIL"),
    ("jan arobase example point fr", "EMAIL"),
    ("jan arroba example punto es", "EMAIL"),
    ("jan ät example punkt de", "EMAIL"),
    ("My date of birth is 12/03/1985.", "DATE_OF_BIRTH"),
    ("geboren op 3 maart 1985", "DATE_OF_BIRTH"),
    ("Geburtsdatum: 15.04.1990", "DATE_OF_BIRTH"),
    ("née le 3 mars 1985", "DATE_OF_BIRTH"),
    ("nací el 3 de marzo de 1985", "DATE_OF_BIRTH"),
]

PRODUCTS = [
    "Is the Shimano Deore XT 12-speed cassette in stock?",
    "My Velora gift card of €50 does not work.",
    "Do you sell the Continental Grand Prix 5000 in 28 mm?",
    "The Garmin Edge 530 mount broke after 2 weeks.",
    "Brooks B17 saddle, order VL-12345678, arrived damaged.",
    "Can I pay the Bosch Performance Line CX repair with Klarna?",
    "This is the SRAM GX Eagle chain I ordered on 3 March 2024.",
    "I bought it at bol.com and the Thule Yepp 2 seat is missing a strap.",
]


@pytest.mark.parametrize(("text", "kind"), CAUGHT)
def test_the_forms_the_issue_found_missing_are_caught(text: str, kind: str) -> None:
    assert redaction.redact(text).kinds == {kind: 1}


@pytest.mark.parametrize("text", PRODUCTS)
def test_product_talk_is_left_alone(text: str) -> None:
    assert redaction.redact(text).mapping == {}


def test_recall_per_kind_and_language_meets_the_target() -> None:
    result = redaction_table.evaluate()
    report = redaction_table.format_report(result)
    print("\n" + report)
    assert len(result["table"]) == len(redaction.KINDS), report
    for kind, row in result["table"].items():
        assert result["counts"][kind] >= 11, report
        assert row["all"] is not None and row["all"] >= redaction_table.TARGET, (kind, report)
    new_kinds = ("ADDRESS", "CARD", "DATE_OF_BIRTH", "EMAIL", "IBAN")
    for kind in new_kinds:  # the new set spreads each of these over the five languages
        assert result["counts"][kind] >= 20, report
        assert all(result["table"][kind][lang] is not None for lang in redaction_table.LANGS)
    assert result["false_positives"] == [], report
    assert result["kb_false_positives"] == [], report
    assert result["kb_lines"] > 100
