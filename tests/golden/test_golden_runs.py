"""Whole runs of the real CLI compared with golden files: what the fake Events API
received, the `--json` report and the `--junit` report, byte for byte after the
values that change from run to run are normalised (instants, durations, the
checker's host name, the local servers' ports, temporary paths).

They pin today's behaviour so that a refactor of the engine, the alerting or the
reports can prove it changed nothing a user or PagerDuty sees. When a change of
output is intended, rewrite the goldens and review their diff:

    E2ECHECK_WRITE_GOLDEN=1 python -m pytest tests/golden -q

Two files are run: the repository's example checks.yaml (its base URLs pointed
at local servers through the variables it reads) and a file with a scenario with
captures, several locations sharing one state file, a maintenance window and
secrets that must be masked everywhere.
"""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.support.cli import ROOT, CliResult, run_cli
from tests.support.configs import config_document, write_config
from tests.support.junit import xsd_errors
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import SLIDESHOW, Reply, Request, TestServer, json_reply, tls_context

GOLDEN = Path(__file__).parent / "golden"
WRITE = bool(os.environ.get("E2ECHECK_WRITE_GOLDEN"))
ROUTING_KEY = "GOLDENKEY0123456789abcdefabcdef0"

# -- normalisation ----------------------------------------------------------------

_INSTANT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?(?!\d)"
)
_LOCAL_ADDRESS = re.compile(r"127\.0\.0\.1:(\d+)")
# Keys whose values measure time: they differ on every run. The run's timing
# block (how many checks overlapped, whether the event loop lagged) depends on
# the machine's load, not on the code.
_TIMING_KEYS = re.compile(
    r"(?:^|_)(?:ms|seconds|duration|elapsed|latency|time)$"
    r"|^(?:peak_in_flight|latency_rechecks|timing_warning)$"
)


