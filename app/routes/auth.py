"""Logging in and out: agents and operators exchange a password for a revocable session."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select, update

from app.auth import bearer_login
from app.deps import ServicesDep, SessionDep
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


@router.post("/login", response_model=LoginOut)
async def login(body: LoginIn, session: SessionDep) -> LoginOut:
    """Exchange e-mail and password for a session token."""
    user = (
        await session.execute(select(User).where(User.email == body.email.strip().lower()))
    ).scalar_one_or_none()
    if user is None or not user.active or not verify_password(user.password_hash, body.password):
        raise Unauthorized("Wrong e-mail or password.")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(body.password)
    token = new_token()
    session.add(AuthSession(token_hash=hash_token(token), user_id=user.id))
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
