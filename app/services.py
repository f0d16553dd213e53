"""The long-lived clients a turn needs, built once in the lifespan and passed explicitly."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from app.checks.entailment import Entailment
from app.checks.human_request import HumanRequestDetector
from app.checks.sentiment import SentimentModel
from app.embeddings import Embedder
from app.events import Broker
from app.limits import Limiter
from app.llm import LLM
from app.outbox import Postman
from app.retrieval import Retriever
from app.settings import Settings


@dataclass
class Services:
    settings: Settings
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    embedder: Embedder | None
    retriever: Retriever
    human: HumanRequestDetector
    sentiment: SentimentModel
    llm: LLM | None
    broker: Broker
    # Sentences matched across languages (grounding; quote mode loads it on first use); None
    # when embeddings are turned off.
    across: Embedder | None = None
    # The optional grounding model; None (the default) when TANDEM_GROUNDING_MODEL is unset.
    entailment: Entailment | None = None
    # Sends the outbox; None when TANDEM_SMTP_URL is unset, and then nothing is queued.
    postman: Postman | None = None
    # Every limit (app/limits.py); built from the settings unless given.
    limiter: Limiter | None = None

    def __post_init__(self) -> None:
        if self.limiter is None:
            self.limiter = Limiter(self.settings)

    @property
    def limits(self) -> Limiter:
        assert self.limiter is not None  # __post_init__ built it
        return self.limiter

    def wake_postman(self) -> None:
        """After committing outbox rows: send them now rather than at the next poll."""
        if self.postman is not None:
            self.postman.wake()
