"""The bias audit sends counterfactual probes through the real turn: it catches a planted bias
(a sentiment model that reads one group's names as negative), passes the shipped pipeline on
names in quote mode and with the loopback LLM, and is run, stored and read through the API."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from dataclasses import replace

import httpx
import pytest
from sqlalchemy import func, select

from app import bias
from app.bias_probes import ProbeSet, Thresholds, format_report, load_sets
from app.checks.sentiment import Sentiment, SentimentModel
from app.main import build_services
from app.models import BiasReport, Conversation
from app.services import Services
from tests.conftest import _seed, empty_database, settings_for
from tests.llm_stub import StubState

OPERATOR = ("operator@example.com", "operator-password")
AGENT = ("agent@example.com", "agent-password")


class NamePrejudice:
    """A planted bias: the real model, except that a message naming someone from `group`
    reads as angry."""

    def __init__(self, inner: SentimentModel, names: Sequence[str]) -> None:
        self._inner, self._names = inner, tuple(names)
        self.name = f"prejudiced {inner.name}"

    def classify(self, texts: Sequence[str]) -> list[Sentiment]:
        honest = self._inner.classify(texts)
        return [
            Sentiment("negative", 0.95, -0.9) if any(n in text for n in self._names) else s
            for text, s in zip(texts, honest, strict=True)
        ]


@pytest.fixture(scope="module")
def demo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A SQLite deployment with the demo help centre: the audit copies it, never writes to it
    (its own reports aside)."""
    with empty_database("sqlite", tmp_path_factory) as url:
        asyncio.run(_seed(url))
        yield url


def names_set() -> list[ProbeSet]:
    return [s for s in load_sets() if s.name == "names"]


async def audit(svc: Services, sets: Sequence[ProbeSet]) -> dict[str, object]:
    try:
        return await bias.run_audit(svc, Thresholds(), sets)
    finally:
        if svc.llm is not None:
            await svc.llm.close()
        await svc.engine.dispose()


async def conversations_in(url: str) -> int:
    svc = build_services(settings_for(url))
    try:
        async with svc.sessions() as s:
            return int((await s.execute(select(func.count(Conversation.id)))).scalar_one())
    finally:
        await svc.engine.dispose()


async def test_a_planted_name_bias_is_caught(demo_url: str) -> None:
    svc = build_services(settings_for(demo_url))  # quote mode: no LLM configured
    (probes,) = names_set()
    group = "Moroccan/Arabic, male"
    planted = NamePrejudice(svc.sentiment, ["Mohammed", "Youssef"])
    before = await conversations_in(demo_url)
    report = await audit(replace(svc, sentiment=planted), [probes])
    text = format_report(report)
    print("\n" + text)
    assert report["passed"] is False, text
    (names,) = report["sets"]  # type: ignore[misc]
    negative = [f for f in names["flags"] if f.startswith("negative:")]
    assert len(negative) == 1 and f"negative: {group} " in negative[0], text
    assert names["groups"][group]["negative"] > 0.45, text
    assert "FLAG negative: Moroccan/Arabic, male" in text
    assert await conversations_in(demo_url) == before  # the probes ran on a copy


async def test_the_shipped_pipeline_treats_names_alike_in_quote_mode(demo_url: str) -> None:
    report = await audit(build_services(settings_for(demo_url)), names_set())
    text = format_report(report)
    print("\n" + text)
    assert report["passed"] is True, text
    (names,) = report["sets"]  # type: ignore[misc]
    assert names["probes"] == 40 and len(names["groups"]) == 10
    assert names["same_source"] == 1.0 and names["same_text"] == 1.0, text
    assert report["mode"] == "quote mode (no LLM)"


async def test_the_shipped_pipeline_treats_names_alike_with_the_llm(
    demo_url: str, stub: tuple[StubState, str], llm: StubState
) -> None:
    svc = build_services(settings_for(demo_url, openai_base_url=stub[1]))
    report = await audit(svc, names_set())
    text = format_report(report)
    print("\n" + text)
    assert report["passed"] is True, text
    assert len(llm.drafts) >= 40  # every probe reached the model (answers went through it)
    assert str(report["mode"]).startswith("llm ")
    (names,) = report["sets"]  # type: ignore[misc]
    assert names["same_source"] == 1.0 and names["text_judged"] is False, text
    assert "(not judged: an LLM words identical calls differently)" in text


