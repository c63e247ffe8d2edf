"""The gate: from a check's raw result, its severity and the waivers to an outcome.

Pure: ``today`` is passed in, nothing is read from the environment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from fnmatch import fnmatchcase
from typing import Literal

from readiness.controls import Severity
from readiness.profile.model import Gate, Waiver

RawResult = Literal["passed", "failed", "skipped", "error"]


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    WARNED = "warned"
    WAIVED = "waived"
    SKIPPED = "skipped"
    ERROR = "error"


OUTCOMES: tuple[str, ...] = tuple(o.value for o in Outcome)


@dataclass(frozen=True, slots=True)
class Verdict:
    outcome: Outcome
    blocking: bool
    note: str = ""
    waiver: Waiver | None = None


def matching_waiver(waivers: Iterable[Waiver], control_id: str, target: str) -> Waiver | None:
    """The waiver for (control, target); an active one wins over an expired one."""
    found = [w for w in waivers if w.control == control_id and fnmatchcase(target, w.target)]
    found.sort(key=lambda w: w.expires, reverse=True)
    return found[0] if found else None


def judge(
    raw: RawResult,
    severity: Severity,
    gate: Gate,
    waiver: Waiver | None,
    today: dt.date,
) -> Verdict:
    fail_on = Severity.parse(gate.fail_on)
    if raw == "passed":
        return Verdict(Outcome.PASSED, False)
    if raw == "skipped":
        return Verdict(Outcome.SKIPPED, False)
    if raw == "error":
        note = "" if gate.errors_block else "errors do not block (gate.errors_block: false)"
        return Verdict(Outcome.ERROR, gate.errors_block, note)
    note = ""
    if waiver is not None:
        if waiver.expires >= today:
            return Verdict(
                Outcome.WAIVED,
                False,
                f"waived until {waiver.expires} by {waiver.approver}: {waiver.reason}",
                waiver,
            )
        note = (
            f"waiver expired on {waiver.expires} (approved by {waiver.approver}: "
            f"{waiver.reason}); renew it or fix the finding"
        )
    if severity >= fail_on:
        return Verdict(Outcome.FAILED, True, note, waiver)
    below = f"severity {severity.label} is below the gate ({fail_on.label}): not blocking"
    return Verdict(Outcome.WARNED, False, f"{note}; {below}" if note else below, waiver)


@dataclass(frozen=True, slots=True)
class StaleWaiver:
    waiver: Waiver
    reason: str


def stale_waivers(
    waivers: Sequence[Waiver], results: Iterable[tuple[str, str, Outcome]]
) -> list[StaleWaiver]:
    """Waivers that waived nothing in this run: their check passed, or matched no check."""
    used: set[int] = set()
    seen: dict[int, list[Outcome]] = {}
    for control_id, target, outcome in results:
        for i, w in enumerate(waivers):
            if w.control == control_id and fnmatchcase(target, w.target):
                seen.setdefault(i, []).append(outcome)
                if outcome in (Outcome.WAIVED, Outcome.FAILED, Outcome.WARNED):
                    used.add(i)
    stale = []
    for i, w in enumerate(waivers):
        if i in used:
            continue
        outcomes = seen.get(i)
        reason = (
            "matched no check in this run"
            if not outcomes
            else f"its check{'s' if len(outcomes) > 1 else ''} "
            f"{', '.join(sorted({o.value for o in outcomes}))}: the waiver can be removed"
        )
        stale.append(StaleWaiver(w, reason))
    return stale


class GateState(StrEnum):
    """The run's verdict. Only ``passed`` lets a release go out."""

    PASSED = "passed"  # a full run with no blocking finding
    FAILED = "failed"  # a blocking finding (full or partial run)
    PARTIAL = "partial"  # a partial run without blocking findings: not a release verdict
    ERROR = "error"  # the run could not judge: broken profile, collection error, 0 checks


def gate_state(*, blocking: int, partial: bool, errors: Sequence[str]) -> GateState:
    if errors:
        return GateState.ERROR
    if blocking:
        return GateState.FAILED
    return GateState.PARTIAL if partial else GateState.PASSED
