"""checks.yaml for the socket kinds: fields that do not belong to a check's
kind are positioned errors, and so are socket URLs without a port."""

from __future__ import annotations

from pathlib import Path

from e2echeck.config import check_config_text
from tests.support.cli import run_cli
from tests.support.configs import dedent


def _errors(text: str) -> list[str]:
    result = check_config_text(dedent(text), "checks.yaml")
    return [f"{p.line}:{p.column}: {p.path}: {p.message}" for p in result.errors]


def test_the_four_socket_checks_validate() -> None:
    assert (
        _errors(
            """
            version: 1
            defaults: {ca_file: ca.pem}
            checks:
              - name: db-port
                url: tcp://db.example.com:5432
                expect: {max_response_time: 300ms}
              - name: smtp-banner
                url: tcp://mail.example.com:25
                send: "EHLO x\\r\\n"
                expect: {banner: "^220 "}
              - name: api-cert
                url: tls://api.example.com:443
                verify_tls: true
                expect: {tls_cert_min_days: 21, tls_min_version: 1.2}
              - name: mail-cert
                url: starttls://mail.example.com:587
                expect: {tls_cert_min_days: 14}
              - name: imap-cert
                url: starttls://mail.example.com:1143
                starttls: IMAP
              - name: api-record
                url: dns://1.1.1.1
                dns: {name: api.example.com, type: a}
                expect: {rcode: NOERROR, answers: {contains: 203.0.113.10}}
              - name: mail-record
                url: dns://ns1.example.com:5353
                dns: {name: example.com, type: MX, protocol: TCP}
                expect: {answers: {equals: [10 mx1.example.com], matches: "^10 "}}
            """
        )
        == []
    )


def test_fields_of_another_kind_are_errors_at_their_position() -> None:
    assert _errors(
        """
        version: 1
        checks:
          - name: db
            url: tcp://db.example.com:5432
            headers: {X: y}
            expect: {status: 200, banner: "^x"}
          - name: api
            url: https://api.example.com/
            send: PING
            starttls: smtp
            expect: {banner: "^x"}
          - name: cert
            url: tls://api.example.com
            starttls: smtp
        """
    ) == [
        "5:5: checks[0].headers: headers does not apply to tcp:// checks "
        "(it is for http:// checks)",
        "6:14: checks[0].expect.status: expect.status does not apply to tcp:// checks "
        "(it is for http:// and grpc:// checks)",
        "9:5: checks[1].send: send does not apply to https:// checks (it is for tcp:// checks)",
        "10:5: checks[1].starttls: starttls does not apply to https:// checks "
        "(it is for starttls:// checks)",
        "11:14: checks[1].expect.banner: expect.banner does not apply to https:// checks "
        "(it is for tcp:// checks)",
        "14:5: checks[2].starttls: starttls does not apply to tls:// checks "
        "(it is for starttls:// checks)",
    ]


def test_socket_urls_need_a_port_and_starttls_its_protocol() -> None:
    assert _errors(
        """
        version: 1
        checks:
          - name: a
            url: tcp://db.example.com
          - name: b
            url: tcp://db.example.com:5432/path
          - name: c
            url: starttls://mail.example.com:1025
          - name: d
            steps:
              - {name: s, url: "tcp://db.example.com:1"}
        """
    ) == [
        "4:10: checks[0].url: a tcp:// URL needs a port: tcp://host:port",
        "6:10: checks[1].url: a tcp:// URL is tcp://host:port, without a path or query",
        "8:10: checks[2].url: say which protocol speaks STARTTLS on port 1025 with starttls: "
        "smtp, imap or pop3 (by port: 25 smtp, 110 pop3, 143 imap, 587 smtp, 2525 smtp)",
        "11:24: checks[3].steps[0].url: a scenario's steps are HTTP requests; tcp:// is a "
        "check of its own (give it its own url, without steps)",
    ]


