"""What one run shares between its sources, with no HTTP client: the limits, answers read
once, targets that ran out of time, and the concurrent map that reads targets.

Importing it loads no HTTP library, so a gate over files alone (manifests, rule files)
needs none; :mod:`readiness.sources.api` builds its requests on it.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from readiness.errors import OnceCache, SourceError
from readiness.workers import Workers

if TYPE_CHECKING:
    from readiness.sources.deadline import _Watchdog

T = TypeVar("T")
R = TypeVar("R")

MIB = 1024 * 1024


# ------------------------------------------------------------------------ run settings


@dataclass(frozen=True, slots=True)
class Limits:
    """Profile defaults for every target read (``limits:``)."""

    deadline: float = 30.0
    max_body: Mapping[str, int] = field(default_factory=lambda: {"default": 64 * MIB})

    def cap(self, kind: str) -> int:
        return self.max_body.get(kind, self.max_body.get("default", 64 * MIB))


@dataclass(frozen=True, slots=True)
class _Failure:
    """A cached error, stored as data and raised fresh each time."""

    target: str
    reason: str

    def error(self) -> SourceError:
        return SourceError(self.target, self.reason)


class RunContext:
    """What one run shares between sources: limits, JSON answers, timed-out targets."""

    def __init__(self, limits: Limits | None = None):
        self.limits = limits or Limits()
        self._lock = threading.Lock()
        self._answers = OnceCache()
        self._dead: dict[str, _Failure] = {}
        self.run_end: float | None = None  # gate.deadline, in monotonic time

    def once(self, key: tuple[str, ...], compute: Callable[[], Any]) -> Any:
        """``compute()`` once per key; concurrent callers wait for the first; an error is
        kept as data and raised fresh to every caller."""
        return self._answers.get(key, compute)

    def dead(self, base: str) -> _Failure | None:
        with self._lock:
            return self._dead.get(base)

    def mark_dead(self, base: str, target: str, reason: str) -> None:
        with self._lock:
            self._dead.setdefault(base, _Failure(target, reason))


_run = RunContext()


def start_run(limits: Limits | None = None) -> RunContext:
    """A fresh run: new limits, no cached answers, no timed-out targets."""
    global _run
    _run = RunContext(limits)
    loaded = watchdog()
    if loaded is not None:
        loaded.reset()
    return _run


def watchdog() -> _Watchdog | None:
    """The deadline watchdog, if a read has loaded it (None: no socket was ever watched in
    this process; importing it here would load the HTTP stack)."""
    module = sys.modules.get("readiness.sources.deadline")
    return None if module is None else cast("_Watchdog", module.WATCHDOG)


def run_context() -> RunContext:
    return _run


def gather(fn: Callable[[T], R], items: Iterable[T], max_workers: int = 16) -> list[R | Exception]:
    """Run ``fn`` over ``items`` concurrently; each result or the exception it raised."""
    items = list(items)
    if not items:
        return []

    def call(item: T) -> R | Exception:
        try:
            return fn(item)
        except Exception as exc:  # returned to the caller, who reports it per target
            return exc

    with Workers(min(max_workers, len(items)), "readiness-gather") as pool:
        futures = [pool.submit(partial(call, item)) for item in items]
        return [future.result() for future in futures]
