"""What must hold of the production image, read from the Dockerfile (no registry is reachable
here to build it; tests/test_install.py serves the same layout: the wheel installed, the
server started from another folder)."""

from __future__ import annotations

import re
import shlex
import subprocess
from pathlib import Path

import pytest

DOCKERFILE = Path(__file__).resolve().parent.parent / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    lines = [ln for ln in DOCKERFILE.read_text().splitlines() if not ln.lstrip().startswith("#")]
    joined = re.sub(r"\\\n", " ", "\n".join(lines))
    found = []
    for line in joined.splitlines():
        if line.strip():
            keyword, _, rest = line.strip().partition(" ")
            found.append((keyword.upper(), " ".join(rest.split())))
    return found


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def runs() -> list[str]:
    return [args for keyword, args in final_stage() if keyword == "RUN"]


def test_the_image_installs_the_wheel_it_built() -> None:
    built = [args for keyword, args in instructions() if keyword == "RUN" and "pip wheel" in args]
    assert built and "--no-deps" in built[0] and "/wheels" in built[0]
    assert any(re.search(r"pip install [^;&|]*/wheels/tandem-\*\.whl", run) for run in runs())
    copied = [args for keyword, args in final_stage() if keyword == "COPY"]
    assert copied == ["--from=build /wheels /wheels"]  # nothing else from the checkout


def test_no_setting_that_nothing_reads() -> None:
    assert "TANDEM_FRONTEND_DIR" not in DOCKERFILE.read_text()


def test_torch_is_installed_only_when_the_models_extra_is_asked_for() -> None:
    mentions = [run for run in runs() if "torch" in run]
    assert mentions, "the models build argument no longer installs torch"
    for run in mentions:
        wanted = re.search(r'if \[ -n "\$MODELS" \]; then (.*?) else (.*?) fi', run)
        assert wanted, run
        assert "torch" in wanted.group(1) and "--index-url" in wanted.group(1)
        assert "torch" not in wanted.group(2) and "[models]" not in wanted.group(2)
    assert ("ARG", 'MODELS=""') in final_stage()


def test_the_install_step_is_valid_shell() -> None:
    for run in runs():
        checked = subprocess.run(["sh", "-n", "-c", run], capture_output=True, text=True)
        assert checked.returncode == 0, (run, checked.stderr)


def test_the_server_runs_as_a_user_that_is_not_root() -> None:
    users = [args for keyword, args in final_stage() if keyword == "USER"]
    assert users and users[-1] not in ("root", "0")
    assert any("useradd" in run and users[-1] in run for run in runs())


def test_the_healthcheck_asks_the_served_port_for_healthz() -> None:
    checks = [args for keyword, args in final_stage() if keyword == "HEALTHCHECK"]
    (command,) = [args for keyword, args in final_stage() if keyword == "CMD"]
    port = shlex.split(command.replace('"', "").strip("[]").replace(",", " "))
    served = port[port.index("--port") + 1]
    assert len(checks) == 1
    assert f"http://127.0.0.1:{served}/healthz" in checks[0]


@pytest.mark.parametrize("name", ["HF_HUB_OFFLINE=1", "TRANSFORMERS_OFFLINE=1"])
def test_the_image_never_downloads_a_model(name: str) -> None:
    env = " ".join(args for keyword, args in final_stage() if keyword == "ENV")
    assert name in env.split()
