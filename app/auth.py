"""Agent and operator accounts: login, revocable server-side sessions, role checks."""

from __future__ import annotations

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Invalid, Unauthorized
from app.models import AuthSession, User, UserRole
from app.security import hash_password, hash_token


async def create_user(
    session: AsyncSession, email: str, password: str, role: str, name: str = ""
) -> User:
    """A new agent or operator (operators may also work the queue)."""
    if role not in set(UserRole):
        raise Invalid(f"role must be one of {', '.join(UserRole)}")
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


def bearer_login(authorization: str | None) -> str:
    return bearer_token(authorization, "Log in and send 'Authorization: Bearer <token>'.")
