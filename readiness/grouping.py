"""Check granularity: one pytest item per target, or one per (control, group of targets).

pytest costs about a millisecond per item before a check does anything; an estate with
thousands of workloads and a few dozen controls makes tens of thousands of items. With
``granularity: {kubernetes: group}`` (or ``http: group``) a check runs once per
(control, namespace) - or once per control for HTTP services - and judges every target
of the group inside that one item. The report rows do not change: JSON, HTML and JUnit
still hold one row per (control, target) with its own outcome, message and evidence, the
same node ids as per-target runs, and the gate judges each row. ``--target GLOB``
selects targets, inside groups too.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any

import pytest

from readiness.checking import Evidence
from readiness.controls import Severity, get_control
from readiness.gate import RawResult, judge, matching_waiver
from readiness.judging import (
    build_result,
    carry,
    check_id,
    control_of,
    exception_text,
    target_of,
)
from readiness.profile.model import Profile
from readiness.redact import Redactor
from readiness.results import CheckResult

#: The parameters a family's checks may take grouped (others are never grouped).
GROUPABLE = {
    "kubernetes": ("workload", "service", "namespace", "autoscaler", "budget", "release"),
    "http": ("service",),
}
MEMBERS = pytest.StashKey[list["MemberRun"]]()
TARGETS = pytest.StashKey[tuple[str, ...]]()


@dataclass(frozen=True, slots=True)
class Group:
    """The targets one grouped item judges; a short repr keeps tracebacks small."""

    key: str
    members: tuple[tuple[str, Any], ...]

    def __repr__(self) -> str:
        return f"Group({self.key!r}, {len(self.members)} targets)"


@dataclass(slots=True)
class MemberRun:
    target: str
    raw: RawResult
    message: str
    evidence: Evidence = field(default_factory=Evidence)
    seconds: float = 0.0


def group_key(family: str, target: str) -> str:
    """Kubernetes: the namespace (``shop`` of ``shop/Deployment/cart``); HTTP: one group."""
    if family == "kubernetes" and target.count("/") >= 2:
        return target.split("/", 1)[0]
    return "services" if family == "http" else target


def grouped(
    metafunc: pytest.Metafunc, name: str, pairs: Sequence[tuple[str, Any]], profile: Profile
) -> list[tuple[str, Any]]:
    """``pairs`` as one (group id, Group) per group when the profile asks for it."""
    marker = metafunc.definition.get_closest_marker("readiness_control")
    if marker is None:
        return list(pairs)
    family = get_control(marker.args[0]).family
    if name not in GROUPABLE.get(family, ()) or getattr(profile.granularity, family) != "group":
        return list(pairs)
    groups: dict[str, list[tuple[str, Any]]] = {}
    for ident, value in pairs:
        groups.setdefault(group_key(family, ident), []).append((ident, value))
    return [(key, Group(key, tuple(members))) for key, members in groups.items()]


def wanted(config: pytest.Config, target: str) -> bool:
    """Whether ``--target`` globs (if any) select ``target``."""
    globs = config.stash.get(TARGETS, ())
    return not globs or any(fnmatchcase(target, g) for g in globs)


def select_targets(
    config: pytest.Config, items: Sequence[pytest.Item]
) -> tuple[list[pytest.Item], list[pytest.Item]]:
    """(kept, deselected) by ``--target``: an item is kept when its target, or one of its
    group's targets, matches."""
    kept: list[pytest.Item] = []
    dropped: list[pytest.Item] = []
    for item in items:
        targets = item_targets(item) if getattr(item, "callspec", None) else []
        (kept if any(wanted(config, t) for t in targets) else dropped).append(item)
    return kept, dropped


def is_group(item: pytest.Item) -> bool:
    callspec = getattr(item, "callspec", None)
    return callspec is not None and any(isinstance(v, Group) for v in callspec.params.values())


def item_targets(item: pytest.Item) -> list[str]:
    """The targets an item judges: its own, or its group's."""
    callspec = getattr(item, "callspec", None)
    if callspec is None:
        return [target_of(item)]
    group = next((v for v in callspec.params.values() if isinstance(v, Group)), None)
    return [t for t, _ in group.members] if group is not None else [callspec.id]


def run_group(item: pytest.Function) -> bool:
    """Run a grouped check once per member target; True when ``item`` was a group."""
    args = item.funcargs
    found = next(((k, v) for k, v in args.items() if isinstance(v, Group)), None)
    if found is None:
        return False
    name, group = found
    runs: list[MemberRun] = []
    for target, value in group.members:
        if not wanted(item.config, target):
            continue
        evidence = Evidence()
        call = {k: args[k] for k in item._fixtureinfo.argnames}
        call[name] = value
        if "evidence" in call:
            call["evidence"] = evidence
        started = time.perf_counter()
        raw, message = _outcome(item, call)
        seconds = time.perf_counter() - started
        runs.append(MemberRun(target, raw, message, evidence, seconds))
    item.stash[MEMBERS] = runs
    return True


def _outcome(item: pytest.Function, call: dict[str, Any]) -> tuple[RawResult, str]:
    try:
        item.obj(**call)
    except pytest.skip.Exception as exc:
        return "skipped", str(exc.msg)
    except pytest.fail.Exception as exc:
        return "failed", str(exc.msg)
    except AssertionError as exc:
        return "failed", str(exc) or "assertion failed"
    except Exception as exc:  # the check could not run on this target: an error row
        return "error", f"could not run: {exception_text(exc)}"
    return "passed", ""


def member_results(
    item: pytest.Item,
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    profile: Profile,
    today: dt.date,
    redactor: Redactor,
) -> bool:
    """Carry one result per member target on ``report``; False when ``item`` is no group."""
    runs = item.stash.get(MEMBERS, None)
    if runs is None or report.when != "call":
        return False
    ctl = control_of(item)
    built = build_result(item, report, call, profile, today, redactor)
    if ctl is None or built is None:
        return False
    del item.stash[MEMBERS]  # the results keep what the report needs of the runs
    template, _ = built
    base = template.nodeid.rsplit("[", 1)[0]
    severity = Severity.parse(template.severity)
    checks = [_member(template, base, severity, run, profile, today, redactor) for run in runs]
    carry(report, checks)
    blocking = [c for c in checks if c.blocking]
    if blocking:
        report.outcome = "failed"
        report.longrepr = "\n".join(f"[{c.target}] {c.message}" for c in blocking)
    return True


def _member(
    template: CheckResult,
    base: str,
    severity: Severity,
    run: MemberRun,
    profile: Profile,
    today: dt.date,
    redactor: Redactor,
) -> CheckResult:
    waiver = (
        matching_waiver(profile.waivers, template.control, run.target)
        if run.raw == "failed"
        else None
    )
    verdict = judge(run.raw, severity, profile.gate, waiver, today)
    message = run.message
    if verdict.note:
        message = f"{message}\n{verdict.note}" if message else verdict.note
    return CheckResult(
        id=check_id(template.control, run.target),
        nodeid=f"{base}[{run.target}]",
        control=template.control,
        title=template.title,
        family=template.family,
        severity=template.severity,
        target=run.target,
        outcome=verdict.outcome.value,
        blocking=verdict.blocking,
        message=redactor.text(message.strip()),
        remediation=template.remediation,
        evidence=redactor.data(run.evidence.data),
        waiver=verdict.waiver.model_dump(mode="json") if verdict.waiver else None,
        duration=run.seconds,
        html=run.evidence.html,
    )
