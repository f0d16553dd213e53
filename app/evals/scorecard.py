"""The report of a suite run (`tandem eval SUITE.yaml`): totals per kind and per outcome, the
share of answerable turns answered from the right document, `wrong_shown` (AI answers shown
that break their turn's expectation: the figure that must stay at zero), and each failing turn
with what it expected and what it showed."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from app.evals.suite import KINDS, Scored, cites, expected, shown_data

SHOWN_CHARS = 240  # enough of a reply to judge it in a terminal; the JSON keeps it whole


def summarise(results: Sequence[Scored], *, suite: str, mode: str) -> dict[str, Any]:
    """The whole report as plain data (what `--json` writes)."""
    answerable = [r for r in results if r.step.kind == "answerable"]
    right = [r for r in answerable if _right_source(r)]
    return {
        "suite": suite,
        "mode": mode,
        "turns": len(results),
        "passed": sum(r.passed for r in results),
        "failed": sum(not r.passed for r in results),
        "wrong_shown": sum(r.wrong_shown for r in results),
        "answered_right_source": round(len(right) / len(answerable), 4) if answerable else None,
        "per_kind": {
            kind: _tally([r for r in results if r.step.kind == kind])
            for kind in KINDS
            if any(r.step.kind == kind for r in results)
        },
        "per_outcome": dict(Counter(r.shown.label for r in results).most_common()),
        "answerable_per_locale": {
            locale: _tally([r for r in answerable if r.locale == locale])
            for locale in sorted({r.locale for r in answerable})
        },
        "failures": [_failure(r) for r in results if not r.passed],
        # Every AI answer shown, whether or not it passed: what a reviewer reads first.
        "answers": [
            {"case": r.case, "turn": r.number, "say": r.step.say, **shown_data(r.shown)}
            for r in results
            if r.shown.answer is not None
        ],
    }


def _right_source(r: Scored) -> bool:
    wanted = r.step.expect.answered_from
    return r.shown.answer is not None and wanted is not None and cites(r.shown, wanted)


def _tally(results: Sequence[Scored]) -> dict[str, Any]:
    return {
        "turns": len(results),
        "passed": sum(r.passed for r in results),
        "failed": sum(not r.passed for r in results),
        "wrong_shown": sum(r.wrong_shown for r in results),
        "right_source": sum(_right_source(r) for r in results),
        "outcomes": dict(Counter(r.shown.label for r in results).most_common()),
    }


def _failure(r: Scored) -> dict[str, Any]:
    return {
        "case": r.case,
        "turn": r.number,
        "kind": r.step.kind,
        "say": r.step.say,
        "wrong_shown": r.wrong_shown,
        "problems": list(r.problems),
        "expected": expected(r.step.expect),
        "shown": shown_data(r.shown),
    }


def format_report(report: dict[str, Any]) -> str:
    """The report for a terminal: figures first, then every failing turn."""
    rate = report["answered_right_source"]
    lines = [
        f"Suite {report['suite']} ({report['mode']}): {report['turns']} turns, "
        f"{report['passed']} passed, {report['failed']} failed",
        f"  wrong_shown (AI answers shown that break their turn's expectation): "
        f"{report['wrong_shown']}",
        "  answerable turns answered from the right document: "
        + ("n/a" if rate is None else f"{rate:.1%}"),
        f"  {'kind':<14}{'turns':>6}{'passed':>8}{'failed':>8}{'wrong':>7}  outcomes",
    ]
    for kind, t in report["per_kind"].items():
        outcomes = ", ".join(f"{k} {n}" for k, n in t["outcomes"].items())
        lines.append(
            f"  {kind:<14}{t['turns']:>6}{t['passed']:>8}{t['failed']:>8}"
            f"{t['wrong_shown']:>7}  {outcomes}"
        )
    lines.append("  answerable per language: " + _per_locale(report["answerable_per_locale"]))
    if report["failures"]:
        lines.append("Failures:")
    for f in report["failures"]:
        lines += _failure_lines(f)
    return "\n".join(lines)


def _per_locale(tallies: dict[str, Any]) -> str:
    return ", ".join(
        f"{locale} {t['right_source']}/{t['turns']} right source, {t['wrong_shown']} wrong"
        for locale, t in tallies.items()
    )


def _failure_lines(f: dict[str, Any]) -> list[str]:
    shown = f["shown"]
    text = " ".join(shown["text"].split())
    if len(text) > SHOWN_CHARS:
        text = text[:SHOWN_CHARS] + "…"
    flag = " WRONG SHOWN" if f["wrong_shown"] else ""
    sources = ", ".join(shown["sources"]) or "none"
    return [
        f"- {f['case']}, turn {f['turn']} ({f['kind']}){flag}: {f['say']!r}",
        f"    expected: {_plain(f['expected'])}",
        f"    shown:    {shown['outcome']}, sources {sources}: {text!r}",
        f"    problems: {'; '.join(f['problems'])}",
    ]


def _plain(expect: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in expect.items())
