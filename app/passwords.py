"""The password policy for agents and operators: long enough, not blank, not a common one.

Applied wherever a password is chosen (`tandem users create`, the operator's team routes);
logging in with an older, weaker password still works until it is changed."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from app.errors import Invalid

MIN_LENGTH = 10
MAX_LENGTH = 200
_COMMON = Path(__file__).resolve().parent / "data" / "common_passwords.txt"


@cache
def common_passwords() -> frozenset[str]:
    """The shipped list (app/data/common_passwords.txt says where it comes from)."""
    lines = _COMMON.read_text(encoding="utf-8").splitlines()
    return frozenset(w.strip().lower() for w in lines if w.strip() and not w.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why this password may not be used, as a sentence; None when it may."""
    if not password.strip():
        return "The password must not be blank."
    if len(password) < MIN_LENGTH:
        return f"The password must have at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"The password must have at most {MAX_LENGTH} characters."
    if password.strip().lower() in common_passwords() or len(set(password)) < 3:
        return "This password is too common to be safe; choose another one."
    return None


def check_password(password: str) -> None:
    """Invalid (422) with the sentence when the policy refuses the password."""
    problem = password_problem(password)
    if problem is not None:
        raise Invalid(problem)
