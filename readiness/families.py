"""Control families on and off: one decision per family, one line per family.

A family runs when the profile gives it something to look at (its targets), unless
``families: {NAME: {enabled: false, reason: ...}}`` turns it off; ``enabled: true``
runs it even without targets. A family that does not run is skipped as a whole: every
one of its checks is skipped with the family's one reason, and the terminal shows one
line per family instead of one per check.

The operations checklist runs only when the profile asks for it: ``attestations``, an
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
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from readiness.controls import catalogue
from readiness.judging import control_of, target_of
from readiness.keys import PROFILE
from readiness.profile.http import Service
from readiness.profile.model import Profile

Reason = Callable[[Profile], str | None]


def _http(p: Profile) -> str | None:
    return None if p.targets.services else "no services in targets"


def _alerting(p: Profile) -> str | None:
    t = p.targets
    if t.prometheus or t.alertmanager or t.rule_files:
        return None
    return "no prometheus, alertmanager or rule_files in targets"


def _slo(p: Profile) -> str | None:
    return None if p.slos or p.slo_files else "no slos or slo_files in the profile"


def _kubernetes(p: Profile) -> str | None:
    return (
        None
        if p.targets.kubernetes or p.targets.manifests
        else ("no cluster or manifests in targets")
    )


def _supply_chain(p: Profile) -> str | None:
    t = p.targets
    if t.images or t.registries or t.docker:
        return None
    return "no images, registries or docker in targets"


def _operations(p: Profile) -> str | None:
    t, ops = p.targets, p.operations
    asked = (
        p.attestations,
        t.backups,
        t.loki,
        t.grafana,
        t.jaeger,
        t.otel_collector,
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
        "no attestations, operations targets or documents in the profile "
        "(families: {operations: {enabled: true}} runs the checklist)"
    )


#: Why a family has nothing to look at, or None when it has. Families not listed
#: (e.g. dora) always run unless the profile turns them off.
UNCONFIGURED: dict[str, Reason] = {
    "http": _http,
    "alerting": _alerting,
    "slo": _slo,
    "kubernetes": _kubernetes,
    "supply_chain": _supply_chain,
    "operations": _operations,
}


@dataclass(frozen=True, slots=True)
class Overlap:
    """Part of ``control`` that ``judged_by`` (in ``family``) already judges."""

    control: str
    judged_by: str
    family: str
    what: str


#: Overlapping controls, judged once: in the family named here, when it runs.
OVERLAPS: tuple[Overlap, ...] = (
    Overlap("OPS-HEALTHCHECKS", "HTTP-HEALTH", "http", "each declared health endpoint"),
    Overlap(
        "OPS-GRACEFUL-SHUTDOWN",
        "K8S-GRACEFUL-SHUTDOWN",
        "kubernetes",
        "terminationGracePeriodSeconds and preStop of every workload; the SIGTERM "
        "handling itself stays an attestation",
    ),
)


@dataclass(frozen=True, slots=True)
class FamilyState:
    family: str
    runs: bool
    reason: str  # why it does not run ("" when it runs)

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
                family, False, f"disabled by the profile: {setting.reason}"
            )
            continue
        why_not = UNCONFIGURED[family](profile) if family in UNCONFIGURED else None
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
        target_of(item)
        for item in items
        if health is not None and (c := control_of(item)) and c.id == health.judged_by
    }
    skipped: Counter[str] = Counter()
    for item in items:
        ctl = control_of(item)
        if ctl is None:
            continue
        state = states.get(ctl.family)
        if state is not None and not state.runs:
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


class _FamilyLines:
    """Prints one line per skipped family right after collection."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def pytest_report_collectionfinish(self) -> list[str]:
        return [f"readiness: family skipped: {line}" for line in self.lines]
