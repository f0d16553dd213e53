"""Agent and operator accounts: login, revocable server-side sessions, role checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Request
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import and_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import SessionDep
from app.errors import Forbidden, Invalid, Unauthorized
from app.models import AuthSession, User, utcnow
from app.security import hash_password, hash_token, needs_rehash, new_token, verify_password
from handoff.events import SessionEnded

ROLES = ("agent", "operator")
router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=1000)


class LoginOut(BaseModel):
    token: str
    role: str
    name: str


async def create_user(
    session: AsyncSession, email: str, password: str, role: str, name: str = ""
) -> User:
    """A new agent or operator (operators may also work the queue)."""
    if role not in ROLES:
        raise Invalid(f"role must be one of {', '.join(ROLES)}")
    if len(password) < 8:
        raise Invalid("the password must have at least 8 characters")
    email = email.strip().lower()
    if (await session.execute(select(User).where(User.email == email))).scalar_one_or_none():
        raise Invalid(f"a user with e-mail {email} already exists")
    user = User(
        email=email,
        password_hash=hash_password(password),
        role=role,
        display_name=name or email.split("@")[0].replace(".", " ").title(),
    )
    session.add(user)
    await session.flush()
    return user


# A login holds while it is not revoked and its account is active (an agent's session-token
# hash and the user it belongs to, joined).
_HOLDS = and_(AuthSession.user_id == User.id, AuthSession.revoked_at.is_(None), User.active)


async def user_for_token(session: AsyncSession, token: str) -> User | None:
    query = select(User).where(AuthSession.token_hash == hash_token(token), _HOLDS)
    return (await session.execute(query)).scalar_one_or_none()


async def ended_logins(session: AsyncSession, token_hashes: set[str]) -> set[str]:
    """Those of these logins that no longer hold (revoked, or the account disabled or gone)."""
    if not token_hashes:
        return set()
    query = select(AuthSession.token_hash).where(AuthSession.token_hash.in_(token_hashes), _HOLDS)
    return token_hashes - set((await session.execute(query)).scalars())


def bearer_token(authorization: str | None, hint: str) -> str:
    """The token of an 'Authorization: Bearer <token>' header; `hint` says how to get one."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized(hint)
    return token.strip()


def _bearer(authorization: str | None) -> str:
    return bearer_token(authorization, "Log in and send 'Authorization: Bearer <token>'.")


async def current_user(
    session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> User:
    user = await user_for_token(session, _bearer(authorization))
    if user is None:
        raise Unauthorized("This session has ended; log in again.")
    return user


async def current_operator(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != "operator":
        raise Forbidden("Only operators may do this.")
    return user


AgentDep = Annotated[User, Depends(current_user)]  # agents and operators both work the queue
OperatorDep = Annotated[User, Depends(current_operator)]


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
    request: Request, session: SessionDep, authorization: Annotated[str | None, Header()] = None
) -> None:
    """Revoke this session token; consoles still connected with it close at once."""
    token_hash = hash_token(_bearer(authorization))
    await session.execute(
        update(AuthSession).where(AuthSession.token_hash == token_hash).values(revoked_at=utcnow())
    )
    await session.commit()
    await request.app.state.services.broker.publish(SessionEnded.of(token_hash))
