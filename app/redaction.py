"""Personal-data redaction: typed placeholders before any text reaches the LLM or a log.

`redact` finds personal data with recognizers that run offline (Presidio pattern recognizers,
phonenumbers, python-stdnum; see `app.redaction_rules`) and replaces it with Presidio's
anonymizer. `restore` puts the customer's own values back into a reply; `scrub` is for logs
and decision records. Placeholders are numbered per call, so the mapping lives for one turn.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from presidio_analyzer import EntityRecognizer
from presidio_analyzer import RecognizerResult as Finding
from presidio_anonymizer import AnonymizerEngine
from presidio_anonymizer.entities import OperatorConfig
from presidio_anonymizer.entities import RecognizerResult as Span

from app import redaction_rules as rules

PLACEHOLDER = re.compile(r"<([A-Z][A-Z_]*)_(\d+)>")


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
        self._stages: list[list[EntityRecognizer]] = rules.build_stages()
        self._anonymizer = AnonymizerEngine()  # type: ignore[no-untyped-call]
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
                for finding in _analyze(recognizer, masked)
                if not rules.excused(finding, text)
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
        operators = {
            kind: OperatorConfig(
                "custom", {"lambda": functools.partial(_lookup, placeholders, kind)}
            )
            for kind in {finding.entity_type for finding in findings}
        }
        spans = [Span(f.entity_type, f.start, f.end, f.score) for f in findings]
        result = self._anonymizer.anonymize(
            text, spans, operators, merge_entities_with_spaces=False
        )
        return Redaction(result.text, mapping)


def _analyze(recognizer: EntityRecognizer, text: str) -> list[Finding]:
    # No NLP artifacts: every recognizer here reads the raw text alone.
    return recognizer.analyze(text, recognizer.supported_entities, None)  # type: ignore[arg-type]


def _mask(text: str, findings: list[Finding]) -> str:
    """The text with each finding overwritten by word characters, keeping every offset."""
    for finding in findings:
        text = text[: finding.start] + "_" * (finding.end - finding.start) + text[finding.end :]
    return text


def _precedence(finding: Finding) -> tuple[int, int]:
    return rules.RANK[finding.entity_type], finding.start - finding.end


def _identity(kind: str, value: str) -> str:
    """What makes two spellings the same value: "06-1234 5678" is "0612345678"."""
    if kind == "EMAIL":
        return value.casefold()
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


def _lookup(placeholders: Mapping[tuple[str, str], str], kind: str, value: str) -> str:
    return placeholders[kind, _identity(kind, value)]


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
        # A record logged while scrubbing (Presidio logs raw matches on errors) is dropped,
        # which also stops the filter from recursing into itself.
        if getattr(_scrubbing, "active", False):
            return False
        _scrubbing.active = True
        try:
            _scrub_record(record)
        finally:
            _scrubbing.active = False
        return True


def _scrub_record(record: logging.LogRecord) -> None:
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
