"""Personal data never reaches the LLM or the logs: the redaction step, table-tested."""

from __future__ import annotations

import io
import json
import logging
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from app.checks import redaction
from app.checks.redaction_patterns import MAX_SCANNED_RUNS
from app.evals import redaction as redaction_eval

REDACTED = [
    ("Mail me at anna.jansen@example.nl please", "Mail me at <EMAIL_1> please"),
    ("Bel 06-41275890 of +49 151 28473619", "Bel <PHONE_1> of <PHONE_2>"),
    ("Text me on (312) 262-4871 tonight", "Text me on <PHONE_1> tonight"),
    ("Appelez le 06 47 21 83 90 ou le +33 1 84 25 67 31", "Appelez le <PHONE_1> ou le <PHONE_2>"),
    ("Mi teléfono es 612 47 83 19", "Mi teléfono es <PHONE_1>"),
    ("Call 020 7946 0123 after six", "Call <PHONE_1> after six"),
    ("IBAN NL91 ABNA 0417 1643 00, thanks", "IBAN <IBAN_1>, thanks"),
    ("Auf DE89370400440532013000 bitte", "Auf <IBAN_1> bitte"),
    ("Pay into DE89370400440532013000 2 days from now", "Pay into <IBAN_1> 2 days from now"),
    ("iban nl91abna0417164300 graag", "iban <IBAN_1> graag"),
    ("Kaart 4111 1111 1111 1111 is geweigerd", "Kaart <CARD_1> is geweigerd"),
    ("Amex 3725 790219 65135", "Amex <CARD_1>"),
    ("Mijn BSN is 111222333", "Mijn BSN is <NATIONAL_ID_1>"),
    ("nummer 1112.22.333 graag verwijderen", "nummer <NATIONAL_ID_1> graag verwijderen"),
    ("Mi DNI es 68391006T", "Mi DNI es <NATIONAL_ID_1>"),
    ("Mi NIE es Y2958046F", "Mi NIE es <NATIONAL_ID_1>"),
    ("NIR 1 43 08 56 310 722 17", "NIR <NATIONAL_ID_1>"),
    ("Steuer-ID 54187629398", "Steuer-ID <NATIONAL_ID_1>"),
    ("SSN 116-75-4935", "SSN <NATIONAL_ID_1>"),
    ("NI number JG 10 37 52 C", "NI number <NATIONAL_ID_1>"),
    ("my passport number is X1234567", "my passport number is <PASSPORT_1>"),
    ("paspoortnummer: NW92BD1F3", "paspoortnummer: <PASSPORT_1>"),
    ("Reisepassnummer lautet C01X00T47", "Reisepassnummer lautet <PASSPORT_1>"),
    ("numéro de passeport 18AV40973", "numéro de passeport <PASSPORT_1>"),
    ("número de pasaporte: PAB481920", "número de pasaporte: <PASSPORT_1>"),
    ("IP 203.0.113.42 and 2001:db8::1", "IP <IP_1> and <IP_2>"),
    ("from ::ffff:192.0.2.7 and fe80::1%eth0", "from <IP_1> and <IP_2>"),
    ("Mail anna+orders@shop.example.co.uk", "Mail <EMAIL_1>"),
    ("my name is Anna Jansen", "my name is <NAME_1>"),
    ("Hi, I'm Liam O'Connor.", "Hi, I'm <NAME_1>."),
    ("ik heet Sanne de Jong", "ik heet <NAME_1>"),
    ("mijn naam is Pieter Bakker", "mijn naam is <NAME_1>"),
    ("ich heiße Jonas Weber", "ich heiße <NAME_1>"),
    ("mein Name ist Anna-Lena Schröder", "mein Name ist <NAME_1>"),
    ("je m'appelle Marie Dubois", "je m'appelle <NAME_1>"),
    ("Je suis Léa Martin", "Je suis <NAME_1>"),
    ("me llamo Lucía García", "me llamo <NAME_1>"),
    ("mi nombre es Sofía Romero", "mi nombre es <NAME_1>"),
    ("Regards, Anna Jansen", "Regards, <NAME_1>"),
    ("Met vriendelijke groet,\nPieter de Vries", "Met vriendelijke groet,\n<NAME_1>"),
    ("danke! Viele Grüße, Tobias", "danke! Viele Grüße, <NAME_1>"),
    ("Sehr geehrte Frau Schmidt,", "Sehr geehrte Frau <NAME_1>,"),
    ("Hallo, Jonas hier.", "Hallo, <NAME_1> hier."),
]

