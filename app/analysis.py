"""Everything the turn learns from the customer's message before any LLM call (restricted
topics, which depend on the operator's settings, are matched by the pipeline).

Two steps, both CPU-bound and run in worker threads. `read` needs the message alone: it
detects a request for a person, redacts, embeds the redacted text once and classifies its
sentiment with that vector (the human-request detector embeds only when its lexicon is unsure,
and only the raw text never leaves this process). Needing nothing from the database, it can
start as soon as the message arrives, while the message is stored. `analyse` then retrieves
with the same vector from the knowledge base as it is once the index is up to date.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.checks import redaction
from app.checks.human_request import HumanRequest, HumanRequestDetector
from app.checks.sentiment import Sentiment, SentimentModel
from app.embeddings import Embedder, Vectors
from app.retrieval import Passage, Retriever


@dataclass(frozen=True)
class Reading:
    """What the message alone tells."""

    text: str
    human: HumanRequest
    redacted: redaction.Redaction
    sentiment: Sentiment
    vector: Vectors | None


@dataclass(frozen=True)
class Analysis:
    text: str
    human: HumanRequest
    redacted: redaction.Redaction
    sentiment: Sentiment
    passages: list[Passage]
    vector: Vectors | None = None  # the redacted message's embedding, for answerability
    bridged: str = ""  # the redacted text with the help-centre words its foreign words mean


# Passages a turn reads. Six, not four: a Dutch question's Dutch words match the Dutch
# workshop page and push the English page that answers to fifth or sixth place (evals/demo.yaml:
# right source 94% at four, 98% at six); grounding, not rank, decides what is said.
PASSAGES = 6


def read(
    text: str,
    *,
    human: HumanRequestDetector,
    sentiment: SentimentModel,
    embedder: Embedder | None,
) -> Reading:
    """Detect, redact, embed and classify one customer message."""
    request = human.detect(text)
    redacted = redaction.redact(text)
    vector = embedder.queries([redacted.text]) if embedder is not None else None
    mood = _classify(sentiment, redacted.text, vector)
    return Reading(text, request, redacted, mood, vector)


def analyse(reading: Reading, retriever: Retriever, k: int = PASSAGES) -> Analysis:
    """Add the knowledge-base passages (none for a request for a person: it is handed over)."""
    passages: list[Passage] = []
    question = reading.redacted.text
    if not reading.human.requested:
        vector = None if reading.vector is None else reading.vector[0]
        question = retriever.bridged(question)
        passages = retriever.search_vec(question, vector, k)
    return Analysis(
        reading.text,
        reading.human,
        reading.redacted,
        reading.sentiment,
        passages,
        reading.vector,
        question,
    )


def _classify(model: SentimentModel, text: str, vector: Vectors | None) -> Sentiment:
    """Reuse the message's embedding when the model is the head trained on the same encoder."""
    by_vector = getattr(model, "classify_vectors", None)
    if vector is not None and by_vector is not None:
        result: Sentiment = by_vector(vector)[0]
        return result
    return model.classify([text])[0]
