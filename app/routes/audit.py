"""The operator's audits: run the bias audit (counterfactual probes) and read the latest report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from app import bias
from app.bias_probes import Thresholds, choose
from app.deps import OperatorDep, ServicesDep, SessionDep
from app.errors import Invalid
from app.models import BiasReport

router = APIRouter(prefix="/api/v1/admin/audit", tags=["operator"])


class BiasRun(BaseModel):
    """Which probe sets to send (all when empty) and the thresholds to judge them by."""

    model_config = ConfigDict(extra="forbid")

    sets: list[str] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)


class BiasReportOut(BaseModel):
    id: int
    user_id: int | None
    passed: bool
    created_at: datetime
    report: dict[str, Any]


def _out(row: BiasReport) -> BiasReportOut:
    return BiasReportOut(
        id=row.id,
        user_id=row.user_id,
        passed=row.passed,
        created_at=row.created_at,
        report=row.report,
    )


@router.post("/bias", response_model=BiasReportOut)
async def run_bias_audit(
    user: OperatorDep, svc: ServicesDep, body: BiasRun | None = None
) -> BiasReportOut:
    """Send the counterfactual probes through the real turn (on a throw-away copy of the
    knowledge base and settings), store the report and return it. Takes seconds to a minute."""
    body = body or BiasRun()
    try:
        chosen = choose(body.sets)
    except ValueError as exc:
        raise Invalid(str(exc)) from None
    report = await bias.run_audit(svc, body.thresholds, chosen)
    return _out(await bias.store(svc.sessions, report, user.id))


@router.get("/bias", response_model=BiasReportOut | None)
async def latest_bias_report(_: OperatorDep, session: SessionDep) -> BiasReportOut | None:
    """The newest bias report; null until an audit has run (nothing is missing: the console
    then offers to run one)."""
    row = await bias.latest(session)
    return None if row is None else _out(row)
