"""``--snapshot PATH`` records a run's evidence; ``--replay PATH`` judges it again offline."""

from __future__ import annotations

import datetime as dt
import hashlib
import socket
from typing import Any

import pytest

from readiness import clock, snapshot
from readiness.keys import PROFILE, REDACTOR, REPORT_DIR

SNAPSHOT_NAME = "readiness-snapshot.tar.gz"
_STATE = pytest.StashKey[dict[str, Any]]()


def _refuse_network(*_: Any, **__: Any) -> Any:
    raise OSError("replay: no network: this read is not in the snapshot")


def pytest_configure(config: pytest.Config) -> None:
    profile = config.stash.get(PROFILE, None)
    if profile is None:
        return
    record = config.getoption("snapshot") or (
        str(config.stash[REPORT_DIR] / SNAPSHOT_NAME) if profile.report.snapshot else None
    )
    replay = config.getoption("replay")
    if record and replay:
        raise pytest.UsageError("readiness: --snapshot and --replay cannot go together")
    if (record or replay) and getattr(config.option, "numprocesses", None):
        raise pytest.UsageError("readiness: snapshots are recorded and replayed without -n")
    redactor = config.stash[REDACTOR]
    if record:
        path = config.invocation_params.dir / record
        # One instant for the whole run, so that every time-dependent read (a query's
        # evaluation time, a log window) is the same when replayed.
        at = clock.now().replace(microsecond=0)
        clock.pin(at)
        config.stash[_STATE] = {"record": path, "evidence_time": at}
        snapshot.activate(snapshot.Recorder(redactor))
    elif replay:
        from readiness.snapshot.archive import SnapshotError, load

        path = config.invocation_params.dir / replay
        try:
            loaded = load(path)
            at = dt.datetime.fromisoformat(str(loaded.meta["evidence_time"]))
        except (SnapshotError, KeyError, ValueError) as exc:
            raise pytest.UsageError(f"readiness: cannot replay: {exc}") from None
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        config.stash[_STATE] = {
            "replay": {
                "snapshot": str(path),
                "sha256": digest,
                "evidence_time": at.isoformat(),
                "recorded_profile": loaded.meta.get("profile"),
                "recorded_profile_sha256": loaded.meta.get("profile_sha256"),
            },
            "sockets": (socket.socket.connect, socket.create_connection),
        }
        clock.pin(at)
        snapshot.activate(snapshot.Replayer(redactor, loaded.items))
        socket.socket.connect = _refuse_network  # type: ignore[method-assign]
        socket.create_connection = _refuse_network


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    snapshot.activate(None)
    clock.pin(None)
    if "sockets" in state:
        socket.socket.connect, socket.create_connection = state["sockets"]  # type: ignore[method-assign]


@pytest.hookimpl(optionalhook=True, specname="readiness_run_finished")
def pytest_snapshot_run_finished(config: pytest.Config, report: dict[str, Any]) -> None:
    """Mark a replayed run as such in its report (and so keep it out of DORA history)."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    mode = snapshot.active()
    if "replay" in state and isinstance(mode, snapshot.Replayer):
        report["replay"] = {**state["replay"], "missing_reads": sorted(set(mode.missing))}
    elif "record" in state:
        report["snapshot"] = {
            "path": str(state["record"]),
            "evidence_time": state["evidence_time"].isoformat(),
        }


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    state = config.stash.get(_STATE, None)
    mode = snapshot.active()
    if state is None or "record" not in state or not isinstance(mode, snapshot.Recorder):
        return
    from readiness.report.json_report import readiness_version
    from readiness.snapshot.archive import write

    profile = config.stash[PROFILE]
    path = write(
        state["record"],
        mode.items,
        {
            "evidence_time": state["evidence_time"].isoformat(),
            "profile": profile.name,
            "profile_sha256": profile.sha256,
            "readiness_version": readiness_version(),
        },
    )
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(f"readiness: evidence snapshot ({len(mode.items)} reads) in {path}")
