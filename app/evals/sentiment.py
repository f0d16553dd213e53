"""How well the sentiment model separates frustration from the rest, per language and speed.

    python -m app.evals.sentiment [PATH]

runs the configured model on PATH (default tests/data/sentiment_eval.jsonl) and prints a table.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.sentiment import LABELS, Sentiment, SentimentModel

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "sentiment_eval.jsonl"
# The escalation policy's default thresholds on the probability of "negative".
ESCALATE_AT = 0.85
OFFER_PERSON_AT = 0.6


def load_examples(path: Path) -> list[dict[str, str]]:
    """Rows of {"text", "label", "lang"}, one JSON object per line."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def configured_model() -> SentimentModel:
    """The model the service would use with the current environment."""
    from app.embeddings import load_embedder
    from app.sentiment import load_sentiment
    from app.settings import Settings

    settings = Settings()
    return load_sentiment(settings.sentiment_model, load_embedder(settings.embedding_model))


def evaluate(path: Path | None = None, model: SentimentModel | None = None) -> dict[str, Any]:
    """Accuracy, per-class precision/recall, per-language figures and ms per message."""
    rows = load_examples(path or DEFAULT_SET)
    model = model or configured_model()
    model.classify([rows[0]["text"]])  # warm-up, not timed
    results: list[Sentiment] = []
    timings: list[float] = []
    for row in rows:  # one message per call, as the pipeline does
        start = time.perf_counter()
        results.append(model.classify([row["text"]])[0])
        timings.append((time.perf_counter() - start) * 1000)
    gold = [r["label"] for r in rows]
    langs = sorted({r["lang"] for r in rows})
    return {
        "model": model.name,
        "examples": len(rows),
        **_scores(gold, results),
        "per_language": {
            lang: _scores(*_subset(lang, rows, gold, results), brief=True) for lang in langs
        },
        "ms_per_message": {
            "mean": round(statistics.fmean(timings), 2),
            "p50": round(statistics.median(timings), 2),
            "p95": round(sorted(timings)[int(0.95 * (len(timings) - 1))], 2),
        },
        "mistakes": [
            {**r, "predicted": s.label, "negative": round(s.negative, 3)}
            for r, s in zip(rows, results, strict=True)
            if s.label != r["label"]
        ],
    }


def _subset(
    lang: str, rows: Sequence[dict[str, str]], gold: list[str], results: list[Sentiment]
) -> tuple[list[str], list[Sentiment]]:
    keep = [i for i, r in enumerate(rows) if r["lang"] == lang]
    return [gold[i] for i in keep], [results[i] for i in keep]


def _scores(gold: list[str], results: list[Sentiment], brief: bool = False) -> dict[str, Any]:
    pred = [s.label for s in results]
    per_class = {}
    for label in LABELS:
        hits = sum(p == g == label for p, g in zip(pred, gold, strict=True))
        predicted, actual = pred.count(label), gold.count(label)
        per_class[label] = {
            "precision": round(hits / predicted, 3) if predicted else None,
            "recall": round(hits / actual, 3) if actual else None,
            "support": actual,
        }
    accuracy = round(sum(p == g for p, g in zip(pred, gold, strict=True)) / len(gold), 3)
    neg = [s.negative for s, g in zip(results, gold, strict=True) if g == "negative"]
    rest = [s.negative for s, g in zip(results, gold, strict=True) if g != "negative"]
    escalation = {
        f"negatives_at_{ESCALATE_AT}": _share(neg, ESCALATE_AT),
        f"others_at_{OFFER_PERSON_AT}": _share(rest, OFFER_PERSON_AT),
    }
    if brief:
        negative = per_class["negative"]
        return {
            "n": len(gold),
            "accuracy": accuracy,
            "negative": negative,
            "escalation": escalation,
        }
    return {"accuracy": accuracy, "per_class": per_class, "escalation": escalation}


def _share(probabilities: list[float], threshold: float) -> float | None:
    """Fraction of messages whose P(negative) reaches `threshold`."""
    if not probabilities:
        return None
    return round(sum(p >= threshold for p in probabilities) / len(probabilities), 3)


def format_report(result: dict[str, Any]) -> str:
    """A plain-text table of an `evaluate` result."""
    ms = result["ms_per_message"]
    lines = [
        f"sentiment model: {result['model']}  ({result['examples']} messages)",
        f"accuracy {result['accuracy']:.3f}   ms/message mean {ms['mean']}  p50 {ms['p50']}"
        f"  p95 {ms['p95']}",
        "",
        f"{'class':<10}{'precision':>10}{'recall':>8}{'support':>9}",
    ]
    for label, c in result["per_class"].items():
        lines.append(
            f"{label:<10}{_num(c['precision']):>10}{_num(c['recall']):>8}{c['support']:>9}"
        )
    lines += [
        "",
        f"{'lang':<6}{'n':>4}{'accuracy':>10}{'neg P':>7}{'neg R':>7}{'escalated':>11}"
        f"{'offered':>9}   (negatives at P >= {ESCALATE_AT}; others at >= {OFFER_PERSON_AT})",
    ]
    total = {**result, "n": result["examples"], "negative": result["per_class"]["negative"]}
    for lang, s in [*result["per_language"].items(), ("all", total)]:
        escalated, offered = s["escalation"].values()
        lines.append(
            f"{lang:<6}{s['n']:>4}{s['accuracy']:>10.3f}{_num(s['negative']['precision']):>7}"
            f"{_num(s['negative']['recall']):>7}{_num(escalated):>11}{_num(offered):>9}"
        )
    if result["mistakes"]:
        lines += ["", "mistakes (expected -> predicted, P(negative)):"]
    for m in result["mistakes"]:
        lines.append(
            f"  [{m['lang']}] {m['label']} -> {m['predicted']} ({m['negative']:.2f}): {m['text']}"
        )
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    print(format_report(evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else None)))
