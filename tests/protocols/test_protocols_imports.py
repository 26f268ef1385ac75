"""Each new kind, and its library, is imported only when a run has such a check:
validating a file with every kind, or running HTTP checks, loads none of them."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.support.configs import config_document, write_config
from tests.support.servers import TestServer

ROOT = Path(__file__).resolve().parents[2]
LIBRARIES = ("dns", "grpc")
_REPORT = (  # the kinds (as the registry lists them) whose package is loaded, and libraries
    "from e2echeck.config.kinds import KINDS\n"
    "print(sorted({k.name for k in KINDS if k.module in sys.modules}), "
    f"sorted(m for m in {LIBRARIES!r} if m in sys.modules))\n"
)
EVERY_KIND = [
    {"name": "port", "url": "tcp://127.0.0.1:1"},
    {"name": "cert", "url": "tls://127.0.0.1:1"},
    {"name": "mail", "url": "starttls://127.0.0.1:25"},
    {"name": "record", "url": "dns://127.0.0.1:1", "dns": {"name": "x.test"}},
    {"name": "health", "url": "grpc://127.0.0.1:1"},
]


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return done.stdout + done.stderr


def test_validating_every_kind_imports_none_of_them(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_document(EVERY_KIND))
    out = _python(
        "from e2echeck.config import load_config\n"
        f"config = load_config({str(path)!r})\n"
        "print(len(config.checks))\n" + _REPORT
    )
    assert out.strip().splitlines()[-2:] == ["5", "[] []"], out


def test_an_http_run_imports_only_the_http_kind(tmp_path: Path, http_server: TestServer) -> None:
    checks = [{"name": "a", "url": http_server.url("/status/200")}]
    path = write_config(tmp_path, config_document(checks))
    out = _python(
        "from e2echeck.config import load_config\n"
        "from e2echeck.engine import run_checks\n"
        f"run = run_checks(load_config({str(path)!r}))\n"
        "print(run.results[0].outcome)\n" + _REPORT
    )
    assert out.strip().splitlines()[-2:] == ["ok", "['http'] []"], out
