"""Personal-data redaction: typed placeholders before any text reaches the LLM or a log.

`redact` finds personal data with recognizers that run offline (small patterns validated by
python-stdnum, ipaddress, tldextract and phonenumbers; see `app.checks.redaction_patterns`)
and replaces each value with its placeholder. Nothing heavy is imported: no spaCy, torch or
transformers, so importing this costs tens of megabytes, not hundreds. `restore` puts
the customer's own values back into a reply; `scrub` is for logs and decision records.
Placeholders are numbered per call, so the mapping lives for one turn.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

import regex

from app.checks import redaction_addresses, redaction_birth, redaction_spelled
from app.checks import redaction_patterns as rules
from app.checks.redaction_patterns import Finding

PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_(\d+)>")

# On overlap the earlier kind wins: a value named as a passport beats the BSN checksum it may
# pass by chance, an IBAN beats the phone-like digits inside it.
KINDS = (
    "PASSPORT",
    "IBAN",
    "CARD",
    "EMAIL",
    "IP",
    "NATIONAL_ID",
    "DATE_OF_BIRTH",
    "ADDRESS",
    "PHONE",
    "NAME",
)
RANK = {kind: rank for rank, kind in enumerate(KINDS)}

# Digits right after these words are an order, invoice or product reference, not a person.
_REFERENCE = regex.compile(
    r"(?i:\b(?:order|bestel\w*|bestellung|commande|pedido|invoice|factuur|rechnung|factur[ae]"
    r"|ticket|tracking|track|zending|sendung\w*|colis|env[ií]o|ref\w*|r[ée]f[ée]rence|klant\w*"
    r"|kunden\w*|client\w*|artikel\w*|article|art[ií]culo|sku|product\w*|produkt\w*|model\w*|serial"
    r"|serie\w*)\.?(?:[ \t]*(?:number|nummer|num[ée]ro|n[uú]mero|nr|no|n[°º]|#|id|code|is|ist"
    r"|est|es|was|:)\.?)*[ \t:#-]*)$"
)
_VERSION = regex.compile(r"(?i:\b(?:version|versie|v)[ \t.:]*)$")
# Digits after an IBAN's first letters are the tail of a mistyped IBAN, not a phone or a card.
_IBAN_HEAD = r"\b[A-Za-z]{2}\d{2}(?:[ -]?[A-Z0-9]{4}){0,7}[ -]?$"
NOT_AFTER = {
    "PHONE": regex.compile(rf"{_REFERENCE.pattern}|{_IBAN_HEAD}"),
    "CARD": regex.compile(_IBAN_HEAD),
    "NATIONAL_ID": _REFERENCE,
    "PASSPORT": _REFERENCE,
    "IP": _VERSION,
}


def _excused(finding: Finding, text: str) -> bool:
    """Whether the words just before a finding show it is a reference or a version, not PII."""
    context = NOT_AFTER.get(finding.entity_type)
    return bool(context and context.search(text, max(0, finding.start - 48), finding.start))


@dataclass(frozen=True)
class Redaction:
    """A message with its personal data replaced, and the value behind each placeholder."""

    text: str
    mapping: dict[str, str]

    @property
    def kinds(self) -> dict[str, int]:
        """How many distinct values of each kind were replaced, e.g. {"EMAIL": 1}."""
        return dict(Counter(placeholder[1:].rpartition("_")[0] for placeholder in self.mapping))


class Redactor:
    """Finds and replaces personal data. Build it once: construction compiles and loads."""

    def __init__(self) -> None:
        self._stages: list[list[rules.Recognizer]] = rules.build_stages()
        # Addresses, birth dates and spelled addresses are exact: found before phone numbers.
        self._stages[0] += [
            *redaction_addresses.recognizers(),
            *redaction_birth.recognizers(),
            *redaction_spelled.recognizers(),
        ]
        # Compile every pattern and load the public-suffix list now, not on a customer's turn.
        self.redact("warm-up: anna@example.com, 06 12345678, my name is Anna")

    def find(self, text: str) -> list[Finding]:
        """Non-overlapping findings in text order; on overlap the higher-ranked kind wins."""
        candidates: list[Finding] = []
        masked = text
        for stage in self._stages:
            found = [
                finding
                for recognizer in stage
                for finding in recognizer.analyze(masked)
                if not _excused(finding, text)
            ]
            candidates += found
            masked = _mask(masked, found)
        kept: list[Finding] = []
        for finding in sorted(candidates, key=_precedence):
            if all(finding.end <= k.start or k.end <= finding.start for k in kept):
                kept.append(finding)
        return sorted(kept, key=lambda finding: finding.start)

    def redact(self, text: str) -> Redaction:
        """Replace personal data with `<KIND_n>`; the same value gets the same placeholder."""
        findings = self.find(text)
        if not findings:
            return Redaction(text, {})
        placeholders, mapping = _number(text, findings)
        return Redaction(_replace(text, findings, placeholders), mapping)


def _mask(text: str, findings: list[Finding]) -> str:
    """The text with each finding overwritten by word characters, keeping every offset."""
    for finding in findings:
        text = text[: finding.start] + "_" * (finding.end - finding.start) + text[finding.end :]
    return text


def _precedence(finding: Finding) -> tuple[int, int]:
    return RANK[finding.entity_type], finding.start - finding.end


def _identity(kind: str, value: str) -> str:
    """What makes two spellings the same value: "06-1234 5678" is "0612345678"."""
    if kind in ("EMAIL", "ADDRESS"):
        return " ".join(value.casefold().split())
    if kind == "NAME":
        return " ".join(value.split())
    return re.sub(r"[\W_]", "", value).upper()


def _number(
    text: str, findings: list[Finding]
) -> tuple[dict[tuple[str, str], str], dict[str, str]]:
    """Placeholders per (kind, value) in order of appearance, and placeholder -> original."""
    placeholders: dict[tuple[str, str], str] = {}
    mapping: dict[str, str] = {}
    counts: Counter[str] = Counter()
    for finding in findings:
        value = text[finding.start : finding.end]
        key = (finding.entity_type, _identity(finding.entity_type, value))
        if key not in placeholders:
            counts[finding.entity_type] += 1
            placeholder = f"<{finding.entity_type}_{counts[finding.entity_type]}>"
            placeholders[key] = placeholder
            mapping[placeholder] = value
    return placeholders, mapping


def _replace(
    text: str, findings: list[Finding], placeholders: Mapping[tuple[str, str], str]
) -> str:
    """The text with each finding (non-overlapping, in text order) replaced by its placeholder."""
    parts: list[str] = []
    done = 0
    for finding in findings:
        value = text[finding.start : finding.end]
        parts += [
            text[done : finding.start],
            placeholders[finding.entity_type, _identity(finding.entity_type, value)],
        ]
        done = finding.end
    parts.append(text[done:])
    return "".join(parts)


@functools.cache
def default_redactor() -> Redactor:
    """The process-wide redactor, built on first use (or at start-up by calling this)."""
    return Redactor()


def redact(text: str) -> Redaction:
    """Replace personal data in one message with typed, numbered placeholders."""
    return default_redactor().redact(text)


def restore(text: str, mapping: Mapping[str, str]) -> str:
    """Put the customer's own values back where a reply uses their placeholders."""
    # One pass, so a restored value that looks like a placeholder is never replaced again.
    return PLACEHOLDER.sub(lambda match: mapping.get(match.group(0), match.group(0)), text)


