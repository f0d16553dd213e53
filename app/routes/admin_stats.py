"""The operator's figures over a range of days (definitions in `app/stats.py`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from app.deps import OperatorDep, SessionDep
from app.errors import Invalid
from app.models import utcnow
from app.stats import Range, compute_stats

router = APIRouter(prefix="/api/v1/admin", tags=["operator"])

MAX_DAYS = 366
DEFAULT_DAYS = 30


class WaitOut(BaseModel):
    median: float | None
    p90: float | None
    count: int


class SatisfactionOut(BaseModel):
    ratings: int
    average: float | None
    distribution: dict[str, int]  # "1".."5" -> ratings


class HandoffDay(BaseModel):
    day: date
    reasons: dict[str, int]


class AgentFigures(BaseModel):
    id: int
    name: str
    conversations: int
    median_first_response_seconds: float | None
    ratings: int
    average_rating: float | None


class StatsOut(BaseModel):
    from_: date = Field(alias="from")
    to: date
    conversations: int
    contained: int
    containment_rate: float | None
    handed_over_before_typing: int
    turns: int
    outcomes: dict[str, int]
    escalations_by_reason: dict[str, int]
    handoffs_by_day: list[HandoffDay]
    wait_seconds: WaitOut
    satisfaction: SatisfactionOut
    agents: list[AgentFigures]


Day = Annotated[date | None, Query(description="A UTC day, YYYY-MM-DD; both ends included.")]


@router.get("/stats", response_model=StatsOut, response_model_by_alias=True)
async def stats(
    _: OperatorDep,
    session: SessionDep,
    from_: Annotated[Day, Query(alias="from")] = None,
    to: Day = None,
) -> StatsOut:
    """Containment, handoffs by reason per day, waits, satisfaction and per-agent figures for
    conversations started from `from` to `to` (by default the last 30 days, today included)."""
    last = to or utcnow().date()
    first = from_ or last - timedelta(days=DEFAULT_DAYS - 1)
    if first > last:
        raise Invalid(f"The range starts ({first}) after it ends ({last}): swap the dates.")
    if (last - first).days >= MAX_DAYS:
        raise Invalid(f"Choose at most {MAX_DAYS} days; this range has {(last - first).days + 1}.")
    return StatsOut.model_validate(await compute_stats(session, Range(first, last)))
