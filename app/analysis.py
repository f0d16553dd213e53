"""Everything the turn learns from the customer's message before any LLM call (restricted
topics, which depend on the operator's settings, are matched by the pipeline).

Runs in one worker thread (it is CPU-bound) and embeds the redacted text once, sharing the
vector between sentiment and retrieval (the human-request detector embeds only when its
lexicon is unsure, and only the raw text never leaves this process).
"""

from __future__ import annotations

from dataclasses import dataclass

from app import redaction
from app.embeddings import Embedder, Vectors
from app.human_request import HumanRequest, HumanRequestDetector
from app.retrieval import Passage, Retriever
from app.sentiment import Sentiment, SentimentModel


@dataclass(frozen=True)
class Analysis:
    text: str
    human: HumanRequest
    redacted: redaction.Redaction
    sentiment: Sentiment
    passages: list[Passage]


def analyse(
    text: str,
    *,
    human: HumanRequestDetector,
    sentiment: SentimentModel,
    retriever: Retriever,
    embedder: Embedder | None,
    k: int = 4,
) -> Analysis:
    """Detect, redact, classify and retrieve for one customer message."""
    request = human.detect(text)
    redacted = redaction.redact(text)
    vector = embedder.queries([redacted.text]) if embedder is not None else None
    mood = _classify(sentiment, redacted.text, vector)
    passages: list[Passage] = []
    if not request.requested:
        passages = retriever.search_vec(redacted.text, None if vector is None else vector[0], k)
    return Analysis(text, request, redacted, mood, passages)


def _classify(model: SentimentModel, text: str, vector: Vectors | None) -> Sentiment:
    """Reuse the message's embedding when the model is the head trained on the same encoder."""
    by_vector = getattr(model, "classify_vectors", None)
    if vector is not None and by_vector is not None:
        result: Sentiment = by_vector(vector)[0]
        return result
    return model.classify([text])[0]
