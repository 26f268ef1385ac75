"""The AWS Lambda entry point: `e2echeck.lambda_handler.handler`.

The same run as `e2echeck run` (e2echeck.runner.prepare, then execute: engine,
alerting, heartbeat), driven by an EventBridge schedule.

- Config: the event's `config` (a path, relative to the zip root, or an
  `s3://bucket/key` URL fetched with the runtime's boto3), else
  `$E2ECHECK_CONFIG`, else the `checks.yaml` bundled at the root of the zip (a
  directory packaged by `e2echeck package`: its files in `checks.d/`, one run).
  A config is read and validated once per container and reused by every warm
  invocation; an invalid config raises ConfigError, so the invocation fails
  visibly with every problem in its message.
- The event may carry `only` and `tags` (a string or a list of strings), and
  `location`. The location is the event's, else `$E2ECHECK_LOCATION`, else
  `$AWS_REGION` (which Lambda sets): the same stack deployed to several regions
  needs no per-region setting. With `locations` configured, every log line
  carries it.
- Deadline: the time Lambda leaves (`context.get_remaining_time_in_millis()`)
  minus a margin to deliver the events; checks that could not start by then
  are skipped and send nothing.
- stdout: one JSON line per check, the metrics documents, then one summary
  line. The return value is the JSON summary. An event that could not be delivered raises
  UndeliveredEventsError after the summary is logged (the CLI exits 3), so the
  function's Errors metric shows that the checker could not page.
- Secret references (`${ssm:...}`, `${secretsmanager:...}`) are fetched when
  the config is loaded; a config holding any is loaded again after
  SECRETS_TTL_S, so a rotated secret takes effect within that time. One that
  cannot be read raises ConfigError naming it and its position.
- Metrics: a CloudWatch Embedded Metric Format document per check and one per
  run, on stdout before the summary line (see e2echeck.metrics.emf), in the
  namespace $E2ECHECK_METRICS_NAMESPACE with the dimension Stack=$E2ECHECK_STACK.
- Versions: the first invocation of a container logs one `{"type": "manifest"}`
  line: the zip's e2echeck-manifest.json (e2echeck's version, the target Python and
  architecture, every bundled package==version) and the Python running it.
- State: `$E2ECHECK_STATE` overrides `state.path`; a relative local state path
  is kept under the temporary directory (/tmp in Lambda, where the code
  directory is read-only). Only `s3://` state survives a container's recycling.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from e2echeck import exit_codes
from e2echeck.config import load_config_text
from e2echeck.config.models import Config
from e2echeck.config.secret_refs import DEFAULT_TTL_S, resolving
from e2echeck.engine.results import CheckResult
from e2echeck.errors import UndeliveredEventsError as UndeliveredEventsError
from e2echeck.lambda_targets import MANIFEST_NAME, SUITE_DIR
from e2echeck.metrics.emf import MetricsTarget, emf_documents
from e2echeck.redaction import Redactor
from e2echeck.report import NO_ACTION, alert_of
from e2echeck.report.json_report import build_json, check_document
from e2echeck.runner import RunOptions, RunOutcome, prepare

# The zip's root: `checks.yaml` sits next to the `e2echeck` package.
BUNDLED_CONFIG = Path(__file__).resolve().parent.parent / "checks.yaml"
# Beside it, what `e2echeck package` bundled (absent when not run from such a zip).
MANIFEST = BUNDLED_CONFIG.with_name(MANIFEST_NAME)
#: Where `e2echeck package DIR` puts a directory's files: read as one run.
BUNDLED_SUITE = BUNDLED_CONFIG.with_name(SUITE_DIR)


# Time kept back from the run for delivering events and returning: 20 % of
# what Lambda leaves, between 10 s and 60 s, and never more than half of it.
MARGIN_FRACTION = 0.2
MIN_MARGIN_S = 10.0
MAX_MARGIN_S = 60.0
# Delivery itself must end this long before Lambda stops the function, to
# leave time for the heartbeat ping, the summary and the response.
AFTER_DELIVERY_S = 5.0
# A config with secret references is loaded again (its secrets fetched again)
# once it is this old.
SECRETS_TTL_S = float(DEFAULT_TTL_S)
# The clock of that expiry (seconds; tests replace it).
clock: Callable[[], float] = time.monotonic


class LambdaContext(Protocol):
    """The part of the Lambda context object the handler uses."""

    def get_remaining_time_in_millis(self) -> int: ...


@dataclass(frozen=True)
class _Loaded:
    config: Config
    expires_at: float | None = None  # clock() value; None: no secret references


# Built once per container, reused across warm invocations; keyed by source.
_CACHE: dict[str, _Loaded] = {}
_LOCK = threading.Lock()
_EMIT_LOCK = threading.Lock()
_s3_client: Any = None
_manifest_logged = False


def handler(event: Any, context: LambdaContext | None) -> dict[str, Any]:
    """Run every check once, page or un-page PagerDuty, return the summary."""
    _log_manifest_once()
    event = event if isinstance(event, Mapping) else {}
    source = config_source(event)
    loaded = _load(source)
    prepared = prepare(
        loaded.config,
        RunOptions(
            only=_strings(event, "only"),
            tags=_strings(event, "tags"),
            deadline=run_deadline(context),
            delivery_deadline=delivery_deadline(context),
            state_path=state_path_for(loaded.config),
            ignore_maintenance=event.get("ignore_maintenance") is True,
            location=_string(event, "location"),
        ),
    )
    shown = {"location": prepared.location} if loaded.config.locations is not None else {}
    outcome = prepared.execute(
        on_result=lambda result: _log_check(result, prepared.redactor, shown),
    )
    redactor = outcome.redactor
    summary = summarize(outcome, loaded.config, redactor)
    report = outcome.alert_report
    state_failed = report is not None and report.state_failed
    target = MetricsTarget.from_environment(os.environ)
    for document in emf_documents(
        outcome.run,
        shown.get("location"),
        redactor=redactor,
        target=target,
        state_failed=state_failed,
    ):
        _emit(document)
    _emit(
        {
            "type": "summary",
            **shown,
            "config": summary["config"],
            **summary["summary"],
            "alerts": redactor.data(_alert_line(outcome)),
            "heartbeat_warning": redactor.text(outcome.heartbeat_warning or "") or None,
            **(
                {"warnings": [redactor.text(w) for w in report.warnings]}
                if report and report.warnings
                else {}
            ),
        }
    )
    if outcome.exit_code == exit_codes.UNDELIVERED:
        raise UndeliveredEventsError(
            "the alert state could not be saved or shared; see the log lines above"
            if state_failed
            else "at least one PagerDuty event could not be delivered; see the log lines above"
        )
    return summary


def manifest_record(path: Path = MANIFEST) -> dict[str, Any] | None:
    """The line that says which versions this container runs: the zip's manifest
    and the running Python; None outside a zip built by `e2echeck package`."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        return {"type": "manifest", "error": f"cannot read {path.name}: {exc}"}
    running = ".".join(str(part) for part in sys.version_info[:3])
    return {"type": "manifest", **document, "running_python": running}


