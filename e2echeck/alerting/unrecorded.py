"""Events delivered but not recorded, and how the next run reconciles them.

A run delivers, then saves. When it cannot save, the state it leaves behind may
say "resolved" for an alert whose trigger went out, and the recovery would never
send its resolve. Three layers keep that from happening:

1. Write ahead: a run with something to deliver saves its decisions first (the
   transitions recorded as undelivered, the alerts as they will be), then
   delivers, then saves again without them. When only the second save fails,
   the saved state already holds the alert open and its event pending: the next
   run sends the event again (PagerDuty folds a repeated trigger into its
   incident) and a check that passes sends its resolve.
2. A marker, when the state itself could not be written (or read): a local file
   is renamed to `<path>.unrecorded` (a rename needs no free space); on S3 a
   sibling object `<key>.unrecorded` lists the dedup keys delivered. The next
   run reads it and treats those alerts as new where the state says resolved, so
   a passing check sends its resolve; once its state is saved the marker is
   cleared (S3: emptied by a conditional write, so a marker another run wrote
   meanwhile survives).
3. When even the marker cannot be written, the warning names the events to
   resolve by hand.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from e2echeck.alerting.state import (
    UNRECORDED_SUFFIX,
    FileStateStore,
    S3StateStore,
    State,
    StateError,
    StateStore,
    WriteConflict,
    if_unchanged,
)

if TYPE_CHECKING:
    from e2echeck.alerting.delivery import DeliveryResult

MARKER_VERSION = 1
_WRITE_ATTEMPTS = 5  # a marker is written rarely: a few conditional merges suffice


@dataclass(frozen=True)
class Marker:
    """What an earlier run left to reconcile, as read by this one."""

    found: bool = False
    keys: frozenset[str] | None = None  # None: every alert (a renamed file says no more)
    etag: str | None = None  # the S3 object's, for conditional writes (None: none yet)
    exists: bool = False  # the S3 object exists (possibly empty)


def read_marker(store: StateStore, state: State | None = None) -> Marker:
    """The marker beside `store` (a local file's is known from its `load`, whose
    `state` says so). StateError when an S3 marker cannot be read."""
    if isinstance(store, S3StateStore):
        return _read_s3(store)
    if state is not None and state.unrecorded:
        return Marker(found=True)
    return Marker()


def reconcile(state: State, marker: Marker) -> None:
    """An earlier run delivered events it could not record: an alert the state
    says is resolved may be open, so it is treated as new (a pass sends its
    resolve, a failure its trigger, thresholds counted as before)."""
    for key, alert in state.alerts.items():
        if alert.state == "resolved" and (marker.keys is None or key in marker.keys):
            alert.state = None


def reconciled(path: str) -> str:
    return (
        f"state {path}: the last run could not save it, so it may not record events it "
        "delivered; every check that passes sends its resolve this run"
    )


def write_marker(store: StateStore, prior: Marker, results: list[DeliveryResult]) -> bool:
    """Leave a marker for the next run; False when it could not be written."""
    if isinstance(store, FileStateStore):
        return store.mark_unrecorded()
    if not isinstance(store, S3StateStore):
        return False
    keys = {r.transition.dedup_key for r in results if r.delivered}
    if not keys:
        return True
    marker = prior
    for _ in range(_WRITE_ATTEMPTS):
        merged = keys | (marker.keys or set())
        try:
            if _put_s3(store, merged, marker):
                return True
            marker = _read_s3(store)
        except StateError:
            return False
    return False


def clear_marker(store: StateStore, marker: Marker) -> None:
    """After this run's state was saved: nothing is left to reconcile. A local
    file's marker goes with its save; an S3 marker is emptied only if no other run
    wrote it since it was read (best effort: a marker left behind costs resolves
    that PagerDuty ignores)."""
    if isinstance(store, S3StateStore) and marker.found:
        with contextlib.suppress(StateError):
            _put_s3(store, set(), marker)


def unsaved_warning(
    path: str, exc: Exception, results: list[DeliveryResult], how: str | None
) -> str:
    """Which events went out but are not in the state, and what the next run
    does: `how` is "ahead" (the saved state holds them pending), "marked" (a
    marker says so) or None (nothing the next run can read)."""
    delivered = delivered_events(results)
    shown = ", ".join(delivered[:10]) + (", ..." if len(delivered) > 10 else "")
    what = f"delivered but not recorded: {shown}" if delivered else "no event was delivered"
    if not delivered:
        then = "nothing to reconcile"
    elif how == "ahead":
        then = (
            "the state saved before delivery holds them as pending, so the next run "
            "reconciles: it sends them again and every check that passes sends its resolve"
        )
    elif how == "marked":
        then = "the next run reconciles: every check that passes sends its resolve"
    else:
        then = "the next run cannot tell: resolve what this run triggered by hand"
    return f"state {path}: {exc}; this run's alert state is not saved; {what}; {then}"


def delivered_events(results: Iterable[DeliveryResult]) -> list[str]:
    return [
        f"{r.transition.action} {r.transition.dedup_key} ({r.item.sink})"
        for r in results
        if r.delivered
    ]


def marker_key(store: S3StateStore) -> str:
    return store.key + UNRECORDED_SUFFIX


def _read_s3(store: S3StateStore) -> Marker:
    found = store.get(marker_key(store), name=marker_key(store))
    if found is None:
        return Marker()
    raw, etag = found
    keys = _keys(raw)
    if keys is None:  # not ours, or cut short: reconcile everything
        return Marker(found=True, etag=etag, exists=True)
    return Marker(found=bool(keys), keys=frozenset(keys), etag=etag, exists=True)


def _keys(raw: bytes) -> set[str] | None:
    try:
        data: Any = json.loads(raw[: 1024 * 1024].decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    keys = data.get("dedup_keys") if isinstance(data, dict) else None
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        return None
    return set(keys)


def _put_s3(store: S3StateStore, keys: set[str], prior: Marker) -> bool:
    """Write the marker unless another run did since `prior` was read (False)."""
    body = json.dumps({"version": MARKER_VERSION, "dedup_keys": sorted(keys)}) + "\n"
    condition = if_unchanged(prior.etag if prior.exists else None)
    try:
        store.put(marker_key(store), body.encode(), condition, name=marker_key(store))
    except WriteConflict:
        return False
    return True