def scrub(text: str) -> str:
    """The text with personal data replaced, for logs and decision records."""
    return redact(text).text


_scrubbing = threading.local()


class RedactingFilter(logging.Filter):
    """Scrubs personal data from log records (message, arguments, traceback).

    Install it on handlers: a filter on a logger does not see its children's records.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        # A record logged while scrubbing (by a library the recognizers call, which may quote
        # the raw text) is dropped, which also stops the filter from recursing into itself.
        if getattr(_scrubbing, "active", False):
            return False
        _scrubbing.active = True
        try:
            _scrub_record(record)
        finally:
            _scrubbing.active = False
        return True


def _scrub_record(record: logging.LogRecord) -> None:
    if isinstance(record.msg, str) and isinstance(record.args, tuple):
        # Keep the shape: some formatters (uvicorn's access log) unpack the arguments.
        record.msg = scrub(record.msg)
        record.args = tuple(scrub(a) if isinstance(a, str) else a for a in record.args)
    else:
        try:
            message = record.getMessage()
        except (TypeError, ValueError, KeyError, IndexError):
            message = f"{record.msg} {record.args}"
        record.msg, record.args = scrub(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    # Formatters print exc_text as is; without exc_info none can re-render the raw traceback.
    record.exc_info = None
    if record.exc_text:
        record.exc_text = scrub(record.exc_text)
    if record.stack_info:
        record.stack_info = scrub(record.stack_info)
