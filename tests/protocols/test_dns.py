"""The dns:// kind against a real DNS server on 127.0.0.1 (dnspython's, in
tests/support/dns.py): records, NXDOMAIN, a slow answer, a truncated one, and
every expectation in plain words."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from e2echeck.config import Config
from e2echeck.engine import Outcome, run_checks
from tests.support.dns import DnsServer
from tests.support.servers import unused_port


@pytest.fixture(scope="module")
def dns_server() -> Iterator[DnsServer]:
    with DnsServer() as server:
        yield server


def _run(make_config: Callable[..., Config], server: DnsServer, **check: Any) -> Any:
    config = make_config([{"name": "d", "url": server.url, **check}])
    return run_checks(config).results[0]


def test_an_a_record_is_answered_and_contained(
    make_config: Callable[..., Config], dns_server: DnsServer
) -> None:
    result = _run(
        make_config,
        dns_server,
        dns={"name": "api.test", "type": "A"},
        expect={"rcode": "NOERROR", "answers": {"contains": "203.0.113.10"}},
    )
    assert result.outcome is Outcome.OK, result.failures
    assert result.details == {
        "url": dns_server.url,
        "name": "api.test",
        "type": "A",
        "rcode": "NOERROR",
        "answers": ["203.0.113.10", "203.0.113.11"],
    }
    assert result.kind_details.status_cell == "OK"
    assert ("udp", "api.test.", "A") in dns_server.questions


def test_a_moved_record_fails_naming_what_the_resolver_answered(
    make_config: Callable[..., Config], dns_server: DnsServer
) -> None:
    result = _run(
        make_config,
        dns_server,
        dns={"name": "api.test"},
        expect={"answers": {"contains": "198.51.100.7"}},
    )
    assert result.outcome is Outcome.FAILED
    assert result.failures == [
        "A api.test: 198.51.100.7 not in the answer (203.0.113.10, 203.0.113.11)"
    ]


def test_mx_and_txt_with_equals_and_matches(
    make_config: Callable[..., Config], dns_server: DnsServer
) -> None:
    mx = _run(
        make_config,
        dns_server,
        dns={"name": "mail.test", "type": "mx", "protocol": "tcp"},
        expect={"answers": {"equals": ["20 mx2.mail.test", "10 mx1.mail.test."]}},
    )
    assert mx.outcome is Outcome.OK, mx.failures
    assert ("tcp", "mail.test.", "MX") in dns_server.questions
    txt = _run(
        make_config,
        dns_server,
        dns={"name": "mail.test", "type": "TXT"},
        expect={"answers": {"matches": "^v=spf1 "}},
    )
    assert txt.outcome is Outcome.OK, txt.failures
    assert txt.details["answers"] == ["v=spf1 -all"]
    wrong = _run(
        make_config,
        dns_server,
        dns={"name": "mail.test", "type": "MX"},
        expect={"answers": {"equals": "10 mx1.mail.test"}},
    )
    assert wrong.failures == [
        "MX mail.test: the answer is 10 mx1.mail.test., 20 mx2.mail.test., "
        "expected exactly 10 mx1.mail.test"
    ]


def test_nxdomain_fails_unless_expected(
    make_config: Callable[..., Config], dns_server: DnsServer
) -> None:
    gone = _run(make_config, dns_server, dns={"name": "gone.test"})
    assert gone.outcome is Outcome.FAILED
    assert gone.failures == ["A gone.test: the resolver answered NXDOMAIN, expected NOERROR"]
    assert gone.details["rcode"] == "NXDOMAIN"
    expected = _run(
        make_config, dns_server, dns={"name": "gone.test"}, expect={"rcode": "nxdomain"}
    )
    assert expected.outcome is Outcome.OK, expected.failures


def test_an_empty_answer_fails_without_answers_expectations(
    make_config: Callable[..., Config], dns_server: DnsServer
) -> None:
    result = _run(make_config, dns_server, dns={"name": "api.test", "type": "MX"})
    assert result.failures == ["MX api.test: no MX records in the answer"]


def test_a_slow_answer_times_out_or_misses_its_budget(
    make_config: Callable[..., Config], dns_server: DnsServer
) -> None:
    cut = _run(make_config, dns_server, dns={"name": "slow.test"}, timeout="300ms")
    assert cut.outcome is Outcome.FAILED
    assert cut.failures == [f"no answer from the resolver 127.0.0.1:{dns_server.port} within 0.3s"]
    late = _run(
        make_config,
        dns_server,
        dns={"name": "slow.test"},
        expect={"max_response_time": "500ms"},
    )
    assert late.outcome is Outcome.FAILED
    assert late.failures[0].endswith("over max_response_time 500ms")


def test_a_truncated_udp_answer_is_asked_again_over_tcp(
    make_config: Callable[..., Config], dns_server: DnsServer
) -> None:
    result = _run(make_config, dns_server, dns={"name": "big.test", "type": "TXT"})
    assert result.outcome is Outcome.OK, result.failures
    assert len(result.details["answers"]) == 10
    assert ("tcp", "big.test.", "TXT") in dns_server.questions


def test_a_resolver_that_does_not_answer_fails_in_plain_words(
    make_config: Callable[..., Config],
) -> None:
    port = unused_port()
    config = make_config(
        [
            {
                "name": "d",
                "url": f"dns://127.0.0.1:{port}",
                "dns": {"name": "api.test", "protocol": "tcp"},
            }
        ]
    )
    result = run_checks(config).results[0]
    assert result.failures == [f"connection refused by the resolver 127.0.0.1:{port}"]
