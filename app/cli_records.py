"""`tandem purge`, `tandem audit verify` and `tandem audit bias`: the commands about what is
kept and how it was decided (the retention purge, the decision chain, the bias audit)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from app.settings import Settings

if TYPE_CHECKING:
    from app.bias_probes import Thresholds


def moment(value: str) -> datetime | None:
    """A date (midnight UTC) or an ISO date and time (UTC unless it names its zone)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def purge(args: argparse.Namespace) -> int:
    as_of = None if args.as_of is None else moment(args.as_of)
    if args.as_of is not None and as_of is None:
        print(
            f"tandem: --as-of {args.as_of!r} is not a date: write YYYY-MM-DD "
            "or an ISO date and time such as 2026-03-01T12:00",
            file=sys.stderr,
        )
        return 2
    return asyncio.run(purge_async(as_of, args.dry_run))


async def purge_async(as_of: datetime | None, dry_run: bool) -> int:
    from app import retention
    from app.db import create_engine, migrate, sessionmaker

    settings = Settings()
    await asyncio.to_thread(migrate, settings.database_url)
    engine = create_engine(settings.database_url)
    try:
        result = await retention.by_hand(sessionmaker(engine), as_of, dry_run)
    finally:
        await engine.dispose()
    if result is None:
        print("tandem: a purge is running on a replica right now; try again later", file=sys.stderr)
        return 1
    print("\n".join(result.lines()))
    return 0


def audit_verify(_: argparse.Namespace) -> int:
    return asyncio.run(audit_verify_async())


async def audit_verify_async() -> int:
    from app import decisions
    from app.db import create_engine, sessionmaker

    settings = Settings()
    engine = create_engine(settings.database_url)
    try:
        async with sessionmaker(engine)() as s:
            verdict = await decisions.verify(s, decisions.chain_key(settings.secret_key))
    finally:
        await engine.dispose()
    print("\n".join(verdict.lines()))
    return 0 if verdict.broken is None else 1


def audit_bias(args: argparse.Namespace) -> int:
    """Run the probes on the configured deployment; 1 when a disparity was flagged."""
    import json

    from app.bias_probes import Thresholds, format_report

    pairs = [item.partition("=") for item in args.threshold]
    if any(not sep for _, sep, _ in pairs):
        raise ValueError("a threshold is written NAME=VALUE, e.g. --threshold handoff_gap=0.3")
    limits = Thresholds.model_validate({name: value for name, _, value in pairs})
    report = asyncio.run(audit_bias_async(limits, args.sets))
    print(format_report(report))
    if args.json_path is not None:
        args.json_path.write_text(json.dumps(report, indent=2, ensure_ascii=False), "utf-8")
    return 0 if report["passed"] else 1


async def audit_bias_async(limits: Thresholds, names: list[str]) -> dict[str, Any]:
    from app import bias
    from app.bias_probes import choose
    from app.db import migrate
    from app.main import build_services

    chosen = choose(names)  # before loading models: a wrong name costs nothing
    settings = Settings()
    await asyncio.to_thread(migrate, settings.database_url)
    svc = build_services(settings)
    try:
        report = await bias.run_audit(svc, limits, chosen)
        await bias.store(svc.sessions, report, None)
    finally:
        if svc.llm is not None:
            await svc.llm.close()
        await svc.engine.dispose()
    return report
