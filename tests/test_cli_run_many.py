"""`e2echeck run` with several files or a directory: one run of all their checks,
names unique across them, positions given per file, the run-wide sections shared
and each file's maintenance windows its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from click.testing import CliRunner

from e2echeck.cli import main
from tests.support.cli import run_cli
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import TestServer

ROUTING_KEY = "SU1TEKEY0123456789abcdefabcdef00"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _pagerduty(fake: FakePagerDuty, state: Path | None = None) -> str:
    """The run-wide sections, written in one file of a suite."""
    section = f'pagerduty: {{routing_key: "${{PD_KEY}}", events_url: "{fake.url}"}}\n'
    return section + (f"state: {{path: {state}}}\n" if state else "")


def _checks(server: TestServer, **paths: str) -> str:
    return "checks:\n" + "".join(
        f"  - name: {name}\n    url: {server.url(path)}\n    retries: 0\n"
        for name, path in paths.items()
    )


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("version: 1\n" + text, encoding="utf-8")
    return path


def _events(fake: FakePagerDuty, *names: str) -> dict[str, str]:
    return {e["dedup_key"]: e["event_action"] for e in fake.events if e["dedup_key"] in names}


def test_a_directory_runs_as_one_suite_with_the_pagerduty_section_of_one_file(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    suite = tmp_path / "checks.d"
    _write(
        suite / "core.yaml",
        _pagerduty(fake_pd, tmp_path / "state.json")
        + _checks(http_server, **{"dir-core-api": "/status/200"}),
    )
    # No pagerduty section of its own: the suite's one applies.
    _write(suite / "team" / "shop.yml", _checks(http_server, **{"dir-shop": "/status/503"}))
    result = run_cli("run", str(suite), "--format", "json", env={"PD_KEY": ROUTING_KEY})
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    assert {c["name"]: c["outcome"] for c in report["checks"]} == {
        "dir-core-api": "ok",
        "dir-shop": "failed",
    }
    assert _events(fake_pd, "dir-shop") == {"dir-shop": "trigger"}
    assert _events(fake_pd, "dir-core-api") != {"dir-core-api": "trigger"}
    # The suite owns one state; a second run with the shop fixed resolves its alert.
    _write(suite / "team" / "shop.yml", _checks(http_server, **{"dir-shop": "/status/200"}))
    fake_pd.reset()
    again = run_cli("run", str(suite), env={"PD_KEY": ROUTING_KEY})
    assert again.exit_code == 0, again.output
    assert _events(fake_pd, "dir-shop") == {"dir-shop": "resolve"}


def test_files_named_one_by_one_run_together_and_each_reads_its_own_env(
    tmp_path: Path, http_server: TestServer
) -> None:
    first = _write(
        tmp_path / "a" / "checks.yaml", "checks:\n  - name: env-a\n    url: ${A_URL}/status/200\n"
    )
    second = _write(
        tmp_path / "b" / "checks.yaml", "checks:\n  - name: env-b\n    url: ${B_URL}/status/200\n"
    )
    (first.parent / ".env").write_text(f"A_URL={http_server.base_url}\n", encoding="utf-8")
    (second.parent / ".env").write_text(f"B_URL={http_server.base_url}\n", encoding="utf-8")
    result = run_cli("run", str(first), str(second), "--no-alert", "--format", "json")
    assert result.exit_code == 0, result.output
    assert [c["name"] for c in json.loads(result.stdout)["checks"]] == ["env-a", "env-b"]


def test_a_name_used_in_two_files_is_an_error_at_the_later_files_position(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    first = _write(
        tmp_path / "a.yaml",
        _pagerduty(fake_pd) + _checks(http_server, **{"dup-api": "/status/500"}),
    )
    second = _write(
        tmp_path / "b.yaml", _checks(http_server, **{"dup-other": "/x", "dup-api": "/y"})
    )
    result = run_cli("run", str(first), str(second), env={"PD_KEY": ROUTING_KEY})
    assert result.exit_code == 2, result.output
    assert (
        f"{second}:6:11: checks[1].name: duplicate check name 'dup-api' (also in {first})"
        in result.stderr
    )
    assert "Traceback" not in result.output
    assert _events(fake_pd, "dup-api") == {}  # nothing ran, nothing was sent


def test_an_error_in_one_file_names_that_file_and_runs_nothing(
    tmp_path: Path, http_server: TestServer
) -> None:
    first = _write(tmp_path / "a.yaml", _checks(http_server, **{"err-a": "/json/err-a-never"}))
    second = _write(tmp_path / "b.yaml", "checks:\n  - name: err-b\n    url: /relative\n")
    result = run_cli("run", str(first), str(second), "--no-alert")
    assert result.exit_code == 2, result.output
    assert f"{second}:4:10: checks[0].url" in result.stderr
    assert str(first) + ":" not in result.stderr
    assert http_server.requests_to("/json/err-a-never") == []


def test_a_run_wide_section_written_differently_is_an_error_naming_both_files(
    tmp_path: Path, http_server: TestServer
) -> None:
    first = _write(
        tmp_path / "a.yaml", "defaults: {timeout: 5s}\n" + _checks(http_server, x1="/status/200")
    )
    second = _write(
        tmp_path / "b.yaml", "defaults: {timeout: 9s}\n" + _checks(http_server, x2="/status/200")
    )
    result = run_cli("run", str(first), str(second), "--no-alert")
    assert result.exit_code == 2, result.output
    assert (
        f"{second}:2:1: defaults: 'defaults' differs from the one in {first}; the files "
        "of a run share it" in result.stderr
    )
    # Written the same in both: fine.
    _write(second, "defaults: {timeout: 5s}\n" + _checks(http_server, x2="/status/200"))
    assert run_cli("run", str(first), str(second), "--no-alert").exit_code == 0


def test_a_maintenance_window_covers_only_its_own_files_checks(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    window = (
        "maintenance:\n  - name: shop-deploy\n"
        '    from: "2026-11-28T11:00:00Z"\n    to: "2026-11-28T13:00:00Z"\n'
    )
    _write(
        tmp_path / "suite" / "a.yaml",
        _pagerduty(fake_pd) + _checks(http_server, **{"mw-core": "/status/500"}),
    )
    _write(
        tmp_path / "suite" / "b.yaml",
        window + _checks(http_server, **{"mw-shop": "/status/500"}),
    )
    result = run_cli(
        "run", str(tmp_path / "suite"), "--format", "json", env={"PD_KEY": ROUTING_KEY}, now=NOW
    )
    assert result.exit_code == 1, result.output
    outcomes = {c["name"]: c["outcome"] for c in json.loads(result.stdout)["checks"]}
    assert outcomes == {"mw-core": "failed", "mw-shop": "maintenance"}
    assert _events(fake_pd, "mw-core", "mw-shop") == {"mw-core": "trigger"}


def test_list_and_completion_read_every_file(tmp_path: Path, http_server: TestServer) -> None:
    suite = tmp_path / "suite"
    _write(suite / "a.yaml", _checks(http_server, **{"ls-api": "/status/200"}))
    _write(suite / "b.yaml", _checks(http_server, **{"ls-site": "/status/200"}))
    listed = run_cli("run", str(suite), "--list", "--format", "json")
    assert listed.exit_code == 0, listed.output
    assert [c["name"] for c in json.loads(listed.stdout)["checks"]] == ["ls-api", "ls-site"]
    completed = CliRunner().invoke(
        main,
        [],
        prog_name="e2echeck",
        env={
            "_E2ECHECK_COMPLETE": "bash_complete",
            "COMP_WORDS": f"e2echeck run {suite} --only ls-",
            "COMP_CWORD": "4",
        },
    )
    assert completed.stdout.split() == ["plain,ls-api", "plain,ls-site"]


def test_a_file_removed_from_the_directory_resolves_its_open_alerts(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    suite = tmp_path / "suite"
    _write(
        suite / "a.yaml",
        _pagerduty(fake_pd, tmp_path / "state.json")
        + _checks(http_server, **{"gone-core": "/status/200"}),
    )
    removed = _write(suite / "b.yaml", _checks(http_server, **{"gone-shop": "/status/500"}))
    assert run_cli("run", str(suite), env={"PD_KEY": ROUTING_KEY}).exit_code == 1
    assert _events(fake_pd, "gone-shop") == {"gone-shop": "trigger"}
    removed.unlink()
    fake_pd.reset()
    result = run_cli("run", str(suite), env={"PD_KEY": ROUTING_KEY})
    assert result.exit_code == 0, result.output
    (resolve,) = [e for e in fake_pd.events if e["dedup_key"] == "gone-shop"]
    assert resolve["event_action"] == "resolve"


def test_the_library_reads_a_suite_with_each_files_ca_file_where_it_was_written(
    tmp_path: Path,
) -> None:
    from e2echeck.config.suites import load_suite

    _write(
        tmp_path / "one" / "a.yaml",
        "defaults: {ca_file: ca.pem}\nchecks:\n  - name: lib-a\n    url: https://a.test/\n",
    )
    _write(
        tmp_path / "two" / "b.yaml",
        "checks:\n  - name: lib-b\n    url: https://b.test/\n    ca_file: own.pem\n",
    )
    config = load_suite([tmp_path / "one", tmp_path / "two"], env_for=lambda path: {})
    settings = {c.name: config.settings_for(c).ca_file for c in config.checks}
    assert settings == {
        "lib-a": str(tmp_path / "one" / "ca.pem"),
        "lib-b": str(tmp_path / "two" / "own.pem"),
    }


def test_silence_takes_the_directory_and_the_run_honours_it(
    tmp_path: Path, http_server: TestServer, fake_pd: FakePagerDuty
) -> None:
    suite = tmp_path / "suite"
    _write(
        suite / "a.yaml",
        _pagerduty(fake_pd, tmp_path / "state.json")
        + _checks(http_server, **{"sil-core": "/status/200"}),
    )
    _write(suite / "b.yaml", _checks(http_server, **{"sil-shop": "/status/500"}))
    # The pattern names a check of the second file: the whole suite is read.
    silenced = run_cli("silence", "sil-shop", "--for", "1h", "--config", str(suite), now=NOW)
    assert silenced.exit_code == 0, silenced.output
    result = run_cli("run", str(suite), "--format", "json", env={"PD_KEY": ROUTING_KEY}, now=NOW)
    assert result.exit_code == 0, result.output
    outcomes = {c["name"]: c["outcome"] for c in json.loads(result.stdout)["checks"]}
    assert outcomes == {"sil-core": "ok", "sil-shop": "maintenance"}
    assert _events(fake_pd, "sil-shop") == {}


def test_what_each_file_knows_of_its_secrets_is_kept_in_the_suite(tmp_path: Path) -> None:
    """Secrets, and where substituted values came from, of every file (not only the
    first): the suite masks them all and names their origin in errors."""
    from e2echeck.config.suites import load_suite

    _write(
        tmp_path / "a.yaml",
        "checks:\n  - name: sec-a\n    url: https://a.test/\n"
        "    headers: {Authorization: 'Bearer ${A_TOKEN}'}\n",
    )
    _write(
        tmp_path / "b.yaml",
        "checks:\n  - name: sec-b\n    url: https://b.test/\n"
        "    headers: {Authorization: 'Bearer ${B_TOKEN}'}\n",
    )
    tokens = {"A_TOKEN": "tok-aaaa-1111", "B_TOKEN": "tok-bbbb-2222"}
    config = load_suite([tmp_path / "a.yaml", tmp_path / "b.yaml"], env_for=lambda p: tokens)
    assert {"tok-aaaa-1111", "tok-bbbb-2222"} <= config.secrets
    assert config.origins["tok-bbbb-2222"] == "${B_TOKEN}"
