"""The operator API: the escalation policy and texts, the knowledge base, the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import ColumnElement, and_, func, select

from app import decisions, formats, knowledge, policy, suggestions
from app.deps import OperatorDep, PathId, ServicesDep, SessionDep
from app.errors import NotFound
from app.models import Decision, MailKind, Outbox, SettingsChange, User, utcnow
from app.preview import preview
from app.schemas import DecisionView, SuggestionOut
from app.stats import compute_stats
from disclosure.texts import DEFAULTS
from handoff import assignment

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


class SettingsChangeOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int | None
    created_at: datetime
    before: dict[str, Any]  # the whole settings document, as stored
    after: dict[str, Any]


@router.get("/settings/history", response_model=list[SettingsChangeOut])
async def settings_history(_: OperatorDep, session: SessionDep) -> list[SettingsChangeOut]:
    """Who changed the settings, when, and from what to what."""
    rows = await session.execute(
        select(SettingsChange).order_by(SettingsChange.id.desc()).limit(50)
    )
    return [SettingsChangeOut.model_validate(c) for c in rows.scalars()]


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


# ---- the team: each person's capacity (console section "Team") ---------------------------


class TeamMemberOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    active: bool
    presence: str  # offline whenever no console of theirs is connected
    open: int  # conversations they hold now
    max_concurrent: int


class TeamMemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    max_concurrent: int = Field(ge=0, le=50)  # 0: takes no conversations at all


def _member(u: User, held: int) -> TeamMemberOut:
    return TeamMemberOut(
        id=u.id,
        email=u.email,
        name=u.display_name,
        role=u.role,
        active=u.active,
        presence=assignment.presence(u),
        open=held,
        max_concurrent=u.max_concurrent,
    )


@router.get("/users", response_model=list[TeamMemberOut])
async def list_users(_: OperatorDep, session: SessionDep) -> list[TeamMemberOut]:
    """Everyone who logs in to the consoles, with their capacity and load."""
    people = (await session.execute(select(User).order_by(User.id))).scalars().all()
    load = await assignment.open_counts(session, [u.id for u in people])  # one query for all
    return [_member(u, load.get(u.id, 0)) for u in people]


@router.patch("/users/{user_id}", response_model=TeamMemberOut)
async def patch_user(
    user_id: PathId, body: TeamMemberIn, _: OperatorDep, session: SessionDep
) -> TeamMemberOut:
    """Set how many conversations this person holds at once (auto-assignment and transfers
    respect it; what they hold already stays theirs)."""
    u = await session.get(User, user_id)
    if u is None:
        raise NotFound("No such user.")
    u.max_concurrent = body.max_concurrent
    await session.commit()
    return _member(u, (await assignment.open_counts(session, [u.id])).get(u.id, 0))


# ---- end of the team section ----------------------------------------------------------------


class DocumentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=300)
    text: str = Field(min_length=1, max_length=formats.MAX_TEXT_CHARS)
    source: str | None = Field(default=None, max_length=500)


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    source: str
    chunks: int
    updated_at: datetime


class DocumentAdded(BaseModel):
    id: int
    title: str
    source: str


@router.get("/kb/documents", response_model=list[DocumentOut])
async def list_documents(_: OperatorDep, session: SessionDep) -> list[DocumentOut]:
    """Every knowledge-base document with its number of passages."""
    return [DocumentOut.model_validate(d) for d in await knowledge.list_documents(session)]


@router.post("/kb/documents", status_code=201, response_model=DocumentAdded)
async def add_document(
    body: DocumentIn, _: OperatorDep, session: SessionDep, svc: ServicesDep
) -> DocumentAdded:
    """Add a Markdown or text document; the same `source` replaces the older version."""
    source = body.source or f"api:{body.title}"
    doc = await knowledge.ingest(session, source, body.title, body.text, svc.embedder)
    await session.commit()
    return DocumentAdded(id=doc.id, title=doc.title, source=doc.source)


# The file is the raw request body: nothing is read before the operator is known, and
# never more than the limit is kept (a multipart form would be spooled whole beforehand).
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": f"The file's bytes: {formats.ACCEPTED}, at most "
        f"{formats.MAX_FILE_BYTES // 2**20} MB.",
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}}
            for media in [*formats.MEDIA_TYPES, "application/octet-stream"]
        },
    }
}
FileName = Annotated[
    str,
    Query(
        min_length=1,
        max_length=255,
        pattern=r"^[^\x00-\x1f\x7f]+$",
        description="The file's name; its extension decides the type, else the Content-Type.",
    ),
]


@router.post("/kb/files", status_code=201, response_model=DocumentAdded, openapi_extra=_FILE_BODY)
async def add_file(
    request: Request,
    name: FileName,
    _: OperatorDep,
    session: SessionDep,
    svc: ServicesDep,
    source: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> DocumentAdded:
    """Add a file, parsed as `tandem kb ingest` parses it; the same `source` (by default
    `upload:NAME`) replaces the older version. A file that cannot be read gets a 422 saying why."""
    data = await _read_upload(request)
    doc = await knowledge.ingest_file(
        session,
        name,
        data,
        svc.embedder,
        source or f"upload:{name}",
        request.headers.get("content-type"),
    )
    await session.commit()
    return DocumentAdded(id=doc.id, title=doc.title, source=doc.source)


async def _read_upload(request: Request) -> bytes:
    """The body up to one byte past the limit (enough to refuse it). The rest is read and
    dropped, so that the client hears the 422 rather than a connection reset mid-upload."""
    data = bytearray()
    async for piece in request.stream():
        data += piece[: formats.MAX_FILE_BYTES + 1 - len(data)]
    return bytes(data)


@router.delete("/kb/documents/{document_id}", status_code=204)
async def delete_document(document_id: int, _: OperatorDep, session: SessionDep) -> None:
    """Remove a document; answers stop citing it on the next turn."""
    if not await knowledge.delete_document(session, document_id):
        raise NotFound("No such document.")


@router.get("/kb/suggestions", response_model=list[SuggestionOut])
async def kb_suggestions(
    _: OperatorDep,
    session: SessionDep,
    svc: ServicesDep,
    days: Annotated[int, Query(ge=1, le=365)] = 30,
) -> list[SuggestionOut]:
    """What the knowledge base may lack: questions of the last `days` the AI declined for low
    confidence or answered wrongly (as agents marked it), grouped by meaning, biggest group
    first, with redacted examples."""
    found = await suggestions.missed(session, utcnow() - timedelta(days=days))
    await session.commit()  # end the read before the embedding work
    grouped = await anyio.to_thread.run_sync(suggestions.suggest, found, svc.embedder)
    return [SuggestionOut.model_validate(s) for s in grouped]


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
    before_id: int | None = None,
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


class WaitOut(BaseModel):
    median: float | None
    p90: float | None
    count: int


class SatisfactionOut(BaseModel):
    ratings: int
    average: float | None


class StatsOut(BaseModel):
    turns: int
    conversations: int
    containment_rate: float | None
    outcomes: dict[str, int]
    escalations_by_reason: dict[str, int]
    wait_seconds: WaitOut
    satisfaction: SatisfactionOut


@router.get("/stats", response_model=StatsOut)
async def stats(_: OperatorDep, session: SessionDep) -> StatsOut:
    """Containment rate, escalations by reason, waiting times and satisfaction."""
    return StatsOut.model_validate(await compute_stats(session))


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
