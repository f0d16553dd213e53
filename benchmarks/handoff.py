"""Handoff benchmarks, loopback only and bounded (performance-anchors B1, B2, B4):

1. memory per idle customer websocket at 2,000 connections, next to a bare `websockets` server
   with compression off in the same run (target <= 2x), for each uvicorn websocket implementation;
2. one process holding 10,000 idle customer websockets (target <= 512 MiB RSS);
3. customer message -> agent console latency at 200 active conversations, in one process and
   across two replicas through Redis (targets p99 <= 50 ms and <= 100 ms).

    python benchmarks/handoff.py [--quick]

Needs PostgreSQL (TANDEM_TEST_PG, default postgresql://postgres@127.0.0.1:5432/test) and Redis
(TANDEM_TEST_REDIS, default redis://127.0.0.1:6379/0); every database it creates it drops.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import random
import resource
import secrets
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import suppress
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

REDIS = os.environ.get("TANDEM_TEST_REDIS", "redis://127.0.0.1:6379/0")
TOKEN = "bench-conversation-token"  # every benchmark conversation shares it (stored hashed)
Conn = Any  # websockets ClientConnection


def raise_nofile() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_bare(port: int) -> None:
    from websockets.asyncio.server import ServerConnection, serve

    async def idle(ws: ServerConnection) -> None:
        async for _ in ws:
            pass

    async def main() -> None:
        async with serve(idle, "127.0.0.1", port, compression=None) as server:
            await server.serve_forever()

    asyncio.run(main())


def serve_tandem(port: int, ws: str) -> None:
    import uvicorn

    from app.main import create_app
    from app.settings import Settings

    app = create_app(Settings())
    uvicorn.run(
        app,
        host="127.0.0.1",
        port=port,
        ws=ws,
        ws_per_message_deflate=False,
        ws_max_size=65536,
        log_level="warning",
        lifespan="on",
    )


def spawn(kind: str, port: int, env: dict[str, str], ws: str = "") -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, __file__, kind, str(port), ws], env=env)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{kind} server exited")
        with suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            time.sleep(0.3)
            return proc
        time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{kind} server did not start")


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


async def seed(
    url: str, customers: int, agents: int, held: int
) -> tuple[list[str], dict[str, list[str]]]:
    """Conversations sharing one token; the first `held` are held by agents (round-robin)."""
    from sqlalchemy import insert

    from app.db import create_engine, sessionmaker
    from app.models import AuthSession, Conversation, User, utcnow
    from app.security import hash_token

    engine = create_engine(url)
    ids = [uuid.uuid4().hex for _ in range(customers)]
    tokens: dict[str, list[str]] = {f"bench-{i}-{secrets.token_hex(8)}": [] for i in range(agents)}
    token_hash = hash_token(TOKEN)
    async with sessionmaker(engine)() as s:
        users = [
            User(email=f"b{i}-{secrets.token_hex(4)}@example.com", password_hash="-", role="agent")
            for i in range(agents)
        ]
        s.add_all(users)
        await s.flush()
        for user, token in zip(users, tokens, strict=True):
            s.add(AuthSession(token_hash=hash_token(token), user_id=user.id))
        lease = utcnow() + timedelta(days=1)
        rows = []
        for n, cid in enumerate(ids):
            row: dict[str, Any] = {"id": cid, "token_hash": token_hash, "status": "bot"}
            if n < held:
                user, token = users[n % agents], list(tokens)[n % agents]
                row.update(status="agent", agent_id=user.id, lease_expires_at=lease)
                tokens[token].append(cid)
            rows.append(row)
        for start in range(0, len(rows), 1000):
            await s.execute(insert(Conversation), rows[start : start + 1000])
        await s.commit()
    await engine.dispose()
    return ids, tokens


async def _connect(url: str, first: dict[str, Any] | None, ready: str | None) -> Conn:
    from websockets.asyncio.client import connect

    ws = await connect(url, compression=None, open_timeout=60, ping_interval=None, max_queue=4)
    if first is not None:
        await ws.send(json.dumps(first))
    while ready is not None and json.loads(await ws.recv())["type"] != ready:
        pass
    return ws


async def open_many(
    make: Callable[[int], Awaitable[Conn]], n: int, parallel: int = 100
) -> list[Conn]:
    gate = asyncio.Semaphore(parallel)

    async def one(i: int) -> Conn:
        async with gate:
            return await make(i)

    return list(await asyncio.gather(*(one(i) for i in range(n))))


def customer_maker(port: int, ids: list[str]) -> Callable[[int], Awaitable[Conn]]:
    def make(i: int) -> Awaitable[Conn]:
        url = f"ws://127.0.0.1:{port}/api/v1/conversations/{ids[i]}/ws"
        return _connect(url, {"type": "auth", "token": TOKEN, "last_seq": 0}, "status")

    return make


async def idle_memory(pid: int, make: Callable[[int], Awaitable[Conn]], n: int) -> dict[str, float]:
    """RSS growth per idle connection, after a warm-up that pays for lazy imports."""
    warm = await open_many(make, 20)
    await asyncio.gather(*(w.close() for w in warm))
    await asyncio.sleep(1)
    before = rss_mib(pid)
    t0 = time.monotonic()
    conns = await open_many(make, n)
    rate = n / (time.monotonic() - t0)
    await asyncio.sleep(2)
    after = rss_mib(pid)
    await asyncio.gather(*(c.close() for c in conns), return_exceptions=True)
    return {"kib": (after - before) * 1024 / n, "rss": after, "rate": rate}


async def latency(
    cust_port: int,
    agent_port: int,
    ids: list[str],
    agents: dict[str, list[str]],
    duration: float,
    interval: float,
) -> list[float]:
    """Conversations held by agents; each customer sends one message every `interval` s (0.5-1.5x
    jitter) for
    `duration` seconds over its websocket; the time (monotonic, in this one client process) until
    the holding agent's socket receives that `message` frame."""
    sent: dict[str, float] = {}
    run = secrets.token_hex(3)
    seen: dict[str, float] = {}
    agent_url = f"ws://127.0.0.1:{agent_port}/api/v1/agent/ws"
    agent_socks = [await _connect(agent_url, {"type": "auth", "token": t}, "ready") for t in agents]
    for ws, convs in zip(agent_socks, agents.values(), strict=True):
        for cid in convs:
            await ws.send(json.dumps({"type": "resume", "conversation_id": cid, "last_seq": 0}))
    customers = await open_many(customer_maker(cust_port, ids), len(ids))
    await asyncio.sleep(1)  # every resume processed before the first message

    async def read_agent(ws: Conn) -> None:
        async for raw in ws:
            frame = json.loads(raw)
            if frame["type"] == "message" and frame["message"]["role"] == "customer":
                seen.setdefault(frame["message"]["text"], time.monotonic())

    async def customer(ws: Conn, i: int) -> None:
        drain = asyncio.create_task(_discard(ws))
        await asyncio.sleep(random.uniform(0, interval))  # no start-up burst: steady arrivals
        end, k = time.monotonic() + duration, 0
        while time.monotonic() < end:
            key = f"bench {run}-{i}-{k}"  # client ids are unique per run
            sent[key] = time.monotonic()
            await ws.send(json.dumps({"type": "message", "text": key, "client_id": key}))
            k += 1
            await asyncio.sleep(interval * random.uniform(0.5, 1.5))
        await asyncio.sleep(3)
        drain.cancel()

    readers = [asyncio.create_task(read_agent(ws)) for ws in agent_socks]
    await asyncio.gather(*(customer(ws, i) for i, ws in enumerate(customers)))
    deadline = time.monotonic() + 15
    while len(seen) < len(sent) and time.monotonic() < deadline:  # noqa: ASYNC110 (bounded poll)
        await asyncio.sleep(0.1)
    for task in readers:
        task.cancel()
    await asyncio.gather(*(c.close() for c in [*customers, *agent_socks]), return_exceptions=True)
    lost = len(sent) - len(seen)
    if lost:
        print(f"  warning: {lost} of {len(sent)} messages did not reach the agent in time")
    return [(seen[k] - t) * 1000 for k, t in sent.items() if k in seen]


