"""The public AI-policy page: what data is processed, by whom, for how long, and how to opt out,
in the five languages of the disclosure (sentences in `policy_texts.py`)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from disclosure.policy_texts import POLICY

STYLE = """
body{font:16px/1.6 system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;
color:#1b1f24}
h1{font-size:1.6rem}h2{font-size:1.15rem;margin-top:1.6rem}"""
# The page's one inline style, allowed by its hash in the page's Content-Security-Policy.
STYLE_SOURCE = f"'sha256-{base64.b64encode(hashlib.sha256(STYLE.encode()).digest()).decode()}'"

TEMPLATE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style></head>
<body><main>
<h1>{title}</h1>
<p>{intro}</p>
<h2>{person_h}</h2>
<p>{person}</p>
<h2>{data_h}</h2>
<p>{data}</p>
<h2>{who_h}</h2>
<p>{who}</p>
<h2>{keep_h}</h2>
<p>{keep}</p>
<h2>{why_h}</h2>
<p>{why}</p>
</main></body></html>
"""


@dataclass(frozen=True)
class Facts:
    """What the page states about this deployment, read when the page is asked for."""

    provider: str | None  # None: no language model is configured (quote mode)
    mail: bool  # whether this server sends e-mail at all (TANDEM_SMTP_URL)
    retention_days: int  # the operator setting
    last_purge: datetime | None  # None: the purge has never run


def render(locale: str, facts: Facts) -> str:
    texts = POLICY.get(locale, POLICY["en"])
    when = "" if facts.last_purge is None else _when(facts.last_purge)
    purge = texts["purge_ran" if when else "purge_never"].format(when=when)
    filled = {
        key: value.format(
            provider=escape(facts.provider or texts["provider_none"]),
            retention=facts.retention_days,
            leave_message=texts["leave_mail" if facts.mail else "leave_chat"],
            last_purge=purge,
            when=when,
        )
        for key, value in texts.items()
    }
    return TEMPLATE.format(lang=locale if locale in POLICY else "en", style=STYLE, **filled)


def _when(moment: datetime) -> str:
    """One form every language reads: SQLite hands datetimes back without their zone (UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
