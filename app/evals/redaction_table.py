"""Redaction recall per kind and per language, and false positives on the demo help centre.

    python -m app.evals.redaction_table

reads both labelled sets (`tests/data/pii_samples.jsonl`, the kinds found since the start, and
`tests/data/redaction/samples.jsonl`: addresses, IBANs, birth dates, cards with any separator,
spelled-out e-mail addresses) and every line of the demo knowledge base (`app/demo/`), which
holds no customer's personal data. The company's own contact details there (its office and
warehouse address, its phone number) are addresses and phone numbers by form: they are counted
apart, as `own_details`, not as false positives.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

from app.checks import redaction
from app.evals.redaction import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
SETS = (SAMPLES, ROOT / "tests" / "data" / "redaction" / "samples.jsonl")
DEMO = ROOT / "app" / "demo"
LANGS = ("en", "nl", "de", "fr", "es")
TARGET = 0.98
# The demo company's public contact details, as written in app/demo/contact.md.
OWN_DETAILS = frozenset(
    {
        "+31 30 800 1234",
        "Kanaalweg 18",
        "Kanaalweg 18 in Utrecht",
        "Kanaalweg 18, 3526 KL Utrecht",
        "Industriestraße 7, 46446 Emmerich am Rhein",
    }
)


def evaluate() -> dict[str, Any]:
    """Caught and labelled values per (kind, language); findings in the demo knowledge base."""
    redactor = redaction.default_redactor()
    labelled: Counter[tuple[str, str]] = Counter()
    caught: Counter[tuple[str, str]] = Counter()
    misses, false_positives = [], []
    for path in SETS:
        for sample in _load(path):
            result = redactor.redact(sample["text"])
            for span in sample["spans"]:
                key = (span["kind"], sample["lang"])
                labelled[key] += 1
                if _caught(result, span["kind"], span["value"]):
                    caught[key] += 1
                else:
                    misses.append(f"{span['kind']} ({sample['lang']}): {result.text!r}")
            if not sample["spans"] and result.mapping:
                false_positives.append(f"{sample['text']!r} -> {result.mapping}")
    kb_findings, own = _demo_findings(redactor)
    kinds = sorted({kind for kind, _ in labelled})
    return {
        "table": {
            kind: {lang: _ratio(caught, labelled, kind, lang) for lang in (*LANGS, "all")}
            for kind in kinds
        },
        "counts": {kind: sum(labelled[kind, lang] for lang in LANGS) for kind in kinds},
        "misses": misses,
        "false_positives": false_positives,
        "kb_lines": kb_findings[0],
        "kb_false_positives": kb_findings[1],
        "own_details": own,
        "target": TARGET,
    }


def _ratio(
    caught: Counter[tuple[str, str]], labelled: Counter[tuple[str, str]], kind: str, lang: str
) -> float | None:
    langs = LANGS if lang == "all" else (lang,)
    total = sum(labelled[kind, each] for each in langs)
    return None if total == 0 else sum(caught[kind, each] for each in langs) / total


def _demo_findings(redactor: redaction.Redactor) -> tuple[tuple[int, list[str]], list[str]]:
    lines = [
        line
        for path in sorted(DEMO.glob("*.md"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    found: list[str] = []
    own: list[str] = []
    for line in lines:
        for value in redactor.redact(line).mapping.values():
            (own if value in OWN_DETAILS else found).append(value)
    return (len(lines), found), sorted(set(own))


def _caught(result: redaction.Redaction, kind: str, value: str) -> bool:
    return value not in result.text and any(
        placeholder.startswith(f"<{kind}_") and value in original
        for placeholder, original in result.mapping.items()
    )


def format_report(result: dict[str, Any]) -> str:
    """The recall table (kinds by language), then misses and false positives."""
    head = f"{'kind':<14}" + "".join(f"{lang:>7}" for lang in (*LANGS, "all")) + "  values"
    lines = [f"recall per kind and language (target >= {result['target']:.2f})", head]
    for kind, row in result["table"].items():
        cells = "".join("      -" if r is None else f"{r:7.3f}" for r in row.values())
        lines.append(f"{kind:<14}{cells}  {result['counts'][kind]}")
    lines.append(
        f"false positives: {len(result['false_positives'])} on the labelled negatives, "
        f"{len(result['kb_false_positives'])} on {result['kb_lines']} lines of the demo "
        f"knowledge base (its own contact details, found as such: {len(result['own_details'])})"
    )
    lines += [f"  missed {miss}" for miss in result["misses"]]
    lines += [f"  false positive {fp}" for fp in result["false_positives"]]
    lines += [f"  false positive in the demo KB: {fp!r}" for fp in result["kb_false_positives"]]
    return "\n".join(lines)


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


if __name__ == "__main__":
    print(format_report(evaluate()))
