"""`e2echeck run` on a real terminal (a pseudo-terminal): colour and the live progress line."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.configs import config_document, write_config
from tests.support.servers import TestServer

GREEN, RED = "\x1b[32m", "\x1b[31;1m"


def run_on_terminal(config: Path, env_extra: dict[str, str]) -> tuple[int, str]:
    """Run the CLI with stdout and stderr on a pseudo-terminal; return (exit code, screen)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k != "NO_COLOR"}
    env.update(env_extra)
    process = subprocess.Popen(
        [sys.executable, "-m", "e2echeck", "run", str(config), "--no-alert"],
        stdin=subprocess.DEVNULL,
        stdout=slave,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    os.close(master)
    return process.wait(timeout=30), output.decode("utf-8", "replace")


@pytest.fixture
def slow_config(tmp_path: Path, http_server: TestServer) -> Path:
    checks = [{"name": "fast-fail", "url": http_server.url("/status/500")}]
    checks += [{"name": f"slow-{i}", "url": http_server.url("/delay/1.6")} for i in range(3)]
    return write_config(tmp_path, config_document(checks, defaults={"retries": 0, "timeout": "5s"}))


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_terminal_gets_colour_and_a_progress_line(slow_config: Path) -> None:
    code, screen = run_on_terminal(slow_config, {})
    assert code == 1, screen
    assert GREEN in screen and RED in screen
    assert "/4 checks done" in screen
    assert "4 checks in" in screen


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_no_color_is_respected_on_a_terminal(slow_config: Path) -> None:
    code, screen = run_on_terminal(slow_config, {"NO_COLOR": "1"})
    assert code == 1, screen
    assert GREEN not in screen and RED not in screen
    assert "FAIL  fast-fail" in screen


@pytest.mark.slow
def test_logs_get_plain_text(slow_config: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "e2echeck", "run", str(slow_config), "--no-alert"],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if k != "NO_COLOR"},
    )
    assert result.returncode == 1
    assert "\x1b[" not in result.stdout + result.stderr
    assert "checks done" not in result.stderr
