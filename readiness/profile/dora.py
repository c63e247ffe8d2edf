"""Profile schema of the dora family: where runs, deployments and incidents are recorded."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from readiness.profile.common import Model

LIVE_FAMILIES = ["http", "alerting", "slo", "kubernetes"]


class IncidentPolicy(Model):
    """When a gate run opens or resolves an incident by itself."""

    open_on_failure: bool = True  # a failing run on live checks opens an incident
    resolve_on_pass: bool = True  # the next passing run resolves it
    environments: list[str] = ["production"]  # where runs open incidents
    families: list[str] = Field(default_factory=lambda: list(LIVE_FAMILIES))  # live checks
    link: Literal["latest_deployment", "none"] = "latest_deployment"
    severity: str = "SEV2"


class SeverityLevel(Model):
    """One level of the incident severity scale, with its response targets."""

    name: str = Field(min_length=1)
    description: str = ""
    acknowledge_minutes: float = Field(gt=0, le=60 * 24 * 30)
    resolve_hours: float = Field(gt=0, le=24 * 365)
    blocks_feature_release: bool = False  # DORA-OPEN-INCIDENT: an open one blocks


#: PagerDuty-style SEV1 to SEV4 with the usual response targets.
DEFAULT_SEVERITIES = (
    SeverityLevel(
        name="SEV1",
        description="critical: the service is down or data is at risk for most users",
        acknowledge_minutes=15,
        resolve_hours=4,
        blocks_feature_release=True,
    ),
    SeverityLevel(
        name="SEV2",
        description="major: a core function is degraded for many users",
        acknowledge_minutes=30,
        resolve_hours=24,
        blocks_feature_release=True,
    ),
    SeverityLevel(
        name="SEV3",
        description="minor: a non-core function fails or a workaround exists",
        acknowledge_minutes=240,
        resolve_hours=72,
    ),
    SeverityLevel(
        name="SEV4",
        description="low: cosmetic or no user impact",
        acknowledge_minutes=1440,
        resolve_hours=168,
    ),
)


class StagingFirst(Model):
    """DORA-STAGING-FIRST: a gate in ``environments`` needs a passed (full) gate run of
    the same ``release.version`` in ``staging`` within the last ``within_days``, read
    from the DORA store's own records."""

    enabled: bool = False
    staging: str = "staging"  # the environment the version must pass first
    environments: list[str] = ["production"]  # where the control applies
    within_days: float = Field(14, gt=0, le=365)


class Postmortems(Model):
    """DORA-POSTMORTEM: a resolved incident of a major severity has its post-mortem
    linked (``readiness dora incident postmortem ID URL``) within ``due_days`` of its
    resolution; incidents resolved more than ``lookback_days`` ago are not judged."""

    enabled: bool = False  # judge DORA-POSTMORTEM (reads the store in the gate)
    #: the levels that need one; empty: those of the scale that block a feature release
    #: (SEV1 and SEV2 by default)
    severities: list[str] = []
    #: calendar days from resolution (7: the five business days incident-response
    #: policies give, counted without a holiday calendar)
    due_days: float = Field(7, gt=0, le=365)
    lookback_days: float = Field(90, gt=0, le=3650)  # resolved longer ago: not judged
    include_gate_incidents: bool = False  # also incidents a failing gate run opened


class DoraSettings(Model):
    """``dora:`` in a profile.

    ``store`` is a SQLite file path or a ``postgresql://`` URL (give credentials with
    ``${VAR}``); empty means ``<report dir>/dora.sqlite``.
    """

    record: bool = True  # record every gate run (deployments need --record-deployment)
    store: str = ""
    # Seconds the record waits for another writer's lock (SQLite busy timeout, PostgreSQL
    # lock_timeout) before it gives up with "NOT recorded"; the reports are written first.
    lock_timeout: float = Field(60.0, gt=0, le=3600)
    services: list[str] = []  # default: release.services, else targets.services names
    days: int = Field(30, ge=1, le=3650)  # window of the metrics in the report
    weeks: int = Field(8, ge=1, le=104)  # weekly trend points in the HTML report
    incidents: IncidentPolicy = IncidentPolicy()
    # DORA-OPEN-INCIDENT: an open incident declared by hand blocks a feature release of
    # its service (a fix release passes). Off by default: reading the store is then part
    # of the gate, and an unreachable store is an error.
    gate_open_incidents: bool = False
    staging_first: StagingFirst = StagingFirst()
    postmortems: Postmortems = Postmortems()
    # The incident severity scale (highest first): `dora incident open --severity` must
    # name one of these; open incidents of a level that blocks stop a feature release.
    severities: list[SeverityLevel] = Field(
        default_factory=lambda: list(DEFAULT_SEVERITIES), min_length=1
    )

    @model_validator(mode="after")
    def _scale_is_consistent(self) -> DoraSettings:
        names = [s.name.upper() for s in self.severities]
        if len(set(names)) != len(names):
            raise ValueError("severities: each level needs a distinct name")
        unknown = [n for n in self.postmortems.severities if n.upper() not in names]
        if unknown:
            raise ValueError(
                f"postmortems.severities {', '.join(unknown)} not on the severity scale "
                f"({', '.join(s.name for s in self.severities)})"
            )
        if self.incidents.severity.upper() not in names:
            raise ValueError(
                f"incidents.severity {self.incidents.severity!r} is not on the severity "
                f"scale ({', '.join(s.name for s in self.severities)})"
            )
        return self

    def postmortem_severities(self) -> list[str]:
        """The levels whose incidents need a post-mortem, as the scale spells them."""
        wanted = {n.upper() for n in self.postmortems.severities}
        return [
            s.name
            for s in self.severities
            if (s.name.upper() in wanted if wanted else s.blocks_feature_release)
        ]

    def severity(self, name: str) -> SeverityLevel | None:
        """The scale's level called ``name`` (case-insensitive), or None."""
        return next((s for s in self.severities if s.name.upper() == name.upper()), None)

    @field_validator("store")
    @classmethod
    def _known_store(cls, value: str) -> str:
        """Only a file path, ``sqlite:``, ``postgresql://`` or ``postgres://``."""
        from readiness.dora.model import DoraError
        from readiness.dora.store import is_postgres, sqlite_path

        if value and not is_postgres(value):
            try:
                sqlite_path(value)
            except DoraError as exc:
                raise ValueError(str(exc)) from None
        return value


class DoraTargets(Model):
    """Fields of `targets:` this family reads (none: services come from other families)."""


class DoraSection(Model):
    """Top-level profile sections this family owns."""

    dora: DoraSettings = DoraSettings()
