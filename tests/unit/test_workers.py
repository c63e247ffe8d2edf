"""The read pool: results in order, errors as data, and an interrupted caller not held by a
stuck read."""

from __future__ import annotations

import threading
import time

import pytest

from readiness import workers
from readiness.sources.run import gather
from readiness.workers import Workers


def test_results_and_errors_come_back_per_call() -> None:
    def half(n: int) -> float:
        if n == 3:
            raise ValueError("three")
        return n / 2

    results = gather(half, range(6), max_workers=3)
    assert results[:3] == [0.0, 0.5, 1.0]
    assert isinstance(results[3], ValueError)
    assert results[4:] == [2.0, 2.5]


def test_at_most_size_calls_run_at_once() -> None:
    running = 0
    peak = 0
    lock = threading.Lock()

    def call() -> None:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        time.sleep(0.02)
        with lock:
            running -= 1

    with Workers(3, "t") as pool:
        futures = [pool.submit(call) for _ in range(12)]
    assert all(f.done() and f.exception() is None for f in futures)
    assert 1 <= peak <= 3


def test_an_interrupted_caller_does_not_wait_for_a_stuck_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(workers, "GRACE", 0.2)
    release = threading.Event()
    begun = threading.Event()
    daemon: list[bool] = []

    def stuck_read() -> bool:
        daemon.append(threading.current_thread().daemon)
        begun.set()
        return release.wait(30)

    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt), Workers(1, "t") as pool:
        stuck = pool.submit(stuck_read)
        assert begun.wait(10)
        queued = pool.submit(lambda: "never run")
        raise KeyboardInterrupt
    took = time.monotonic() - started
    release.set()
    assert took < 25, took  # not the stuck call's 30 s
    assert queued.cancelled()
    assert stuck.result(timeout=5) is True
    assert daemon == [True]  # a read still stuck cannot keep the process alive
