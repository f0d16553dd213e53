"""The escalation policy and disclosure texts operators edit: one database row, read per turn."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from sqlalchemy.ext.asyncio import AsyncSession

from app.checks.topics import DEFAULT_TOPICS, Topic
from app.models import OperatorSettings, SettingsChange, utcnow
from disclosure import override_rules
from disclosure.texts import LOCALES

MAX_NEGATIVE_TURNS = 20  # the longest streak of negative turns a policy may wait for
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class BusinessHours(BaseModel):
    """Opening hours per weekday in one time zone; a day not listed is closed."""

    model_config = ConfigDict(extra="forbid")

    timezone: str = "UTC"
    days: dict[str, list[tuple[str, str]]] = Field(default_factory=dict)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r}; use a name such as Europe/Amsterdam or UTC"
            ) from exc
        return value

    @field_validator("days")
    @classmethod
    def _days(cls, value: dict[str, list[tuple[str, str]]]) -> dict[str, list[tuple[str, str]]]:
        for day, spans in value.items():
            if day not in DAYS:
                raise ValueError(f"unknown day {day!r}; use one of {', '.join(DAYS)}")
            for start, end in spans:
                if not (_is_time(start) and _is_time(end) and start < end):
                    raise ValueError(f"{day}: {start}-{end} is not a valid HH:MM span")
        return value

    @model_validator(mode="after")
    def _open_sometime(self, info: ValidationInfo) -> BusinessHours:
        # A stored row from before this check still loads (it is what the service runs on);
        # only a new save is refused.
        if not any(self.days.values()) and not (info.context or {}).get("stored"):
            raise ValueError(
                "Business hours are on but no day has opening hours, so the service would be "
                "closed all day, every day. Add hours to at least one day, or turn business "
                "hours off"
            )
        return self


def _is_time(value: str) -> bool:
    hh, _, mm = value.partition(":")
    return len(value) == 5 and hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60


class Policy(BaseModel):
    """When the AI must step aside. Defaults suit a web shop; operators tune them."""

    model_config = ConfigDict(extra="forbid")

    min_confidence: float = Field(0.5, ge=0, le=1)
    low_confidence_action: str = Field("escalate", pattern="^(escalate|offer)$")
    negative_sentiment_threshold: float = Field(0.85, ge=0, le=1)
    # Checked even when left out: the default could sit above a lowered hand-over level.
    offer_person_threshold: float = Field(0.6, ge=0, le=1, validate_default=True)
    negative_turns: int = Field(2, ge=1, le=MAX_NEGATIVE_TURNS)
    max_bot_turns: int = Field(8, ge=1, le=100)
    restricted_topics: list[Topic] = Field(default_factory=lambda: list(DEFAULT_TOPICS))
    human_only: bool = False
    business_hours: BusinessHours | None = None
    long_wait_seconds: int = Field(300, ge=0, le=86400)
    reply_expectation: dict[str, str] = Field(default_factory=dict)
    # Transcripts older than this are purged (`app/retention.py`); anonymous stats stay.
    retention_days: int = Field(90, ge=1, le=3650)

    @field_validator("restricted_topics")
    @classmethod
    def _topics(cls, value: list[Topic], info: ValidationInfo) -> list[Topic]:
        if (info.context or {}).get("stored"):
            return value  # what the service runs on still loads; only a new save is checked
        seen: set[str] = set()
        for n, topic in enumerate(value, 1):
            if not topic.label.strip() or not topic.name.strip():
                raise ValueError(f"Topic {n} has no name: give it one, or remove it")
            if not any(p.strip() for p in topic.phrases):
                raise ValueError(
                    f"Topic {n} ({topic.label}) has no phrases, so no message would ever "
                    "match it: add at least one, or remove the topic"
                )
            if topic.name in seen:
                raise ValueError(f"Topic {n} ({topic.label}) has the same name as another")
            seen.add(topic.name)
        return value

    @field_validator("offer_person_threshold")
    @classmethod
    def _ordered(cls, value: float, info: ValidationInfo) -> float:
        # A field validator (not a model one) so the error names this field for the page.
        if (info.context or {}).get("stored"):
            return value  # a stored row always loads: every turn and page reads it
        hand_over = info.data.get("negative_sentiment_threshold")
        if hand_over is not None and value > hand_over:
            raise ValueError(
                f"The level that offers a person ({value}) must not be above the level that "
                f"hands over ({hand_over}): a person is offered first, then handed over"
            )
        return value


class Disclosure(BaseModel):
    """Operator overrides of the fixed customer-facing texts, per locale and key."""

    model_config = ConfigDict(extra="forbid")

    texts: dict[str, dict[str, str]] = Field(default_factory=dict)

    @field_validator("texts")
    @classmethod
    def _texts(cls, value: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for locale, entries in value.items():
            if locale not in LOCALES:
                raise ValueError(f"unknown locale {locale!r}; use one of {', '.join(LOCALES)}")
            notice = entries.get("disclosure")
            if notice is not None and "/ai-policy" not in notice.lower():
                raise ValueError(f"{locale}: the disclosure must link to /ai-policy")
            missing = override_rules.problems(locale, entries)
            if missing:
                raise ValueError(" ".join(missing))
        return value


class OperatorConfig(BaseModel):
    policy: Policy
    disclosure: Disclosure


async def load(session: AsyncSession) -> OperatorConfig:
    """The settings row, or the defaults when operators have not saved any yet."""
    row = await session.get(OperatorSettings, 1)
    if row is None:
        return OperatorConfig(policy=Policy(), disclosure=Disclosure())
    return OperatorConfig(
        policy=Policy.model_validate(row.policy or {}, context={"stored": True}),
        disclosure=Disclosure.model_validate(row.disclosure or {}),
    )


async def save(session: AsyncSession, config: OperatorConfig, user_id: int | None) -> None:
    """Replace the row and record who changed what (in the caller's transaction)."""
    row = await session.get(OperatorSettings, 1)
    before: dict[str, Any] = {}
    if row is None:
        row = OperatorSettings(id=1)
        session.add(row)
    else:
        before = {"policy": row.policy, "disclosure": row.disclosure}
    after = config.model_dump(mode="json")
    row.policy, row.disclosure = after["policy"], after["disclosure"]
    row.updated_at, row.updated_by = utcnow(), user_id
    session.add(SettingsChange(user_id=user_id, before=before, after=after))
    await session.flush()


def is_open(hours: BusinessHours | None, now: datetime) -> bool:
    """Whether the team is open at `now`; no hours configured means always open."""
    if hours is None:
        return True
    local = now.astimezone(ZoneInfo(hours.timezone))
    hhmm = local.strftime("%H:%M")
    spans = hours.days.get(DAYS[local.weekday()], [])
    return any(start <= hhmm < end for start, end in spans)


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Each setting that differs between two stored settings documents, as
    `{"field": "policy.min_confidence", "before": 0.5, "after": 0.6}` (nested objects are
    followed down to their fields; lists compare whole)."""
    out: list[dict[str, Any]] = []
    _walk("", before, after, out)
    return out


def _walk(prefix: str, before: Any, after: Any, out: list[dict[str, Any]]) -> None:
    if isinstance(before, dict) and isinstance(after, dict):
        for key in sorted(set(before) | set(after)):
            _walk(f"{prefix}.{key}" if prefix else str(key), before.get(key), after.get(key), out)
    elif before != after:
        out.append({"field": prefix, "before": before, "after": after})
