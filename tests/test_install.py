"""The wheel alone serves what the demo serves, and the default install needs no torch.

The wheel is built from a copy of the sources, installed with `--no-deps --no-index` into a
fresh venv that borrows this environment's dependencies through a plain path in a `.pth` file
(a plain path adds the folder; it does not run the `.pth` files inside it, so the editable
install of the checkout stays out). torch is blocked in that venv, as in a default install.
`tandem serve --demo` then runs from another folder, as in the image.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import venv
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx
import pytest
from bs4 import BeautifulSoup

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["app", "handoff", "disclosure", "migrations", "frontend"]
PAGES = ["/", "/widget", "/widget.js", "/console", "/admin", "/ai-policy", "/docs", "/redoc"]
# Refuses torch the way a missing package does (a meta-path finder that raises first).
TORCH_BLOCKER = """import sys


class _NoTorch:
    def find_spec(self, name, path=None, target=None):
        if name == "torch" or name.startswith("torch."):
            raise ModuleNotFoundError("No module named 'torch'", name="torch")
        return None


sys.meta_path.insert(0, _NoTorch())
"""
CONTENT_TYPES = {
    ".js": {"text/javascript", "application/javascript"},
    ".css": {"text/css"},
    ".png": {"image/png"},
    ".json": {"application/json"},
}


@dataclass(frozen=True)
class Installed:
    python: Path
    tandem: Path
    site: Path


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH" and not k.startswith("TANDEM")}
    return {**env, **extra}


def _build_wheel(dest: Path) -> Path:
    """`pip wheel --no-deps` of a copy of the sources (no build/ or egg-info in the checkout)."""
    src = dest / "src"
    for name in SOURCES:
        shutil.copytree(ROOT / name, src / name, ignore=shutil.ignore_patterns("__pycache__"))
    for name in ["pyproject.toml", "README.md", "LICENSE"]:
        shutil.copy(ROOT / name, src / name)
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q"]
    subprocess.run([*pip, "-w", str(dest / "dist"), str(src)], check=True, timeout=300, env=_env())
    (wheel,) = (dest / "dist").glob("tandem-*.whl")
    return wheel


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    work = tmp_path_factory.mktemp("install")
    wheel = _build_wheel(work)
    env_dir = work / "venv"
    venv.create(env_dir, with_pip=False)
    python = env_dir / "bin" / "python"
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q"]
    # No PYTHONPATH: a checkout on it (with its egg-info) would pass for an installed tandem.
    subprocess.run(
        [*pip, "--no-deps", "--no-index", str(wheel)], check=True, timeout=300, env=_env()
    )
    site = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
            env=_env(),
        ).stdout.strip()
    )
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / "no_torch.py").write_text(TORCH_BLOCKER)
    (site / "no_torch.pth").write_text("import no_torch\n")
    return Installed(python=python, tandem=env_dir / "bin" / "tandem", site=site)


def test_the_fresh_venv_imports_the_wheel_not_the_checkout(installed: Installed) -> None:
    probe = "import app, frontend, migrations; print(app.__file__, frontend.FILES, sep='\\n')"
    out = subprocess.run(
        [str(installed.python), "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
        cwd=installed.site.parent,
    ).stdout.split()
    assert all(Path(p).is_relative_to(installed.site) for p in out), out
    assert (Path(out[1]) / "admin" / "index.html").is_file()
    blocked = subprocess.run(
        [str(installed.python), "-c", "import torch"], capture_output=True, text=True, env=_env()
    )
    assert blocked.returncode != 0 and "No module named 'torch'" in blocked.stderr


@pytest.fixture(scope="module")
def served(installed: Installed, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`tandem serve --demo` from the venv, in an empty folder outside the checkout."""
    cwd = tmp_path_factory.mktemp("elsewhere")
    port = _free_port()
    log = (cwd / "serve.log").open("w")
    proc = subprocess.Popen(
        [str(installed.tandem), "serve", "--demo", "--port", str(port)],
        cwd=cwd,
        env=_env(TANDEM_LIMITS_SCALE="0"),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        else:
            pytest.fail(f"tandem serve did not come up: {(cwd / 'serve.log').read_text()}")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()
    assert "torch" not in (cwd / "serve.log").read_text()


def _references(html: str) -> list[str]:
    soup = BeautifulSoup(html, "html.parser")
    found = []
    for tag in soup.find_all(["script", "link", "img", "iframe", "source"]):
        for attr in ("src", "href"):
            value = tag.get(attr)
            if isinstance(value, str) and not value.startswith(("data:", "#")):
                found.append(value)
    return found


def _kind(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def test_every_page_and_asset_comes_from_the_installed_wheel(served: str) -> None:
    assets: set[str] = {"/openapi.json"}
    with httpx.Client(base_url=served, timeout=30) as client:
        for page in PAGES:
            response = client.get(page)
            assert response.status_code == 200, (page, response.text[:300])
            if page.endswith(".js"):
                assert _kind(response) == "text/javascript", page
                continue
            assert _kind(response) == "text/html", page
            for ref in _references(response.text):
                url = urlsplit(urljoin(served + page, ref))
                assert url.netloc == urlsplit(served).netloc, f"{page} loads {ref} from outside"
                assets.add(url.path)
        assert {"/docs/assets/swagger-ui-bundle.js", "/docs/assets/redoc.standalone.js"} <= assets
        for path in sorted(assets):
            response = client.get(path)
            assert response.status_code == 200, path
            assert _kind(response) in CONTENT_TYPES[Path(path).suffix], (path, _kind(response))
            assert response.content, path


@pytest.mark.parametrize(
    "setting", ["TANDEM_SENTIMENT_MODEL", "TANDEM_EMBEDDING_MODEL", "TANDEM_GROUNDING_MODEL"]
)
def test_a_transformers_model_without_torch_stops_start_up_on_one_line(
    setting: str, tmp_path: Path
) -> None:
    (tmp_path / "sitecustomize.py").write_text(TORCH_BLOCKER)
    result = subprocess.run(
        [sys.executable, "-m", "app.cli", "serve", "--demo", "--port", str(_free_port())],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
        env=_env(PYTHONPATH=f"{tmp_path}{os.pathsep}{ROOT}", **{setting: "org/model"}),
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        f"tandem: {setting} names a transformers model, which needs torch: "
        "run pip install 'tandem[models]', or unset it to use the built-in models."
    ]
    assert not (tmp_path / "tandem.db").exists()  # stopped before touching the database


def test_a_turn_runs_through_the_default_models_without_torch(served: str) -> None:
    """Embeddings, the sentiment head and every check of a turn, with torch blocked."""
    with httpx.Client(base_url=served, timeout=60) as client:
        started = client.post("/api/v1/conversations", json={"locale": "en"})
        assert started.status_code == 201, started.text
        chat = started.json()
        auth = {"Authorization": f"Bearer {chat['token']}"}
        turn = client.post(
            f"/api/v1/conversations/{chat['id']}/messages",
            json={"text": "How long does delivery take?"},
            headers=auth,
        )
        assert turn.status_code == 200, turn.text
        replies = [m for m in turn.json()["messages"] if m["role"] == "assistant"]
        assert replies and replies[0]["sources"], turn.json()