async def _discard(ws: Conn) -> None:
    with suppress(Exception):
        async for _ in ws:
            pass


def pct(values: list[float], q: int) -> float:
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def tandem_env(url: str, redis: bool, channel: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "TANDEM_"))}
    env.update(
        TANDEM_DATABASE_URL=url,
        TANDEM_LIMITS_SCALE="0",  # 10,000 sockets from 127.0.0.1: limits off
        TANDEM_SECRET_KEY=secrets.token_urlsafe(32),
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )
    if redis:
        env.update(TANDEM_REDIS_URL=REDIS, TANDEM_REDIS_CHANNEL=channel)
    return env


def memory_rows(
    url: str, ids: list[str], n: int, impls: list[str]
) -> list[tuple[str, dict[str, float]]]:
    rows: list[tuple[str, dict[str, float]]] = []
    port = free_port()
    bare = spawn("serve-bare", port, dict(os.environ))
    try:
        make_bare = lambda i: _connect(f"ws://127.0.0.1:{port}/", None, None)  # noqa: E731
        rows.append(
            ("bare websockets, compression off", asyncio.run(idle_memory(bare.pid, make_bare, n)))
        )
    finally:
        stop(bare)
    for impl in impls:
        port = free_port()
        proc = spawn("serve-tandem", port, tandem_env(url, False, ""), impl)
        try:
            result = asyncio.run(idle_memory(proc.pid, customer_maker(port, ids), n))
            rows.append((f"Tandem customer socket, uvicorn --ws {impl}", result))
        finally:
            stop(proc)
    return rows


