"""The arrows between packages that docs/architecture.md allows, checked on every import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The top floor: the faces (routes, sockets, CLI), the app's assembly and the turn itself.
TOP = (
    "app.pipeline",
    "app.turns",
    "app.recovery",
    "app.routes",
    "app.deps",
    "app.main",
    "app.cli",
    "app.cli_records",
    "app.eval_run",
    "app.bias",
)


def _module(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at any depth (TYPE_CHECKING and function bodies too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
            found.add(node.module)
    return found


def _floor(module: str) -> str:
    if any(module == t or module.startswith(t + ".") for t in TOP):
        return "top"
    if module.split(".")[0] == "handoff":
        return "handoff"
    if module.split(".")[0] in ("app", "disclosure"):
        return "ground"
    return "outside"


# (from floor, to floor) pairs that never appear.
FORBIDDEN = {("ground", "handoff"), ("ground", "top"), ("handoff", "top")}


def _arrows() -> list[tuple[str, str]]:
    arrows = []
    for package in ("app", "handoff", "disclosure"):
        for path in sorted((ROOT / package).rglob("*.py")):
            source = _module(path)
            arrows += [(source, target) for target in _imports(path)]
    return arrows


def test_no_arrow_points_up() -> None:
    wrong = [
        f"{source} -> {target}"
        for source, target in _arrows()
        if (_floor(source), _floor(target)) in FORBIDDEN
    ]
    assert wrong == [], "see docs/architecture.md"


@pytest.mark.parametrize("target", ["app.pipeline", "app.routes"])
def test_handoff_never_calls_the_turn_or_the_routes(target: str) -> None:
    wrong = [
        f"{s} -> {t}"
        for s, t in _arrows()
        if s.startswith("handoff") and (t == target or t.startswith(target + "."))
    ]
    assert wrong == []


def test_the_map_names_every_package_and_module_of_the_top_floor() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    for name in ("app/checks/", "handoff/", "disclosure/", *(t.replace(".", "/") for t in TOP)):
        assert name in text, name


def test_the_checks_stand_alone() -> None:
    # They never ask the LLM, never touch storage, and never decide what the turn does.
    allowed = ("app.checks", "app.text", "app.embeddings")
    wrong = [
        f"{s} -> {t}"
        for s, t in _arrows()
        if s.startswith("app.checks")
        and t.split(".")[0] in ("app", "handoff", "disclosure")
        and not any(t == a or t.startswith(a + ".") for a in allowed)
    ]
    assert wrong == []
