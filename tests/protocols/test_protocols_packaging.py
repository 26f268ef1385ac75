"""The Lambda zip carries a kind's library only when its file has such a check."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from e2echeck.lambda_targets import MANIFEST_NAME
from e2echeck.packaging import kind_requirements
from tests.support.cli import run_cli


def test_a_kinds_library_follows_the_checks_of_the_file() -> None:
    core = ["httpx2>=2.16", "dnspython>=2.6", "tzdata"]
    assert kind_requirements(core, ["https://x.test/", "tcp://db.test:5432"]) == [
        "httpx2>=2.16",
        "tzdata",
    ]
    assert kind_requirements(core, ["dns://127.0.0.1"]) == core
    # metadata that predates the kind's library: it is added by name
    assert kind_requirements(["httpx2"], ["DNS://127.0.0.1:53"]) == ["httpx2", "dnspython"]
    assert kind_requirements(["httpx2"], ["${RESOLVER_URL}"]) == ["httpx2"]
    # grpcio comes with the grpc extra, never the core: added only for grpc(s):// checks
    assert kind_requirements(["httpx2"], ["grpcs://orders.test:443"]) == ["httpx2", "grpcio"]
    assert kind_requirements(["httpx2", "grpcio"], ["https://x.test/"]) == ["httpx2"]


@pytest.mark.slow
def test_the_zip_of_a_file_with_a_dns_check_bundles_dnspython(tmp_path: Path) -> None:
    config = tmp_path / "checks.yaml"
    config.write_text(
        "version: 1\nchecks:\n  - name: record\n    url: dns://127.0.0.1:5353\n"
        "    dns: {name: api.example.com}\n  - name: port\n    url: tcp://127.0.0.1:5432\n",
        encoding="utf-8",
    )
    output = tmp_path / "function.zip"
    result = run_cli("package", str(config), "-o", str(output), "--python", "3.12")
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(output) as archive:
        names = archive.namelist()
        manifest = json.loads(archive.read(MANIFEST_NAME))
    assert any(p.startswith("dnspython==") for p in manifest["packages"]), manifest
    assert "dns/asyncquery.py" in names
    assert "e2echeck/kinds/dns/kind.py" in names
