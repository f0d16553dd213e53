"""Everything the turn learns from the customer's message before any LLM call.

Runs in one worker thread (it is CPU-bound) and embeds the redacted text once, sharing the
vector between human-request detection, sentiment and retrieval.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app import redaction
from app.human_request import HumanRequest, HumanRequestDetector
from app.retrieval import Passage, Retriever
from app.sentiment import Sentiment, SentimentModel
from app.topics import Topic, match_topic


@dataclass(frozen=True)
class Analysis:
    human: HumanRequest
    redacted: redaction.Redaction
    sentiment: Sentiment
    topic: Topic | None
    passages: list[Passage]


def analyse(
    text: str,
    *,
    human: HumanRequestDetector,
    sentiment: SentimentModel,
    retriever: Retriever,
    topics: Sequence[Topic],
    k: int = 4,
) -> Analysis:
    """Detect, redact, classify and retrieve for one customer message."""
    request = human.detect(text)
    redacted = redaction.redact(text)
    mood = sentiment.classify([redacted.text])[0]
    topic = match_topic(text, topics)
    passages = [] if request.requested or topic else retriever.search(redacted.text, k)
    return Analysis(request, redacted, mood, topic, passages)