@dataclass
class Normaliser:
    """Replaces what differs between two runs of the same test by placeholders:
    each local server's port by its role, temporary paths, the host name, instants
    and durations. Everything else is compared as it is."""

    ports: dict[int, str] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)

    def text(self, value: str) -> str:
        for path, name in sorted(self.paths.items(), key=lambda item: -len(item[0])):
            value = value.replace(path, name)
        value = _LOCAL_ADDRESS.sub(
            lambda m: "127.0.0.1:" + self.ports.get(int(m.group(1)), "[PORT?]"), value
        )
        if value == socket.gethostname():
            # The checker's host as a whole value (a substring replace would
            # corrupt text on a machine called, say, "api").
            return "[HOST]"
        return _INSTANT.sub("[INSTANT]", value)

    def value(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if _TIMING_KEYS.search(key.lower()) and not isinstance(value, bool):
            return "[TIMING]"
        if isinstance(value, str):
            return self.text(value)
        return value

    def json_text(self, document: Any) -> str:
        return json.dumps(self.value(document), sort_keys=True, indent=2) + "\n"

    def junit_text(self, xml_text: str) -> str:
        """The JUnit report with timing attributes normalised, attributes sorted,
        indented the same way whatever the writer's whitespace."""
        root = ET.fromstring(xml_text)
        for element in root.iter():
            for name, attribute in list(element.attrib.items()):
                if name in ("time", "timestamp", "hostname"):
                    element.set(name, "[" + name.upper() + "]")
                else:
                    element.set(name, self.text(attribute))
            if element.tag == "property" and _TIMING_KEYS.search(element.get("name", "")):
                element.set("value", "[TIMING]")
            if element.text is not None:
                element.text = self.text(element.text)
            element.tail = None
            element.attrib = dict(sorted(element.attrib.items()))
        ET.indent(root)
        return ET.tostring(root, encoding="unicode") + "\n"


def assert_golden(name: str, actual: str) -> None:
    """`actual` equals golden/`name` (rewritten first with E2ECHECK_WRITE_GOLDEN=1)."""
    path = GOLDEN / name
    if WRITE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
    assert path.exists(), f"no golden file {path}: run with E2ECHECK_WRITE_GOLDEN=1"
    assert actual == path.read_text(encoding="utf-8"), f"differs from golden/{name}"


# -- running the CLI -------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    result: CliResult
    events: list[Any]  # the accepted events, in a stable order
    received: list[Any]  # every request body the fake received, as it came
    report: Any
    junit: str


def run_once(
    config: Path, tmp_path: Path, fake: FakePagerDuty, label: str, *args: str, env: dict[str, str]
) -> Run:
    """`e2echeck run config --json --junit *args`, with what the fake received."""
    fake.reset()
    json_path, junit_path = tmp_path / f"{label}.json", tmp_path / f"{label}.xml"
    result = run_cli(
        "run",
        str(config),
        "--json",
        str(json_path),
        "--junit",
        str(junit_path),
        *args,
        env={"NO_COLOR": "1", "PAGERDUTY_ROUTING_KEY": ROUTING_KEY, **env},
    )
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    # Delivery is concurrent: a stable order by what identifies an event.
    events = sorted(
        fake.events,
        key=lambda e: (e.get("dedup_key", ""), e.get("event_action", ""), json.dumps(e)),
    )
    return Run(
        result,
        events,
        fake.received,
        json.loads(json_path.read_text(encoding="utf-8")),
        junit_path.read_text(encoding="utf-8"),
    )


def summary(runs: dict[str, Run], normaliser: Normaliser) -> str:
    """One canonical JSON document of every run: exit code, events, JSON report."""
    return normaliser.json_text(
        {
            label: {"exit_code": run.result.exit_code, "events": run.events, "report": run.report}
            for label, run in runs.items()
        }
    )


# -- case 1: the example checks.yaml ----------------------------------------------------


class ExampleSite:
    """The example's endpoints on 127.0.0.1, healthy or broken on demand: broken,
    api-json loses its title, api-auth answers 503 and the scenario fails at its
    `read` step; site-home and the control check always pass."""

    def __init__(self, server: TestServer) -> None:
        self.broken = threading.Event()
        broken_slides = {"slideshow": {**SLIDESHOW["slideshow"], "title": "Other Show"}}

        def json_doc(request: Request) -> Reply:
            return json_reply(broken_slides if self.broken.is_set() else SLIDESHOW)

        def bearer(request: Request) -> Reply:
            if self.broken.is_set():
                return Reply(503, b"upstream unavailable")
            token = request.headers.get("authorization", "")[7:]
            return json_reply({"authenticated": True, "token": token})

        def read(request: Request) -> Reply:
            if self.broken.is_set():
                return json_reply({"error": "orders database unavailable"}, 500)
            host = request.headers.get("host", "")
            return json_reply({"method": request.method, "url": f"http://{host}{request.path}"})

        server.add_route("GET", r"/json", json_doc)
        server.add_route("*", r"/bearer", bearer)
        server.add_route("GET", r"/anything/orders/probe", read)


@pytest.fixture
def tls_site(tls_ca: Any) -> Iterator[TestServer]:
    with TestServer(tls=tls_context(tls_ca, days_left=365)) as server:
        yield server


@pytest.fixture
def api_site() -> Iterator[TestServer]:
    with TestServer() as server:
        yield server


def example_copy(tmp_path: Path, events_url: str) -> Path:
    """The example file as it is, but for two lines: PagerDuty's events_url points at
    the fake, and the retry delay is 10ms (attempts stay 3, waiting does not)."""
    text = (ROOT / "checks.yaml").read_text(encoding="utf-8")
    anchor = "  region: us\n"
    assert text.count(anchor) == 1 and text.count("  retry_delay: 1s\n") == 1
    text = text.replace(anchor, anchor + f"  events_url: {events_url}\n")
    text = text.replace("  retry_delay: 1s\n", "  retry_delay: 10ms\n")
    path = tmp_path / "checks.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_example_file(
    tmp_path: Path,
    fake_pd: FakePagerDuty,
    tls_site: TestServer,
    api_site: TestServer,
    tls_ca_file: str,
) -> None:
    site = ExampleSite(api_site)
    config = example_copy(tmp_path, fake_pd.url)
    env = {
        "E2E_SITE_URL": tls_site.base_url,
        "E2E_API_URL": api_site.base_url,
        "E2E_CONTROL_URL": api_site.url("/generate_204"),
        "SSL_CERT_FILE": tls_ca_file,
    }
    state = ("--state", str(tmp_path / "state.json"))
    runs: dict[str, Run] = {}
    site.broken.set()
    runs["1-broken"] = run_once(config, tmp_path, fake_pd, "1-broken", *state, env=env)
    runs["2-still-broken"] = run_once(config, tmp_path, fake_pd, "2-still", *state, env=env)
    site.broken.clear()
    runs["3-recovered"] = run_once(config, tmp_path, fake_pd, "3-recovered", *state, env=env)

    assert [r.result.exit_code for r in runs.values()] == [1, 1, 0]
    actions = [sorted((e["event_action"], e["dedup_key"]) for e in r.events) for r in runs.values()]
    # A first run with no state resolves what passes (an alert left open before).
    assert actions[0] == [
        ("resolve", "e2echeck-control"),
        ("resolve", "site-home"),
        ("trigger", "api-auth"),
        ("trigger", "api-json"),
        ("trigger", "order-roundtrip"),
    ], actions
    assert actions[1] == []
    assert [a for a, _ in actions[2]] == ["resolve"] * 3, actions

    normaliser = Normaliser(
        ports={
            tls_site.port: "[SITE_PORT]",
            api_site.port: "[API_PORT]",
            fake_pd.port: "[PD_PORT]",
        },
        paths={str(tmp_path): "[TMP]"},
    )
    assert_golden("example_runs.json", summary(runs, normaliser))
    for label, run in runs.items():
        assert xsd_errors(run.junit) == [], label
        assert_golden(f"example_{label}.xml", normaliser.junit_text(run.junit))


