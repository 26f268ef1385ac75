"""Bad maintenance windows are config errors at file:line:column, exit 2."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cli
from tests.support.configs import dedent

CHECKS = """\
version: 1
checks:
  - name: payments-api
    url: https://payments.example.com/health
    tags: [api]
  - name: blog
    url: https://blog.example.com/
maintenance:
"""


def validate(tmp_path: Path, windows: str) -> tuple[int, str]:
    path = tmp_path / "checks.yaml"
    path.write_text(CHECKS + dedent(windows), encoding="utf-8")
    result = run_cli("validate", str(path))
    assert "Traceback" not in result.output
    return result.exit_code, result.output.replace(str(path), "checks.yaml")


def test_valid_windows(tmp_path: Path) -> None:
    code, output = validate(
        tmp_path,
        """
          - name: weekly-deploy
            every: [tue, thu]
            start: "22:00"
            duration: 1h
            timezone: Europe/Berlin
            tags: [api]
          - name: db-migration
            from: 2026-12-05T21:00:00Z
            to: 2026-12-05T23:30:00Z
            checks: ["payments-*"]
          - name: everything
            start: "03:00"
            duration: 15m
        """,
    )
    assert code == 0, output


def test_unknown_zone_bad_time_and_empty_selections_are_positioned(tmp_path: Path) -> None:
    code, output = validate(
        tmp_path,
        """
          - name: nightly
            start: "24:30"
            duration: 1h
            timezone: Europe/Berln
            checks: ["payment-*", blog]
            tags: [apii]
          - name: nightly
            from: 2026-12-05T21:00:00
            to: 2026-12-05T23:30:00Z
          - name: both
            start: "01:00"
            duration: 1h
            checks: [blog]
            tags: [api]
        """,
    )
    assert code == 2
    assert output.splitlines() == [
        'checks.yaml:10:10: maintenance[0].start: expected a wall-clock time "HH:MM" '
        "(00:00 to 23:59); got '24:30'",
        "checks.yaml:12:13: maintenance[0].timezone: unknown time zone 'Europe/Berln'; "
        "expected an IANA name such as Europe/Berlin, America/New_York or UTC",
        "checks.yaml:13:12: maintenance[0].checks[0]: 'payment-*' matches no check; "
        'did you mean "payments-api"?',
        "checks.yaml:14:10: maintenance[0].tags[0]: tag 'apii' is on no check; "
        'did you mean "api"?',
        "checks.yaml:15:9: maintenance[1].name: duplicate window name 'nightly' "
        "(also maintenance[0])",
        "checks.yaml:16:9: maintenance[1].from: '2026-12-05T21:00:00' has no time zone; "
        "add Z or an offset such as +01:00 (a one-off window is an absolute instant)",
        "checks.yaml:18:3: maintenance[2]: no check matches both the window's checks and its tags",
        "checks.yaml: invalid (7 errors)",
    ]


def test_misspelt_window_key_suggests_the_right_one(tmp_path: Path) -> None:
    code, output = validate(
        tmp_path,
        """
          - name: nightly
            start: "22:00"
            duraton: 1h
        """,
    )
    assert code == 2
    assert (
        "checks.yaml:11:3: maintenance[0].duraton: unknown key 'duraton'; "
        'did you mean "duration"?' in output
    )
