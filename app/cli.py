"""The `tandem` command: serve, migrate, kb ingest, users create, models fetch, eval; purge and
audit (verify, bias) live in `app/cli_records.py`."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from app import cli_records as records
from app.checks.model_files import FETCHED
from app.settings import InsecureSettings, Settings, check_models, check_secure


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        result: int = args.run(args)
        return result
    except InsecureSettings as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 2
    except Unreachable as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 3
    except (ValueError, FileNotFoundError) as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="tandem", description=__doc__)
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    serve = sub.add_parser("serve", help="apply migrations and serve the API and consoles")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="load the demo KB and demo logins")
    serve.set_defaults(run=_serve)
    sub.add_parser("migrate", help="upgrade the database schema").set_defaults(run=_migrate)
    kb = sub.add_parser("kb", help="manage the knowledge base").add_subparsers(required=True)
    ingest = kb.add_parser("ingest", help="add or replace Markdown, text, HTML and PDF files")
    ingest.add_argument("paths", nargs="+", type=Path)
    ingest.set_defaults(run=_ingest)
    users = sub.add_parser("users", help="manage agents and operators").add_subparsers(
        required=True
    )
    create = users.add_parser("create", help="create a user; the password is read from stdin")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=["agent", "operator"])
    create.add_argument("--name", default="")
    create.set_defaults(run=_create_user)
    models = sub.add_parser("models", help="model files").add_subparsers(required=True)
    fetch = models.add_parser(
        "fetch", help="download a transformers model (sentiment or grounding) ahead of time"
    )
    fetch.add_argument("name")
    fetch.add_argument("--dest", type=Path, default=FETCHED)
    fetch.set_defaults(run=_fetch)
    audit = sub.add_parser("audit", help="audits: the decision record, equal treatment")
    checks = audit.add_subparsers(required=True, metavar="CHECK")
    verify = checks.add_parser("verify", help="check the decision chain, link by link")
    verify.set_defaults(run=records.audit_verify)
    bias = checks.add_parser(
        "bias", help="counterfactual probes through the real pipeline; stores and prints a report"
    )
    bias.add_argument(
        "--threshold",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="override a threshold (handoff_gap, confidence_gap, negative_gap, min_same_source, "
        "min_same_text)",
    )
    bias.add_argument(
        "--set", action="append", default=[], dest="sets", help="only this probe set (repeatable)"
    )
    bias.add_argument("--json", type=Path, dest="json_path", help="also write the report here")
    bias.set_defaults(run=records.audit_bias)
    ev = sub.add_parser("eval", help="quality figures: the checks, or scripted conversations")
    ev.add_argument("suite", help="`checks` (the labelled sets) or a suite file (docs/evals.md)")
    ev.add_argument("--json", type=Path, dest="json_path", help="also write the report here")
    ev.set_defaults(run=_eval)
    purge = sub.add_parser("purge", help="purge the transcripts older than the retention period")
    purge.add_argument("--dry-run", action="store_true", help="only report what would go")
    purge.add_argument("--as-of", help="purge as if it were this date (YYYY-MM-DD, UTC)")
    purge.set_defaults(run=records.purge)
    return p


def _migrate(_: argparse.Namespace) -> int:
    from app.db import migrate

    settings = Settings()
    migrate(settings.database_url)
    print("database is at the newest schema")
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from app.db import migrate
    from app.errors import DATABASE_ERRORS
    from app.http_protocol import headers_in_time
    from app.main import create_app

    settings = Settings(demo=args.demo) if args.demo else Settings()
    check_secure(settings)
    check_models(settings)  # a transformers model without torch stops here, on one line
    _ = settings.smtp  # a bad TANDEM_SMTP_URL stops here, on one line
    refused: tuple[type[Exception], ...] = (*DATABASE_ERRORS, OSError)  # unknown host too
    try:
        migrate(settings.database_url)
    except refused as exc:
        raise Unreachable(_unreachable("the database", "TANDEM_DATABASE_URL", exc)) from exc
    if settings.redis_url:
        asyncio.run(_ping_redis(settings.redis_url))
    if args.demo:
        logins = asyncio.run(_load_demo(settings))
        print("\nTandem demo is ready:")
        print(f"  chat widget     http://{args.host}:{args.port}/")
        print(f"  agent console   http://{args.host}:{args.port}/console")
        print(f"  operator console http://{args.host}:{args.port}/admin")
        for role, (email, password) in logins.items():
            print(f"  {role:<9} login  {email} / {password}")
        print()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level="info",
        ws="wsproto",  # the leanest idle websocket in our measurements (benchmarks/handoff.py)
        ws_per_message_deflate=False,
        ws_max_size=64 * 1024,
        # A request head must arrive within TANDEM_HEADER_TIMEOUT_SECONDS (app/http_protocol.py);
        # idle keep-alive connections close after 5 s.
        http=headers_in_time(settings.header_timeout_seconds),
        timeout_keep_alive=5,
    )
    return 0


class Unreachable(Exception):
    """A service Tandem needs did not answer at start-up; the message says what to fix."""


def _unreachable(what: str, variable: str, exc: BaseException) -> str:
    # The driver's own first line says why (refused, unknown host, bad password), without
    # the URL itself: it may carry a password.
    cause = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    why = cause[0][:200] if cause else type(exc).__name__
    kind = type(exc).__name__
    return f"cannot use {what} ({kind}: {why}); is it running, and is {variable} right?"


async def _ping_redis(url: str) -> None:
    from redis.asyncio import Redis

    client = Redis.from_url(url, socket_connect_timeout=3)
    try:
        await client.ping()
    except Exception as exc:
        raise Unreachable(_unreachable("Redis", "TANDEM_REDIS_URL", exc)) from exc
    finally:
        await client.aclose()


async def _load_demo(settings: Settings) -> dict[str, tuple[str, str]]:
    """Ingest the demo KB and (re)create demo logins with fresh random passwords."""
    from sqlalchemy import select

    from app.auth import create_user
    from app.db import create_engine, sessionmaker
    from app.embeddings import load_embedder
    from app.knowledge import ingest_demo
    from app.models import User
    from app.security import hash_password

    engine = create_engine(settings.database_url)
    embedder = load_embedder(settings.embedding_model)
    logins: dict[str, tuple[str, str]] = {}
    async with sessionmaker(engine)() as s:
        await ingest_demo(s, embedder)
        for role, email, name in (
            ("agent", "agent@demo.tandem", "Sam Agent"),
            ("operator", "operator@demo.tandem", "Olivia Operator"),
        ):
            password = secrets.token_urlsafe(9)
            user = (await s.execute(select(User).where(User.email == email))).scalar_one_or_none()
            if user is None:
                await create_user(s, email, password, role, name)
            else:
                user.password_hash = hash_password(password)
            logins[role] = (email, password)
        await s.commit()
    await engine.dispose()
    return logins


def _ingest(args: argparse.Namespace) -> int:
    return asyncio.run(_ingest_async(args.paths))


async def _ingest_async(paths: list[Path]) -> int:
    from app.db import create_engine, migrate, sessionmaker
    from app.embeddings import load_embedder
    from app.errors import TandemError
    from app.knowledge import ingest_path

    settings = Settings()
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        raise FileNotFoundError(f"no such file: {', '.join(missing)}")
    await asyncio.to_thread(migrate, settings.database_url)
    engine = create_engine(settings.database_url)
    embedder = load_embedder(settings.embedding_model)
    failed = 0
    async with sessionmaker(engine)() as s:
        for path in paths:
            try:
                doc = await ingest_path(s, path, embedder)
            except TandemError as exc:  # one unreadable file must not stop the others
                print(f"tandem: {exc.detail}", file=sys.stderr)
                failed += 1
                continue
            print(f"ingested {path} as document {doc.id}: {doc.title}")
        await s.commit()
    await engine.dispose()
    return 1 if failed else 0


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Password: ")
    return sys.stdin.readline().rstrip("\r\n")


def _create_user(args: argparse.Namespace) -> int:
    password = _read_password()
    return asyncio.run(_create_user_async(args.email, password, args.role, args.name))


async def _create_user_async(email: str, password: str, role: str, name: str) -> int:
    from app.auth import create_user
    from app.db import create_engine, migrate, sessionmaker
    from app.errors import TandemError

    settings = Settings()
    await asyncio.to_thread(migrate, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        async with sessionmaker(engine)() as s:
            user = await create_user(s, email, password, role, name)
            await s.commit()
            print(f"created {role} {user.email}")
    except TandemError as exc:
        print(f"tandem: {exc.detail}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()
    return 0


def _fetch(args: argparse.Namespace) -> int:
    from app.checks.model_files import fetch_model

    path = fetch_model(args.name, args.dest)
    uses = model_uses(path)
    if not uses:
        raise ValueError(
            f"saved {args.name} to {path}, but no check can use it: sentiment needs "
            "negative/neutral/positive-like labels, grounding an entailment label or one output"
        )
    for variable in uses:
        print(f"saved {args.name} to {path}; set {variable}={path}")
    return 0


def model_uses(folder: Path) -> list[str]:
    """The settings that can use the `transformers` model in `folder`, judged by its labels."""
    from contextlib import suppress

    from transformers import AutoConfig

    from app.checks.entailment import EntailmentUnavailable, entailment_index
    from app.checks.sentiment import SentimentUnavailable, label_map

    labels = AutoConfig.from_pretrained(folder, local_files_only=True).id2label
    uses = []
    with suppress(SentimentUnavailable):
        label_map(labels)
        uses.append("TANDEM_SENTIMENT_MODEL")
    with suppress(EntailmentUnavailable):
        entailment_index(labels)
        uses.append("TANDEM_GROUNDING_MODEL")
    return uses


def _eval(args: argparse.Namespace) -> int:
    if args.suite == "checks":
        from app.evals.report import run_checks

        print(run_checks())
        return 0
    return _eval_suite(Path(args.suite), args.json_path)


def _eval_suite(path: Path, json_path: Path | None) -> int:
    """Run a suite of scripted conversations; 1 when a turn failed, 2 when the file is bad."""
    import json

    from app.evals.suite import SuiteError, load_suite

    try:
        suite = load_suite(path)
    except SuiteError as exc:
        print(f"tandem: {exc}", file=sys.stderr)
        return 2
    # Only a valid suite pays for loading the app and its models.
    from app.eval_run import mode, run_suite
    from app.evals.scorecard import format_report, summarise

    settings = Settings()
    results = asyncio.run(run_suite(suite, settings))
    report = summarise(results, suite=path.name, mode=mode(settings))
    print(format_report(report))
    if json_path is not None:
        json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if report["failed"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
