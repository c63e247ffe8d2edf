"""Control families on and off: one decision per family, one line per family.

A family runs when the profile gives it something to look at (its targets), unless
``families: {NAME: {enabled: false, reason: ...}}`` turns it off; ``enabled: true``
runs it even without targets. A family that does not run is skipped as a whole: every
one of its bundled checks (and, when ``families:`` turns it off, every check of your own
with one of its controls) is skipped with the family's one reason, and the terminal
shows one line per family instead of one per check.

The operations checklist runs only when the profile asks for it: an ``operations:``
section in the profile's own files (not only in a bundled parent), ``attestations``, an
operations target (``targets.backups``, ``loki``, ``grafana``, ``jaeger``,
``otel_collector``), an operations source or document (``operations.prometheus``,
``alertmanager``, ``runbooks.directory``, ``rollback.document``,
``postmortem.template``, ``cicd.pipeline_files``) or ``families.operations.enabled``.
Otherwise its attestation-backed items would fail a gate nobody asked to keep.

Overlapping controls are judged once: what another running family already observes is
judged there, and the operations control points to it (see :data:`OVERLAPS`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from readiness.controls import catalogue
from readiness.grouping import item_targets
from readiness.judging import control_of
from readiness.keys import PROFILE
from readiness.profile.alerting import AlertingTargets
from readiness.profile.ci import CiTargets
from readiness.profile.http import HttpTargets, Service
from readiness.profile.kubernetes import KubernetesTargets
from readiness.profile.model import Profile
from readiness.profile.operations import OperationsTargets
from readiness.profile.supply_chain import SupplyChainTargets

#: The ``targets:`` fields each family reads (its own section of the schema).
TARGETS: dict[str, type[BaseModel]] = {
    "http": HttpTargets,
    "alerting": AlertingTargets,
    "kubernetes": KubernetesTargets,
    "supply_chain": SupplyChainTargets,
    "operations": OperationsTargets,
    "ci": CiTargets,
}
#: How a reason names a target field, where its key says it less well.
_LABELS = {"kubernetes": "cluster"}


def _targets_given(profile: Profile, family: str) -> bool:
    fields = TARGETS[family].model_fields
    return any(getattr(profile.targets, name, None) for name in fields)


def _no_targets(family: str) -> str:
    names = [_LABELS.get(n, n) for n in TARGETS[family].model_fields]
    listed = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return f"no {listed} in targets"


def _slo(p: Profile) -> str | None:
    return None if p.slos or p.slo_files else "no slos or slo_files in the profile"


def _operations(p: Profile) -> str | None:
    """The checklist runs when the profile asks for it (most items are attestations)."""
    ops = p.operations
    asked = (
        "operations" in p.own_sections,
        p.attestations,
        _targets_given(p, "operations"),
        ops.prometheus,
        ops.alertmanager,
        ops.runbooks.directory,
        ops.rollback.document,
        ops.postmortem.template,
        ops.cicd.pipeline_files,
    )
    if any(asked):
        return None
    return (
        "no operations section, attestations or operations targets in the profile "
        "(families: {operations: {enabled: true}} runs the checklist)"
    )


def _unconfigured(profile: Profile, family: str) -> str | None:
    """Why a family has nothing to look at, or None when it has (or always runs)."""
    if family == "operations":
        return _operations(profile)
    if family == "slo":
        return _slo(profile)
    if family in TARGETS and not _targets_given(profile, family):
        return _no_targets(family)
    return None


@dataclass(frozen=True, slots=True)
class Overlap:
    """Part of ``control`` that ``judged_by`` (in ``family``) already judges."""

    control: str
    judged_by: str
    family: str


#: Overlapping controls, judged once: in the family named here, when it runs. The
#: health endpoint of each service is HTTP-HEALTH's; the workloads' grace period and
#: preStop hook are K8S-GRACEFUL-SHUTDOWN's (the SIGTERM handling stays attested).
OVERLAPS: tuple[Overlap, ...] = (
    Overlap("OPS-HEALTHCHECKS", "HTTP-HEALTH", "http"),
    Overlap("OPS-GRACEFUL-SHUTDOWN", "K8S-GRACEFUL-SHUTDOWN", "kubernetes"),
)


@dataclass(frozen=True, slots=True)
class FamilyState:
    family: str
    runs: bool
    reason: str  # why it does not run ("" when it runs)
    by_profile: bool = False  # turned off by ``families:`` (else: nothing to look at)

    def line(self, checks: int) -> str:
        return f"{self.family}: {self.reason} ({checks} checks skipped)"


def families() -> list[str]:
    return sorted({c.family for c in catalogue().values()})


def family_states(profile: Profile) -> dict[str, FamilyState]:
    states: dict[str, FamilyState] = {}
    for family in families():
        setting = profile.families.get(family)
        if setting is not None and not setting.enabled:
            states[family] = FamilyState(
                family, False, f"disabled by the profile: {setting.reason}", by_profile=True
            )
            continue
        why_not = _unconfigured(profile, family)
        if setting is not None and setting.enabled:
            why_not = None
        states[family] = FamilyState(family, why_not is None, why_not or "")
    return states


def judged_elsewhere(profile: Profile, control_id: str) -> Overlap | None:
    """The overlap whose other family runs and judges part of ``control_id``."""
    states = family_states(profile)
    for overlap in OVERLAPS:
        if overlap.control == control_id and states[overlap.family].runs:
            return overlap
    return None


def _health_reference(item: pytest.Item, overlap: Overlap, judged: set[str]) -> str | None:
    """Where this OPS-HEALTHCHECKS item is judged, when that check is in the run."""
    callspec = getattr(item, "callspec", None)
    service = callspec.params.get("health_service") if callspec else None
    if not isinstance(service, Service) or service.health is None:
        return None  # no endpoint declared: the operations check says so itself
    if service.name not in judged:
        return None  # HTTP-HEALTH is not in this run: the operations check probes itself
    return f"judged by {overlap.judged_by} [{service.name}] in the {overlap.family} family"


def apply_families(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skip the checks of families that do not run, and point overlaps to their judge."""
    profile = config.stash.get(PROFILE, None)
    if profile is None:
        return
    states = family_states(profile)
    health = judged_elsewhere(profile, "OPS-HEALTHCHECKS")
    judged = {
        target
        for item in items
        if health is not None and (c := control_of(item)) and c.id == health.judged_by
        for target in item_targets(item)
    }
    bundled = Path(str(resources.files("readiness.checks"))).resolve()
    skipped: Counter[str] = Counter()
    for item in items:
        ctl = control_of(item)
        if ctl is None:
            continue
        state = states.get(ctl.family)
        # Targets decide for the bundled checks; a check of your own picks its targets.
        decides = state is not None and (state.by_profile or item.path.is_relative_to(bundled))
        if state is not None and not state.runs and decides:
            skipped[ctl.family] += 1
            item.add_marker(pytest.mark.skip(reason=f"{ctl.family}: {state.reason}"), append=False)
        elif health is not None and ctl.id == health.control:
            reference = _health_reference(item, health, judged)
            if reference:
                item.add_marker(pytest.mark.skip(reason=reference), append=False)
    lines = [states[family].line(count) for family, count in sorted(skipped.items())]
    if lines and not config.pluginmanager.has_plugin(_REPORTER):
        config.pluginmanager.register(_FamilyLines(lines), _REPORTER)


_REPORTER = "readiness-families"


def skipped_family_lines(profile: Profile, checks: Iterable[Mapping[str, Any]]) -> list[str]:
    """The per-family skip lines counted from a finished run's checks: under xdist the
    controller collects nothing, so it cannot print them after collection."""
    states = family_states(profile)
    counts: Counter[str] = Counter()
    for check in checks:
        state = states.get(check["family"])
        if state is None or state.runs or check["outcome"] != "skipped":
            continue
        if check["message"] == f"{state.family}: {state.reason}":
            counts[state.family] += 1
    return [f"readiness: family skipped: {states[f].line(n)}" for f, n in sorted(counts.items())]


class _FamilyLines:
    """Prints one line per skipped family right after collection."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def pytest_report_collectionfinish(self) -> list[str]:
        return [f"readiness: family skipped: {line}" for line in self.lines]