# -- case 2: a scenario, locations, maintenance and redaction ----------------------------

API_TOKEN = "golden-api-token-7c1e9a4b52"  # in E2E_API_TOKEN: sensitive by its name
ACCOUNT = "acct-golden-31415926"  # in ACCOUNT_NUMBER: listed in redact.env
SESSION = "sess-golden-0d9c8b7a6f"  # captured into `session_token`: sensitive by its name
RECEIPT = "rcpt-golden-2718281828"  # captured with `secret: true`
SECRETS = (API_TOKEN, ACCOUNT, SESSION, RECEIPT)
LOCATIONS = ("loc-a", "loc-b", "loc-c")


class ShopSite:
    """A shop on 127.0.0.1 whose login hands out secrets and whose health and
    order endpoints break on demand (the order error echoes the session)."""

    def __init__(self, server: TestServer) -> None:
        self.broken = threading.Event()

        def login(request: Request) -> Reply:
            if request.headers.get("authorization") != f"Bearer {API_TOKEN}":
                return json_reply({"error": "bad token"}, 401)
            return json_reply({"session_token": SESSION, "receipt": RECEIPT, "order": "o-17"})

        def order(request: Request) -> Reply:
            session = request.headers.get("x-session", "")
            if session != SESSION or request.arg("receipt") != RECEIPT:
                return json_reply({"error": "unknown session"}, 403)
            if self.broken.is_set():
                return json_reply({"error": f"session {session} lost its order"}, 500)
            return json_reply({"id": "o-17", "state": "paid"})

        def health(request: Request) -> Reply:
            if request.arg("account") != ACCOUNT or self.broken.is_set():
                return json_reply({"status": "DOWN", "account": request.arg("account")}, 503)
            return json_reply({"status": "UP"})

        server.add_route("POST", r"/login", login)
        server.add_route("GET", r"/orders/o-17", order)
        server.add_route("GET", r"/health", health)
        server.add_route("GET", r"/search", lambda request: Reply(503, b"reindexing"))


