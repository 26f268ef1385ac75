"""`e2echeck init`: a starter checks.yaml that validates, passes against the URL it
was given (a real local server), and keeps the state out of git."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cli, run_cli_process
from tests.support.servers import TestServer


def test_the_starter_file_passes_against_the_given_url(
    tmp_path: Path, http_server: TestServer
) -> None:
    url = http_server.url("/status/204")
    created = run_cli_process("init", "--url", url, cwd=tmp_path)
    assert created.exit_code == 0, created.output
    assert created.stdout.splitlines() == [
        "wrote checks.yaml",
        "added .e2echeck/ to .gitignore",
        "next: e2echeck run checks.yaml --no-alert",
    ]
    text = (tmp_path / "checks.yaml").read_text(encoding="utf-8")
    assert f'url: "{url}"' in text and text.count("\n#") >= 5  # commented
    assert (tmp_path / ".gitignore").read_text(encoding="utf-8") == ".e2echeck/\n"

    validated = run_cli_process(
        "validate", "checks.yaml", cwd=tmp_path, env={"PAGERDUTY_ROUTING_KEY": None}
    )
    assert validated.exit_code == 0, validated.output
    assert "valid (1 check)" in validated.output

    ran = run_cli_process(
        "run", "checks.yaml", "--no-alert", cwd=tmp_path, env={"PAGERDUTY_ROUTING_KEY": None}
    )
    assert ran.exit_code == 0, ran.output
    assert ran.stdout.startswith("PASS  127.0.0.1 ")
    assert "1 check" in ran.stdout and "1 passed" in ran.stdout


def test_a_failing_url_fails(tmp_path: Path, http_server: TestServer) -> None:
    """The starter check asserts something: a 500 is a failure, not a pass."""
    output = tmp_path / "ops" / "checks.yaml"
    created = run_cli("init", "--url", http_server.url("/status/500"), "-o", str(output))
    assert created.exit_code == 0, created.output
    ran = run_cli_process(
        "run", str(output), "--no-alert", cwd=tmp_path, env={"PAGERDUTY_ROUTING_KEY": None}
    )
    assert ran.exit_code == 1, ran.output
    assert (tmp_path / "ops" / ".gitignore").exists()


def test_gitignore_is_appended_once(tmp_path: Path) -> None:
    gitignore = tmp_path / ".gitignore"
    gitignore.write_text("node_modules/", encoding="utf-8")
    output = str(tmp_path / "checks.yaml")
    first = run_cli("init", "-o", output)
    assert first.exit_code == 0 and "added .e2echeck/" in first.stdout
    assert gitignore.read_text(encoding="utf-8") == "node_modules/\n.e2echeck/\n"
    again = run_cli("init", "-o", output, "--force")
    assert again.exit_code == 0 and "added" not in again.stdout
    assert gitignore.read_text(encoding="utf-8") == "node_modules/\n.e2echeck/\n"


def test_an_existing_file_is_kept(tmp_path: Path) -> None:
    output = tmp_path / "checks.yaml"
    output.write_text("mine\n", encoding="utf-8")
    result = run_cli("init", "-o", str(output))
    assert result.exit_code == 2
    assert result.stderr == f"e2echeck: {output} already exists; pass --force to replace it\n"
    assert output.read_text(encoding="utf-8") == "mine\n"


def test_a_bad_url_is_a_usage_error(tmp_path: Path) -> None:
    output = tmp_path / "checks.yaml"
    result = run_cli("init", "--url", "example.com", "-o", str(output))
    assert result.exit_code == 2
    assert "--url: expected an absolute http:// or https:// URL; got 'example.com'" in result.stderr
    assert not output.exists()


def test_odd_characters_in_the_url_stay_as_written(tmp_path: Path, http_server: TestServer) -> None:
    url = http_server.url("/text") + "?body=a%20b&x=${literal}#frag"
    output = tmp_path / "checks.yaml"
    assert run_cli("init", "--url", url, "-o", str(output)).exit_code == 0
    result = run_cli("validate", "--format", "json", str(output))
    assert result.exit_code == 0, result.output
    from e2echeck.config import load_config

    assert load_config(output).checks[0].url == url
