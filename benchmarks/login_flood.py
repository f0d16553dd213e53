"""/healthz latency while one address floods the login with wrong passwords, side by side:

- before: the code of a base commit (argon2 verified on the event loop, no limits), unpacked
  from git into a temporary folder;
- now, limits off (TANDEM_LIMITS_SCALE=0): argon2 in a worker thread, every login verified;
- now, limits on (the defaults): after 30 attempts a minute the address gets 429 at once.

    python benchmarks/login_flood.py [--base e90fae4] [--seconds 8] [--clients 8]

Each run is a real `tandem serve` on a loopback port with a temporary SQLite file; loopback only.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
EMAIL, PASSWORD = "flood@example.com", "flood-benchmark-passphrase"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def unpack(commit: str, into: Path) -> Path:
    """The sources of `commit`, without touching the working tree or the worktrees."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", commit], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def environment(code: Path, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TANDEM_")}
    env.pop("OPENAI_BASE_URL", None)
    env.pop("OPENAI_API_KEY", None)
    return {
        **env,
        "PYTHONPATH": str(code),
        "TANDEM_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "TANDEM_SECRET_KEY": "benchmark-" + "x" * 40,
        "TANDEM_EMBEDDING_MODEL": "none",
        **extra,
    }


def measure(code: Path, seconds: float, clients: int, **extra: str) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = environment(code, Path(tmp) / "t.db", **extra)
        cli = [sys.executable, "-m", "app.cli"]
        made = subprocess.run(
            [*cli, "users", "create", "--email", EMAIL, "--role", "agent"],
            input=PASSWORD + "\n",
            text=True,
            capture_output=True,
            env=env,
            cwd=code,
        )
        assert made.returncode == 0, made.stderr
        port = free_port()
        server = subprocess.Popen(
            [*cli, "serve", "--port", str(port)],
            env=env,
            cwd=code,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            return asyncio.run(_flood(f"http://127.0.0.1:{port}", seconds, clients))
        finally:
            server.terminate()
            server.wait(timeout=30)


async def _flood(url: str, seconds: float, clients: int) -> dict[str, float]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as http:
        deadline = time.monotonic() + 60
        while True:
            try:
                if (await http.get("/healthz")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            await asyncio.sleep(0.1)
        idle = [await _timed(http) for _ in range(40)]
        codes: Counter[int] = Counter()
        stop = time.monotonic() + seconds

        async def attacker(n: int) -> None:
            i = 0
            while time.monotonic() < stop:
                body = {"email": EMAIL, "password": f"wrong-{n}-{i}"}
                codes[(await http.post("/api/v1/auth/login", json=body)).status_code] += 1
                i += 1

        async def prober() -> list[float]:
            times = []
            while time.monotonic() < stop:
                times.append(await _timed(http))
                await asyncio.sleep(0.05)
            return times

        flooded, *_ = await asyncio.gather(prober(), *(attacker(n) for n in range(clients)))
    return {
        "idle_p50_ms": statistics.median(idle),
        "flood_p50_ms": statistics.median(flooded),
        "flood_p99_ms": statistics.quantiles(flooded, n=100)[98],
        "logins_per_s": sum(codes.values()) / seconds,
        "refused_429": codes[429],
        "verified_401": codes[401],
    }


async def _timed(http: httpx.AsyncClient) -> float:
    start = time.perf_counter()
    r = await http.get("/healthz")
    assert r.status_code == 200
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="e90fae4", help="the commit measured as 'before'")
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base = unpack(args.base, Path(tmp))
        runs = {
            f"before ({args.base})": measure(base, args.seconds, args.clients),
            "now, limits off": measure(ROOT, args.seconds, args.clients, TANDEM_LIMITS_SCALE="0"),
            "now, limits on": measure(ROOT, args.seconds, args.clients),
        }
    keys = list(next(iter(runs.values())))
    print(f"{'':22}" + "".join(f"{k:>15}" for k in keys))
    for name, figures in runs.items():
        print(f"{name:22}" + "".join(f"{figures[k]:>15.1f}" for k in keys))


if __name__ == "__main__":
    main()
