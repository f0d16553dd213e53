"""What the routes are given: a database session, the app's services and hub, the logged-in
agent or operator, and the customer's conversation."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app import conversations
from app.auth import Lifetimes, bearer_login, bearer_token, user_for_token
from app.db import get_session
from app.errors import Forbidden, Unauthorized
from app.inputs import INT_MAX
from app.models import Conversation, User, UserRole
from app.services import Services
from handoff.hub import Hub

SessionDep = Annotated[AsyncSession, Depends(get_session)]
# A row id in a path: beyond PostgreSQL's integer it could only fail in the database (a 500).
PathId = Annotated[int, Path(ge=1, le=INT_MAX)]


def get_services(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def get_hub(request: Request) -> Hub:
    hub: Hub = request.app.state.hub
    return hub


ServicesDep = Annotated[Services, Depends(get_services)]
HubDep = Annotated[Hub, Depends(get_hub)]


def client_ip(request: Request) -> str:
    """The caller's address, as uvicorn saw it (behind a proxy: with --proxy-headers and
    FORWARDED_ALLOW_IPS naming the proxy, the client's own; README "Limits")."""
    return request.client.host if request.client else "unknown"


async def current_user(
    request: Request,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> User:
    life = Lifetimes.of(get_services(request).settings)
    user = await user_for_token(session, bearer_login(authorization), life)
    if user is None:
        raise Unauthorized("This session has ended; log in again.")
    return user


async def current_operator(user: Annotated[User, Depends(current_user)]) -> User:
    if user.role != UserRole.operator:
        raise Forbidden("Only operators may do this.")
    return user


AgentDep = Annotated[User, Depends(current_user)]  # agents and operators both work the queue
OperatorDep = Annotated[User, Depends(current_operator)]


async def customer_conversation(
    conversation_id: str,
    session: SessionDep,
    authorization: Annotated[str | None, Header()] = None,
) -> Conversation:
    """The conversation in the path, when the bearer token is its own."""
    hint = "Send the conversation token as 'Authorization: Bearer <token>'."
    token = bearer_token(authorization, hint)
    return await conversations.authorize(session, conversation_id, token)


CustomerConversation = Annotated[Conversation, Depends(customer_conversation)]
