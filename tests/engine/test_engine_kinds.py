"""The seam of check kinds: one registry lists them, a kind is imported only when
a run uses it, and the reports, metrics and events render any kind without
knowing it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import pytest

from e2echeck.config import Check, Config
from e2echeck.engine import CheckResult, Outcome, RunResult
from e2echeck.kinds import KINDS, SCHEMES, ReportField, kind_for_url, load_kind
from e2echeck.kinds.registry import entry_for_url
from e2echeck.redaction import Redactor
from e2echeck.report.json_report import build_json
from e2echeck.report.junit import render_junit
from e2echeck.report.text import render_text
from tests.support.configs import config_document, write_config
from tests.support.junit import facts_of
from tests.support.servers import TestServer

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "e2echeck"
KINDS_DIR = PACKAGE / "kinds"
# The neutral layers: none of them may name a kind's module or an HTTP column.
RENDERERS = ("report", "metrics")
HTTP_COLUMNS = ("status_code", "failed_step", "body_excerpt")


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_every_kind_folder_is_registered_once_with_its_own_name_and_schemes() -> None:
    folders = sorted(p.name for p in KINDS_DIR.iterdir() if (p / "__init__.py").is_file())
    assert folders == sorted(entry.name for entry in KINDS)
    assert len(SCHEMES) == len(set(SCHEMES))  # a scheme belongs to one kind
    for entry in KINDS:
        assert entry.module == f"e2echeck.kinds.{entry.name}"
        kind = load_kind(entry)
        assert (kind.name, kind.schemes) == (entry.name, entry.schemes)
        assert issubclass(Check, kind.config_model)


def test_no_module_reaches_a_kind_except_through_the_registry() -> None:
    kind_modules = tuple(entry.module for entry in KINDS)
    for path in PACKAGE.rglob("*.py"):
        inside = path.relative_to(PACKAGE).parts
        if inside[0] == "kinds" and len(inside) > 2:
            continue  # a kind's own modules import each other
        reached = [
            name
            for name in _imports(path)
            if any(name == m or name.startswith(m + ".") for m in kind_modules)
        ]
        assert not reached, f"{path} imports {reached}: go through e2echeck.kinds.registry"


def test_the_config_imports_no_kind() -> None:
    for path in (PACKAGE / "config").rglob("*.py"):
        climbs = [m for m in _imports(path) if m.startswith(("e2echeck.kinds", "e2echeck.engine"))]
        assert not climbs, f"{path} imports {climbs}"


def test_renderers_name_no_kind_and_no_http_column() -> None:
    for package in RENDERERS:
        for path in (PACKAGE / package).rglob("*.py"):
            text = path.read_text()
            assert not [m for m in _imports(path) if m.startswith("e2echeck.kinds.")] or all(
                m == "e2echeck.kinds.base"
                for m in _imports(path)
                if m.startswith("e2echeck.kinds.")
            ), path
            named = [column for column in HTTP_COLUMNS if column in text]
            assert not named, f"{path} names {named}"


def test_a_url_scheme_picks_the_kind_case_insensitively() -> None:
    assert kind_for_url("HTTPS://example.test/x").name == "http"
    assert kind_for_url("http://127.0.0.1/").name == "http"
    assert kind_for_url("TCP://127.0.0.1:1").name == "tcp"
    assert kind_for_url("starttls://127.0.0.1:25").name == "tls"
    with pytest.raises(
        ValueError,
        match=r"expected http://, https://, tcp://, tls://, starttls://, dns://, grpc:// or grpcs://",
    ):
        entry_for_url("ftp://example.test/")


def test_a_check_whose_scheme_has_no_kind_is_a_positioned_error(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text("version: 1\nchecks:\n  - name: a\n    url: gopher://example.test/\n")
    out = _python(
        "from e2echeck.cli import main\n"
        f"try:\n    main(['validate', {str(path)!r}])\nexcept SystemExit as exit:\n"
        "    print('exit', exit.code)\n"
    )
    assert (
        f"{path}:4:10: checks[0].url: expected an absolute http://, https://, tcp://, tls://, "
        "starttls://, dns://, grpc:// or grpcs:// URL" in out
    )
    assert out.rstrip().endswith("exit 2")


_LOADED = (  # the kind packages (as the registry lists them) loaded, and whether httpx2 is
    "from e2echeck.config.kinds import KINDS\n"
    "print(sorted(k.module for k in KINDS if k.module in sys.modules), "
    "'httpx2' in sys.modules)\n"
)


def _python(code: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", "import sys\n" + code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    return done.stdout + done.stderr


def test_importing_the_engine_and_validating_import_no_kind(tmp_path: Path) -> None:
    path = write_config(tmp_path, config_document([{"name": "a", "url": "http://127.0.0.1:1/"}]))
    out = _python(
        "import e2echeck.engine, e2echeck.runner, e2echeck.report.json_report\n"
        "from e2echeck.config import load_config\n"
        f"load_config({str(path)!r})\n" + _LOADED
    )
    assert out.strip().splitlines()[-1] == "[] False", out


def test_a_run_imports_the_kinds_its_checks_use_and_no_other(
    tmp_path: Path, http_server: TestServer
) -> None:
    path = write_config(
        tmp_path, config_document([{"name": "a", "url": http_server.url("/status/200")}])
    )
    out = _python(
        "from e2echeck.config import load_config\n"
        "from e2echeck.engine import run_checks\n"
        f"run = run_checks(load_config({str(path)!r}))\n"
        "print(run.results[0].outcome)\n" + _LOADED
    )
    assert out.strip().splitlines()[-2:] == ["ok", "['e2echeck.kinds.http'] True"], out


# Another kind, as the renderers see it: they must show it without knowing it.


@dataclass(frozen=True)
class _EchoDetails:
    kind: ClassVar[str] = "echo"

    target: str
    banner: str

    @property
    def status_cell(self) -> str:
        return "BAN"

    @property
    def tried(self) -> str:
        return f"connect {self.target}"

    @property
    def step(self) -> str | None:
        return None

    @property
    def excerpt(self) -> str:
        return self.banner

    def as_dict(self) -> dict[str, Any]:
        return {"target": self.target, "banner": self.banner}

    def report_fields(self) -> tuple[ReportField, ...]:
        return (ReportField("outcome", "banner", self.banner), ReportField("nowhere", "x", 1))

    def properties(self) -> tuple[ReportField, ...]:
        return (ReportField("attempts", "banner", self.banner),)


def test_the_reports_render_a_kind_they_do_not_know(make_config: Any) -> None:
    config: Config = make_config([{"name": "echo", "url": "http://127.0.0.1:1/"}])
    at = datetime(2026, 1, 1, tzinfo=UTC)
    result = CheckResult(
        check=config.checks[0],
        outcome=Outcome.FAILED,
        kind_details=_EchoDetails("echo://127.0.0.1:7", "HELLO s3cret"),
        attempts=1,
        failures=["banner was 'HELLO'"],
        started_at=at,
    )
    run = RunResult([result], at, at)
    redactor = Redactor(["s3cret"])
    assert (result.kind, result.target, result.source) == (
        "echo",
        "echo://127.0.0.1:7",
        "127.0.0.1",
    )

    text = render_text(run, redactor=redactor, verbosity=2)
    assert text.startswith("FAIL  echo  BAN")
    assert "    connect echo://127.0.0.1:7\n" in text
    assert "    body: HELLO ***" in text

    document = build_json(run, redactor=redactor)["checks"][0]
    keys = list(document)
    assert keys[keys.index("outcome") + 1] == "banner" and keys[-1] == "x"
    assert document["banner"] == "HELLO ***"
    assert "status_code" not in document

    case = ET.fromstring(render_junit(run, redactor=redactor)).find(".//testcase")
    assert case is not None
    names = list(facts_of(case.findtext("system-out")))
    assert names[names.index("attempts") + 1] == "banner"
    failure = case.find("failure")
    assert failure is not None and "connect echo://127.0.0.1:7" in (failure.text or "")
    assert (
        json.dumps(result.details) == '{"target": "echo://127.0.0.1:7", "banner": "HELLO s3cret"}'
    )