def _log_manifest_once() -> None:
    global _manifest_logged
    with _LOCK:
        if _manifest_logged:
            return
        _manifest_logged = True
    record = manifest_record()
    if record is not None:
        _emit(record)


def config_source(event: Mapping[str, Any]) -> str:
    """The event's `config`, else $E2ECHECK_CONFIG, else the bundled checks.yaml
    (or the bundled directory's files)."""
    value = event.get("config")
    if value is not None and not isinstance(value, str):
        raise ValueError(f"event 'config' must be a path or an s3:// URL, not {value!r}")
    bundled = BUNDLED_SUITE if BUNDLED_SUITE.is_dir() and not BUNDLED_CONFIG.exists() else None
    source = value or os.environ.get("E2ECHECK_CONFIG") or str(bundled or BUNDLED_CONFIG)
    if source.startswith("s3://"):
        return source
    return str(Path(source).resolve())


def run_deadline(context: LambdaContext | None) -> float | None:
    """Seconds the checks may start within: Lambda's remaining time minus a margin."""
    if context is None or not hasattr(context, "get_remaining_time_in_millis"):
        return None
    remaining = context.get_remaining_time_in_millis() / 1000.0
    margin = min(max(MIN_MARGIN_S, remaining * MARGIN_FRACTION), MAX_MARGIN_S, remaining / 2)
    return max(remaining - margin, 0.0)