# Ordinary support text: references, dates, prices, postcodes, times, product codes.
ORDINARY = [
    "Where is my order 12345? It should have arrived on 12/03/2024.",
    "The jacket cost €49.95 but I was charged €59.95.",
    "Do you deliver to SW1A 1AA before 10:30?",
    "Product code AB-1234-XL is out of stock.",
    "My order number is 100234567 and it still says processing.",
    "Your order 1234567890 has shipped.",
    "I updated the app to version 2.14.0.3 and now it crashes.",
    "The EAN on the box is 4006381333931.",
    "I'm Dutch and I'd like the manual in Dutch.",
    "Thanks for the quick help!",
    "Bestelnummer 583920174 staat nog op 'in behandeling'.",
    "Postcode 1012 AB, levering tussen 14:00 en 18:00?",
    "Het product kostte € 1.299,00 inclusief btw.",
    "Ik ben klant sinds 2015.",
    "Meine Bestellnummer ist 4400187265.",
    "Ich bin Kunde seit 2019 und ich bin Montag zu Hause.",
    "Rechnung Nr. 2024-0042 vom 03.03.2024 wurde doppelt abgebucht.",
    "Die Sendungsnummer 00340434161094042557 zeigt keinen Status.",
    "Ma commande n° 784512 n'est toujours pas arrivée.",
    "Numéro de commande 302918475, pouvez-vous vérifier ?",
    "Bonjour Madame, Monsieur, je souhaite retourner un article.",
    "Mi pedido 458712 todavía no ha llegado.",
    "Número de pedido: 710293846, estado pendiente.",
    "¿Hacéis envíos al código postal 28013 antes de las 14:00?",
    "Regards, The Shop Team",
    "IBAN NL91 ABNA 0417 1643 01 has a wrong check digit.",
    "Card 4111 1111 1111 1112 fails the Luhn check.",
    "passport photo size 35x45mm",
]


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_redacts_personal_data(text: str, expected: str) -> None:
    assert redaction.redact(text).text == expected


@pytest.mark.parametrize("text", ORDINARY)
def test_leaves_ordinary_support_text_alone(text: str) -> None:
    assert redaction.redact(text) == redaction.Redaction(text, {})


@pytest.mark.parametrize(("text", "expected"), REDACTED)
def test_restore_puts_the_values_back(text: str, expected: str) -> None:
    redacted = redaction.redact(text)
    assert redaction.restore(redacted.text, redacted.mapping) == text


def test_same_value_gets_the_same_placeholder() -> None:
    result = redaction.redact(
        "Write to a@example.com, not b@example.com. Yes A@example.com! "
        "Card 4111 1111 1111 1111 or 4111-1111-1111-1111."
    )
    assert result.text == (
        "Write to <EMAIL_1>, not <EMAIL_2>. Yes <EMAIL_1>! Card <CARD_1> or <CARD_1>."
    )
    assert result.mapping == {
        "<EMAIL_1>": "a@example.com",
        "<EMAIL_2>": "b@example.com",
        "<CARD_1>": "4111 1111 1111 1111",
    }
    assert result.kinds == {"EMAIL": 2, "CARD": 1}


def test_placeholders_are_numbered_per_call() -> None:
    assert redaction.redact("c@example.com").mapping == {"<EMAIL_1>": "c@example.com"}
    assert redaction.redact("d@example.com").mapping == {"<EMAIL_1>": "d@example.com"}


def test_an_iban_is_not_read_as_phone_numbers() -> None:
    assert redaction.redact("NL91 ABNA 0417 1643 00").kinds == {"IBAN": 1}


def test_a_message_of_digit_runs_is_read_in_bounded_time() -> None:
    # Past the cap, digit runs are redacted unread rather than parsed for every region.
    runs = ", ".join(["1234567"] * (MAX_SCANNED_RUNS + 4))
    result = redaction.redact(runs)
    assert result.kinds == {"PHONE": 1}
    assert result.text.count("<PHONE_1>") == 4


def test_restore_in_a_reply() -> None:
    mapping = {"<NAME_1>": "Anna", "<EMAIL_1>": "anna@example.com"}
    reply = "Thanks <NAME_1>, we wrote to <EMAIL_1>; <PHONE_1> is unknown."
    assert redaction.restore(reply, mapping) == (
        "Thanks Anna, we wrote to anna@example.com; <PHONE_1> is unknown."
    )


def test_restore_is_one_pass() -> None:
    # A restored value that looks like a placeholder is not replaced again.
    mapping = {"<NAME_1>": "<EMAIL_1>", "<EMAIL_1>": "x@example.com"}
    assert redaction.restore("<NAME_1>", mapping) == "<EMAIL_1>"


def test_scrub_is_the_redacted_text() -> None:
    assert redaction.scrub("anna@example.com, BSN 111222333") == "<EMAIL_1>, BSN <NATIONAL_ID_1>"


def _block_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("redaction tried to use the network")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_builds_and_runs_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    _block_network(monkeypatch)
    redactor = redaction.Redactor()
    assert redactor.redact("anna@example.co.uk, 06 12345678").kinds == {"EMAIL": 1, "PHONE": 1}


