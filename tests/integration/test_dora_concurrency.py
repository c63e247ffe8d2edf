"""Several processes recording at once, a writer killed with SIGKILL, re-runs: on SQLite
and on a real PostgreSQL, every record is there exactly once and none is half written."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from readiness.dora.store import open_store

pytestmark = pytest.mark.integration

WRITER = Path(__file__).with_name("dora_writer.py")
WORKERS = 8
PER_WORKER = 1000
SERVICES = 3


def writer(dora_location: str, worker: str, start: int, count: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), dora_location, worker, str(start), str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def rows(dora_location: str, sql: str) -> list[tuple[object, ...]]:
    """Read with the store's own connection (SQLite or PostgreSQL)."""
    store = open_store(dora_location)
    try:
        with store._tx(write=False) as cur:  # type: ignore[attr-defined]
            return list(cur.execute(sql).fetchall())
    finally:
        store.close()


def test_concurrent_writers_lose_nothing_and_double_nothing(dora_location: str) -> None:
    open_store(dora_location).close()  # migrate first, as a deployment's first run would
    procs = [writer(dora_location, f"w{n}", 0, PER_WORKER) for n in range(WORKERS)]
    outputs = [p.communicate(timeout=600) for p in procs]
    for p, (out, err) in zip(procs, outputs, strict=True):
        assert p.returncode == 0, f"writer failed: {err}"
        assert out.splitlines()[-1] == f"new={PER_WORKER}"
    store = open_store(dora_location)
    try:
        assert store.counts() == {
            "gate_runs": WORKERS * PER_WORKER,
            "deployments": WORKERS * PER_WORKER * SERVICES,
            "incidents": 0,
        }
    finally:
        store.close()
    per_worker = rows(
        dora_location,
        "SELECT substr(id, 1, 2), COUNT(DISTINCT id) FROM gate_runs GROUP BY substr(id, 1, 2) "
        "ORDER BY 1",
    )
    assert per_worker == [(f"w{n}", PER_WORKER) for n in range(WORKERS)]
    # The same recordings again, two at once: nothing changes.
    again = [writer(dora_location, "w3", 0, PER_WORKER), writer(dora_location, "w3", 0, PER_WORKER)]
    for p in again:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        assert out.splitlines()[-1] == "new=0"
    store = open_store(dora_location)
    try:
        assert store.counts()["gate_runs"] == WORKERS * PER_WORKER
        assert store.counts()["deployments"] == WORKERS * PER_WORKER * SERVICES
    finally:
        store.close()


def test_writer_killed_mid_run_loses_only_its_unfinished_record(dora_location: str) -> None:
    open_store(dora_location).close()
    proc = writer(dora_location, "k", 0, 1_000_000)
    assert proc.stdout is not None
    last = -1
    deadline = time.monotonic() + 120
    while last < 150:
        line = proc.stdout.readline()
        assert line, f"writer stopped early: {proc.stderr.read() if proc.stderr else ''}"
        last = int(line)
        assert time.monotonic() < deadline, "writer too slow"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    for line in proc.stdout:  # committed batches printed before the kill
        if line.strip().isdigit():
            last = int(line)
    proc.stdout.close()
    if proc.stderr:
        proc.stderr.close()
    store = open_store(dora_location)
    try:
        counts = store.counts()
    finally:
        store.close()
    runs = counts["gate_runs"]
    # Everything acknowledged is there; at most the batch in flight also made it.
    assert last + 1 <= runs <= last + 2, f"acknowledged {last + 1} runs, found {runs}"
    assert counts["deployments"] == runs * SERVICES, "a run was stored without all deployments"
    ids = {str(r[0]) for r in rows(dora_location, "SELECT id FROM gate_runs")}
    assert ids == {f"k-{i}" for i in range(runs)}
    orphans = rows(
        dora_location,
        "SELECT COUNT(*) FROM deployments d LEFT JOIN gate_runs r ON r.id = d.run_id "
        "WHERE r.id IS NULL",
    )
    assert orphans == [(0,)]
    if dora_location.endswith(".sqlite"):
        assert rows(dora_location, "PRAGMA integrity_check") == [("ok",)]
    # Re-running the whole recording completes it without doubles.
    rerun = writer(dora_location, "k", 0, runs + 20)
    out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    assert out.splitlines()[-1] == "new=20"
    store = open_store(dora_location)
    try:
        assert store.counts()["gate_runs"] == runs + 20
        assert store.counts()["deployments"] == (runs + 20) * SERVICES
    finally:
        store.close()


def test_concurrent_failing_runs_open_one_gate_incident_per_service(dora_location: str) -> None:
    import datetime as dt
    import threading

    from readiness.dora.model import Batch, GateIncidents

    open_store(dora_location).close()
    now = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
    opened: list[tuple[str, ...]] = []
    start = threading.Barrier(8)

    def fail(n: int) -> None:
        store = open_store(dora_location)
        try:
            start.wait()
            change = GateIncidents("cart", "production", now, f"run-{n}", open=True)
            opened.append(store.apply(Batch(incidents=(change,)), now).incidents_opened)
        finally:
            store.close()

    threads = [threading.Thread(target=fail, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(opened) == 8, "a writer did not finish"
    assert sum(len(o) for o in opened) == 1, opened
    store = open_store(dora_location)
    try:
        assert len(store.open_incidents(["cart"], "production")) == 1
    finally:
        store.close()
