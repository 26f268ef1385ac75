"""Alert state between runs: a JSON document in a file or an S3 object.

Per dedup key it holds the alert's state as last decided (open / resolved), the
consecutive failed and passed runs, and the transitions a sink still owes.
Format (version 2):

    {"version": 2, "updated_at": "2026-11-27T10:05:00+00:00",
     "alerts": {"api-health": {"check": "api-health", "state": "open",
                               "consecutive_failures": 2, "consecutive_successes": 0,
                               "changed_at": "...",
                               "undelivered": [{"sink": "pagerduty",
                                                "transition": <transition>}, ...]}}}

Version 1 (written before sinks existed) stored PagerDuty event bodies under
"undelivered"; it is read and migrated (`migration.py`): each body becomes
the transition it was rendered from, owed by the `pagerduty` sink. The file is
written back as version 2 by the run's save.

Two more top-level keys, absent from older files: "silences" (see e2echeck/silences.py)
and "maintenance", the dedup keys in maintenance in their last run, so the run
after a window can tell that it ended (see decisions.py).

Transitions hold no secret of a sink (no routing key, no webhook URL): the
sink looks those up again from the config when it sends.

Other top-level keys (e.g. `locations`, the observations of several
locations) are kept as read and written back; their own modules parse them.

Undelivered transitions: at most one per dedup key and sink, the newest. A newer
transition for the same key supersedes an older undelivered one: PagerDuty only needs the
alert's latest state, and sending a stale trigger followed by its resolve would
page someone for an incident that is already over.
"""

from __future__ import annotations

import contextlib
import glob
import importlib
import json
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from e2echeck.alerting.clocks import SharedClock, clock_of
from e2echeck.alerting.migration import migrate_v1_event
from e2echeck.alerting.sinks.base import Pending
from e2echeck.alerting.transitions import Signal
from e2echeck.config.flapping import MAX_HISTORY
from e2echeck.errors import StateError as StateError
from e2echeck.silences import Silence, silences_from_json

STATE_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: undelivered PagerDuty bodies, migrated when read
_CORE_KEYS = frozenset({"version", "updated_at", "alerts", "silences", "maintenance"})
# A state document e2echeck writes is a few levels deep and, for thousands of
# checks in several locations, a few MiB. Past these it is not one of ours: it
# is refused as corrupt (a warning, the run goes on) instead of exhausting the
# stack or the memory of every run in every location.
MAX_STATE_BYTES = 32 * 1024 * 1024
MAX_STATE_DEPTH = 64
AlertStatus = Literal["open", "resolved"]


@dataclass
class AlertState:
    check: str | None = None
    state: AlertStatus | None = None  # None: never decided (a new dedup key)
    consecutive_failures: int = 0
    consecutive_successes: int = 0
    changed_at: str | None = None
    undelivered: list[Pending] = field(default_factory=list)
    # The last runs' signals, oldest first ("F" failed, "P" passed), and whether
    # the alert is flapping (alerting/flapping.py); absent from older files.
    history: str = ""
    flapping: bool = False

    def to_json(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "check": self.check,
            "state": self.state,
            "consecutive_failures": self.consecutive_failures,
            "consecutive_successes": self.consecutive_successes,
            "changed_at": self.changed_at,
            "undelivered": [pending.to_json() for pending in self.undelivered],
        }
        if self.history:
            document["history"] = self.history
        if self.flapping:
            document["flapping"] = True
        return document

    @classmethod
    def from_json(cls, data: Any, version: int = STATE_VERSION) -> AlertState:
        if not isinstance(data, dict):
            raise ValueError("expected an object")
        state = data.get("state")
        if state not in ("open", "resolved", None):
            raise ValueError(f"unknown state {state!r}")
        counts = [data.get("consecutive_failures", 0), data.get("consecutive_successes", 0)]
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 0 for c in counts):
            raise ValueError("consecutive counts must be whole numbers")
        undelivered = data.get("undelivered", [])
        if not isinstance(undelivered, list):
            raise ValueError("undelivered must be a list")
        check, changed = data.get("check"), data.get("changed_at")
        history = data.get("history", "")
        if not isinstance(history, str) or history.strip("FP"):
            raise ValueError("history must be a text of F and P")
        return cls(
            check=check if isinstance(check, str) else None,
            state=state,
            consecutive_failures=counts[0],
            consecutive_successes=counts[1],
            changed_at=changed if isinstance(changed, str) else None,
            undelivered=[
                Pending.from_json(item) if version >= 2 else migrate_v1_event(item)
                for item in undelivered
            ],
            history=history[-MAX_HISTORY:],
            flapping=data.get("flapping") is True,
        )


