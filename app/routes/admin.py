"""The operator API: the escalation policy and texts, their preview and history, the audit
trail and the e-mail outbox. The knowledge base, the team and the stats have their own modules
(`admin_kb`, `admin_users`, `admin_stats`)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, func, select

from app import decisions, policy
from app.deps import OperatorDep, ServicesDep, SessionDep
from app.inputs import DbInt
from app.models import Decision, MailKind, Outbox, SettingsChange, User
from app.preview import preview
from app.schemas import DecisionView
from disclosure.texts import DEFAULTS

router = APIRouter(prefix="/api/v1/admin", tags=["operator"])


class SettingsOut(policy.OperatorConfig):
    default_texts: dict[str, dict[str, str]]


@router.get("/settings", response_model=SettingsOut)
async def get_settings(_: OperatorDep, session: SessionDep) -> SettingsOut:
    """The policy and text overrides in force, with the built-in texts they override."""
    config = await policy.load(session)
    return SettingsOut(**config.model_dump(), default_texts=DEFAULTS)


@router.put("/settings", response_model=policy.OperatorConfig)
async def put_settings(
    body: policy.OperatorConfig, user: OperatorDep, session: SessionDep
) -> policy.OperatorConfig:
    """Replace the settings; every replica reads them on its next turn. The change is logged."""
    await policy.save(session, body, user.id)
    await session.commit()
    return body


class FieldChange(BaseModel):
    field: str  # e.g. policy.min_confidence, disclosure.texts.nl.disclosure
    before: Any
    after: Any


class SettingsChangeOut(BaseModel):
    id: int
    user_id: int | None
    user: str | None  # who saved it (name and e-mail); None once the account is gone
    created_at: datetime
    changes: list[FieldChange]  # only what differs
    before: dict[str, Any]  # the whole settings document, as stored
    after: dict[str, Any]


@router.get("/settings/history", response_model=list[SettingsChangeOut])
async def settings_history(_: OperatorDep, session: SessionDep) -> list[SettingsChangeOut]:
    """Who changed the settings, when, and what: the 50 latest saves, newest first."""
    rows = await session.execute(
        select(SettingsChange, User.display_name, User.email)
        .outerjoin(User, User.id == SettingsChange.user_id)
        .order_by(SettingsChange.id.desc())
        .limit(50)
    )
    return [
        SettingsChangeOut(
            id=c.id,
            user_id=c.user_id,
            user=f"{name} ({email})" if email else None,
            created_at=c.created_at,
            changes=[FieldChange(**d) for d in policy.changes(_filled(c.before), c.after)],
            before=c.before,
            after=c.after,
        )
        for c, name, email in rows.all()
    ]


def _filled(before: dict[str, Any]) -> dict[str, Any]:
    """The first save has no stored `before`: it changed the built-in defaults."""
    if before:
        return before
    return policy.OperatorConfig(policy=policy.Policy(), disclosure=policy.Disclosure()).model_dump(
        mode="json"
    )


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    policy: policy.Policy
    limit: int = Field(200, ge=1, le=5000)


class ChangedTurn(BaseModel):
    decision_id: int
    conversation_id: str
    before: str  # "outcome:reason"
    after: str


class PreviewOut(BaseModel):
    considered: int
    before: dict[str, int]  # "outcome:reason" -> turns
    after: dict[str, int]
    changed: list[ChangedTurn]
    changed_count: int


@router.post("/settings/preview", response_model=PreviewOut)
async def preview_settings(body: PreviewIn, _: OperatorDep, session: SessionDep) -> PreviewOut:
    """What the proposed policy would have decided on the most recent turns."""
    return PreviewOut.model_validate(await preview(session, body.policy, body.limit))


class DecisionOut(DecisionView):
    """What agents see of a decision, plus what operators audit it with."""

    id: int
    conversation_id: str
    thresholds: dict[str, Any]  # the policy in force, as stored
    hash: str
    prev_hash: str


class DecisionsOut(BaseModel):
    decisions: list[DecisionOut]
    chain_intact: bool


@router.get("/decisions", response_model=DecisionsOut)
async def list_decisions(
    _: OperatorDep,
    session: SessionDep,
    svc: ServicesDep,
    outcome: str | None = None,
    reason: str | None = None,
    conversation_id: str | None = None,
    since: datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    before_id: DbInt | None = None,
) -> DecisionsOut:
    """The audit trail, newest first, with the signals and thresholds behind each decision."""
    query = select(Decision).order_by(Decision.id.desc()).limit(limit)
    for column, value in (
        (Decision.outcome, outcome),
        (Decision.reason, reason),
        (Decision.conversation_id, conversation_id),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(Decision.created_at >= since)
    if before_id is not None:
        query = query.where(Decision.id < before_id)
    rows = (await session.execute(query)).scalars().all()
    return DecisionsOut(
        decisions=[_decision(d) for d in rows],
        chain_intact=await decisions.verify_chain(
            session, decisions.chain_key(svc.settings.secret_key)
        )
        is None,
    )


def _decision(d: Decision) -> DecisionOut:
    return DecisionOut(
        **decisions.describe(d),
        id=d.id,
        conversation_id=d.conversation_id,
        thresholds=d.thresholds,
        hash=d.hash,
        prev_hash=d.prev_hash,
    )


# --- E-mail: the outbox, so operators see what did not leave and why ---

OutboxState = Literal["pending", "sent", "failed"]


class OutboxRow(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    conversation_id: str
    kind: MailKind
    recipient: str
    attempts: int
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None


class OutboxOut(BaseModel):
    configured: bool  # TANDEM_SMTP_URL is set; without it nothing is queued or sent
    counts: dict[OutboxState, int]
    rows: list[OutboxRow]


_OUTBOX_STATES: dict[OutboxState, ColumnElement[bool]] = {
    "pending": and_(Outbox.sent_at.is_(None), Outbox.failed_at.is_(None)),
    "sent": Outbox.sent_at.is_not(None),
    "failed": Outbox.failed_at.is_not(None),
}


@router.get("/outbox", response_model=OutboxOut)
async def list_outbox(
    svc: ServicesDep,
    _: OperatorDep,
    session: SessionDep,
    state: OutboxState = "failed",
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> OutboxOut:
    """E-mails by state (newest first), how many are in each state, and whether SMTP is set."""
    rows = await session.execute(
        select(Outbox).where(_OUTBOX_STATES[state]).order_by(Outbox.id.desc()).limit(limit)
    )
    counts: dict[OutboxState, int] = {}
    for name, where in _OUTBOX_STATES.items():
        total = await session.execute(select(func.count()).select_from(Outbox).where(where))
        counts[name] = int(total.scalar_one())
    return OutboxOut(
        configured=svc.settings.mail_configured,
        counts=counts,
        rows=[OutboxRow.model_validate(r) for r in rows.scalars()],
    )
