"""The password policy: at least 10 characters, not blank, not a common password; in the
operator's team routes as a field error with the sentence (the CLI: tests/test_cli.py)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from app.passwords import password_problem
from tests.test_limits import OPERATOR, limited, login


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30) as client:
        yield client


@pytest.mark.parametrize(
    ("password", "sentence"),
    [
        ("short-pw", "at least 10 characters"),
        ("            ", "must not be blank"),
        ("Password123", "too common"),
        ("qwertyuiop", "too common"),
        ("aaaaaaaaaaaa", "too common"),
    ],
)
def test_password_policy_refuses(password: str, sentence: str) -> None:
    problem = password_problem(password)
    assert problem is not None and sentence in problem


def test_password_policy_accepts_a_long_unusual_one() -> None:
    assert password_problem("correct horse battery staple") is None


async def test_operator_routes_apply_the_password_policy(
    db_url: str, http: httpx.AsyncClient
) -> None:
    with limited(db_url) as srv:
        ops = {"Authorization": f"Bearer {(await login(http, srv.url, *OPERATOR)).json()['token']}"}
        email = f"new-{uuid.uuid4().hex[:8]}@example.com"
        body = {"email": email, "role": "agent", "password": "Password123"}
        r = await http.post(f"{srv.url}/api/v1/admin/users", json=body, headers=ops)
        assert r.status_code == 422, r.text
        assert r.json()["fields"] == [
            {"path": "password", "message": "This password is too common to be safe; choose "
             "another one."}
        ]  # fmt: skip
        body["password"] = "a-long-unusual-passphrase"
        created = await http.post(f"{srv.url}/api/v1/admin/users", json=body, headers=ops)
        assert created.status_code == 201, created.text
        path = f"{srv.url}/api/v1/admin/users/{created.json()['id']}/password"
        blank = await http.post(path, json={"password": " " * 12}, headers=ops)
        assert blank.status_code == 422 and "must not be blank" in blank.text
