"""The application: create_app builds the routes; the lifespan builds the long-lived clients."""

from __future__ import annotations

import hmac
import logging
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import FastAPI, Header
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy import text
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

import frontend
from app import errors, policy, retention
from app.auth import bearer_login, user_for_token
from app.checks.entailment import load_entailment
from app.checks.human_request import HumanRequestDetector
from app.checks.redaction import RedactingFilter
from app.checks.sentiment import load_sentiment
from app.crosslingual import LazySentencesAcross, sentences_across
from app.db import create_engine, sessionmaker
from app.embeddings import Embedder, load_embedder
from app.errors import Forbidden, NotFound, Unauthorized
from app.events import Broker
from app.inputs import InputGuard
from app.llm import LLM
from app.models import UserRole
from app.outbox import Postman
from app.recovery import Rescuer
from app.retention import Purger
from app.retrieval import Retriever
from app.routes.admin import router as admin_router
from app.routes.admin_kb import router as admin_kb_router
from app.routes.admin_stats import router as admin_stats_router
from app.routes.admin_users import router as admin_users_router
from app.routes.agent import router as agent_router
from app.routes.audit import router as audit_router
from app.routes.auth import router as auth_router
from app.routes.canned import router as canned_router
from app.routes.colleagues import router as colleagues_router
from app.routes.customer import router as customer_router
from app.routes.docs import install as install_docs
from app.routes.history import router as history_router
from app.routes.marks import router as marks_router
from app.routes.pages import router as pages_router
from app.routes.pages import security_headers
from app.routes.privacy import router as privacy_router
from app.routes.sockets import router as ws_router
from app.services import Services
from app.settings import Settings
from disclosure.policy_page import STYLE_SOURCE as POLICY_STYLE
from disclosure.policy_page import Facts as PolicyFacts
from disclosure.policy_page import render as render_policy
from disclosure.texts import choose_locale
from handoff.broker import InProcessBroker
from handoff.hub import Hub
from handoff.redis_broker import RedisBroker
from handoff.timers import Clock

log = logging.getLogger("tandem")


def build_services(settings: Settings) -> Services:
    """Load models and clients once per process (models before the first request, not during)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    engine = create_engine(settings.database_url)
    embedder = load_embedder(settings.embedding_model)
    if embedder is None:
        log.warning("no embedding model: retrieval is lexical-only")
    llm = LLM(settings) if settings.llm_configured else None
    if llm is None:
        log.warning("no LLM configured: answers quote the help centre directly")
    sessions = sessionmaker(engine)
    postman = Postman(sessions, settings) if settings.mail_configured else None
    if postman is None:
        log.warning("no TANDEM_SMTP_URL: no e-mail is sent, and none is promised")
    return Services(
        settings=settings,
        engine=engine,
        sessions=sessions,
        embedder=embedder,
        retriever=Retriever(embedder),
        human=HumanRequestDetector(embedder),
        sentiment=load_sentiment(settings.sentiment_model, embedder),
        llm=llm,
        broker=_broker(settings),
        entailment=load_entailment(settings.grounding_model),
        postman=postman,
        across=_across(embedder, llm),
    )


def _across(embedder: Embedder | None, llm: LLM | None) -> Embedder | None:
    """The sentence encoder across languages (+41 MiB resident): loaded now with a model, which
    grounds every draft with it; in quote mode only on the first question that needs it."""
    if embedder is None:
        return None
    return sentences_across() if llm is not None else LazySentencesAcross()


def _broker(settings: Settings) -> Broker:
    """Redis when replicas must share events; otherwise events stay in this process."""
    if settings.redis_url:
        return RedisBroker(settings.redis_url, settings.redis_channel)
    return InProcessBroker()


def install_log_redaction() -> None:
    """Scrub personal data from every log line, ours and the server's (handlers, not loggers,
    so records from child loggers are covered too)."""
    for name in ("", "uvicorn", "uvicorn.error", "uvicorn.access", "tandem"):
        for handler in logging.getLogger(name).handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(RedactingFilter())


def create_app(settings: Settings | None = None, services: Services | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        install_log_redaction()
        svc = services or build_services(settings)
        app.state.services = svc
        app.state.sessions = svc.sessions
        app.state.hub = hub = Hub(svc)
        await hub.start()
        await svc.broker.start()
        clock = Clock(svc)
        clock.start()
        if svc.postman is not None:
            svc.postman.start()
        purger = Purger(svc.sessions, svc.settings.purge_interval_seconds)
        purger.start()
        rescuer = Rescuer(svc, svc.settings.rescue_poll_seconds)  # turns a crash stranded
        rescuer.start()
        svc.limits.sockets.start()  # renews this replica's socket leases in Redis
        try:
            yield
        finally:
            await svc.limits.sockets.stop()
            await rescuer.stop()
            await purger.stop()
            if svc.postman is not None:
                await svc.postman.stop()
            await clock.stop()
            await hub.stop()
            await svc.broker.stop()
            if svc.llm is not None:
                await svc.llm.close()
            if services is None:
                await svc.limits.close()
                await svc.engine.dispose()

    app = FastAPI(
        title="Tandem",
        version="0.1.0",
        summary="Customer-service chat: an AI answers first, a human is always one step away.",
        lifespan=lifespan,
        docs_url=None,  # served from local assets (app/routes/docs.py)
        redoc_url=None,
    )
    errors.install(app)
    app.add_middleware(InputGuard)
    app.add_middleware(NoStore)
    if settings.origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.origins,
            allow_methods=["GET", "POST", "DELETE", "PUT"],
            allow_headers=["Authorization", "Content-Type", "Accept-Language"],
        )
    app.include_router(customer_router)
    app.include_router(auth_router)
    app.include_router(agent_router)
    app.include_router(marks_router)
    app.include_router(canned_router)
    app.include_router(colleagues_router)
    app.include_router(history_router)
    app.include_router(pages_router)
    app.include_router(ws_router)
    app.include_router(admin_router)
    app.include_router(audit_router)
    app.include_router(privacy_router)
    app.include_router(admin_kb_router)
    app.include_router(admin_users_router)
    app.include_router(admin_stats_router)
    _pages(app, settings)
    install_docs(app)
    return app


async def _redis_answers(url: str) -> bool:
    """Whether Redis answers a PING within a second (a fresh client: the probe must not wait
    behind the broker's own reconnect attempts)."""
    client = Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1)
    try:
        return bool(await client.ping())
    except (RedisError, OSError):
        return False
    finally:
        await client.aclose()


