"""How far the shipped sentence encoders can take quote mode: a study, not part of the app.

    python scripts/answerability_study.py

Quote mode (no LLM) must quote the help-centre passage that answers, and nothing for a question
the help centre does not answer (issue 11: at least 85% of answerable questions from the right
document, none for unanswerable ones). This measures, on the labelled answerability set
(`app/data/answerability/demo.jsonl`) and the suite's turns (`evals/demo.yaml`), the signal
the encoders give at the level of single help-centre lines, where they are strongest:

- for each question, every line of the passages a turn reads (`app.analysis.PASSAGES`), scored
  by multilingual-e5 (the retrieval encoder) and by the Universal Sentence Encoder (`across`);
- the route "both encoders' closest line (stating the kind of answer asked for, if any) is in
  the same document, by at least MARGIN over every other document's lines in e5": it quotes
  that document, and the table shows what that would add to what quote mode quotes today.

Printed for each margin: answerable questions quoted from the right document (today → with the
route), and unanswerable and near-miss questions that would be quoted. A margin that keeps the
last two at today's counts is what the encoders allow.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from app import analysis, drafting, knowledge  # noqa: E402
from app.checks import relevance, sentences  # noqa: E402
from app.db import migrate  # noqa: E402
from app.evals.suite import load_suite  # noqa: E402
from app.main import build_services  # noqa: E402
from app.services import Services  # noqa: E402
from app.settings import Settings  # noqa: E402

MARGINS = (0.0, 0.01, 0.02, 0.03, 0.04, 0.05)
_PARAGRAPH = re.compile(r"\n\s*\n")


@dataclass
class Question:
    text: str
    label: str  # answerable | unanswerable | near_miss
    document: str | None  # the file that answers it, for an answerable one
    quoted_now: str | None = None  # the file quote mode quotes today
    by_route: str | None = None  # the file the agreement route would quote (any margin)
    margin: float = 0.0  # its e5 lead over every other document's lines


def questions() -> list[Question]:
    rows = (ROOT / "app/data/answerability/demo.jsonl").read_text(encoding="utf-8").splitlines()
    found = [
        Question(r["question"], r["label"], r["document"] if r["label"] == "answerable" else None)
        for r in map(json.loads, rows)
        if r
    ]
    for case in load_suite(ROOT / "evals/demo.yaml").cases:
        for step in case.steps:
            if step.kind in ("answerable", "unanswerable", "near_miss"):
                found.append(Question(step.say, step.kind, step.expect.answered_from))
    return found


async def study(items: Sequence[Question]) -> None:
    """Each question through a turn's analysis and quote mode's decision, as the pipeline runs
    them, then its lines scored by both encoders."""
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'study.db'}"
        await asyncio.to_thread(migrate, url)
        svc = build_services(Settings().model_copy(update={"database_url": url, "redis_url": None}))
        try:
            async with svc.sessions() as s:
                docs = await knowledge.ingest_demo(s, svc.embedder)
                await s.commit()
                await svc.retriever.refresh(s)
            files = {d.id: d.source.removeprefix("demo:") for d in docs}
            for q in items:
                await _measure(svc, files, q)
        finally:
            await svc.engine.dispose()


async def _measure(svc: Services, files: dict[int, str], q: Question) -> None:
    embedder, across = svc.embedder, svc.across
    assert embedder is not None and across is not None  # the defaults load both
    reading = analysis.read(q.text, human=svc.human, sentiment=svc.sentiment, embedder=embedder)
    turn = analysis.analyse(reading, svc.retriever)
    text, passages, vector = turn.redacted.text, turn.passages, turn.vector
    writer = drafting.Writer(
        None, embedder, None, svc.retriever.bridged, "en", lambda _: "", across
    )
    quoted = await drafting.draft(writer, turn, history=(), release=_nothing)
    if quoted.text is not None:
        q.quoted_now = files[quoted.cited[0].document_id]
    units = [
        (files[p.document_id], p, line)
        for p in passages
        for paragraph in _PARAGRAPH.split(p.text)
        for line in sentences.split(paragraph)
    ]
    if not units or vector is None:
        return
    e5 = embedder.passages([f"{p.title}. {p.heading}. {line}" for _, p, line in units])
    e5_cos = np.asarray(e5) @ np.asarray(vector).reshape(-1)
    use = across.passages([f"{p.heading}: {line}" for _, p, line in units])
    use_cos = np.asarray(use) @ np.asarray(across.queries([text])[0])
    kind = relevance.asks_for(text)
    candidates = [
        u for u, (_, _, line) in enumerate(units) if kind is None or relevance.gives(kind, line)
    ]
    if not candidates:
        return
    top_e5 = max(candidates, key=lambda u: e5_cos[u])
    top_use = max(candidates, key=lambda u: use_cos[u])
    document = units[top_e5][0]
    if units[top_use][0] != document:
        return
    others = [e5_cos[u] for u, unit in enumerate(units) if unit[0] != document]
    q.by_route = document
    q.margin = float(e5_cos[top_e5] - max(others, default=0.0))


async def _nothing(_: str) -> None:
    """Quote mode streams nothing: no release to make."""


def report(items: Sequence[Question]) -> None:
    answerable = [q for q in items if q.label == "answerable"]
    right_now = sum(q.quoted_now == q.document for q in answerable)
    print(f"{len(answerable)} answerable questions, {right_now} quoted from the right document")
    print("margin  answerable right  wrong document  unanswerable quoted  near misses quoted")
    for margin in (float("inf"), *MARGINS):  # infinity: the route never fires (today)

        def quoted(q: Question, margin: float = margin) -> str | None:
            route = q.by_route if q.by_route is not None and q.margin >= margin else None
            return q.quoted_now or route

        right = sum(quoted(q) == q.document for q in answerable)
        wrong = sum(quoted(q) not in (None, q.document) for q in answerable)
        other = {
            label: sum(quoted(q) is not None for q in items if q.label == label)
            for label in ("unanswerable", "near_miss")
        }
        name = "today" if margin == float("inf") else f"{margin:.2f}"
        print(
            f"{name:>6}  {right:4d} ({right / len(answerable):5.1%})   {wrong:14d}"
            f"  {other['unanswerable']:19d}  {other['near_miss']:18d}"
        )


def main() -> None:
    items = questions()
    asyncio.run(study(items))
    report(items)


if __name__ == "__main__":
    main()
