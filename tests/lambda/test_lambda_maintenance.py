"""Maintenance in the Lambda: a silence set by the CLI on S3 state is honoured by
the handler reading the same object (moto's server, the real boto3); and the zip,
unpacked and run in a bare interpreter without the system's time-zone data,
still evaluates windows in any IANA zone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from e2echeck.lambda_handler import handler
from tests.support.aws import MotoServer
from tests.support.cli import run_cli
from tests.support.lambda_runtime import FakeContext, Servers


def test_silence_set_by_the_cli_is_honoured_by_the_lambda_on_s3(
    servers: Servers,
    lambda_env: dict[str, str],
    config_file: Path,
    aws_env: dict[str, str],
    moto_server: MotoServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    moto_server.client("s3").create_bucket(Bucket="e2e-state")
    location = "s3://e2e-state/state.json"
    set_it = run_cli(
        "silence", "--config", str(config_file), "--state", location, "down",
        "--for", "2h", "--reason", "planned failover",
    )  # fmt: skip
    assert set_it.exit_code == 0, set_it.output

    monkeypatch.setenv("E2ECHECK_STATE", location)
    summary = handler({"config": str(config_file)}, FakeContext())
    checks = {c["name"]: c for c in summary["checks"]}
    assert checks["down"]["outcome"] == "maintenance"
    assert "planned failover" in checks["down"]["maintenance"]
    assert summary["summary"]["exit_code"] == 0
    assert servers.actions() == {"up": "resolve"}  # no trigger for down-key

    body = moto_server.client("s3").get_object(Bucket="e2e-state", Key="state.json")["Body"]
    stored = json.loads(body.read())
    assert [s["pattern"] for s in stored["silences"]] == ["down"]
    assert stored["maintenance"] == {"down-key": checks["down"]["maintenance"]}

    ignoring = handler({"config": str(config_file), "ignore_maintenance": True}, FakeContext())
    assert _outcomes(ignoring) == {"up": "ok", "down": "failed"}
    assert servers.actions() == {"up": "resolve", "down-key": "trigger"}


def _outcomes(summary: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["outcome"] for c in summary["checks"]}


# Evaluate windows from the unpacked zip alone: `python -I -S`, only the zip's
# directory on sys.path, and PYTHONTZPATH pointing at an empty directory, so
# zoneinfo cannot use the system's /usr/share/zoneinfo.
BARE_ZONES = """
import json, sys, zoneinfo
sys.path.insert(0, sys.argv[1])
from datetime import datetime, timezone
from e2echeck.config.maintenance import MaintenanceWindow
from e2echeck.maintenance import window_active
import tzdata
at = datetime(2026, 7, 15, 20, 30, tzinfo=timezone.utc)
found = {}
for name in ("Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"):
    w = MaintenanceWindow.model_validate(
        {"name": "w", "start": "22:00", "duration": "1h", "timezone": name})
    found[name] = window_active(w, at)
print("RESULT " + json.dumps({
    "active": found, "tzpath": list(zoneinfo.TZPATH), "tzdata": tzdata.__file__}))
"""


@pytest.mark.slow  # builds the Lambda zip (the session's one)
def test_zip_evaluates_windows_without_system_zone_data(unpacked_zip: Path, tmp_path: Path) -> None:
    empty = tmp_path / "no-zoneinfo"
    empty.mkdir()
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "PYTHONTZPATH": str(empty)}
    completed = subprocess.run(
        [sys.executable, "-I", "-S", "-c", BARE_ZONES, str(unpacked_zip)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    line = next(x for x in completed.stdout.splitlines() if x.startswith("RESULT "))
    result = json.loads(line.removeprefix("RESULT "))
    assert result["tzpath"] == [str(empty)]  # the system's data was out of reach
    assert result["tzdata"].startswith(str(unpacked_zip))  # the zip's own copy
    # 20:30 UTC in July: 22:30 in Berlin (inside 22:00-23:00), 16:30 in New York,
    # 02:00 the next day in Kolkata, 06:30 on Lord Howe Island.
    assert result["active"] == {
        "Europe/Berlin": True,
        "America/New_York": False,
        "Asia/Kolkata": False,
        "Australia/Lord_Howe": False,
    }
