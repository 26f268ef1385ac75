"""Read-decide-write of the shared state without lost updates.

    result = transact(store, update)    # update(state) -> result, may run again

- A local file: an `fcntl.flock` on a sibling `<file>.lock` (never replaced, so
  every process locks the same inode) is held across read, decide and write;
  overlapping runs on one machine, or on a shared filesystem with working
  locks, take turns.
- S3: the object is read with its ETag and written with `If-Match: <etag>`
  (`If-None-Match: *` when it did not exist). When another writer got there
  first, S3 answers 412 (or 409 for a concurrent conditional write); the
  document is read again and `update` runs again on it, after a short random
  wait. Bounded: after `ConflictPolicy.attempts` a StateError.

`update` must have no effect outside the state it is given: it may run more
than once, and only its last run counts. Events are sent after `transact`
returns, never inside it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from e2echeck.alerting.state import (
    FileStateStore,
    S3StateStore,
    State,
    StateError,
    StateStore,
)

T = TypeVar("T")


@dataclass(frozen=True)
class ConflictPolicy:
    """How often and how long to retry a conditional write that lost a race.

    The wait before attempt n+1 is uniform in [0, min(max_delay, base_delay * 2**n)]
    ("full jitter"): writers that collided spread out instead of colliding again."""

    attempts: int = 12
    base_delay: float = 0.05
    max_delay: float = 1.0
    sleep: Callable[[float], None] = field(default=time.sleep, compare=False)
    random: Callable[[], float] = field(default=random.random, compare=False)

    def wait(self, attempt: int) -> None:
        self.sleep(self.random() * min(self.max_delay, self.base_delay * 2**attempt))


DEFAULT_CONFLICT_POLICY = ConflictPolicy()


def transact(
    store: StateStore,
    update: Callable[[State], T],
    policy: ConflictPolicy = DEFAULT_CONFLICT_POLICY,
) -> T:
    """Run `update` on the current state and save the result atomically with
    respect to every other `transact` on the same state."""
    if isinstance(store, S3StateStore):
        return _transact_s3(store, update, policy)
    with locked(store):
        state = store.load()
        result = update(state)
        store.save(state)
        return result


@contextlib.contextmanager
def locked(store: StateStore) -> Iterator[None]:
    """Hold the state's lock (local files; S3 objects need none: a no-op)."""
    if not isinstance(store, FileStateStore):
        yield
        return
    lock_path = lock_path_of(store.path)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise StateError(f"cannot open the lock {lock_path}: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def load_tagged(store: StateStore) -> tuple[State, str | None]:
    """The state and, for S3, its ETag (None for a file, or no object yet)."""
    if isinstance(store, S3StateStore):
        return store.load_tagged()
    return store.load(), None


def save_keeping_silences(
    store: StateStore,
    state: State,
    etag: str | None,
    policy: ConflictPolicy = DEFAULT_CONFLICT_POLICY,
) -> None:
    """Save a run's state without losing a silence set while the run was running.

    A local file is saved under the lock the run holds (`locked`), which
    `e2echeck silence` takes too. On S3 the write is conditional on `etag`: when
    the object changed since the run read it, the run keeps its own alerts (it
    has sent their events) and takes the object's silences, then writes again.
    """
    if not isinstance(store, S3StateStore):
        store.save(state)
        return
    for attempt in range(policy.attempts):
        if store.save_if(state, etag):
            return
        if attempt + 1 < policy.attempts:
            policy.wait(attempt)
        theirs, etag = store.load_tagged()
        state.silences = theirs.silences
    raise StateError(
        f"{policy.attempts} conditional writes in a row lost to other writers; "
        "too many runs write this state at once"
    )


def lock_path_of(path: Path) -> Path:
    return path.with_name(path.name + ".lock")


def _transact_s3(store: S3StateStore, update: Callable[[State], T], policy: ConflictPolicy) -> T:
    for attempt in range(policy.attempts):
        state, etag = store.load_tagged()
        result = update(state)
        if store.save_if(state, etag):
            return result
        if attempt + 1 < policy.attempts:
            policy.wait(attempt)
    raise StateError(
        f"{policy.attempts} conditional writes in a row lost to other writers; "
        "too many runs write this state at once"
    )