def _fresh_python(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", script],
        cwd=Path(__file__).resolve().parents[1],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_imports_without_network() -> None:
    # In a fresh interpreter, so that importing tldextract (and what it imports) is covered too.
    script = (
        "import socket\n"
        "def refuse(*a, **k): raise SystemExit('network used')\n"
        "socket.socket.connect = socket.socket.connect_ex = refuse\n"
        "socket.getaddrinfo = socket.create_connection = refuse\n"
        "from app.checks import redaction\n"
        "print(redaction.scrub('anna@example.com'))\n"
    )
    run = _fresh_python(script)
    assert (run.returncode, run.stdout.strip()) == (0, "<EMAIL_1>"), run.stderr


def test_import_and_first_use_load_no_nlp_stack() -> None:
    # Each process holds thousands of idle websockets in 512 MiB: importing spaCy, torch or
    # transformers (hundreds of MiB) for redaction alone would break that budget.
    script = (
        "import sys\n"
        "from app.checks import redaction\n"
        "redaction.scrub('anna@example.com, NL91 ABNA 0417 1643 00, my name is Anna')\n"
        "heavy = ('torch', 'spacy', 'thinc', 'transformers', 'presidio_analyzer',\n"
        "         'presidio_anonymizer')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    run = _fresh_python(script)
    assert (run.returncode, run.stdout.strip()) == (0, "[]"), run.stderr


def _captured(logger_name: str) -> tuple[logging.Logger, io.StringIO, logging.Handler]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(redaction.RedactingFilter())
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    return logger, stream, handler


def test_filter_scrubs_messages_arguments_and_tracebacks() -> None:
    logger, stream, handler = _captured("tandem.test.redaction")
    try:
        logger.warning("customer %s wrote from %s", "anna@example.com", "203.0.113.42")
        try:
            raise ValueError("bad IBAN NL91 ABNA 0417 1643 00")
        except ValueError:
            logger.exception("turn failed for Mr Jansen")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "customer <EMAIL_1> wrote from <IP_1>" in output
    assert "turn failed for Mr <NAME_1>" in output
    assert "ValueError: bad IBAN <IBAN_1>" in output
    assert "anna@example.com" not in output
    assert "NL91" not in output
    assert "Jansen" not in output


def test_filter_drops_records_logged_while_scrubbing() -> None:
    # A library the recognizers call may log (even the raw text) while the filter redacts;
    # with the filter on a root handler those records come back to it and must not recurse
    # or leak.
    root = logging.getLogger()
    level = root.level
    _, stream, handler = _captured("")
    root.setLevel(logging.DEBUG)
    try:
        logging.getLogger("tandem.test.redaction").info("call 06 12345678")
    finally:
        root.setLevel(level)
        root.removeHandler(handler)
    assert stream.getvalue() == "call <PHONE_1>\n"


def test_samples_are_well_formed() -> None:
    lines = redaction_eval.SAMPLES.read_text(encoding="utf-8").splitlines()
    samples = [json.loads(line) for line in lines]
    assert len(samples) >= 150
    assert {sample["lang"] for sample in samples} == {"en", "nl", "de", "fr", "es"}
    assert sum(not sample["spans"] for sample in samples) >= 50
    kinds = {span["kind"] for sample in samples for span in sample["spans"]}
    assert kinds == {
        "EMAIL",
        "PHONE",
        "IBAN",
        "CARD",
        "NATIONAL_ID",
        "PASSPORT",
        "IP",
        "NAME",
        "ADDRESS",
    }
    for sample in samples:
        assert all(span["value"] in sample["text"] for span in sample["spans"]), sample


def test_evaluation_meets_the_quality_bar() -> None:
    result = redaction_eval.evaluate()
    report = redaction_eval.format_report(result)
    assert result["recall"] >= 0.98, report
    assert min(result["recall_by_kind"].values()) >= 0.95, report
    assert result["false_positive_rate"] <= 0.02, report
    assert "recall" in report


def test_filter_keeps_argument_tuples_for_formatters_that_unpack_them() -> None:
    """uvicorn's access log unpacks (client, method, path, version, status)."""
    from uvicorn.logging import AccessFormatter

    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("203.0.113.9:5123", "GET", "/healthz?mail=jan@example.org", "1.1", 200),
        None,
    )
    assert redaction.RedactingFilter().filter(record)
    line = AccessFormatter(fmt="%(message)s", use_colors=False).format(record)
    assert "203.0.113.9" not in line and "jan@example.org" not in line
    assert '"GET /healthz?mail=<EMAIL_1> HTTP/1.1" 200' in line


def test_this_machine_s_own_addresses_are_no_personal_data() -> None:
    """The server's start-up line stays readable; a customer's address is still replaced."""
    line = "Uvicorn running on http://127.0.0.1:8000 and [::1]:8000, bound to 0.0.0.0"
    assert redaction.redact(line).text == line
    assert "84.22.1.9" not in redaction.redact("my ip is 84.22.1.9").text