def delivery_deadline(context: LambdaContext | None) -> float | None:
    """Seconds by which the events must be delivered: what Lambda leaves minus
    AFTER_DELIVERY_S, and never before the checks' own deadline."""
    checks = run_deadline(context)
    if context is None or checks is None:
        return None
    remaining = context.get_remaining_time_in_millis() / 1000.0
    return max(remaining - AFTER_DELIVERY_S, checks)


def _load(source: str) -> _Loaded:
    with _LOCK:
        loaded = _CACHE.get(source)
        if loaded is not None and loaded.expires_at is not None and clock() >= loaded.expires_at:
            loaded = None
        if loaded is None:
            with resolving() as references:
                config = _read_config(source)
            expires_at = clock() + SECRETS_TTL_S if references.references else None
            loaded = _Loaded(config, expires_at)
            _CACHE[source] = loaded
        return loaded


def _read_config(source: str) -> Config:
    if not source.startswith("s3://"):
        from e2echeck.config.suites import load_suite

        # A file, or a directory whose files are one run (as `e2echeck run DIR`).
        return load_suite([Path(source)], env_for=lambda path: os.environ)
    bucket, _, key = source[len("s3://") :].partition("/")
    if not bucket or not key:
        raise ValueError(f"expected s3://bucket/key, got {source!r}")
    body = _s3().get_object(Bucket=bucket, Key=key)["Body"].read()
    return load_config_text(body, source)


def _s3() -> Any:
    global _s3_client
    if _s3_client is None:
        # Shipped by the Lambda runtime (the `aws` extra elsewhere); imported
        # only when a config comes from S3.
        boto3 = importlib.import_module("boto3")
        _s3_client = boto3.client("s3")
    return _s3_client


def _strings(event: Mapping[str, Any], key: str) -> tuple[str, ...]:
    value = event.get(key)
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Sequence) and all(isinstance(item, str) for item in value):
        return tuple(value)
    raise ValueError(f"event {key!r} must be a string or a list of strings, not {value!r}")


def _string(event: Mapping[str, Any], key: str) -> str | None:
    value = event.get(key)
    if value is None or isinstance(value, str):
        return value or None
    raise ValueError(f"event {key!r} must be a string, not {value!r}")


def state_path_for(config: Config) -> str | None:
    """The state this container uses: $E2ECHECK_STATE, else the config's own
    (`s3://` or absolute), else the relative path under the temporary directory."""
    override = os.environ.get("E2ECHECK_STATE")
    if override:
        return override
    if config.state is None:
        return None
    path = config.state.path
    if path.startswith("s3://") or os.path.isabs(path):
        return None  # the config's own
    return os.path.join(tempfile.gettempdir(), path)


def summarize(outcome: RunOutcome, config: Config, redactor: Redactor) -> dict[str, Any]:
    """The JSON summary the handler returns: the document of `e2echeck run
    --format json` (every check with its alert, then `summary`), plus the
    config's source and the exit code the CLI would have used."""
    document = build_json(outcome.run, redactor=redactor, alerts=outcome.alerts)
    document["summary"]["exit_code"] = outcome.exit_code
    report = outcome.alert_report
    if report is not None and report.location is not None:
        document["summary"]["location"] = report.location
    return {"config": redactor.text(config.source), **document}


def _alert_line(outcome: RunOutcome) -> dict[str, str]:
    """check name -> "action: delivery", for the checks that sent something."""
    lines: dict[str, str] = {}
    for result in outcome.run.results:
        action, delivery = alert_of(result, outcome.alerts)
        if action != NO_ACTION:
            lines[result.name] = f"{action}: {delivery}"
    return lines


def _log_check(result: CheckResult, redactor: Redactor, shown: Mapping[str, Any]) -> None:
    """As each check finishes (its alert is decided after the run, in the summary)."""
    record = check_document(result)
    del record["alert"]
    _emit({"type": "check", **shown, **redactor.with_secrets(result.secrets).data(record)})


def _emit(record: Mapping[str, Any]) -> None:
    line = json.dumps(record, separators=(",", ":"), default=str) + "\n"
    with _EMIT_LOCK:
        sys.stdout.write(line)
        sys.stdout.flush()


def reset_cache() -> None:
    """Forget the configs and clients of this container (tests)."""
    global _s3_client, _manifest_logged
    with _LOCK:
        _CACHE.clear()
        _s3_client = None
        _manifest_logged = False
