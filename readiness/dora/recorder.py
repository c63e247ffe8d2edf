"""Turn a finished gate run (the JSON report) into what the DORA store records.

Pure planning (:func:`plan`) is separate from the edge that asks git and the CI
environment for commit times (:func:`commit_times`).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from readiness.dora import metrics
from readiness.dora.model import (
    RECEIPT_NAME,
    Batch,
    Deployment,
    DeploymentKind,
    DoraError,
    GateIncidents,
    GateRun,
    Incident,
    parse_time,
)
from readiness.dora.store import Store, open_store, redact_location
from readiness.profile.dora import DoraSettings
from readiness.profile.model import Profile
from readiness.report.identity import COMMIT_VARS

# CI variables that carry the deployed commit's time.
COMMIT_TIME_VARS = ("READINESS_COMMIT_TIME", "CI_COMMIT_TIMESTAMP", "BUILDKITE_COMMIT_TIME")
COMMIT_RANGE_VARS = ("READINESS_COMMIT_RANGE",)


@dataclass(frozen=True, slots=True)
class RecordOptions:
    """What the command line asks for beyond the profile."""

    record_deployment: bool = False
    kind: DeploymentKind = DeploymentKind.PLANNED
    version: str = ""
    commit_time: dt.datetime | None = None
    first_commit_time: dt.datetime | None = None


def profile_services(profile: Profile) -> list[str]:
    """The services a run is about: ``dora.services``, else ``release.services``, else
    the names of ``targets.services``."""
    if profile.dora.services:
        return list(profile.dora.services)
    if profile.release.services:
        return list(profile.release.services)
    names = [s.name for s in getattr(profile.targets, "services", [])]
    return list(dict.fromkeys(names))


def _when(report: Mapping[str, Any], key: str) -> dt.datetime:
    return parse_time(str(report[key]), f"report {key}")


def missing_deployment_fields(version: str, commit: str) -> str:
    """What a deployment record lacks, and where to set it ('' when complete)."""
    missing = []
    if not version.strip():
        missing.append(
            "no version: set release.version in the profile or pass --deployment-version"
        )
    if not commit.strip():
        missing.append(
            f"no commit: set {' or '.join(COMMIT_VARS)} in the environment, "
            "or run inside the release's git checkout"
        )
    return "; ".join(missing)


def gate_run(report: Mapping[str, Any], services: Sequence[str]) -> GateRun:
    return GateRun(
        id=str(report["run"]["id"]),
        profile=str(report.get("profile", "")),
        environment=str(report["environment"]),
        passed=bool(report["gate"]["passed"]),
        started_at=_when(report, "started_at"),
        finished_at=_when(report, "finished_at"),
        commit=str(report["run"].get("commit", "")),
        services=tuple(services),
        summary=tuple(sorted((str(k), int(v)) for k, v in report["summary"].items())),
        version=str((report.get("release") or {}).get("version") or ""),
    )


_TOKEN = re.compile(r"[\s/:,@=\[\]]+")
LOOKED = ("passed", "warned", "waived")  # outcomes of a check that judged its target


def not_a_gate_run(report: Mapping[str, Any]) -> str:
    """Why this run does not count as a gate run (empty when it does): only a full run
    that reached a verdict changes DORA history."""
    gate = report["gate"]
    state = gate.get("state", "passed" if gate.get("passed") else "failed")
    mode = (report.get("selection") or {}).get("mode", "full")
    if state == "error":
        return f"the gate could not judge ({gate.get('reason', 'error')})"
    if mode != "full":
        return str(gate.get("reason") or "a partial run is not a release verdict")
    return ""


def _services_named(
    report: Mapping[str, Any],
    services: Sequence[str],
    families: Sequence[str],
    keep: Callable[[Mapping[str, Any]], bool],
) -> list[str]:
    """Services named by the targets of the live checks ``keep`` selects; a live check
    that names no known service stands for every service of the run."""
    hit: set[str] = set()
    for check in report["checks"]:
        if check["family"] not in families or not keep(check):
            continue
        tokens = set(_TOKEN.split(str(check.get("target", ""))))
        named = [s for s in services if s in tokens]
        hit.update(named or services)
    return [s for s in services if s in hit]


def failing_services(
    report: Mapping[str, Any], services: Sequence[str], families: Sequence[str]
) -> list[str]:
    """Services with a blocking failure (or error) among the live checks."""
    blocking = set(report["gate"].get("blocking", []))
    return _services_named(report, services, families, lambda c: c["nodeid"] in blocking)


def checked_services(
    report: Mapping[str, Any], services: Sequence[str], families: Sequence[str]
) -> list[str]:
    """Services a live check actually judged (passed, warned or waived): only these may
    have their incidents resolved by a passing run."""
    return _services_named(report, services, families, lambda c: c["outcome"] in LOOKED)


def plan(
    report: Mapping[str, Any],
    settings: DoraSettings,
    services: Sequence[str],
    options: RecordOptions,
) -> Batch:
    """What to record for this run. Nothing unless it is a full run with a verdict.
    Deployments: only when the gate passed and the run asked for it. Incidents: per the
    profile's policy, in its environments only; a passing run resolves the incidents of
    the services it checked."""
    run = gate_run(report, services)
    if not_a_gate_run(report):
        return Batch(run=None, deployments=(), incidents=())
    deployments: list[Deployment] = []
    if options.record_deployment and run.passed:
        version = options.version or str((report.get("release") or {}).get("version") or "")
        missing = missing_deployment_fields(version, run.commit)
        if missing:
            raise DoraError(f"--record-deployment refused: {missing}")
        deployments = [
            Deployment(
                id=f"{run.id}:{service}",
                service=service,
                environment=run.environment,
                deployed_at=run.finished_at,
                version=version,
                commit=run.commit,
                commit_time=options.commit_time,
                first_commit_time=options.first_commit_time,
                run_id=run.id,
                kind=options.kind,
            )
            for service in services
        ]
    policy = settings.incidents
    changes: list[GateIncidents] = []
    if run.environment in policy.environments:
        link = policy.link == "latest_deployment"
        if run.passed and policy.resolve_on_pass:
            changes = [
                GateIncidents(s, run.environment, run.finished_at, run.id, open=False)
                for s in checked_services(report, services, policy.families)
            ]
        elif not run.passed and policy.open_on_failure:
            title = f"gate run {run.id} failed live checks in {run.environment}"
            changes = [
                GateIncidents(
                    s,
                    run.environment,
                    run.finished_at,
                    run.id,
                    open=True,
                    severity=policy.severity,
                    title=title,
                    link_latest_deployment=link,
                )
                for s in failing_services(report, services, policy.families)
            ]
    return Batch(
        run=run if settings.record else None,
        deployments=tuple(deployments),
        incidents=tuple(changes),
    )


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        out = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def commit_times(
    commit: str,
    given_time: str | None,
    given_range: str | None,
    env: Mapping[str, str],
    cwd: Path,
) -> tuple[dt.datetime | None, dt.datetime | None]:
    """(deployed commit's time, earliest commit time of the change), from ``--commit-time``,
    CI variables, or git; the range (``A..B``) from ``--commit-range`` or
    ``READINESS_COMMIT_RANGE``. Unknown values are None; a malformed given value is an
    error."""
    commit_time: dt.datetime | None = None
    text = given_time or next((env[v] for v in COMMIT_TIME_VARS if env.get(v)), None)
    if text:
        commit_time = parse_time(text, "commit time")
    elif commit:
        found = _git(["show", "-s", "--format=%cI", commit], cwd)
        commit_time = parse_time(found, "git commit time") if found else None
    first: dt.datetime | None = None
    commit_range = given_range or next((env[v] for v in COMMIT_RANGE_VARS if env.get(v)), None)
    if commit_range:
        if ".." not in commit_range:
            raise DoraError(f"commit range {commit_range!r} must look like BASE..HEAD")
        lines = _git(["log", "--format=%cI", commit_range], cwd).splitlines()
        times = [parse_time(line, "git commit time") for line in lines if line.strip()]
        if times:
            first = min(times)
    return commit_time, first


def measure(
    store: Store,
    now: dt.datetime,
    days: float,
    services: Sequence[str],
    environment: str | None,
    weeks: int = 0,
    per_service: bool = False,
) -> dict[str, Any]:
    """Metrics (and optionally per-service metrics and weekly points) from ``store``."""
    span = max(float(days), 7.0 * weeks)
    since = now - dt.timedelta(days=span)
    deployments = store.deployments(since, now, services, environment, full=False)
    incidents = store.incidents(since, now, services, environment)
    overall = metrics.compute(deployments, incidents, now, days, services, environment)
    out: dict[str, Any] = {"metrics": overall.as_dict()}
    names = list(services) or sorted(
        {d.service for d in deployments} | {i.service for i in incidents}
    )
    if per_service and (len(services) > 1 or not services):
        by_service: dict[str, tuple[list[Deployment], list[Incident]]] = {
            s: ([], []) for s in names
        }
        for d in deployments:
            by_service[d.service][0].append(d)
        for i in incidents:
            by_service[i.service][1].append(i)
        out["per_service"] = {
            s: metrics.compute(deps, incs, now, days, [s], environment).as_dict()
            for s, (deps, incs) in by_service.items()
        }
    if weeks:
        out["weekly"] = [
            p.as_dict()
            for p in metrics.weekly(deployments, incidents, now, weeks, services, environment)
        ]
    return out


#: what the reports say while this run's record is still to be written
PENDING_NOTE = (
    "this run is recorded after its reports are written (a store that is slow or locked "
    f"cannot hold the reports back): the outcome is in {RECEIPT_NAME} beside this report, "
    "in the run's terminal summary and in `readiness dora`; the metrics here are the "
    "history before this run"
)


#: the history shown in the reports waits this long for another writer, no longer: the
#: reports come first (the record after them waits the store's full lock timeout)
HISTORY_LOCK_TIMEOUT_S = 5.0


@dataclass
class Pending:
    """What the run will write to the store, planned before its reports are written."""

    batch: Batch
    now: dt.datetime
    notes: list[str]  # what the receipt says beside the record (the reports say more)


def plan_record(
    report: Mapping[str, Any], profile: Profile, options: RecordOptions, location: str
) -> tuple[dict[str, Any], Pending | None]:
    """The report's ``dora`` block before recording, with the history measured so far,
    and what is still to be written (None: nothing, and the block says why).

    Never raises for a store problem or bad recorded data: the block says what was not
    read or written and why, and the gate's verdict is left alone.
    """
    settings = profile.dora
    services = profile_services(profile)
    result: dict[str, Any] = {
        "store": redact_location(location),
        "recorded": False,
        "pending": False,
        "record_error": None,
        "services": services,
        "written": None,
        "metrics": None,
        "notes": [],
    }
    refused = not_a_gate_run(report)
    if refused:
        result["notes"].append(f"not a gate run, DORA history left alone: {refused}")
        # The reason it was not recorded (terminal, HTML): not "recording is off".
        refusal = "--record-deployment refused" if options.record_deployment else "not a gate run"
        result["record_error"] = f"{refusal}: {refused}"
    elif options.record_deployment and not services:
        result["notes"].append(
            "--record-deployment recorded nothing: the profile names no services "
            "(set release.services or dora.services)"
        )
    elif options.record_deployment and not report["gate"]["passed"]:
        result["notes"].append("--record-deployment: the gate failed, nothing was deployed")
    try:
        batch = plan(report, settings, services, options)
    except DoraError as exc:
        result["record_error"] = str(exc)
        return result, None
    now = batch.run.finished_at if batch.run else _when(report, "finished_at")
    pending = None
    if batch.run is not None or batch.deployments or batch.incidents:
        pending = Pending(batch, now, list(result["notes"]))
        result["pending"] = True
        result["notes"].append(PENDING_NOTE)
    elif not refused:
        result["record_error"] = "recording is off (dora.record: false)"
    try:
        store = open_store(
            location, lock_timeout=min(HISTORY_LOCK_TIMEOUT_S, profile.dora.lock_timeout)
        )
        try:
            _measure_into(result, store, report, profile, now)
        finally:
            store.close()
    except DoraError as exc:
        if pending is None:
            result["record_error"] = result["record_error"] or str(exc)
        else:
            result["notes"].append(f"history not read before this run's record: {exc}")
    return result, pending


def record(
    planned: Mapping[str, Any],
    pending: Pending,
    report: Mapping[str, Any],
    profile: Profile,
    location: str,
) -> dict[str, Any]:
    """Write what :func:`plan_record` planned (after the reports) and measure again, this
    run included: the receipt of the record. Never raises for a store problem."""
    result = {**planned, "pending": False, "notes": list(pending.notes)}
    try:
        store = open_store(location, lock_timeout=profile.dora.lock_timeout)
    except DoraError as exc:
        result["record_error"] = str(exc)
        return result
    try:
        written = store.apply(pending.batch, pending.now)
        result["recorded"] = pending.batch.run is not None
        result["written"] = written.as_dict()
    except DoraError as exc:
        result["record_error"] = str(exc)
        store.close()
        return result
    try:
        _measure_into(result, store, report, profile, pending.now)
    except DoraError as exc:
        result["notes"].append(f"recorded, but the metrics could not be read: {exc}")
    finally:
        store.close()
    return result


def _measure_into(
    result: dict[str, Any],
    store: Store,
    report: Mapping[str, Any],
    profile: Profile,
    now: dt.datetime,
) -> None:
    settings = profile.dora
    result.update(
        measure(
            store,
            now,
            settings.days,
            profile_services(profile),
            str(report["environment"]),
            weeks=settings.weeks,
            per_service=True,
        )
    )
