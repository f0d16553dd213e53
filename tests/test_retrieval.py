"""Hybrid retrieval on the demo knowledge base: cross-lingual, interpretable, refreshed live."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app import knowledge
from app.db import create_engine, sessionmaker
from app.embeddings import Embedder
from app.retrieval import Retriever, tokenize

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture(scope="module")
async def sessions(kb_url: str, embedder: Embedder) -> AsyncIterator[Sessions]:
    """The demo knowledge base, embedded."""
    engine = create_engine(kb_url)
    factory = sessionmaker(engine)
    async with factory() as s:
        await knowledge.ingest_demo(s, embedder)
    yield factory
    await engine.dispose()


@pytest.fixture(scope="module")
async def hybrid(sessions: Sessions, embedder: Embedder) -> Retriever:
    retriever = Retriever(embedder)
    async with sessions() as s:
        await retriever.refresh(s)
    return retriever


@pytest.fixture(scope="module")
async def lexical(sessions: Sessions) -> Retriever:
    retriever = Retriever(None)
    async with sessions() as s:
        await retriever.refresh(s)
    return retriever


def _source(retriever: Retriever, question: str) -> str:
    """The demo file of the best passage, e.g. `shipping`."""
    titles = {knowledge.parse(p).title: p.stem for p in knowledge.DEMO_DIR.glob("*.md")}
    return titles[retriever.search(question, 3)[0].title]


def test_tokenize_is_language_neutral() -> None:
    assert tokenize("Wie lange dauert der Versand? Größe: €4,95 um 15:00") == [
        "dauert",
        "versand",
        "grosse",
        "4,95",
        "15:00",
    ]
    assert tokenize("Où est mon colis ? ¿Dónde está?") == ["colis", "esta"]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("What are the shipping costs to Belgium?", "shipping"),
        ("Can I pay with PayPal?", "payment"),
        ("I forgot my password", "account"),
        ("Wie lange dauert der Versand nach Deutschland?", "shipping"),
        ("Ich habe mein Passwort vergessen", "account"),
        ("Hoe lang heb ik om iets terug te sturen?", "returns"),
        ("Wat kost verzending naar België?", "shipping"),
        ("Puis-je retourner un article ?", "returns"),
        ("¿Cuál es el horario de atención?", "contact"),
    ],
)
def test_questions_in_five_languages_find_the_english_page(
    hybrid: Retriever, question: str, expected: str
) -> None:
    assert _source(hybrid, question) == expected


def test_cross_lingual_match_comes_from_the_dense_part(hybrid: Retriever) -> None:
    best = hybrid.search("Wie lange dauert der Versand nach Deutschland?", 1)[0]
    assert best.lexical == 0.0 and best.dense is not None and best.dense > 0.8
    assert best.score > 0.3


def test_scores_are_bounded_sorted_and_absolute(hybrid: Retriever) -> None:
    questions = ["shipping costs Belgium", "Do you sell cars?", "Passwort", "!!!", "€9.95 express"]
    for question in questions:
        passages = hybrid.search(question, 5)
        scores = [p.score for p in passages]
        assert scores == sorted(scores, reverse=True)
        for p in passages:
            assert 0.0 <= p.score <= 1.0 and 0.0 <= p.lexical <= 1.0
            assert p.dense is not None and -1.0 <= p.dense <= 1.0
    on_topic = hybrid.search("What are the shipping costs to Belgium?", 1)[0].score
    off_topic = hybrid.search("What is the capital of Australia?", 1)
    assert on_topic > 0.7 and (not off_topic or off_topic[0].score < 0.3)


def test_search_vec_reuses_a_query_vector(hybrid: Retriever, embedder: Embedder) -> None:
    question = "Kann ich mit Klarna bezahlen?"
    vector = embedder.queries([question])[0]
    assert hybrid.search_vec(question, vector, 4) == hybrid.search(question, 4)
    assert len(hybrid.search(question, 2)) == 2


def test_lexical_only_without_an_embedder(lexical: Retriever) -> None:
    passages = lexical.search("How much does express delivery cost?", 3)
    assert passages and "Express" in passages[0].heading
    assert all(p.dense is None and p.score == p.lexical for p in passages)
    assert lexical.search("zzzz qqqq", 3) == []


async def test_refresh_sees_changes_without_a_new_retriever(
    sessions: Sessions, hybrid: Retriever, lexical: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    question = "Do you offer gift wrapping?"
    text = "# Gift wrapping\n\nWe gift-wrap any order for €3.50 and add a handwritten card."
    async with sessions() as s:
        doc = await knowledge.ingest(s, "test:wrap", "Gift wrapping", text, hybrid.embedder)
        for retriever in (hybrid, lexical):
            await retriever.refresh(s)
            assert retriever.search(question, 1)[0].document_id == doc.id
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="tandem.retrieval"):
            await hybrid.refresh(s)  # unchanged: no rebuild
        assert not [r for r in caplog.records if r.name == "tandem.retrieval"]
        assert await knowledge.delete_document(s, doc.id)
        for retriever in (hybrid, lexical):
            await retriever.refresh(s)
            assert all(p.document_id != doc.id for p in retriever.search(question, 5))


async def test_concurrent_refreshes_rebuild_once(
    sessions: Sessions, lexical: Retriever, caplog: pytest.LogCaptureFixture
) -> None:
    async with sessions() as s:
        doc = await knowledge.ingest(s, "test:bags", "Bags", "Frame bags hold 3 litres.", None)

    async def refresh() -> None:
        async with sessions() as s:
            await lexical.refresh(s)

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="tandem.retrieval"):
        await asyncio.gather(refresh(), refresh(), refresh())
    assert len([r for r in caplog.records if r.name == "tandem.retrieval"]) == 1
    assert lexical.search("frame bag litres", 1)[0].document_id == doc.id
    async with sessions() as s:
        assert await knowledge.delete_document(s, doc.id)


async def test_passages_without_stored_vectors_are_embedded_on_load(
    sessions: Sessions, embedder: Embedder
) -> None:
    text = "Bicycle bells cost €4 and ring loud."
    async with sessions() as s:
        doc = await knowledge.ingest(s, "test:plain", "Bells", text, None)
        retriever = Retriever(embedder)
        await retriever.refresh(s)
        assert await knowledge.delete_document(s, doc.id)
    question = "How much is a bicycle bell?"
    best = retriever.search(question, 1)[0]
    expected = embedder.passages([knowledge.passage_text("Bells", "", text)])[0]
    assert best.document_id == doc.id and best.dense is not None
    assert best.dense == pytest.approx(float(expected @ embedder.queries([question])[0]), abs=1e-4)


def test_an_empty_retriever_finds_nothing(embedder: Embedder) -> None:
    assert Retriever(embedder).search("anything", 5) == []
    assert Retriever(None).version == -1
