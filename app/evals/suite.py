"""Scripted conversations (`tandem eval SUITE.yaml`): loading a suite file and scoring what each
turn showed against what it expected. Pure: the top floor (`app/eval_run.py`) drives the real
pipeline and hands each turn's outcome here as a `Shown`. The format is in docs/evals.md."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import yaml

from app.escalation import Reason
from app.schemas import MAX_TEXT
from app.text import fold
from disclosure.texts import LOCALES

KINDS = ("answerable", "unanswerable", "near_miss", "human", "angry", "promise")
NO_ANSWER_KINDS = ("unanswerable", "near_miss")  # any answer must come from `allowed_from`
REASONS = get_args(Reason)
CASE_KEYS = {"name", "locale", "ai_opt_out", "turns"}
TURN_KEYS = {"say", "kind", "expect", "reference", "wrong"}
EXPECT_KEYS = {
    "answered_from",
    "allowed_from",
    "contains",
    "not_contains",
    "handed_over",
    "offers_person",
}


class SuiteError(ValueError):
    """A suite file that cannot be run, with where and why."""


@dataclass(frozen=True)
class Expect:
    answered_from: str | None = None
    allowed_from: tuple[str, ...] = ()
    contains: tuple[tuple[str, ...], ...] = ()  # every group must match, by any of its words
    not_contains: tuple[str, ...] = ()
    handed_over: tuple[str, ...] = ()  # any of these reasons
    offers_person: bool = False


@dataclass(frozen=True)
class Step:
    """One scripted customer message and what must follow it."""

    say: str
    kind: str
    expect: Expect
    reference: str = ""  # a correct answer, for a stub model that answers well
    wrong: str = ""  # a plausible wrong answer, for a stub model that answers badly


@dataclass(frozen=True)
class Case:
    name: str
    locale: str
    ai_opt_out: bool
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Suite:
    cases: tuple[Case, ...]
    documents: tuple[Path, ...] = ()  # empty: the demo knowledge base

    @property
    def steps(self) -> list[Step]:
        return [step for case in self.cases for step in case.steps]


def load_suite(path: Path) -> Suite:
    """Read and validate a suite file; every mistake is a SuiteError naming its place."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(f"{path}: cannot read the suite file ({exc})") from exc
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: not valid YAML: {exc}") from exc
    documents: list[Any] = []
    if isinstance(data, dict):
        documents = _list(data.get("documents", []), f"{path}: documents")
        unknown = set(data) - {"documents", "cases"}
        if unknown:
            raise SuiteError(f"{path}: unknown keys {sorted(unknown)} (use documents, cases)")
        data = data.get("cases")
    # Document paths are relative to the suite file, so a suite travels with its documents.
    docs = tuple(path.parent / _text(d, f"{path}: documents") for d in documents)
    missing = [str(d) for d in docs if not d.is_file()]
    if missing:
        raise SuiteError(f"{path}: no such document: {', '.join(missing)}")
    cases = [_case(c, f"{path}: case {i}") for i, c in enumerate(_list(data, str(path)), 1)]
    if not cases:
        raise SuiteError(f"{path}: the suite has no cases")
    return Suite(tuple(cases), docs)


def _case(raw: Any, where: str) -> Case:
    data = _mapping(raw, where, CASE_KEYS)
    where = f"{where} ({data['name']!r})" if isinstance(data.get("name"), str) else where
    locale = data.get("locale", "en")
    if locale not in LOCALES:
        raise SuiteError(f"{where}: locale {locale!r} is not one of {', '.join(LOCALES)}")
    opt_out = data.get("ai_opt_out", False)
    if not isinstance(opt_out, bool):
        raise SuiteError(f"{where}: ai_opt_out must be true or false")
    turns = [
        _step(t, f"{where}, turn {i}") for i, t in enumerate(_list(data.get("turns"), where), 1)
    ]
    if not turns:
        raise SuiteError(f"{where}: a case needs at least one turn")
    return Case(str(data.get("name", where)), locale, opt_out, tuple(turns))


def _step(raw: Any, where: str) -> Step:
    data = _mapping(raw, where, TURN_KEYS)
    kind = data.get("kind")
    if kind not in KINDS:
        raise SuiteError(f"{where}: kind {kind!r} is not one of {', '.join(KINDS)}")
    step = Step(
        say=_text(data.get("say"), f"{where}: say"),
        kind=kind,
        expect=_expect(data.get("expect"), f"{where}: expect"),
        reference=_text(data.get("reference", ""), f"{where}: reference", empty=True),
        wrong=_text(data.get("wrong", ""), f"{where}: wrong", empty=True),
    )
    if len(step.say.strip()) > MAX_TEXT:  # the API refuses it, so no customer can send it
        raise SuiteError(f"{where}: say is longer than {MAX_TEXT} characters")
    if kind == "answerable" and not (step.expect.answered_from and step.reference and step.wrong):
        raise SuiteError(f"{where}: an answerable turn needs answered_from, reference and wrong")
    return step