async def test_the_shipped_pipeline_passes_every_probe_set_in_quote_mode(demo_url: str) -> None:
    """Quote mode once handed Dutch, German and Spanish questions over that it answered in
    English, and a formal one it answered informally."""
    await every_set_passes(build_services(settings_for(demo_url)))


async def test_the_shipped_pipeline_passes_every_probe_set_with_the_llm(
    demo_url: str, stub: tuple[StubState, str], llm: StubState
) -> None:
    """Names, writing style (a non-native question once read as meaning another line) and
    language: no flag with the loopback model."""
    await every_set_passes(build_services(settings_for(demo_url, openai_base_url=stub[1])))


async def every_set_passes(svc: Services) -> None:
    """The audit over every shipped probe set: no flag, each question to one document."""
    report = await audit(svc, load_sets())
    text = format_report(report)
    print("\n" + text)
    assert report["passed"] is True, text
    sets = report["sets"]
    assert isinstance(sets, list) and {s["name"] for s in sets} == {"names", "style", "language"}
    assert all(s["same_source"] == 1.0 for s in sets), text


async def login(http: httpx.AsyncClient, who: tuple[str, str]) -> dict[str, str]:
    r = await http.post("/api/v1/auth/login", json={"email": who[0], "password": who[1]})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


async def test_run_store_and_read_a_report_through_the_api(
    client: httpx.AsyncClient, llm: StubState
) -> None:
    operator = await login(client, OPERATOR)
    url = "/api/v1/admin/audit/bias"
    agent = await login(client, AGENT)
    assert (await client.post(url, headers=agent)).status_code == 403
    wrong = await client.post(url, json={"sets": ["colour"]}, headers=operator)
    assert wrong.status_code == 422
    assert "There is no probe set called colour" in wrong.json()["detail"]
    bad = await client.post(url, json={"thresholds": {"handoff_gap": 2}}, headers=operator)
    assert bad.status_code == 422
    r = await client.post(url, json={"sets": ["language"]}, headers=operator, timeout=120)
    assert r.status_code == 200, r.text
    body = r.json()
    text = format_report(body["report"])
    print("\n" + text)
    assert body["passed"] is True and body["report"]["passed"] is True, text
    (language,) = body["report"]["sets"]
    assert set(language["groups"]) == {"en", "nl", "de", "fr", "es"}
    assert language["same_source"] == 1.0, text
    latest = await client.get(url, headers=operator)
    assert latest.status_code == 200 and latest.json()["id"] == body["id"]
    assert latest.json()["report"] == body["report"]
    assert (await client.get(url, headers=agent)).status_code == 403


def test_the_cli_prints_stores_and_exits_by_the_verdict(
    demo_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app import cli

    monkeypatch.setenv("TANDEM_DATABASE_URL", demo_url)
    assert cli.main(["audit", "bias", "--threshold", "bogus"]) == 1
    assert "NAME=VALUE" in capsys.readouterr().err
    assert cli.main(["audit", "bias", "--set", "colour"]) == 1
    assert "There is no probe set called colour" in capsys.readouterr().err
    before = asyncio.run(reports_in(demo_url))
    # Quote mode hands Dutch questions over where English ones are answered (a finding of this
    # audit, see docs/decisions.md): with the gaps allowed wide, the run passes and says so.
    wide = ["--threshold", "handoff_gap=1", "--threshold", "min_same_source=0"]
    assert cli.main(["audit", "bias", "--set", "language", *wide]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Bias audit (quote mode (no LLM)): PASSED")
    assert "## language: the language of the same question (15 probes)" in out
    assert "handoff_gap 1.0" in out
    assert asyncio.run(reports_in(demo_url)) == before + 1


async def reports_in(url: str) -> int:
    svc = build_services(settings_for(url))
    try:
        async with svc.sessions() as s:
            return int((await s.execute(select(func.count(BiasReport.id)))).scalar_one())
    finally:
        await svc.engine.dispose()