def test_bad_values_of_the_socket_fields_are_positioned() -> None:
    errors = _errors(
        """
        version: 1
        checks:
          - name: a
            url: tls://api.example.com:443
            expect: {tls_min_version: "1.4"}
          - name: b
            url: tcp://db.example.com:1
            expect: {banner: "("}
        """
    )
    assert [e.split(": ")[0] + ": " + e.split(": ")[1] for e in errors] == [
        "5:31: checks[0].expect.tls_min_version",
        "8:22: checks[1].expect.banner",
    ]


def test_validate_prints_them_and_exits_2(tmp_path: Path) -> None:
    path = tmp_path / "checks.yaml"
    path.write_text(
        "version: 1\nchecks:\n  - name: a\n    url: tcp://127.0.0.1:5432\n    method: POST\n"
    )
    result = run_cli("validate", str(path))
    assert result.exit_code == 2
    assert (
        f"{path}:5:5: checks[0].method: method does not apply to tcp:// checks "
        "(it is for http:// checks)" in result.output
    )


def test_a_dns_check_needs_its_question_and_only_its_fields() -> None:
    assert _errors(
        """
        version: 1
        checks:
          - name: a
            url: dns://1.1.1.1
          - name: b
            url: dns://1.1.1.1:53
            dns: {name: x.example.com, type: PTR}
            expect: {status: 200, answers: {contain: x}}
          - name: c
            url: https://x.example.com/
            dns: {name: x.example.com}
            expect: {rcode: NXDOMAIN}
        """
    ) == [
        "4:10: checks[0].url: a dns:// check asks its resolver a question: add dns: "
        "{name: ..., type: A}",
        "7:38: checks[1].dns.type: expected 'A', 'AAAA', 'CNAME', 'MX', 'TXT', 'NS', 'SOA', "
        "'CAA' or 'SRV'; got 'PTR'",
        "8:14: checks[1].expect.status: expect.status does not apply to dns:// checks "
        "(it is for http:// and grpc:// checks)",
        "8:37: checks[1].expect.answers.contain: unknown key 'contain'; did you mean \"contains\"?",
        "11:5: checks[2].dns: dns does not apply to https:// checks (it is for dns:// checks)",
        "12:14: checks[2].expect.rcode: expect.rcode does not apply to https:// checks "
        "(it is for dns:// checks)",
    ]


def test_grpc_checks_expect_a_health_status_and_http_ones_an_http_status() -> None:
    assert _errors(
        """
        version: 1
        checks:
          - name: a
            url: grpc://orders.example.com:50051
            grpc: {service: orders.v1.Orders}
            expect: {status: serving, max_response_time: 200ms}
          - name: b
            url: grpcs://orders.example.com
            expect: {status: 200}
          - name: c
            url: https://api.example.com/
            expect: {status: SERVING}
          - name: d
            url: grpc://orders.example.com
            grpc: {service: x, method: y}
        """
    ) == [
        "9:22: checks[1].expect.status: a grpcs:// check expects one gRPC health status: "
        "SERVING, NOT_SERVING, UNKNOWN, SERVICE_UNKNOWN",
        "12:22: checks[2].expect.status: SERVING is a gRPC health status (for grpc:// "
        "checks); an HTTP check expects a status such as 200 or 2xx",
        "14:10: checks[3].url: a grpc:// URL needs a port: grpc://host:port",
        "15:24: checks[3].grpc.method: unknown key 'method'; expected one of service",
    ]


def test_a_misspelt_key_is_one_unknown_key_error_whatever_the_kind() -> None:
    errors = _errors(
        """
        version: 1
        checks:
          - name: a
            url: tcp://db.example.com:5432
            sned: PING
            expect: {baner: "^x"}
        """
    )
    assert [e.split(": ", 2)[1] for e in errors] == ["checks[0].sned", "checks[0].expect.baner"]
    assert "did you mean" in errors[0] and '"send"' in errors[0], errors
    assert '"banner"' in errors[1], errors