def shop_document(server: TestServer, events_url: str, state: Path) -> dict[str, Any]:
    checks: list[dict[str, Any]] = [
        {
            "name": "checkout",
            "description": "Log in, then read the order back with the session.",
            "tags": ["shop"],
            "steps": [
                {
                    "name": "login",
                    "method": "POST",
                    "url": server.url("/login"),
                    "headers": {"Authorization": "Bearer ${E2E_API_TOKEN}"},
                    "json": {"user": "probe"},
                    "expect": {"status": 200},
                    "capture": {
                        "session_token": "$.session_token",
                        "receipt": {"json": "$.receipt", "secret": True},
                        "order": "$.order",
                    },
                },
                {
                    "name": "read-order",
                    "url": server.url("/orders/{{ order }}"),
                    "headers": {"X-Session": "{{ session_token }}"},
                    "params": {"receipt": "{{ receipt }}"},
                    "expect": {"status": 200, "json": {"$.state": "paid"}},
                },
            ],
        },
        {
            "name": "health",
            "url": server.url("/health"),
            "params": {"account": "${ACCOUNT_NUMBER}"},
            "expect": {"status": 200, "json": {"$.status": "UP"}},
            "severity": "error",
            "tags": ["shop"],
        },
        {"name": "search", "url": server.url("/search"), "tags": ["search"]},
        {"name": "internet", "url": server.url("/generate_204"), "role": "control"},
    ]
    document = config_document(
        checks,
        defaults={"retries": 0, "retry_delay": "10ms", "timeout": "5s"},
        events_url=events_url,
        state=state,
    )
    document["locations"] = {"expected": list(LOCATIONS), "quorum": 2}
    document["maintenance"] = [
        {
            "name": "search-reindex",
            "from": "2020-01-01T00:00:00Z",
            "to": "2099-12-31T23:00:00Z",
            "tags": ["search"],
        }
    ]
    document["redact"] = {"env": ["ACCOUNT_NUMBER"]}
    return document


def test_scenario_locations_maintenance_and_redaction(
    tmp_path: Path, fake_pd: FakePagerDuty, api_site: TestServer
) -> None:
    shop = ShopSite(api_site)
    state = tmp_path / "state.json"
    config = write_config(tmp_path, shop_document(api_site, fake_pd.url, state))
    env = {"E2E_API_TOKEN": API_TOKEN, "ACCOUNT_NUMBER": ACCOUNT}
    runs: dict[str, Run] = {}
    # Broken as loc-a sees it, then as loc-b (a quorum), healthy from loc-c (still
    # a quorum failing), healthy from loc-a again (the quorum is gone).
    for label, location, broken in (
        ("1-loc-a-broken", "loc-a", True),
        ("2-loc-b-broken", "loc-b", True),
        ("3-loc-c-healthy", "loc-c", False),
        ("4-loc-a-healthy", "loc-a", False),
    ):
        if broken:
            shop.broken.set()
        else:
            shop.broken.clear()
        runs[label] = run_once(config, tmp_path, fake_pd, label, "--location", location, env=env)

    # The secrets were really used: the shop saw them all.
    seen = json.dumps([(r.path, r.query, r.headers) for r in api_site.log])
    assert all(secret in seen for secret in SECRETS)
    # ... and none of them left the process.
    for label, run in runs.items():
        outputs = {
            "events": json.dumps(run.received),
            "report": json.dumps(run.report),
            "junit": run.junit,
            "stdout": run.result.stdout,
            "stderr": run.result.stderr,
        }
        for where, text in outputs.items():
            leaked = [s for s in SECRETS if s in text]
            assert not leaked, f"{label} {where} shows {leaked}"
    leaked = [s for s in SECRETS if s in state.read_text(encoding="utf-8")]
    assert not leaked, f"the state file shows {leaked}"

    normaliser = Normaliser(
        ports={api_site.port: "[API_PORT]", fake_pd.port: "[PD_PORT]"},
        paths={str(tmp_path): "[TMP]"},
    )
    assert_golden("locations_runs.json", summary(runs, normaliser))
    for label, run in runs.items():
        assert xsd_errors(run.junit) == [], label
        assert_golden(f"locations_{label}.xml", normaliser.junit_text(run.junit))
