"""`--env-file PATH` and the `.env` beside the checks file: what `${VAR}` reads,
with the process environment first, then the env files (a later one first), then
`.env`; a bad line is an error at its file and line (exit 2)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.support.cli import run_cli
from tests.support.servers import TestServer

CHECKS = """\
version: 1
checks:
  - name: a
    url: ${BASE_URL}/status/${STATUS}
    headers: {Authorization: "Bearer ${API_TOKEN}"}
"""


def _write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_dotenv_beside_the_checks_file_is_read(tmp_path: Path, http_server: TestServer) -> None:
    config = _write(tmp_path / "suite", "checks.yaml", CHECKS)
    _write(
        tmp_path / "suite",
        ".env",
        f"# local settings\nexport BASE_URL={http_server.base_url}\n"
        "STATUS=204  # no content\nAPI_TOKEN='tok-from-dotenv-0123456789'\n",
    )
    unset = {"BASE_URL": None, "STATUS": None, "API_TOKEN": None}
    result = run_cli("run", str(config), "--no-alert", "--format", "json", env=unset)
    assert result.exit_code == 0, result.output
    (check,) = json.loads(result.stdout)["checks"]
    assert check["status_code"] == 204
    assert "tok-from-dotenv" not in result.output  # a secret by its name, from a file too

    validated = run_cli("validate", "--strict-env", str(config), env=unset)
    assert validated.exit_code == 0, validated.output


def test_precedence_environment_then_env_files_then_dotenv(
    tmp_path: Path, http_server: TestServer
) -> None:
    config = _write(tmp_path, "checks.yaml", CHECKS)
    _write(tmp_path, ".env", f"BASE_URL={http_server.base_url}\nSTATUS=500\nAPI_TOKEN=x\n")
    first = _write(tmp_path / "env", "first.env", "STATUS=503\n")
    second = _write(tmp_path / "env", "second.env", 'STATUS="202"\n')
    result = run_cli(
        "run",
        str(config),
        "--no-alert",
        "--format",
        "json",
        "--env-file",
        str(first),
        "--env-file",
        str(second),
        env={"BASE_URL": None, "STATUS": None, "API_TOKEN": None},
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["checks"][0]["status_code"] == 202  # the later file

    exported = run_cli(
        "run",
        str(config),
        "--no-alert",
        "--format",
        "json",
        "--env-file",
        str(second),
        env={"BASE_URL": None, "STATUS": "201", "API_TOKEN": None},
    )
    assert exported.exit_code == 0, exported.output
    assert json.loads(exported.stdout)["checks"][0]["status_code"] == 201  # the environment


def test_a_bad_env_file_is_an_error_at_its_line(tmp_path: Path) -> None:
    config = _write(tmp_path, "checks.yaml", CHECKS)
    bad = _write(tmp_path, "bad.env", '# ok\nBASE_URL=http://127.0.0.1:9\nnot a line\nX="open\n')
    for command in ("run", "validate"):
        result = run_cli(command, str(config), "--env-file", str(bad))
        assert result.exit_code == 2, result.output
        assert f"{bad}:3:1: expected NAME=value" in result.stderr
        assert f"{bad}:4:3: X: unclosed double quote" in result.stderr
        assert "Traceback" not in result.output

    missing = run_cli("run", str(config), "--env-file", str(tmp_path / "nope.env"))
    assert missing.exit_code == 2
    assert "nope.env:1:1: env file not found" in missing.stderr
