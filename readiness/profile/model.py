"""The profile schema. Each family owns its sections in its own module of this package;
the classes here only assemble them."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field, PrivateAttr, field_validator, model_validator

from readiness.profile.alerting import AlertingSection, AlertingTargets
from readiness.profile.ci import CiTargets
from readiness.profile.common import Model, SeverityName
from readiness.profile.dora import DoraSection, DoraTargets
from readiness.profile.granularity import GranularitySettings
from readiness.profile.http import HttpSection, HttpTargets
from readiness.profile.kubernetes import KubernetesSection, KubernetesTargets
from readiness.profile.limits import LimitsSection
from readiness.profile.operations import OperationsSection, OperationsTargets
from readiness.profile.slo import SloSection, SloTargets
from readiness.profile.supply_chain import SupplyChainSection, SupplyChainTargets


class Gate(Model):
    fail_on: SeverityName = "high"
    errors_block: bool = True
    max_waiver_days: int = Field(90, ge=1, le=3650)
    # Seconds for the whole run; checks not finished by then end as error: deadline.
    deadline: float | None = Field(None, gt=0, le=86400)


class ReportSettings(Model):
    dir: str = "reports"
    title: str = "Production readiness report"
    exports: list[Literal["sarif", "oscal", "hdf"]] = []  # written next to the JSON report
    snapshot: bool = False  # save the run's evidence as reports/readiness-snapshot.tar.gz


class Release(Model):
    kind: Literal["feature", "fix"] = "feature"
    version: str = ""
    services: list[str] = []


class ControlSetting(Model):
    enabled: bool = True
    severity: SeverityName | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _reason_given(self) -> ControlSetting:
        if (not self.enabled or self.severity) and not self.reason.strip():
            raise ValueError("disabling a control or changing its severity needs a reason")
        return self


class FamilySetting(Model):
    """``families: {operations: {enabled: false, reason: ...}}``: a whole family on or off.

    Without an entry a family runs when the profile gives it targets (see
    ``readiness.families``); ``enabled: true`` runs it even without them.
    """

    enabled: bool = True
    reason: str = ""

    @model_validator(mode="after")
    def _reason_given(self) -> FamilySetting:
        if not self.enabled and not self.reason.strip():
            raise ValueError("disabling a family needs a reason")
        return self


class Waiver(Model):
    control: str
    target: str = "*"
    reason: str
    approver: str
    expires: dt.date

    @field_validator("control", "target", "reason", "approver")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty: a waiver names its control, reason and approver")
        return value


class Targets(
    HttpTargets,
    AlertingTargets,
    SloTargets,
    KubernetesTargets,
    SupplyChainTargets,
    DoraTargets,
    OperationsTargets,
    CiTargets,
):
    pass


class Profile(
    HttpSection,
    AlertingSection,
    SloSection,
    KubernetesSection,
    SupplyChainSection,
    DoraSection,
    OperationsSection,
    LimitsSection,
):
    environment: str
    description: str = ""
    release: Release = Release()
    gate: Gate = Gate()
    report: ReportSettings = ReportSettings()
    targets: Targets = Targets()
    families: dict[str, FamilySetting] = {}
    granularity: GranularitySettings = GranularitySettings()
    controls: dict[str, ControlSetting] = {}
    waivers: list[Waiver] = []

    _name: str = PrivateAttr(default="")
    _path: str = PrivateAttr(default="")
    _sha256: str = PrivateAttr(default="")
    _secrets: frozenset[str] = PrivateAttr(default=frozenset())
    _own_sections: frozenset[str] = PrivateAttr(default=frozenset())

    @property
    def name(self) -> str:
        return self._name

    @property
    def path(self) -> str:
        return self._path

    @property
    def sha256(self) -> str:
        return self._sha256

    @property
    def own_sections(self) -> frozenset[str]:
        """Top-level keys the profile's own files set (not only a bundled parent)."""
        return self._own_sections

    @property
    def secrets(self) -> frozenset[str]:
        """Values substituted from the environment into credential fields."""
        return self._secrets
