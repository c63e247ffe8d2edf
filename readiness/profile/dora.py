"""Profile schema of the dora family: where runs, deployments and incidents are recorded."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

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


class StagingFirst(Model):
    """DORA-STAGING-FIRST: a gate in ``environments`` needs a passed (full) gate run of
    the same ``release.version`` in ``staging`` within the last ``within_days``, read
    from the DORA store's own records."""

    enabled: bool = False
    staging: str = "staging"  # the environment the version must pass first
    environments: list[str] = ["production"]  # where the control applies
    within_days: float = Field(14, gt=0, le=365)


class DoraSettings(Model):
    """``dora:`` in a profile.

    ``store`` is a SQLite file path or a ``postgresql://`` URL (give credentials with
    ``${VAR}``); empty means ``<report dir>/dora.sqlite``.
    """

    record: bool = True  # record every gate run (deployments need --record-deployment)
    store: str = ""
    services: list[str] = []  # default: release.services, else targets.services names
    days: int = Field(30, ge=1, le=3650)  # window of the metrics in the report
    weeks: int = Field(8, ge=1, le=104)  # weekly trend points in the HTML report
    incidents: IncidentPolicy = IncidentPolicy()
    # DORA-OPEN-INCIDENT: an open incident declared by hand blocks a feature release of
    # its service (a fix release passes). Off by default: reading the store is then part
    # of the gate, and an unreachable store is an error.
    gate_open_incidents: bool = False
    staging_first: StagingFirst = StagingFirst()

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
