"""The collection phase's scheduler: bounded parallelism, per-host limits, follow-ups."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterable

from readiness.collect import Job, run_jobs


class Meter:
    """Counts how many jobs run at once, in all and per host."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now: Counter[str] = Counter()
        self.peak: Counter[str] = Counter()
        self.done: list[str] = []

    def job(self, host: str, name: str, seconds: float = 0.02) -> Job:
        def run() -> None:
            with self.lock:
                self.now[host] += 1
                self.now["*"] += 1
                for key in (host, "*"):
                    self.peak[key] = max(self.peak[key], self.now[key])
            time.sleep(seconds)
            with self.lock:
                self.now[host] -= 1
                self.now["*"] -= 1
                self.done.append(name)

        return Job(host, run, name)


def test_limits_hold_in_all_and_per_host() -> None:
    meter = Meter()
    jobs = [meter.job(f"h{i % 3}", f"j{i}") for i in range(30)]
    stats = run_jobs(jobs, workers=5, per_host=2)
    assert sorted(meter.done) == sorted(f"j{i}" for i in range(30))
    assert meter.peak["*"] <= 5
    assert all(meter.peak[f"h{i}"] <= 2 for i in range(3))
    assert stats.jobs == 30 and stats.hosts == 3 and not stats.errors


def test_many_hosts_run_side_by_side() -> None:
    """Twenty slow hosts take about one job's time, not twenty (the sum)."""
    meter = Meter()
    jobs = [meter.job(f"h{i}", f"j{i}", seconds=0.2) for i in range(20)]
    started = time.perf_counter()
    run_jobs(jobs, workers=20, per_host=1)
    assert time.perf_counter() - started < 20 * 0.2 / 2
    assert meter.peak["*"] > 1


def test_follow_up_jobs_run_after_their_parent() -> None:
    order: list[str] = []

    def child(name: str) -> Job:
        return Job("h", lambda: order.append(name), name)

    def parent() -> Iterable[Job]:
        order.append("parent")
        return [child("a"), child("b")]

    stats = run_jobs([Job("h", parent, "parent")], workers=4, per_host=4)
    assert order[0] == "parent" and sorted(order[1:]) == ["a", "b"]
    assert stats.jobs == 3


def test_a_job_that_raises_is_reported_and_the_phase_ends() -> None:
    def boom() -> None:
        raise RuntimeError("bug in a collector")

    ran: list[str] = []
    stats = run_jobs(
        [Job("h", boom, "boom"), Job("h", lambda: ran.append("x"), "x")], workers=2, per_host=1
    )
    assert ran == ["x"]
    assert stats.errors == ["boom: RuntimeError: bug in a collector"]


def test_a_job_returning_data_is_not_mistaken_for_follow_ups() -> None:
    stats = run_jobs([Job("h", lambda: {"a": 1}, "data")], workers=1, per_host=1)  # type: ignore[arg-type, return-value]
    assert stats.jobs == 1 and not stats.errors


def test_the_slowest_hosts_are_named_with_their_span() -> None:
    """The report says which targets the phase waited for: first start to last end."""
    meter = Meter()
    slow = [meter.job("slow", f"s{i}", seconds=0.3) for i in range(2)]
    quick = [meter.job(f"q{i}", f"q{i}", seconds=0.01) for i in range(6)]
    stats = run_jobs([*quick, *slow], workers=8, per_host=1)  # the slow jobs one at a time
    slowest = stats.slowest(3)
    assert next(iter(slowest)) == "slow" and len(slowest) == 3
    assert slowest["slow"] >= 0.6  # two jobs of 0.3 s, one after the other
    assert stats.as_dict()["slowest_hosts"] == stats.slowest()


def test_hosts_with_the_fewest_reads_start_first() -> None:
    """A family's single long read (listed last) starts at once, not after every host with
    many short reads has had its turn."""
    order: list[str] = []
    lock = threading.Lock()

    def job(host: str, name: str) -> Job:
        def run() -> None:
            with lock:
                order.append(name)

        return Job(host, run, name)

    many = [job(f"svc{i}", f"svc{i}/{n}") for i in range(6) for n in range(4)]
    run_jobs([*many, job("slo", "slo")], workers=1, per_host=1)
    assert order[0] == "slo" and len(order) == 25


def test_one_worker_takes_hosts_in_order_and_follow_ups_of_a_new_host_last() -> None:
    """Hosts keep their place (fewest reads first, then in order of appearance); a host
    first seen in a follow-up comes after them; a freed slot goes back to its host."""
    order: list[str] = []

    def job(host: str, name: str, then: Iterable[Job] = ()) -> Job:
        def run() -> list[Job]:
            order.append(name)
            return list(then)

        return Job(host, run, name)

    jobs = [
        job("a", "a1"),
        job("a", "a2"),
        job("a", "a3"),
        job("b", "b1", [job("d", "d1"), job("b", "b2")]),
        job("c", "c1"),
        job("c", "c2"),
    ]
    stats = run_jobs(jobs, workers=1, per_host=1)
    assert order == ["b1", "b2", "c1", "c2", "a1", "a2", "a3", "d1"]
    assert stats.jobs == 8 and stats.hosts == 4 and not stats.errors
