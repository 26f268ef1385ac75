"""A directory packaged for Lambda: its files go under checks.d/ in the zip, and
the function reads them as one run, as `e2echeck run DIR` does."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from e2echeck.config import ConfigError
from e2echeck.packaging import build_lambda_zip
from tests.support.delivery import FAST_POLICY_ENV
from tests.support.lambda_runtime import ROUTING_KEY, Servers

CORE = """\
version: 1
defaults: {timeout: 3s, retries: 0, retry_delay: 0s}
pagerduty:
  routing_key: ${PAGERDUTY_ROUTING_KEY}
  events_url: ${E2E_EVENTS_URL}
checks:
  - name: up
    url: ${E2E_BASE_URL}/ok
"""
SHOP = """\
version: 1
checks:
  - name: shop
    url: ${E2E_BASE_URL}/fail
"""

# The unpacked zip first on the path (its e2echeck, its checks.d/); the host's
# site-packages for the dependencies, which a zip built without them lacks.
RUN = """
import json, sys
sys.path.insert(0, sys.argv[1])
from e2echeck.lambda_handler import handler

class Context:
    def get_remaining_time_in_millis(self):
        return 60000

print("RESULT " + json.dumps(handler({}, Context())))
"""


def _suite(root: Path) -> Path:
    suite = root / "suite"
    (suite / "team").mkdir(parents=True)
    (suite / "core.yaml").write_text(CORE, encoding="utf-8")
    (suite / "team" / "shop.yml").write_text(SHOP, encoding="utf-8")
    return suite


def test_a_packaged_directory_runs_as_one_run(tmp_path: Path, servers: Servers) -> None:
    info = build_lambda_zip(_suite(tmp_path), tmp_path / "fn.zip", requirements=[])
    with zipfile.ZipFile(info.path) as archive:
        names = archive.namelist()
        archive.extractall(tmp_path / "task")
    assert "checks.d/core.yaml" in names and "checks.d/team/shop.yml" in names
    assert "checks.yaml" not in names
    env = {
        **os.environ,
        "PAGERDUTY_ROUTING_KEY": ROUTING_KEY,
        "E2E_BASE_URL": servers.base_url,
        "E2E_EVENTS_URL": servers.events_url,
        **FAST_POLICY_ENV,
    }
    env.pop("E2ECHECK_CONFIG", None)
    env.pop("PYTHONPATH", None)  # the zip's e2echeck, not the checkout's
    done = subprocess.run(
        [sys.executable, "-c", RUN, str(tmp_path / "task")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    (line,) = [ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")]
    summary = json.loads(line[len("RESULT ") :])
    assert summary["config"] == str((tmp_path / "task" / "checks.d").resolve())
    assert {c["name"]: c["outcome"] for c in summary["checks"]} == {
        "up": "ok",
        "shop": "failed",
    }
    assert servers.actions() == {"up": "resolve", "shop": "trigger"}


def test_a_directory_whose_files_clash_is_refused_before_packaging(tmp_path: Path) -> None:
    suite = _suite(tmp_path)
    (suite / "again.yaml").write_text(SHOP, encoding="utf-8")
    with pytest.raises(ConfigError, match="duplicate check name 'shop'"):
        build_lambda_zip(suite, tmp_path / "fn.zip", requirements=[])
    assert not (tmp_path / "fn.zip").exists()