@dataclass
class State:
    alerts: dict[str, AlertState] = field(default_factory=dict)
    updated_at: str | None = None
    # Maintenance (e2echeck/silences.py, e2echeck/maintenance.py): the silences set
    # from the CLI, and the dedup keys that were in maintenance in their last run.
    silences: list[Silence] = field(default_factory=list)
    maintenance: dict[str, str] = field(default_factory=dict)
    # Other top-level keys, kept as they are (an older file has none).
    sections: dict[str, Any] = field(default_factory=dict)
    # Read from a state whose last run could not save it (never written): its
    # resolved alerts may be open in PagerDuty, so this run reconciles them.
    unrecorded: bool = field(default=False, compare=False)
    # This run's change events (maintenance windows starting and ending): never stored.
    changes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "version": STATE_VERSION,
            "updated_at": self.updated_at,
            "alerts": {key: alert.to_json() for key, alert in sorted(self.alerts.items())},
            "silences": [silence.to_json() for silence in self.silences],
            "maintenance": dict(sorted(self.maintenance.items())),
            **{key: value for key, value in self.sections.items() if key not in _CORE_KEYS},
        }

    @classmethod
    def from_json(cls, data: Any) -> State:
        """StateError when `data` is not a state document this version understands."""
        if not isinstance(data, dict):
            raise StateError("not a state document (expected a JSON object)")
        version = data.get("version")
        if version not in READABLE_VERSIONS or isinstance(version, bool):
            raise StateError(f"unsupported state version {version!r}")
        alerts = data.get("alerts")
        if not isinstance(alerts, dict):
            raise StateError("not a state document (no 'alerts' object)")
        parsed: dict[str, AlertState] = {}
        for key, value in alerts.items():
            try:
                parsed[key] = AlertState.from_json(value, version)
            except ValueError as exc:
                raise StateError(f"alerts[{key!r}]: {exc}") from None
        updated = data.get("updated_at")
        try:
            silences = silences_from_json(data.get("silences"))
        except ValueError as exc:
            raise StateError(f"silences: {exc}") from None
        held = data.get("maintenance")
        held = (
            {k: v for k, v in held.items() if isinstance(v, str)} if isinstance(held, dict) else {}
        )
        sections = {key: value for key, value in data.items() if key not in _CORE_KEYS}
        return cls(parsed, updated if isinstance(updated, str) else None, silences, held, sections)

    def encode(self) -> bytes:
        # A state with other sections (several locations' observations: thousands
        # of entries) is written compact: indenting it costs 5x the time in
        # Python's encoder and a third more bytes.
        indent = None if "locations" in self.sections else 2
        return (json.dumps(self.to_json(), indent=indent, ensure_ascii=False) + "\n").encode()

    @classmethod
    def decode(cls, raw: bytes) -> State:
        """StateError for anything but a state document within the limits:
        hostile or broken documents of any shape, size or depth included."""
        if len(raw) > MAX_STATE_BYTES:
            raise StateError(f"larger than {MAX_STATE_BYTES // (1024 * 1024)} MiB")
        too_deep = StateError(f"nested deeper than {MAX_STATE_DEPTH} levels")
        try:
            data = json.loads(raw.decode("utf-8"))
        except RecursionError:
            raise too_deep from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise StateError(f"not valid JSON ({exc})") from None
        if _deeper_than(data, MAX_STATE_DEPTH):
            raise too_deep
        try:
            return cls.from_json(data)
        except StateError:
            raise
        except (TypeError, AttributeError, KeyError, ValueError, RecursionError) as exc:
            raise StateError(f"not a state document ({type(exc).__name__})") from None


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether JSON-like `value` nests deeper than `limit` (iteratively: no stack)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def advance(
    alert: AlertState,
    signal: Signal,
    failure_threshold: int,
    success_threshold: int,
    now: str,
) -> tuple[Literal["trigger", "resolve", "none"], str]:
    """Count one run's signal; (the event to send, why none) per the thresholds.

    An event goes out only when the alert's state changes. A dedup key seen for
    the first time passing is resolved once (harmless when nothing is open; it
    closes an alert left open when the state was lost or newly enabled).
    """
    if signal == "fail":
        alert.consecutive_failures += 1
        alert.consecutive_successes = 0
        if alert.state == "open":
            return "none", "no change (alert open)"
        if alert.consecutive_failures < failure_threshold:
            return "none", f"held (threshold {alert.consecutive_failures}/{failure_threshold})"
        alert.state, alert.changed_at = "open", now
        return "trigger", ""
    alert.consecutive_successes += 1
    alert.consecutive_failures = 0
    if alert.state == "resolved":
        return "none", "no change (alert resolved)"
    if alert.state == "open" and alert.consecutive_successes < success_threshold:
        return "none", f"held (threshold {alert.consecutive_successes}/{success_threshold})"
    alert.state, alert.changed_at = "resolved", now
    return "resolve", ""


