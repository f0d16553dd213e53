"""Quote mode's answerability threshold against the labelled set it was calibrated on
(`app/data/answerability/demo.jsonl`): no passage is quoted for a question the help centre
does not answer. The share of answerable questions quoted is reported, and held as a floor."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from app import knowledge
from app.analysis import PASSAGES
from app.checks import answerability, redaction
from app.crosslingual import sentences_across
from app.db import create_engine, sessionmaker
from app.embeddings import Embedder
from app.retrieval import Retriever
from tests.conftest import empty_database

SET = Path(answerability.__file__).resolve().parents[1] / "data" / "answerability" / "demo.jsonl"
# Measured 7 of 60 on 2026-12-06 with words and e5 alone; 29 of 76 (the set grew to 146
# rows) with the answering line across languages. Raise as answerability improves.
ANSWERED_FLOOR = 27 / 76


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with empty_database("sqlite", tmp_path_factory) as url:
        yield url


@pytest.fixture(scope="module")
async def demo(
    demo_url: str, embedder: Embedder
) -> AsyncIterator[tuple[Retriever, dict[int, str]]]:
    engine = create_engine(demo_url)
    sessions = sessionmaker(engine)
    async with sessions() as s:
        docs = await knowledge.ingest_demo(s, embedder)
        files = {d.id: d.source.removeprefix("demo:") for d in docs}
    retriever = Retriever(embedder)
    async with sessions() as s:
        await retriever.refresh(s)
    yield retriever, files
    await engine.dispose()


def rows() -> list[dict[str, Any]]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines() if line]


def quoted(demo: tuple[Retriever, dict[int, str]], embedder: Embedder, question: str) -> str | None:
    """The demo file quote mode would quote for `question`, or None."""
    retriever, files = demo
    text = redaction.redact(question).text
    vector = embedder.queries([text])
    bridged = retriever.bridged(text)
    passages = retriever.search_vec(bridged, vector[0], PASSAGES)
    found = answerability.best(
        text,
        passages,
        embedder=embedder,
        question_vector=vector,
        bridged=bridged,
        across=sentences_across(),
    )
    if found is None or not found[1].answers:
        return None
    return files[passages[found[0]].document_id]


def test_the_labelled_set_is_what_its_readme_says() -> None:
    labelled = rows()
    assert len(labelled) == 146
    assert {r["label"] for r in labelled} == {"answerable", "unanswerable", "near_miss"}
    assert {r["lang"] for r in labelled} == {"en", "nl", "de", "fr", "es"}


def test_nothing_is_quoted_for_what_the_help_centre_does_not_answer(
    demo: tuple[Retriever, dict[int, str]], embedder: Embedder
) -> None:
    shown = [
        r["question"]
        for r in rows()
        if r["label"] == "unanswerable" and quoted(demo, embedder, r["question"])
    ]
    assert shown == []


def test_answerable_questions_quoted_from_the_right_document(
    demo: tuple[Retriever, dict[int, str]], embedder: Embedder
) -> None:
    answerable = [r for r in rows() if r["label"] == "answerable"]
    right = [r for r in answerable if quoted(demo, embedder, r["question"]) == r["document"]]
    wrong = [
        r["question"]
        for r in answerable
        if quoted(demo, embedder, r["question"]) not in (None, r["document"])
    ]
    assert wrong == []
    assert len(right) >= ANSWERED_FLOOR * len(answerable)


@pytest.mark.parametrize(
    "question",
    [
        "Kan ik een product binnen 30 dagen terugsturen?",
        "Puis-je retourner un produit sous 30 jours ?",
        "Dear Sir or Madam, may I return a product within 30 days of delivery?",
    ],
)
def test_a_question_confirming_a_number_quotes_the_line_that_states_it(
    demo: tuple[Retriever, dict[int, str]], embedder: Embedder, question: str
) -> None:
    """Two chunks of the returns page both say 30 days: they agree, so neither is the other's
    rival (the bias audit's style and language probes were handed over for it)."""
    assert quoted(demo, embedder, question) == "returns.md"


@pytest.mark.parametrize(
    "question",
    [
        "Hoe lang duurt de levering naar Nederland?",
        "Wie lange dauert die Lieferung in die Niederlande?",
        "¿Cuánto tarda la entrega a los Países Bajos?",
    ],
)
def test_the_one_line_stating_the_kind_asked_about_the_named_country_is_quoted(
    demo: tuple[Retriever, dict[int, str]], embedder: Embedder, question: str
) -> None:
    """The encoder puts the express-delivery line (a price) nearer; only the delivery-times
    line names the Netherlands and says how long."""
    assert quoted(demo, embedder, question) == "shipping.md"
