"""The collection phase: read every source the selected checks need, once, concurrently.

It runs once per run, after pytest has collected (and selected) the checks and before the
first one runs. Each bundled check module that reads targets declares its reads with a
module-level ``readiness_collect(config, items)`` function (the :class:`Collector`
protocol) returning :class:`Job`\\ s; only modules with selected items are asked, so a
family the run does not check is never read. All jobs of all families go through one
scheduler with bounded parallelism (``workers``) and a limit per host (``per_host``),
so the phase takes about as long as the slowest target, not the sum of them. Hosts with
the fewest reads start first: those are the APIs answering for a whole family (the SLO
measurements, the alerting views, the runbook site), each one long read, which then
overlap with the many short reads of the per-service hosts instead of waiting for them.
A job may return follow-up jobs (e.g. latency samples once a target has answered). Jobs
fill the run's caches; errors stay in those caches and reach the checks that read them
(:meth:`readiness.sources.run.RunContext.once`). The checks then judge in-memory evidence.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import pytest

from readiness.grouping import Group
from readiness.workers import Workers

T = TypeVar("T")

WORKERS = 32
PER_HOST = 8
COLLECTOR = "readiness_collect"


@dataclass(frozen=True, slots=True)
class Job:
    """One read: ``run`` returns follow-up jobs (or None). ``host`` keys the per-host limit."""

    host: str
    run: Callable[[], Iterable[Job] | None]
    name: str = ""


class Collector(Protocol):
    def __call__(self, config: pytest.Config, items: Sequence[pytest.Item]) -> Iterable[Job]: ...


@dataclass(slots=True)
class Stats:
    """What the phase did, for the report and the benchmarks."""

    jobs: int = 0
    hosts: int = 0
    seconds: float = 0.0
    families: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    spans: dict[str, tuple[float, float]] = field(
        default_factory=dict
    )  # host: first start, last end

    def slowest(self, count: int = 5) -> dict[str, float]:
        """The hosts whose reads spanned the longest, first start to last end (seconds)."""
        spans = sorted(self.spans.items(), key=lambda kv: kv[1][0] - kv[1][1])
        return {host: round(end - start, 3) for host, (start, end) in spans[:count]}

    def as_dict(self) -> dict[str, Any]:
        return {
            "jobs": self.jobs,
            "hosts": self.hosts,
            "seconds": round(self.seconds, 3),
            "families": self.families,
            "errors": self.errors,
            "slowest_hosts": self.slowest(),
        }


STATS = pytest.StashKey[Stats]()


def run_jobs(jobs: Iterable[Job], *, workers: int = WORKERS, per_host: int = PER_HOST) -> Stats:
    """Run jobs and their follow-ups: at most ``workers`` at once and ``per_host`` per host.

    A job that raises is recorded in :attr:`Stats.errors` (jobs are expected to keep
    their own errors in their caches; an escaping exception is a bug, reported here).
    """
    stats = Stats()
    started = time.perf_counter()
    queues: dict[str, deque[Job]] = {}
    running: dict[str, int] = {}
    cond = threading.Condition()
    in_flight = 0

    def add(new: Iterable[Job]) -> None:
        for job in new:
            queues.setdefault(job.host, deque()).append(job)
            stats.jobs += 1

    def ready() -> Job | None:
        for host, queue in queues.items():
            if queue and running.get(host, 0) < per_host:
                running[host] = running.get(host, 0) + 1
                now = time.perf_counter() - started
                stats.spans.setdefault(host, (now, now))
                return queue.popleft()
        return None

    def finished(job: Job, future: Future[Iterable[Job] | None]) -> None:
        nonlocal in_flight
        follow: list[Job] = []
        try:
            exc = future.exception()
            if exc is not None:
                stats.errors.append(f"{job.name or job.host}: {type(exc).__name__}: {exc}")
            else:
                follow = [j for j in (future.result() or ()) if isinstance(j, Job)]
        finally:
            with cond:
                first, _ = stats.spans[job.host]
                stats.spans[job.host] = (first, time.perf_counter() - started)
                running[job.host] -= 1
                in_flight -= 1
                add(follow)
                cond.notify()

    with cond:
        add(jobs)
        by_size = sorted(queues.items(), key=lambda kv: len(kv[1]))  # stable: in order
        queues.clear()
        queues.update(by_size)
    stats.hosts = len(queues)
    # An interrupted run does not wait out its reads (readiness.workers).
    with Workers(workers, "readiness-collect") as pool, cond:
        while True:
            job = ready() if in_flight < workers else None
            if job is not None:
                in_flight += 1
                future = pool.submit(job.run)
                future.add_done_callback(lambda f, j=job: finished(j, f))  # type: ignore[misc]
                continue
            if in_flight == 0 and not any(queues.values()):
                break
            cond.wait()
    stats.hosts = max(stats.hosts, len(queues))
    stats.seconds = time.perf_counter() - started
    return stats


def collectors(items: Sequence[pytest.Item]) -> dict[str, tuple[Collector, list[pytest.Item]]]:
    """The ``readiness_collect`` function of every module that has selected items."""
    found: dict[str, tuple[Collector, list[pytest.Item]]] = {}
    for item in items:
        module = getattr(item, "module", None)
        fn = getattr(module, COLLECTOR, None)
        if module is None or fn is None:
            continue
        entry = found.setdefault(module.__name__, (fn, []))
        entry[1].append(item)
    return found


def collect(config: pytest.Config, items: Sequence[pytest.Item]) -> Stats:
    """The collection phase for the selected ``items`` (called once, before the checks)."""
    jobs: list[Job] = []
    families = []
    for name, (fn, selected) in sorted(collectors(items).items()):
        families.append(name.rsplit(".", 1)[-1].removeprefix("test_"))
        jobs.extend(fn(config, selected))
    stats = run_jobs(jobs)
    stats.families = families
    config.stash[STATS] = stats
    return stats


def params(items: Iterable[pytest.Item], name: str, kind: type[T]) -> list[T]:
    """The distinct values of parameter ``name`` among ``items`` (in order, by identity),
    the targets of grouped checks included."""
    seen: dict[int, T] = {}
    for item in items:
        callspec = getattr(item, "callspec", None)
        value = callspec.params.get(name) if callspec is not None else None
        values = [v for _, v in value.members] if isinstance(value, Group) else [value]
        for v in values:
            if isinstance(v, kind) and id(v) not in seen:
                seen[id(v)] = v
    return list(seen.values())
