"""Agent and operator accounts: login, revocable server-side sessions, role checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.errors import Invalid, Unauthorized
from app.models import AuthSession, User, UserRole, utcnow
from app.passwords import check_password
from app.security import hash_password, hash_token
from app.settings import Settings


async def create_user(
    session: AsyncSession, email: str, password: str, role: str, name: str = ""
) -> User:
    """A new agent or operator (operators may also work the queue)."""
    if role not in set(UserRole):
        raise Invalid(f"role must be one of {', '.join(UserRole)}")
    check_password(password)
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
# last_used_at is written at most this often: not one write per request.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class Lifetimes:
    """How long a login lasts unused (`idle`) and at most (`absolute`)."""

    idle: timedelta = timedelta(hours=12)
    absolute: timedelta = timedelta(days=7)

    @classmethod
    def of(cls, settings: Settings) -> Lifetimes:
        return cls(
            timedelta(hours=settings.session_idle_hours),
            timedelta(days=settings.session_lifetime_days),
        )


async def user_for_token(
    session: AsyncSession, token: str, life: Lifetimes | None = None
) -> User | None:
    """The account of a login that holds and has neither idled out nor outlived its lifetime;
    its last use is recorded (at most once a minute)."""
    life, now = life or Lifetimes(), utcnow()
    last_used = func.coalesce(AuthSession.last_used_at, AuthSession.created_at)
    query = select(User, last_used).where(
        AuthSession.token_hash == hash_token(token),
        _HOLDS,
        AuthSession.created_at > now - life.absolute,
        last_used > now - life.idle,
    )
    row = (await session.execute(query)).one_or_none()
    if row is None:
        return None
    user, used = row
    if _aware(used) < now - TOUCH_EVERY:
        await _touch(session, hash_token(token), now)
    return user


def _aware(moment: datetime) -> datetime:
    """SQLite hands datetimes back without their (UTC) zone."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def _touch(session: AsyncSession, token_hash: str, now: datetime) -> None:
    """Record a login's use in its own transaction: the request's may only read."""
    maker = async_sessionmaker(session.bind, expire_on_commit=False)
    async with maker() as own:
        update_ = update(AuthSession).where(AuthSession.token_hash == token_hash)
        await own.execute(update_.values(last_used_at=now))
        await own.commit()


async def cap_sessions(session: AsyncSession, user_id: int, keep: int) -> None:
    """Revoke all but the `keep` newest live logins of an account (0: no cap)."""
    if keep <= 0:
        return
    live = (
        select(AuthSession.token_hash)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .order_by(AuthSession.created_at.desc())
        .offset(keep)
    )
    old = list((await session.execute(live)).scalars())
    if old:
        await session.execute(
            update(AuthSession).where(AuthSession.token_hash.in_(old)).values(revoked_at=utcnow())
        )


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