def _pages(app: FastAPI, settings: Settings) -> None:
    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        svc: Services = app.state.services
        report: dict[str, str] = {}
        try:
            async with svc.sessions() as s:
                await s.execute(text("SELECT 1"))
            report["database"] = "ok"
        except Exception:
            report["database"] = "unreachable"
        if settings.redis_url:  # events between replicas: without it agents miss customers
            report["redis"] = "ok" if await _redis_answers(settings.redis_url) else "unreachable"
        down = sorted(name for name, state in report.items() if state != "ok")
        if down:
            return JSONResponse({"status": "down", "down": down, **report}, status_code=503)
        llm = "none" if svc.llm is None else svc.llm.breaker.state
        status = "degraded" if llm == "open" else "ok"
        return JSONResponse({"status": status, **report, "llm": llm})

    @app.get("/metrics", include_in_schema=False)
    async def metrics(authorization: Annotated[str | None, Header()] = None) -> Response:
        await _may_scrape(app, settings, authorization)
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/ai-policy", response_class=HTMLResponse, include_in_schema=False)
    async def ai_policy(
        locale: str | None = None, accept_language: Annotated[str | None, Header()] = None
    ) -> HTMLResponse:
        svc: Services = app.state.services
        async with svc.sessions() as s:
            facts = PolicyFacts(
                provider=settings.provider_label,
                mail=settings.mail_configured,
                retention_days=(await policy.load(s)).policy.retention_days,
                last_purge=await retention.last_run(s),
            )
        page = render_policy(choose_locale(locale, accept_language), facts)
        return HTMLResponse(page, headers=security_headers(style_src=POLICY_STYLE))

    app.mount("/static", StaticFiles(directory=frontend.FILES), name="static")


async def _may_scrape(app: FastAPI, settings: Settings, authorization: str | None) -> None:
    """TANDEM_METRICS: who may read /metrics (it names routes, counts and timings)."""
    if settings.metrics == "off":
        raise NotFound("Metrics are turned off (TANDEM_METRICS=off).")
    if settings.metrics == "public":
        return
    token = bearer_login(authorization)
    if settings.metrics_token and hmac.compare_digest(token, settings.metrics_token):
        return
    svc: Services = app.state.services
    async with svc.sessions() as s:
        user = await user_for_token(s, token)
    if user is None:
        raise Unauthorized("Send an operator's login or TANDEM_METRICS_TOKEN as a Bearer token.")
    if user.role != UserRole.operator:
        raise Forbidden("Only operators may read the metrics.")


class NoStore:
    """`Cache-Control: no-store` on every API response: many carry a token or a transcript, and
    no proxy or browser cache may keep one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/"):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_no_store)
