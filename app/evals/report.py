"""`tandem eval checks`: every check's quality figures on the shipped labelled sets."""

from __future__ import annotations

import importlib

SUITES = (
    ("Explicit requests for a person", "app.evals.human_request"),
    ("Personal-data redaction", "app.evals.redaction"),
    ("Redaction per kind and language", "app.evals.redaction_table"),
    ("Sentiment", "app.evals.sentiment"),
    ("Output checks and groundedness", "app.evals.checks"),
)


def run_checks() -> str:
    """Run each suite's `evaluate()` and join their reports."""
    parts = []
    for title, module_name in SUITES:
        module = importlib.import_module(module_name)
        result = module.evaluate()
        parts.append(f"## {title}\n\n{module.format_report(result)}")
    return "\n\n".join(parts)
