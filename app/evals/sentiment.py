"""How well the sentiment model separates frustration from the rest, per language and speed.

    python -m app.evals.sentiment [PATH]

runs the configured model on PATH (default tests/data/sentiment_eval.jsonl) and prints a table.
Rows marked `"set": "offtopic"` (calm questions about anything but customer service) are kept
out of the main figures and reported as off-domain false alarms, together with a fixed sample
of the CLINC150 TEST split when ../shared/data/clinc150 beside the checkout (or $TANDEM_CLINC150)
is present.
"""

from __future__ import annotations

import hashlib
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.checks.sentiment import LABELS, Sentiment, SentimentModel

DEFAULT_SET = Path(__file__).resolve().parents[2] / "tests" / "data" / "sentiment_eval.jsonl"
# The escalation policy's default thresholds on the probability of "negative".
ESCALATE_AT = 0.85
OFFER_PERSON_AT = 0.6
# CC BY 3.0, not shipped: read at eval time when present, by default from the team's shared
# data folder beside the checkout.
_SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
CLINC150 = Path(os.environ.get("TANDEM_CLINC150", _SHARED / "clinc150" / "data_full.json"))
CLINC_PER_INTENT = 3
CLINC_OOS = 150
OFFTOPIC = "offtopic"


def load_examples(path: Path) -> list[dict[str, str]]:
    """Rows of {"text", "label", "lang"}, one JSON object per line."""
    with path.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def configured_model() -> SentimentModel:
    """The model the service would use with the current environment."""
    from app.checks.sentiment import load_sentiment
    from app.embeddings import load_embedder
    from app.settings import Settings

    settings = Settings()
    return load_sentiment(settings.sentiment_model, load_embedder(settings.embedding_model))


def clinc150_sample(path: Path = CLINC150) -> list[str] | None:
    """A fixed sample of the CLINC150 TEST split (never trained on): per intent the 3 queries
    with the lowest sha256, plus the 150 out-of-scope test queries with the lowest sha256.
    None when the file is absent."""
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    by_intent: dict[str, list[str]] = {}
    for text, intent in data["test"]:
        by_intent.setdefault(intent, []).append(text)
    texts = [
        t for i in sorted(by_intent) for t in sorted(by_intent[i], key=_sha)[:CLINC_PER_INTENT]
    ]
    return texts + sorted((t for t, _ in data["oos_test"]), key=_sha)[:CLINC_OOS]


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def false_alarms(model: SentimentModel, texts: Sequence[str]) -> dict[str, Any]:
    """On calm messages: the share the escalation policy would hand to a person."""
    negative = [
        s.negative for i in range(0, len(texts), 64) for s in model.classify(texts[i : i + 64])
    ]
    worst = sorted(zip(negative, texts, strict=True), reverse=True)[:5]
    return {
        "n": len(texts),
        f"at_{ESCALATE_AT}": _share(negative, ESCALATE_AT),
        f"at_{OFFER_PERSON_AT}": _share(negative, OFFER_PERSON_AT),
        "worst": [{"negative": round(p, 3), "text": t} for p, t in worst],
    }


def evaluate_offdomain(
    model: SentimentModel, path: Path | None = None, clinc: Path | None = CLINC150
) -> dict[str, Any]:
    """False alarms on the shipped off-topic rows and, if available, the CLINC150 sample."""
    rows = [r for r in load_examples(path or DEFAULT_SET) if r.get("set") == OFFTOPIC]
    out: dict[str, Any] = {}
    if rows:
        out["handwritten"] = false_alarms(model, [r["text"] for r in rows])
    sample = clinc150_sample(clinc) if clinc is not None else None
    if sample:
        out["clinc150_test"] = false_alarms(model, sample)
    return out


def evaluate(
    path: Path | None = None,
    model: SentimentModel | None = None,
    clinc: Path | None = None,
) -> dict[str, Any]:
    """Accuracy, per-class precision/recall, per-language figures and ms per message; plus
    off-domain false alarms (the CLINC150 sample only when `clinc` is given)."""
    every = load_examples(path or DEFAULT_SET)
    rows = [r for r in every if r.get("set") != OFFTOPIC]
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
        "offdomain": evaluate_offdomain(model, path, clinc),
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
    offdomain = result.get("offdomain") or {}
    if offdomain:
        lines += [
            "",
            f"off-domain calm messages handed to a person (P(negative) >= {ESCALATE_AT}; "
            f">= {OFFER_PERSON_AT}):",
        ]
    for name, f in offdomain.items():
        lines.append(
            f"  {name:<16}{f['n']:>5}{_num(f[f'at_{ESCALATE_AT}']):>8}"
            f"{_num(f[f'at_{OFFER_PERSON_AT}']):>8}   worst: "
            + "; ".join(f"{w['negative']:.2f} {w['text']}" for w in f["worst"][:2])
        )
    return "\n".join(lines)


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


if __name__ == "__main__":
    print(format_report(evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else None, clinc=CLINC150)))
