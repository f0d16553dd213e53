"""Logging in and out: agents and operators exchange a password for a revocable session."""

from __future__ import annotations

from typing import Annotated

import anyio
from fastapi import APIRouter, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from app.auth import bearer_login, cap_sessions
from app.deps import ServicesDep, SessionDep, client_ip
from app.errors import Unauthorized
from app.events import SessionEnded, commit_and_publish
from app.models import AuthSession, User, utcnow
from app.security import hash_password, hash_token, needs_rehash, new_token, verify_password

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class LoginOut(BaseModel):
    token: str
    role: str
    name: str


@router.post(
    "/login",
    response_model=LoginOut,
    responses={429: {"description": "Too many attempts from this address, or the account is "
                     "locked after too many wrong passwords; `Retry-After` says when to retry."}},
)  # fmt: skip
async def login(body: LoginIn, request: Request, svc: ServicesDep, session: SessionDep) -> LoginOut:
    """Exchange e-mail and password for a session token."""
    email = body.email.strip().lower()
    await svc.limits.check_login(email, client_ip(request))
    user = (await session.execute(select(User).where(User.email == email))).scalar_one_or_none()
    # Argon2 takes tens of milliseconds of CPU: in a worker thread, never on the event loop;
    # unknown e-mails verify a dummy hash, so they take as long as known ones.
    known = user.password_hash if user is not None and user.active else None
    if not await anyio.to_thread.run_sync(verify_password, known, body.password):
        await svc.limits.login_failed(email)
        raise Unauthorized("Wrong e-mail or password.")
    assert user is not None
    await svc.limits.login_succeeded(email)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(body.password)
    token = new_token()
    session.add(AuthSession(token_hash=hash_token(token), user_id=user.id))
    await session.flush()
    await cap_sessions(session, user.id, svc.limits.sessions_per_account)
    await session.commit()
    return LoginOut(token=token, role=user.role, name=user.display_name)


@router.post("/logout", status_code=204)
async def logout(
    svc: ServicesDep, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Revoke this session token; consoles still connected with it close at once."""
    token_hash = hash_token(bearer_login(authorization))
    await session.execute(
        update(AuthSession).where(AuthSession.token_hash == token_hash).values(revoked_at=utcnow())
    )
    await commit_and_publish(session, svc.broker, [SessionEnded.of(token_hash)])
