"""The `tandem` command as an operator uses it, in real subprocesses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.pdf_files import make_pdf

ROOT = Path(__file__).resolve().parent.parent


def tandem(
    args: list[str], db: Path, stdin: str = "", **env: str
) -> subprocess.CompletedProcess[str]:
    environment = {
        **os.environ,
        "TANDEM_DATABASE_URL": f"sqlite+aiosqlite:///{db}",
        "TANDEM_EMBEDDING_MODEL": "none",  # quick subprocesses; retrieval is tested elsewhere
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "app.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=ROOT,
        timeout=120,
    )


def test_serve_refuses_the_default_secret(tmp_path: Path) -> None:
    result = tandem(["serve", "--port", "1"], tmp_path / "t.db", TANDEM_SECRET_KEY="change-me")
    assert result.returncode == 2
    assert "TANDEM_SECRET_KEY" in result.stderr


def test_users_create_reads_one_line_from_stdin(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    ok = tandem(
        ["users", "create", "--email", "Ann@Example.com", "--role", "agent"], db, "s3cret-pass\n"
    )
    assert ok.returncode == 0, ok.stderr
    assert "created agent ann@example.com" in ok.stdout
    again = tandem(
        ["users", "create", "--email", "ann@example.com", "--role", "agent"], db, "other-pass-12"
    )
    assert again.returncode == 1 and "already exists" in again.stderr
    short = tandem(
        ["users", "create", "--email", "b@example.com", "--role", "operator"], db, "short\n"
    )
    assert short.returncode == 1 and "10 characters" in short.stderr
    common = tandem(
        ["users", "create", "--email", "c@example.com", "--role", "agent"], db, "Password123\n"
    )
    assert common.returncode == 1 and "too common" in common.stderr


def test_bad_role_is_refused(tmp_path: Path) -> None:
    result = tandem(
        ["users", "create", "--email", "c@example.com", "--role", "boss"], tmp_path / "t.db"
    )
    assert result.returncode == 2 and "invalid choice" in result.stderr


def test_kb_ingest_replaces_a_reingested_file(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    doc = tmp_path / "opening.md"
    doc.write_text("# Opening hours\n\nWe are open from 9:00 to 17:00.\n")
    first = tandem(["kb", "ingest", str(doc)], db)
    assert first.returncode == 0, first.stderr
    assert "Opening hours" in first.stdout
    doc.write_text("# Opening hours\n\nWe are open from 8:00 to 20:00.\n")
    second = tandem(["kb", "ingest", str(doc)], db)
    assert second.returncode == 0
    import sqlite3

    rows = sqlite3.connect(db).execute("SELECT content FROM documents").fetchall()
    assert len(rows) == 1 and "20:00" in rows[0][0]


def test_kb_ingest_reads_a_pdf_and_names_a_bad_file_on_one_line(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    pdf = tmp_path / "lamp_repairs.pdf"
    pdf.write_bytes(make_pdf([["A Moonbeam lamp repair costs €45 and takes three days."]]))
    bad = tmp_path / "price-list.txt"
    bad.write_bytes("Prix: 45 €".encode("cp1252"))  # as an old Windows editor saves it
    result = tandem(["kb", "ingest", str(bad), str(pdf)], db)
    assert result.returncode == 1
    said = [line for line in result.stderr.splitlines() if line.startswith("tandem:")]
    assert said == [
        f"tandem: {bad}: this is not UTF-8 text (byte 9 is not valid UTF-8): "
        "save it as UTF-8 and add it again"
    ]
    assert "Lamp repairs" in result.stdout  # the file name, since the PDF has no heading
    import sqlite3

    rows = sqlite3.connect(db).execute("SELECT title, content FROM documents").fetchall()
    text = "A Moonbeam lamp repair costs €45 and takes three days."
    assert rows == [("Lamp repairs", f"# Lamp repairs\n\n{text}")]


def test_kb_ingest_of_a_missing_file_says_so(tmp_path: Path) -> None:
    result = tandem(["kb", "ingest", str(tmp_path / "nope.md")], tmp_path / "t.db")
    assert result.returncode == 1 and "no such file" in result.stderr


@pytest.mark.parametrize("args", [["migrate"], ["--help"]])
def test_other_commands(tmp_path: Path, args: list[str]) -> None:
    result = tandem(args, tmp_path / "t.db")
    assert result.returncode == 0, result.stderr


def test_models_fetch_offline_says_so_and_downloads_nothing(tmp_path: Path) -> None:
    dest = tmp_path / "models"
    result = tandem(
        ["models", "fetch", "tandem-test/some-nli-model", "--dest", str(dest)],
        tmp_path / "t.db",
        HF_HUB_OFFLINE="1",
    )
    assert result.returncode == 1 and "unset it to fetch" in result.stderr, result.stderr
    assert not dest.exists()
