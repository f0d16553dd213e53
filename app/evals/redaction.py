"""How well redaction works on the labelled samples: recall per kind, false positives, speed.

    python -m app.evals.redaction [PATH]

runs `app.checks.redaction` on PATH (default tests/data/pii_samples.jsonl) and prints a report.

A labelled value counts as caught when it no longer appears in the redacted text and a
placeholder of the right kind stands for it. A negative sample (no personal data) counts as a
false positive when anything in it was replaced.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from app.checks import redaction

SAMPLES = Path(__file__).resolve().parents[2] / "tests" / "data" / "pii_samples.jsonl"
ROUNDS = 5
LONG = 200


def evaluate(path: Path | None = None) -> dict[str, Any]:
    """Recall per kind, false-positive rate on negatives, and milliseconds per call."""
    samples = _load(path or SAMPLES)
    redactor = redaction.default_redactor()
    labelled: Counter[str] = Counter()
    caught: Counter[str] = Counter()
    misses: list[dict[str, str]] = []
    false_positives: list[dict[str, Any]] = []
    for sample in samples:
        result = redactor.redact(sample["text"])
        for span in sample["spans"]:
            labelled[span["kind"]] += 1
            if _caught(result, span["kind"], span["value"]):
                caught[span["kind"]] += 1
            else:
                misses.append({"kind": span["kind"], "value": span["value"], "text": result.text})
        if not sample["spans"] and result.mapping:
            false_positives.append({"text": sample["text"], "found": result.mapping})
    negatives = sum(not sample["spans"] for sample in samples)
    return {
        "samples": len(samples),
        "recall": sum(caught.values()) / max(1, sum(labelled.values())),
        "recall_by_kind": {kind: caught[kind] / n for kind, n in sorted(labelled.items())},
        "spans_by_kind": dict(sorted(labelled.items())),
        "negatives": negatives,
        "false_positive_rate": len(false_positives) / max(1, negatives),
        "false_positives": false_positives,
        "misses": misses,
        **_latency([sample["text"] for sample in samples], redactor),
    }


def format_report(result: dict[str, Any]) -> str:
    """A short plain-text report of `evaluate`'s result."""
    lines = [
        f"redaction: {result['samples']} samples, {result['negatives']} without personal data",
        f"  recall {result['recall']:.3f} overall",
    ]
    lines += [
        f"    {kind:<12} {recall:.3f}  ({result['spans_by_kind'][kind]} values)"
        for kind, recall in result["recall_by_kind"].items()
    ]
    lines.append(f"  false positives {result['false_positive_rate']:.3f} of negatives")
    lines.append(
        f"  {result['p50_ms']:.2f} ms p50, {result['p99_ms']:.2f} ms p99 per sample "
        f"(mean {result['mean_chars']:.0f} characters); {result['p50_ms_200_chars']:.2f} ms p50, "
        f"{result['p99_ms_200_chars']:.2f} ms p99 per {LONG}-character message"
    )
    lines += [f"  missed {miss['kind']}: {miss['text']!r}" for miss in result["misses"]]
    lines += [
        f"  false positive: {fp['text']!r} -> {fp['found']}" for fp in result["false_positives"]
    ]
    return "\n".join(lines)


def _caught(result: redaction.Redaction, kind: str, value: str) -> bool:
    return value not in result.text and any(
        placeholder.startswith(f"<{kind}_") and value in original
        for placeholder, original in result.mapping.items()
    )


def _latency(texts: list[str], redactor: redaction.Redactor) -> dict[str, float]:
    """Milliseconds per call on the samples, and on 200-character messages made from them."""
    long = [text[:LONG] for text in _joined(texts, LONG)]
    short_p50, short_p99 = _timings(texts, redactor)
    long_p50, long_p99 = _timings(long, redactor)
    return {
        "p50_ms": short_p50,
        "p99_ms": short_p99,
        "mean_chars": statistics.fmean(len(text) for text in texts),
        "p50_ms_200_chars": long_p50,
        "p99_ms_200_chars": long_p99,
    }


def _timings(texts: list[str], redactor: redaction.Redactor) -> tuple[float, float]:
    timings: list[float] = []
    for _ in range(ROUNDS):
        for text in texts:
            start = time.perf_counter()
            redactor.redact(text)
            timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1]


def _joined(texts: list[str], length: int) -> list[str]:
    messages, current = [], ""
    for text in texts:
        current = f"{current} {text}".strip()
        if len(current) >= length:
            messages.append(current)
            current = ""
    return messages


def _load(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


if __name__ == "__main__":
    print(format_report(evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else None)))
