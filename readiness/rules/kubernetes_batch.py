"""Practices for run-to-completion workloads: CronJob scheduling and Job run bounds.

Pure functions over :class:`Workload` objects whose ``batch`` spec is set (Job, CronJob).
What is checked follows the Kubernetes documentation of CronJob and Job and the rules
datree and kube-linter apply to them.
"""

from __future__ import annotations

import re

from readiness.findings import Finding
from readiness.rules.kubernetes import where
from readiness.rules.kubernetes_model import BatchSpec, Workload

MACROS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
# One cron field: numbers, names (JAN, MON), *, ?, ranges, lists and steps.
_FIELD = re.compile(
    r"^(\*|\?|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/\d+)?(,(\*|[0-9A-Za-z]+(-[0-9A-Za-z]+)?)(/\d+)?)*$"
)
MIN_STARTING_DEADLINE = 10  # below this the controller may never start a run


def _spec(w: Workload) -> BatchSpec:
    if w.batch is None:
        raise ValueError(f"{w.ref} is not a Job or CronJob")
    return w.batch


def schedule_problem(schedule: str | None) -> str:
    """Why a CronJob schedule is not one the controller accepts ('' when it is)."""
    if not schedule or not schedule.strip():
        return "no schedule"
    text = schedule.strip()
    if text.startswith("@"):
        return "" if text in MACROS else f"unknown macro {text!r}"
    if re.match(r"^(CRON_)?TZ=", text):
        return "a TZ= prefix in the schedule (use spec.timeZone)"
    fields = text.split()
    if len(fields) != 5:
        return f"{len(fields)} fields (a cron schedule has 5: minute hour day month weekday)"
    bad = [f for f in fields if not _FIELD.match(f)]
    return f"malformed field(s) {', '.join(bad)}" if bad else ""


def cronjob_problems(w: Workload, max_history: int) -> list[Finding]:
    """concurrencyPolicy, startingDeadlineSeconds, history limits and the schedule."""
    b = _spec(w)
    findings = []
    problem = schedule_problem(b.schedule)
    if problem:
        findings.append(
            Finding(
                f"{where(w)} schedule {b.schedule!r} is not valid: {problem}",
                expected="a 5-field cron expression or a macro such as @hourly",
                found=f"schedule: {b.schedule!r}",
                fix="write spec.schedule as 'minute hour day-of-month month day-of-week' "
                "(and spec.timeZone for a time zone)",
            )
        )
    if b.concurrency_policy in (None, "Allow"):
        findings.append(
            Finding(
                f"{where(w)} lets runs overlap",
                expected="concurrencyPolicy: Forbid (or Replace)",
                found=f"concurrencyPolicy: {b.concurrency_policy or 'unset (Allow)'}",
                fix="set spec.concurrencyPolicy: Forbid, or Replace when a newer run "
                "supersedes an unfinished one",
            )
        )
    if b.starting_deadline is None:
        findings.append(
            Finding(
                f"{where(w)} has no startingDeadlineSeconds",
                expected="startingDeadlineSeconds (e.g. a fraction of the schedule interval)",
                found="unset: after 100 missed schedules the controller stops starting it",
                fix="set spec.startingDeadlineSeconds to how late a run may still start",
            )
        )
    elif b.starting_deadline < MIN_STARTING_DEADLINE:
        findings.append(
            Finding(
                f"{where(w)} startingDeadlineSeconds is {b.starting_deadline}s",
                expected=f"startingDeadlineSeconds >= {MIN_STARTING_DEADLINE}",
                found=f"startingDeadlineSeconds: {b.starting_deadline} (the controller checks "
                "every 10s and may never start a run)",
                fix=f"raise spec.startingDeadlineSeconds to {MIN_STARTING_DEADLINE} or more",
            )
        )
    limits = {
        "successfulJobsHistoryLimit": (b.successful_history, 3),
        "failedJobsHistoryLimit": (b.failed_history, 1),
    }
    for name, (value, default) in limits.items():
        effective = default if value is None else value
        if name == "failedJobsHistoryLimit" and effective == 0:
            findings.append(
                Finding(
                    f"{where(w)} keeps no failed Jobs",
                    expected="failedJobsHistoryLimit >= 1",
                    found="failedJobsHistoryLimit: 0 (a failed run is deleted with its logs)",
                    fix="set spec.failedJobsHistoryLimit: 1 or more",
                )
            )
        if effective > max_history:
            findings.append(
                Finding(
                    f"{where(w)} keeps {effective} finished Jobs",
                    expected=f"{name} <= {max_history}",
                    found=f"{name}: {effective}",
                    fix=f"lower spec.{name} (finished Jobs and their pods pile up in etcd)",
                )
            )
    return findings


def job_problems(w: Workload) -> list[Finding]:
    """backoffLimit, activeDeadlineSeconds and (standalone Jobs) ttlSecondsAfterFinished."""
    b = _spec(w)
    prefix = "spec.jobTemplate.spec" if w.kind == "CronJob" else "spec"
    findings = []
    if b.backoff_limit is None:
        findings.append(
            Finding(
                f"{where(w)} does not bound its retries",
                expected="an explicit backoffLimit",
                found="backoffLimit unset (6 retries with back-off up to 6 minutes)",
                fix=f"set {prefix}.backoffLimit to the retries a run deserves",
            )
        )
    if b.active_deadline is None:
        findings.append(
            Finding(
                f"{where(w)} has no run-time limit",
                expected="activeDeadlineSeconds",
                found="activeDeadlineSeconds unset: a hung run never ends"
                + (" and blocks the next ones" if b.concurrency_policy == "Forbid" else ""),
                fix=f"set {prefix}.activeDeadlineSeconds above the longest normal run",
            )
        )
    if w.kind == "Job" and b.ttl_after_finished is None:
        findings.append(
            Finding(
                f"{where(w)} is never cleaned up",
                expected="ttlSecondsAfterFinished",
                found="ttlSecondsAfterFinished unset: the finished Job and its pods stay",
                fix="set spec.ttlSecondsAfterFinished (e.g. 86400) so finished Jobs are deleted",
            )
        )
    return findings