def hold_many(url: str, ids: list[str], n: int, impl: str) -> dict[str, float]:
    port = free_port()
    proc = spawn("serve-tandem", port, tandem_env(url, False, ""), impl)
    try:
        return asyncio.run(idle_memory(proc.pid, customer_maker(port, ids), n))
    finally:
        stop(proc)


def latency_run(
    url: str, active: int, two: bool, duration: float, impl: str, interval: float
) -> list[float]:
    """Fresh held conversations each run (an earlier run's leases lapse when its agents leave)."""
    ids, agents = asyncio.run(seed(url, active, 20, active))
    channel = f"tandem:bench:{secrets.token_hex(4)}"
    ports = [free_port(), free_port()] if two else [free_port()]
    procs = [spawn("serve-tandem", p, tandem_env(url, two, channel), impl) for p in ports]
    try:
        return asyncio.run(latency(ports[0], ports[-1], ids, agents, duration, interval))
    finally:
        for proc in procs:
            stop(proc)


def report_memory(memory: list[tuple[str, dict[str, float]]], n_idle: int) -> None:
    base = memory[0][1]["kib"]
    print(f"\nIdle websockets ({n_idle} connections; RSS growth per connection)")
    print(f"  {'server':<56} {'KiB/conn':>9} {'x bare':>7} {'conn/s':>8}")
    for name, r in memory:
        ratio = r["kib"] / base
        print(f"  {name:<56} {r['kib']:>9.1f} {ratio:>7.2f} {r['rate']:>8.0f}", flush=True)


def report_held(held: dict[str, float], n: int) -> None:
    print(
        f"\nOne process holding {n} idle customer sockets: RSS {held['rss']:.0f} MiB (target"
        f" <= 512; growth {held['kib']:.1f} KiB/conn), {held['rate']:.0f} conn/s",
        flush=True,
    )


def report_latency(name: str, values: list[float], active: int) -> None:
    target = "100" if "replicas" in name else "50"
    print(
        f"  {name:<36} {active:>5} conv {len(values):>6} msgs  p50 {pct(values, 50):>7.1f} ms"
        f"  p99 {pct(values, 99):>7.1f} ms  (target p99 <= {target} ms)",
        flush=True,
    )


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="smaller counts, for a smoke run")
    p.add_argument("--ws", default="wsproto,websockets-sansio", help="uvicorn ws implementations")
    p.add_argument("--latency-only", action="store_true", help="skip the memory sections")
    p.add_argument(
        "--interval",
        type=float,
        default=10.0,
        help="mean seconds between one conversation's messages (people type; 10 s by default)",
    )
    args = p.parse_args()
    from tests.databases import pg_database

    raise_nofile()
    impls = [i for i in args.ws.split(",") if i != "wsproto" or importlib.util.find_spec("wsproto")]
    n_idle, n_held, active, duration = (
        (200, 1000, 50, 5.0) if args.quick else (2000, 10_000, 200, 20.0)
    )
    with pg_database("tandem_bench") as url:
        best = impls[0]
        if not args.latency_only:
            ids, _ = asyncio.run(seed(url, n_held, 0, 0))
            memory = memory_rows(url, ids, n_idle, impls)
            report_memory(memory, n_idle)
            best = min(memory[1:], key=lambda row: row[1]["kib"])[0].rsplit(" ", 1)[-1]
            report_held(hold_many(url, ids, n_held, best), n_held)
        rate = active / args.interval
        print(f"\nCustomer message -> agent console (about {rate:.0f} messages/s)", flush=True)
        for label, two in ((f"one process (--ws {best})", False), ("two replicas, Redis", True)):
            values = latency_run(
                url, active, two, max(duration, 2 * args.interval), best, args.interval
            )
            report_latency(label, values, active)
    print(f"\nLeanest uvicorn websocket implementation here: --ws {best}")


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] in ("serve-bare", "serve-tandem"):
        raise_nofile()
        if sys.argv[1] == "serve-bare":
            serve_bare(int(sys.argv[2]))
        else:
            serve_tandem(int(sys.argv[2]), sys.argv[3])
    else:
        main()
