"""A silence set while a run is running is never lost: the run's save must not
overwrite it. On a local file the run holds the state's lock and `silence` waits
for it; on S3 the run's write is conditional and takes the object's silences
when it lost the race (moto's server, real boto3)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

from e2echeck.alerting.locking import load_tagged, locked, save_keeping_silences
from e2echeck.alerting.state import AlertState, open_store
from tests.support.aws import MotoServer
from tests.support.cli import run_cli
from tests.support.configs import QUICK_DEFAULTS, config_document, write_config

T0 = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)


def _config(tmp_path: Path, state: str) -> Path:
    document = config_document(
        [{"name": "payments-api", "url": "http://127.0.0.1:9/"}],
        defaults=QUICK_DEFAULTS,
        events_url="http://127.0.0.1:9/v2/enqueue",
        state=state,
    )
    return write_config(tmp_path, document)


def test_a_silence_set_during_a_run_on_s3_survives_the_runs_save(
    tmp_path: Path, aws_env: dict[str, str], moto_server: MotoServer
) -> None:
    moto_server.client("s3").create_bucket(Bucket="ops")
    location = "s3://ops/e2echeck/state.json"
    config = _config(tmp_path, location)
    store = open_store(location)

    # A run reads the state, then (while it checks and pages) an engineer silences.
    state, etag = load_tagged(store)
    silenced = run_cli("silence", "--config", str(config), "payments-*", "--for", "2h", now=T0)
    assert silenced.exit_code == 0, silenced.output
    state.alerts["payments-api"] = AlertState(check="payments-api", state="open")
    save_keeping_silences(store, state, etag)

    saved = store.load()
    assert [s.pattern for s in saved.silences] == ["payments-*"]
    assert saved.alerts["payments-api"].state == "open"  # the run's own decision stays


def test_silence_waits_for_a_run_holding_the_files_lock(tmp_path: Path) -> None:
    location = tmp_path / "state.json"
    config = _config(tmp_path, str(location))
    store = open_store(str(location))
    done = threading.Event()

    def silence() -> None:
        result = run_cli("silence", "--config", str(config), "payments-*", "--for", "2h", now=T0)
        assert result.exit_code == 0, result.output
        done.set()

    with locked(store):  # a run between reading and saving the state
        state, etag = load_tagged(store)
        worker = threading.Thread(target=silence)
        worker.start()
        assert not done.wait(0.5)  # silence waits for the lock
        state.alerts["payments-api"] = AlertState(check="payments-api", state="open")
        save_keeping_silences(store, state, etag)
    worker.join(timeout=30)
    assert done.is_set()

    saved = store.load()
    assert [s.pattern for s in saved.silences] == ["payments-*"]
    assert saved.alerts["payments-api"].state == "open"