class StateStore(Protocol):
    location: str

    def load(self) -> State: ...

    def save(self, state: State) -> None: ...


def open_store(location: str) -> StateStore:
    if location.startswith("s3://"):
        return S3StateStore(location)
    return FileStateStore(location)


# A temporary state file this old is a leftover of a killed run, never a write
# in progress (a write takes milliseconds).
STALE_TEMPORARY_SECONDS = 600.0
UNRECORDED_SUFFIX = ".unrecorded"


class FileStateStore:
    """A local JSON file, replaced atomically: a crash leaves the old or the new file."""

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self.path = Path(location)
        self.location = os.fspath(location)

    @property
    def marker(self) -> Path:
        """The state renamed by a run that could not save it (`mark_unrecorded`)."""
        return self.path.with_name(self.path.name + UNRECORDED_SUFFIX)

    def load(self) -> State:
        marked = self.marker.exists()
        source = self.marker if marked and not self.path.exists() else self.path
        try:
            raw = source.read_bytes()
        except FileNotFoundError:
            return State(unrecorded=marked)  # the first run
        except OSError as exc:
            raise StateError(f"cannot read: {exc.strerror or exc}") from None
        state = State.decode(raw)
        state.unrecorded = marked
        return state

    def mark_unrecorded(self) -> bool:
        """After a save failed: rename the stale state out of the way, so the next
        run knows it must reconcile. A rename needs no free space, so it works on a
        full disk where writing did not. False when even that failed."""
        try:
            if self.path.exists():
                os.replace(self.path, self.marker)
            else:
                self.marker.touch()
        except OSError:
            return False
        return True

    def save(self, state: State) -> None:
        directory = self.path.parent
        try:
            directory.mkdir(parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(
                dir=directory, prefix=f".{self.path.name}.", suffix=".tmp"
            )
        except OSError as exc:
            raise StateError(f"cannot write in {directory}: {exc.strerror or exc}") from None
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(state.encode())
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise StateError(f"cannot write: {exc.strerror or exc}") from None
        with contextlib.suppress(OSError):
            self.marker.unlink()  # saved: nothing left to reconcile
        _fsync_directory(directory)
        self._remove_stale_temporaries()

    def _remove_stale_temporaries(self) -> None:
        """Temporary files left by a run that was killed mid-write. Only old ones:
        a fresh one may belong to another run writing right now."""
        cutoff = time.time() - STALE_TEMPORARY_SECONDS
        for leftover in self.path.parent.glob(f".{glob.escape(self.path.name)}.*.tmp"):
            with contextlib.suppress(OSError):
                if leftover.stat().st_mtime < cutoff:
                    leftover.unlink()


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); best effort elsewhere."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class S3StateStore:
    """s3://bucket/key through boto3 (the `aws` extra; the Lambda runtime ships it).

    A PUT replaces an S3 object atomically, so no temporary object is needed.
    """

    def __init__(self, location: str, client: Any = None) -> None:
        bucket, _, key = location.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise StateError(f"expected s3://bucket/key; got {location!r}")
        self.location, self.bucket, self.key = location, bucket, key
        self._client = client
        self.written: str | None = None  # the ETag of this store's last write
        self.shared_clock: SharedClock | None = None  # S3's, from the last read's answer

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                boto3 = importlib.import_module("boto3")
            except ImportError:
                raise StateError(
                    "s3:// state needs boto3: install e2echeck with its aws extra, "
                    "or pip install boto3"
                ) from None
            # The bucket's own region, when it is not this one's (one bucket shared
            # by several regions): no redirect from S3 on every run.
            region = os.environ.get(STATE_REGION_ENV) or None
            with _CLIENT_LOCK:  # boto3's default session is not safe to share while it builds
                self._client = boto3.client("s3", region_name=region)
        return self._client

    def load(self) -> State:
        return self.load_tagged()[0]

    def load_tagged(self) -> tuple[State, str | None]:
        """The state and its ETag (None: no object yet), for a conditional save."""
        found = self.get(self.key)
        return (State(), None) if found is None else (State.decode(found[0]), found[1])

    def save(self, state: State) -> None:
        self.written = self.put(self.key, state.encode(), {})

    def save_if(self, state: State, etag: str | None) -> bool:
        """Write unless someone else wrote since `etag` (None: unless the object
        exists now); False when someone did (S3 answers 412, or 409 for a
        concurrent conditional write)."""
        try:
            self.written = self.put(self.key, state.encode(), if_unchanged(etag))
        except WriteConflict:
            return False
        return True

    def get(self, key: str, name: str | None = None) -> tuple[bytes, str] | None:
        """An object of the bucket and its ETag (None: no such object), S3's clock
        taken from the answer; StateError when it cannot be read (`name`: the
        object, in the message)."""
        self.shared_clock = None
        try:
            answer = self.client.get_object(Bucket=self.bucket, Key=key)
            self.shared_clock = clock_of(answer)
            raw: bytes = answer["Body"].read()
            etag: str = answer["ETag"]
        except StateError:
            raise
        except Exception as exc:  # botocore's errors: credentials, region, network
            self.shared_clock = clock_of(getattr(exc, "response", None))
            if _s3_not_found(exc):
                return None
            what = f"cannot read {name}" if name else "cannot read"
            raise StateError(f"{what}: {type(exc).__name__}: {exc}") from None
        return raw, etag

    def put(
        self, key: str, body: bytes, condition: dict[str, str], name: str | None = None
    ) -> str | None:
        """Write an object of the bucket; its new ETag. WriteConflict when
        `condition` failed (another writer came first), StateError otherwise."""
        try:
            answer = self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType="application/json",
                **condition,
            )
        except StateError:
            raise
        except Exception as exc:
            if condition and _error_code(exc) in _CONFLICT_CODES:
                raise WriteConflict from None
            what = f"cannot write {name}" if name else "cannot write"
            raise StateError(f"{what}: {type(exc).__name__}: {exc}") from None
        return answer.get("ETag") if isinstance(answer, dict) else None


def if_unchanged(etag: str | None) -> dict[str, str]:
    """The condition of a write that must not overwrite another writer's: the
    object still has `etag` (None: it does not exist yet)."""
    return {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}


class WriteConflict(Exception):
    """A conditional write found the object changed."""


_CONFLICT_CODES = frozenset({"PreconditionFailed", "412", "ConditionalRequestConflict", "409"})


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return None
    code = response.get("Error", {}).get("Code")
    return str(code) if code is not None else None


_CLIENT_LOCK = threading.Lock()
STATE_REGION_ENV = "E2ECHECK_STATE_REGION"


def _s3_not_found(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    code = response.get("Error", {}).get("Code") if isinstance(response, dict) else None
    return code in ("NoSuchKey", "404", "NotFound") or type(exc).__name__ == "NoSuchKey"


def now_iso() -> str:
    return datetime.now(UTC).isoformat()