def _expect(raw: Any, where: str) -> Expect:
    data = _mapping(raw, where, EXPECT_KEYS)
    if not data:
        raise SuiteError(f"{where}: say what must happen ({', '.join(sorted(EXPECT_KEYS))})")
    reasons = _texts(data.get("handed_over", []), f"{where}.handed_over")
    bad = [r for r in reasons if r not in REASONS]
    if bad:
        raise SuiteError(f"{where}.handed_over: unknown reason {bad[0]!r} ({', '.join(REASONS)})")
    offers = data.get("offers_person", False)
    if not isinstance(offers, bool):
        raise SuiteError(f"{where}.offers_person must be true or false")
    answered_from = data.get("answered_from")
    return Expect(
        answered_from=None if answered_from is None else _text(answered_from, where),
        allowed_from=_texts(data.get("allowed_from", []), f"{where}.allowed_from"),
        contains=tuple(
            _texts(group, f"{where}.contains")
            for group in _list(data.get("contains", []), f"{where}.contains")
        ),
        not_contains=_texts(data.get("not_contains", []), f"{where}.not_contains"),
        handed_over=reasons,
        offers_person=offers,
    )


def _mapping(raw: Any, where: str, keys: set[str]) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise SuiteError(f"{where}: expected a mapping of {', '.join(sorted(keys))}")
    unknown = sorted(str(k) for k in set(raw) - keys)
    if unknown:
        raise SuiteError(f"{where}: unknown key {unknown[0]!r} (use {', '.join(sorted(keys))})")
    return raw


def _list(raw: Any, where: str) -> list[Any]:
    if not isinstance(raw, list):
        raise SuiteError(f"{where}: expected a list")
    return raw


def _text(raw: Any, where: str, *, empty: bool = False) -> str:
    # YAML reads a bare yes, no or 12 as a bool or a number: ask for quotes instead of guessing.
    if not isinstance(raw, str) or not (empty or raw.strip()):
        raise SuiteError(f"{where}: expected text (put it in quotes), got {raw!r}")
    return raw


def _texts(raw: Any, where: str) -> tuple[str, ...]:
    """One text or a list of texts."""
    items = raw if isinstance(raw, list) else [raw]
    return tuple(_text(item, where) for item in items)


# ---- scoring --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Shown:
    """What one turn showed the customer. `outcome`: answered, declined, escalated, or people
    (the conversation was already with people, `reason` says why)."""

    outcome: str
    reason: str | None = None
    answer: str | None = None  # the AI answer, when one was shown
    text: str = ""  # everything shown after the customer's message
    sources: tuple[tuple[str, str], ...] = ()  # (title, file name) of each cited document
    offered_person: bool = False

    @property
    def label(self) -> str:
        return self.outcome if self.reason is None else f"{self.outcome}:{self.reason}"


@dataclass(frozen=True)
class Scored:
    case: str
    number: int  # 1-based turn number within the case
    step: Step
    shown: Shown
    problems: tuple[str, ...] = field(default=())
    wrong_shown: bool = False
    locale: str = "en"

    @property
    def passed(self) -> bool:
        return not self.problems


def cites(shown: Shown, document: str) -> bool:
    """Whether the shown answer cites `document`, named by title, file name or file stem."""
    want = fold(document).strip()
    return any(
        want in (fold(title), fold(name), fold(Path(name).stem)) for title, name in shown.sources
    )


_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d)")


def normalise(text: str) -> str:
    """Folded (no case, no accents), one decimal separator, single spaces."""
    return " ".join(_DECIMAL_COMMA.sub(".", fold(text)).split())


def has(text: str, needle: str) -> bool:
    return normalise(needle) in normalise(text)


def score(case: str, number: int, step: Step, shown: Shown, locale: str = "en") -> Scored:
    """Each expectation the turn missed, and whether an AI answer it showed was wrong."""
    e, answer = step.expect, shown.answer
    problems: list[str] = []
    wrong = False
    if e.answered_from and answer is None:
        problems.append(f"expected an answer from {e.answered_from}")
    elif e.answered_from and not cites(shown, e.answered_from):
        problems.append(f"the answer does not cite {e.answered_from}")
        wrong = True
    missing = [g for g in e.contains if not any(has(shown.text, n) for n in g)]
    if missing:
        problems.append("missing " + "; ".join(" or ".join(map(repr, g)) for g in missing))
        wrong = wrong or (answer is not None and bool(e.answered_from))
    hits = [n for n in e.not_contains if has(shown.text, n)]
    if hits:
        problems.append("shows " + ", ".join(map(repr, hits)))
        wrong = wrong or (answer is not None and any(has(answer, n) for n in hits))
    unrelated = not any(cites(shown, d) for d in e.allowed_from)
    if step.kind in NO_ANSWER_KINDS and answer is not None and unrelated:
        problems.append("showed an answer from a document not allowed for this question")
        wrong = True
    if e.handed_over and not (
        shown.outcome in ("escalated", "people") and shown.reason in e.handed_over
    ):
        problems.append(f"expected a handoff for {' or '.join(e.handed_over)}")
    if e.offers_person and not shown.offered_person:
        problems.append("expected a person to be offered")
    return Scored(case, number, step, shown, tuple(problems), wrong, locale)


def expected(e: Expect) -> dict[str, Any]:
    """The expectation as plain data, for the report."""
    out: dict[str, Any] = {
        "answered_from": e.answered_from,
        "allowed_from": list(e.allowed_from),
        "contains": [list(g) for g in e.contains],
        "not_contains": list(e.not_contains),
        "handed_over": list(e.handed_over),
        "offers_person": e.offers_person,
    }
    return {k: v for k, v in out.items() if v}


def shown_data(s: Shown) -> dict[str, Any]:
    """What was shown, as plain data, for the report."""
    return {
        "outcome": s.label,
        "sources": [name for _, name in s.sources],
        "offered_person": s.offered_person,
        "text": s.text,
    }
