"""No 5xx from any input: schemathesis generates valid and invalid requests for every operation
of the OpenAPI schema and sends them to a real server, on SQLite and on PostgreSQL, with valid
credentials (an operator's login for /admin, an agent's for /agent, a conversation's token for
the customer routes), so that the requests reach the handlers and not only the auth checks.

Bounded in time by the number of examples per operation; derandomized, so a run is repeatable.
The server has its own database: the fuzzer deletes documents, changes settings and users.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from app.main import create_app
from tests.conftest import BACKENDS, _seed, empty_database, settings_for
from tests.llm_stub import ThreadedServer

EXAMPLES = 6  # per operation and mode: ~600 requests per backend, well under a minute each
PASSWORDS = {"operator": "operator-password", "agent": "agent-password"}


@pytest.fixture(scope="module", params=BACKENDS)
def fuzz_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[ThreadedServer]:
    """Quote mode (no LLM): the fuzzer exercises our code, not a model's latency."""
    with empty_database(request.param, tmp_path_factory) as url:
        asyncio.run(_seed(url))
        srv = ThreadedServer(create_app(settings_for(url))).start()
        yield srv
        srv.stop()


def login(http: httpx.Client, role: str) -> str:
    body = {"email": f"{role}@example.com", "password": PASSWORDS[role]}
    r = http.post("/api/v1/auth/login", json=body)
    assert r.status_code == 200, r.text  # the fuzzer must not lock us out of our own test
    token: str = r.json()["token"]
    return token


def credentials(http: httpx.Client, path: str) -> tuple[dict[str, str], dict[str, str]]:
    """The Authorization header, and real path parameters, for one operation."""
    created = http.post("/api/v1/conversations", json={}).json()
    params = {"conversation_id": created["id"]}
    if path.startswith("/api/v1/admin/"):
        token = login(http, "operator")
        if "{user_id}" in path:  # someone to disable or re-password, never our own logins
            params["user_id"] = _newcomer(http, token)
    elif path.startswith(("/api/v1/agent/", "/api/v1/auth/logout")):
        token = login(http, "agent")
        http.post(
            f"/api/v1/conversations/{created['id']}/handoff", headers=_bearer(created["token"])
        )
    else:
        token = created["token"]
    return _bearer(token), params


def _newcomer(http: httpx.Client, operator: str) -> str:
    body = {
        "email": f"fuzz-{uuid4().hex[:12]}@example.com",
        "role": "agent",
        "password": "fuzz-password-1234",
    }
    r = http.post("/api/v1/admin/users", json=body, headers=_bearer(operator))
    assert r.status_code == 201, r.text
    return str(r.json()["id"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_no_input_gets_a_5xx(fuzz_server: ThreadedServer) -> None:
    schema = schemathesis.openapi.from_url(f"{fuzz_server.url}/openapi.json")
    statuses: Counter[int] = Counter()
    failures: list[str] = []
    started = time.monotonic()
    with httpx.Client(base_url=fuzz_server.url, timeout=30) as http:
        for result in schema.get_all_operations():
            operation = result.ok()
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                headers, params = credentials(http, operation.path)
                fixed = params if mode is GenerationMode.POSITIVE else {}
                _fuzz(operation, mode, fuzz_server.url, headers, fixed, statuses, failures)
    took = time.monotonic() - started
    counts = dict(sorted(statuses.items()))
    print(f"\nfuzz: {sum(statuses.values())} requests in {took:.0f} s: {counts}")
    assert not failures, "\n".join(failures[:20])
    assert sum(statuses.values()) >= 400  # every operation was tried, both ways
    assert sum(n for code, n in statuses.items() if code < 300) >= 100  # handlers were reached


def _fuzz(
    operation: Any,
    mode: GenerationMode,
    base_url: str,
    headers: dict[str, str],
    path_parameters: dict[str, str],
    statuses: Counter[int],
    failures: list[str],
) -> None:
    wanted = {k: v for k, v in path_parameters.items() if f"{{{k}}}" in operation.path}
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=wanted or None)

    @given(case=strategy)
    @settings(
        max_examples=EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def send(case: Any) -> None:
        try:
            response = case.call(base_url=base_url, headers=headers, timeout=30)
        except Exception as exc:  # a dropped connection is a failure too, not a crash of ours
            failures.append(f"{case.method} {case.formatted_path}: {exc!r}")
            return
        statuses[response.status_code] += 1
        if response.status_code >= 500:
            failures.append(
                f"{case.as_curl_command()} -> {response.status_code} {response.text[:200]}"
            )

    try:
        send()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body): nothing to send
        assert mode is GenerationMode.NEGATIVE, operation.path
