"""Every encoding of a known secret is masked: as it is, percent-encoded (`%20`
and `+`), JSON-escaped (`\\/` too), base64 of `user:secret` in Basic auth, and
with surrounding whitespace; through the real CLI: a secret capture sent as a
query parameter, a cookie set by a redirect hop, a password in events_url."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

from hypothesis import given, settings
from hypothesis import strategies as st

from e2echeck.config import load_config
from e2echeck.config.redact import config_redactor
from e2echeck.redaction import Redactor
from tests.support.cli import run_cli
from tests.support.configs import write_config
from tests.support.pagerduty import FakePagerDuty
from tests.support.servers import Reply, Request, TestServer, json_reply, unused_port

ROUTING_KEY = "0123456789abcdef0123456789abcdef"
TOKEN = "ab/cd+ef==tok-9f8e7d"  # sent as a query parameter: percent-encoded
SECRETS = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=6,
    max_size=24,
).filter(lambda s: len(s.strip()) >= 6)


def _forms(secret: str) -> list[str]:
    core = secret.strip()
    return [
        secret,
        core,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        re.sub(r"%[0-9A-F]{2}", lambda m: m.group(0).lower(), quote(core, safe="")),
        json.dumps(core)[1:-1],
        json.dumps(core, ensure_ascii=False)[1:-1].replace("/", "\\/"),
        "Basic " + base64.b64encode(f"probe:{core}".encode()).decode(),
    ]


@settings(max_examples=200, deadline=None)
@given(secret=SECRETS, padding=st.sampled_from(["", "\n", " ", "\t\n"]))
def test_no_encoding_of_a_secret_survives(secret: str, padding: str) -> None:
    redactor = Redactor([secret + padding])
    for form in _forms(secret + padding):
        shown = redactor.text(f"<{form}>")
        assert form.strip() not in shown or form.strip() in "<>", (form, shown)
        assert "***" in shown


def test_other_text_is_left_alone() -> None:
    redactor = Redactor(["s3cr3t/value"])
    assert redactor.text("Basic " + base64.b64encode(b"u:other").decode()).startswith("Basic dTp")
    assert redactor.text("nothing here") == "nothing here"


def _site(server: TestServer) -> None:
    def login(request: Request) -> Reply:
        return json_reply({"access_token": TOKEN})

    def hop(request: Request) -> Reply:
        query = "t=" + quote(request.arg("t"), safe="")
        return Reply(
            302,
            b"",
            headers=[
                ("Location", f"/echo?{query}"),
                ("Set-Cookie", "sid=hop-cookie-6c5b4a39; Path=/"),
            ],
        )

    def echo(request: Request) -> Reply:
        # Echoes what it received: the query as sent (percent-encoded), the token
        # JSON-escaped with \/, the cookie the hop set.
        token = request.arg("t")
        raw_query = "t=" + quote_plus(token, safe="")
        text = json.dumps({"q": raw_query, "tok": token, "seen": request.headers.get("cookie")})
        return Reply(500, text.replace("/", "\\/").encode(), content_type="application/json")

    server.add_route("POST", r"/login", login)
    server.add_route("GET", r"/hop", hop)
    server.add_route("GET", r"/echo", echo)


def test_encoded_secrets_reach_no_output(fake_pd: FakePagerDuty, tmp_path: Path) -> None:
    with TestServer() as site:
        _site(site)
        base = site.url("").rstrip("/")
        document: dict[str, Any] = {
            "version": 1,
            "defaults": {"retries": 0, "timeout": "5s"},
            "pagerduty": {
                "routing_key": "${PAGERDUTY_ROUTING_KEY}",
                "events_url": fake_pd.url,
                "body_excerpt": True,
            },
            "state": {"path": str(tmp_path / "state.json")},
            "checks": [
                {
                    "name": "flow",
                    "steps": [
                        {
                            "name": "login",
                            "method": "POST",
                            "url": f"{base}/login",
                            "capture": {"code": {"json": "$.access_token", "secret": True}},
                        },
                        {
                            "name": "use",
                            "url": f"{base}/hop",
                            "params": {"t": "{{ code }}"},
                            "expect": {"status": 200},
                        },
                    ],
                },
            ],
        }
        config = write_config(tmp_path, document)
        json_path = tmp_path / "report.json"
        result = run_cli(
            "run", str(config), "-vv", "--json", str(json_path),
            env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY},
        )  # fmt: skip

    assert result.exit_code == 1, result.output
    echoed = [r for r in site.log if r.path.startswith("/echo")]
    assert echoed and "hop-cookie-6c5b4a39" in echoed[0].headers.get("cookie", "")
    outputs = {
        "stdout": result.stdout,
        "stderr": result.stderr,
        "json": json_path.read_text(),
        "state": (tmp_path / "state.json").read_text(),
        "events": json.dumps([r.body for r in fake_pd.requests]).replace(ROUTING_KEY, ""),
    }
    token = TOKEN
    for where, text in outputs.items():
        for form in (
            token,
            quote(token, safe=""),
            token.replace("/", "\\/"),
            "hop-cookie-6c5b4a39",
        ):
            assert form not in text, f"{form} leaked into {where}"
            assert json.dumps(form)[1:-1] not in text, f"{form} leaked into {where}"


def test_a_password_in_events_url_is_never_printed(tmp_path: Path) -> None:
    password = "pr0xy-p%40ss-4411"
    events_url = f"http://probe:{password}@127.0.0.1:{unused_port()}/v2/enqueue"
    document = {
        "version": 1,
        "defaults": {"retries": 0, "timeout": "2s"},
        "pagerduty": {"routing_key": "${PAGERDUTY_ROUTING_KEY}", "events_url": events_url},
        "checks": [{"name": "down", "url": f"http://127.0.0.1:{unused_port()}/"}],
    }
    config = write_config(tmp_path, document)

    result = run_cli("run", str(config), "-vv", env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY})

    assert result.exit_code == 3, result.output
    for form in (password, "pr0xy-p@ss-4411"):
        assert form not in result.output
    # Known as a secret, so masked in any error that quotes it without its URL.
    redactor = config_redactor(load_config(config, env={"PAGERDUTY_ROUTING_KEY": ROUTING_KEY}))
    assert redactor.text("proxy refused pr0xy-p@ss-4411 and pr0xy-p%40ss-4411") == (
        "proxy refused *** and ***"
    )
