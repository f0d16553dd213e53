"""/ai-policy in the five languages of the disclosure, chosen the same way, saying the same true
things in each: the retention setting, when the purge last ran, e-mail only with SMTP."""

from __future__ import annotations

import asyncio
import re
import string
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app import policy, retention
from app.db import create_engine, migrate, sessionmaker
from app.main import create_app
from disclosure.policy_page import Facts, render
from disclosure.policy_texts import POLICY
from disclosure.texts import LOCALES
from tests.conftest import settings_for
from tests.llm_stub import ThreadedServer

# The e-mail promise, as each language words it, and a word only that language uses.
EMAIL = {"en": "e-mail", "nl": "e-mail", "de": "E-Mail", "fr": "e-mail", "es": "correo"}
OWN_WORD = {"en": "person", "nl": "medewerker", "de": "Menschen", "fr": "personne", "es": "persona"}
DAYS = 45


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_language_says_the_same_things() -> None:
    assert set(POLICY) == set(LOCALES)
    for locale, texts in POLICY.items():
        assert set(texts) == set(POLICY["en"]), locale
        for key, text in texts.items():
            assert _fields(text) == _fields(POLICY["en"][key]), (locale, key)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("mail", [True, False])
def test_each_promise_holds_in_each_language(locale: str, mail: bool) -> None:
    ran = datetime(2026, 3, 1, 4, 5, tzinfo=UTC)
    page = render(locale, Facts("ExampleAI", mail, 17, ran))
    never = render(locale, Facts("ExampleAI", mail, 17, None))
    assert f'<html lang="{locale}">' in page
    assert "17" in page and "ExampleAI" in page
    assert "2026-03-01 04:05 UTC" in page
    assert POLICY[locale]["purge_never"] in never and "2026-03-01" not in never
    assert (EMAIL[locale] in _leave_sentence(page)) is mail
    assert POLICY[locale]["leave_mail" if mail else "leave_chat"] in page
    # One page has as many sections and bold promises as every other.
    english = render("en", Facts("ExampleAI", mail, 17, ran))
    for tag in ("<h2>", "<p>", "<strong>", "<em>"):
        assert page.count(tag) == english.count(tag), tag


def _leave_sentence(page: str) -> str:
    """The paragraph about talking to a person, where leaving a message is explained."""
    return re.findall(r"<p>(.*?)</p>", page, re.S)[1]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """Tandem with e-mail configured, on its own database with a 45-day retention."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'tandem.db'}"
    migrate(url)

    async def configure() -> None:
        engine = create_engine(url)
        async with sessionmaker(engine)() as s:
            config = await policy.load(s)
            config.policy.retention_days = DAYS
            await policy.save(s, config, None)
            await s.commit()
        await engine.dispose()

    asyncio.run(configure())
    server = ThreadedServer(create_app(settings_for(url, smtp_url="smtp://127.0.0.1:9"))).start()
    yield server.url, url
    server.stop()


async def _last_run(url: str) -> datetime | None:
    engine = create_engine(url)
    async with sessionmaker(engine)() as s:
        last = await retention.last_run(s)
    await engine.dispose()
    return last


@pytest.mark.parametrize(
    ("params", "headers", "locale"),
    [
        ({}, {}, "en"),
        ({"locale": "nl"}, {}, "nl"),
        ({}, {"Accept-Language": "de-CH,de;q=0.9,en;q=0.5"}, "de"),
        ({"locale": "fr-BE"}, {"Accept-Language": "es"}, "fr"),
        ({}, {"Accept-Language": "ja,es;q=0.8"}, "es"),
        ({"locale": "ja"}, {"Accept-Language": "ja"}, "en"),
    ],
)
async def test_the_page_speaks_the_customer_s_language_with_the_real_setting(
    served: tuple[str, str], params: dict[str, str], headers: dict[str, str], locale: str
) -> None:
    base, url = served
    deadline = time.monotonic() + 60
    while (last := await _last_run(url)) is None:  # the scheduler runs the purge at start
        assert time.monotonic() < deadline, "the purge never ran"
        await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        r = await http.get("/ai-policy", params=params, headers=headers)
    assert r.status_code == 200
    page = r.text
    assert f'<html lang="{locale}">' in page
    assert f"<title>{POLICY[locale]['title']}</title>" in page
    assert OWN_WORD[locale] in page
    assert f"{DAYS} " in page and "90" not in page
    when = last.replace(tzinfo=UTC) if last.tzinfo is None else last
    assert when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") in page
    assert POLICY[locale]["leave_mail"] in page, "SMTP is configured: the e-mail is promised"


def test_each_kind_of_personal_data_the_page_names_is_replaced() -> None:
    """The page promises that these never reach the model: one example of each, redacted."""
    from app.checks.redaction import redact

    examples = {
        "e-mail addresses": "jan@example.com",
        "phone numbers": "+31 6 12345678",
        "bank account numbers (IBAN)": "BE71 0961 2345 6769",
        "payment card numbers": "4111.1111.1111.1111",
        "IP addresses": "192.168.10.7",
        "street addresses": "Keizersgracht 123, 1015 CJ Amsterdam",
        "dates of birth": "my date of birth is 12-03-1985",
        "names (where we can recognise them": "my name is Jan de Vries",
    }
    english = " ".join(POLICY["en"]["data"].split())
    for kind, example in examples.items():
        assert kind in english, kind
        secret = example.split()[-1].strip(",")
        assert secret not in redact(example).text, (kind, redact(example).text)


@pytest.mark.parametrize("locale", LOCALES)
def test_without_a_model_the_page_says_so_in_the_reader_s_language(locale: str) -> None:
    page = render(locale, Facts(provider=None, mail=False, retention_days=90, last_purge=None))
    assert POLICY[locale]["provider_none"] in page
    if locale != "en":
        assert POLICY["en"]["provider_none"] not in page
    named = render(
        locale, Facts(provider="Acme AI", mail=False, retention_days=90, last_purge=None)
    )
    assert "Acme AI" in named and POLICY[locale]["provider_none"] not in named


def test_equal_treatment_is_claimed_as_audited_not_as_a_fact() -> None:
    """The audit (tests/test_bias_audit.py) can flag the shipped pipeline, so the page says
    that equal treatment is tested and by what, not that it always holds."""
    assert "bias audit" in " ".join(POLICY["en"]["why"].split())
    assert "whatever your name" not in POLICY["en"]["why"]
