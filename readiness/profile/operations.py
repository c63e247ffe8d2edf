"""Profile schema of the operations family: the production-readiness checklist.

``targets:`` names the observability stack (Loki, Grafana, Jaeger, the OpenTelemetry
collector) and the backup locations; ``operations:`` holds the practices the checklist
expects; ``attestations:`` records the items a human vouches for (InSpec/Heimdall style:
control, status, explanation, who, when, how often).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from typing import Literal

from pydantic import Field, field_validator, model_validator

from readiness.profile.common import Endpoint, Model, check_credential

_FREQUENCY = re.compile(r"^\s*(\d+)\s*(d|day|days|w|week|weeks|m|month|months|y|year|years)\s*$")
_UNIT_DAYS = {"d": 1, "w": 7, "m": 30, "y": 365}


def frequency_days(text: str) -> int:
    """``90d``, ``12w``, ``6m``, ``1y`` (or ``90 days``...) as a number of days."""
    match = _FREQUENCY.match(text.lower())
    if match is None:
        raise ValueError(f"frequency {text!r} is not like '90d', '12w', '6m' or '1y'")
    return int(match.group(1)) * _UNIT_DAYS[match.group(2)[0]]


class S3Credentials(Model):
    """SigV4 credentials for a bucket listing: from ``${VAR}``, masked, never reported."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    _lengths = field_validator("access_key_id", "secret_access_key", "session_token")(
        check_credential
    )


class OffsiteCopy(Model):
    """Backup copies in a second location: an S3-compatible bucket listed read-only
    (ListObjectsV2). ``url`` is the service endpoint, e.g. https://s3.eu-central-1.amazonaws.com."""

    url: str
    ca_file: str | None = None
    verify_tls: bool = True
    timeout: float = Field(10.0, gt=0, le=3600)
    retries: int = Field(2, ge=0, le=10)
    deadline: float | None = Field(None, gt=0, le=3600)
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = ""
    #: The copy's region (also the SigV4 signing region); must differ from the primary's.
    region: str = Field(min_length=1)
    #: true: https://BUCKET.host/ (virtual-hosted style); false: https://host/BUCKET/.
    virtual_host: bool = False
    #: Unsigned requests (a bucket readable without credentials); else give auth.
    anonymous: bool = False
    auth: S3Credentials | None = None
    #: Newest copy at most this old; default: the backup's frequency + grace.
    max_age_hours: float | None = Field(None, gt=0)
    #: ListObjectsV2 pages (1,000 keys each) read at most.
    max_pages: int = Field(10, ge=1, le=1000)

    @model_validator(mode="after")
    def _access(self) -> OffsiteCopy:
        if self.anonymous == (self.auth is not None):
            raise ValueError(
                f"offsite bucket {self.bucket!r}: give auth (access_key_id, "
                "secret_access_key from ${VAR}) or anonymous: true, exactly one"
            )
        if not self.url.startswith(("https://", "http://")):
            raise ValueError(f"offsite url {self.url!r} is not an http(s) URL")
        return self

    def endpoint(self) -> Endpoint:
        """The connection settings the request helper reads (deadline, TLS, retries)."""
        return Endpoint(
            url=self.url,
            ca_file=self.ca_file,
            verify_tls=self.verify_tls,
            timeout=self.timeout,
            retries=self.retries,
            deadline=self.deadline,
        )


class BackupLocation(Model):
    """Where one backup set can be seen: a directory of backup files, or a metric."""

    name: str
    directory: str | None = None
    pattern: str = "*"
    timestamp_from: Literal["name", "mtime"] = "name"
    metric: str | None = None
    size_metric: str | None = None
    prometheus: Endpoint | None = None
    frequency_hours: float | None = Field(None, gt=0)
    retention_days: int | None = Field(None, ge=1)
    #: Where this backup set lives (a cloud region or site), compared with the offsite copy's.
    region: str | None = None
    #: The copies kept in a second location (OPS-DR-OFFSITE-BACKUP).
    offsite: OffsiteCopy | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> BackupLocation:
        if (self.directory is None) == (self.metric is None):
            raise ValueError(
                f"backup {self.name!r}: give either directory (backup files) or metric "
                "(a last-success timestamp in Prometheus), not both or neither"
            )
        return self


class OperationsTargets(Model):
    """Fields of `targets:` this family reads."""

    loki: Endpoint | None = None
    grafana: Endpoint | None = None
    jaeger: Endpoint | None = None
    jaeger_admin: Endpoint | None = None
    otel_collector: Endpoint | None = None
    backups: list[BackupLocation] = []


class RunbookPolicy(Model):
    directory: str | None = None
    extensions: list[str] = [".md", ".rst", ".txt", ".adoc"]
    incident_types: list[str] = []
    alerts_need_runbook_url: bool = True
    check_reachable: bool = True  # GET each http(s) runbook_url; off: only its presence
    timeout: float | None = None  # an error if set: use alerting.runbooks.timeout

    @field_validator("timeout")
    @classmethod
    def _timeout_moved(cls, value: float | None) -> float | None:
        if value is not None:
            raise ValueError(
                "operations.runbooks.timeout has no effect: every runbook URL is fetched "
                "once per run by the prober shared with the alerting family; set "
                "alerting.runbooks.timeout instead"
            )
        return value


class OnCallPolicy(Model):
    critical_labels: dict[str, str] = {"severity": "critical"}
    paging_integrations: list[str] = [
        "pagerduty_configs",
        "opsgenie_configs",
        "victorops_configs",
        "webhook_configs",
    ]


class EscalationPolicy(Model):
    levels: list[str] = ["oncall-engineer", "tech-lead", "engineering-manager", "cto"]


class RollbackPolicy(Model):
    document: str | None = None
    command_pattern: str = r"kubectl rollout undo|helm rollback|argocd app rollback"
    min_revision_history: int = Field(1, ge=1)

    @field_validator("command_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"command_pattern is not a valid regular expression: {exc}") from None
        return value


class BackupPolicy(Model):
    frequency_hours: float = Field(24, gt=0)
    grace_hours: float = Field(2, ge=0)
    retention_days: int = Field(30, ge=1)
    size_collapse_ratio: float = Field(0.5, gt=0, lt=1)
    size_baseline: int = Field(7, ge=1)
    restore_drill_days: int = Field(90, ge=1)


class RecoveryObjective(Model):
    """A service's recovery time and recovery point objectives (OPS-DR-RTO-RPO)."""

    service: str = Field(min_length=1)
    #: Longest acceptable time from outage to service restored.
    rto_minutes: float = Field(gt=0)
    #: Longest acceptable window of lost data.
    rpo_minutes: float = Field(gt=0)
    #: The targets.backups names holding the service's data.
    backups: list[str] = []


class DrPolicy(Model):
    """Disaster recovery: objectives per service; drills are judged against them."""

    objectives: list[RecoveryObjective] = []
    #: Window of backups, in days, whose largest gap is compared with the RPO.
    rpo_window_days: int = Field(7, ge=1)

    @field_validator("objectives")
    @classmethod
    def _unique(cls, value: list[RecoveryObjective]) -> list[RecoveryObjective]:
        seen: set[str] = set()
        for objective in value:
            if objective.service in seen:
                raise ValueError(f"service {objective.service!r} has two objectives")
            seen.add(objective.service)
        return value


class LoggingPolicy(Model):
    retention_days: int = Field(30, ge=1)
    structured: bool = True
    lookback_minutes: int = Field(15, ge=1)
    service_label: str = "service"
    services: list[str] = []
    sample_lines: int = Field(50, ge=1, le=5000)
    structured_ratio: float = Field(0.95, gt=0, le=1)


class TracingPolicy(Model):
    lookback_minutes: int = Field(60, ge=1)
    services: list[str] = []


class GrafanaPolicy(Model):
    required_dashboards: list[str] = []
    default_admin_user: str = "admin"
    default_admin_password: str = "admin"


class ShutdownPolicy(Model):
    min_grace_seconds: int = Field(10, ge=0)
    require_pre_stop: bool = False


class PostmortemPolicy(Model):
    template: str | None = None
    required_sections: list[str] = [
        "summary",
        "impact",
        "timeline",
        "root cause",
        "action items",
    ]


class CicdPolicy(Model):
    pipeline_files: list[str] = []


class OperationsPolicy(Model):
    alertmanager: Endpoint | None = None
    prometheus: Endpoint | None = None
    runbooks: RunbookPolicy = RunbookPolicy()
    oncall: OnCallPolicy = OnCallPolicy()
    escalation: EscalationPolicy = EscalationPolicy()
    rollback: RollbackPolicy = RollbackPolicy()
    backups: BackupPolicy = BackupPolicy()
    dr: DrPolicy = DrPolicy()
    logging: LoggingPolicy = LoggingPolicy()
    tracing: TracingPolicy = TracingPolicy()
    grafana: GrafanaPolicy = GrafanaPolicy()
    shutdown: ShutdownPolicy = ShutdownPolicy()
    postmortem: PostmortemPolicy = PostmortemPolicy()
    cicd: CicdPolicy = CicdPolicy()


#: Controls whose attestations record a restore drill (and may carry its measured RTO).
DRILL_CONTROLS = ("OPS-DR-DRILL", "OPS-RESTORE-DRILL")


class Attestation(Model):
    """A human's statement that a control holds (or does not), valid for a while."""

    control: str
    status: Literal["passed", "failed"]
    explanation: str
    attested_by: str
    date: dt.date
    frequency: str | None = None
    expires: dt.date | None = None
    target: str = "*"
    #: the release version it is for (CI-DEPLOY-APPROVAL: that release's approval);
    #: empty: not tied to a release
    release: str = ""
    #: A restore drill's measured recovery time (OPS-DR-DRILL), outage to service restored.
    measured_rto_minutes: float | None = Field(None, gt=0)

    @field_validator("control")
    @classmethod
    def _known_control(cls, value: str) -> str:
        from readiness.controls import catalogue

        known = catalogue()
        if value not in known:
            close = difflib.get_close_matches(value, list(known), n=1)
            hint = f"did you mean {close[0]}? " if close else ""
            raise ValueError(
                f"unknown control {value!r}; {hint}`readiness controls` lists the catalogue"
            )
        return value

    @field_validator("explanation", "attested_by")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @field_validator("frequency")
    @classmethod
    def _frequency(cls, value: str | None) -> str | None:
        if value is not None:
            frequency_days(value)
        return value

    @model_validator(mode="after")
    def _validity(self) -> Attestation:
        if self.measured_rto_minutes is not None and self.control not in DRILL_CONTROLS:
            raise ValueError(
                f"attestation of {self.control}: measured_rto_minutes belongs to a restore "
                f"drill ({' or '.join(DRILL_CONTROLS)})"
            )
        if (self.frequency is None) == (self.expires is None):
            raise ValueError(
                f"attestation of {self.control}: give either frequency (e.g. '90d') or "
                "expires (a date), exactly one"
            )
        if self.expires is not None and self.expires < self.date:
            raise ValueError(
                f"attestation of {self.control}: expires {self.expires} is before its "
                f"date {self.date}"
            )
        return self

    @property
    def valid_until(self) -> dt.date:
        if self.expires is not None:
            return self.expires
        assert self.frequency is not None
        return self.date + dt.timedelta(days=frequency_days(self.frequency))


class OperationsSection(Model):
    """Top-level profile sections this family owns."""

    operations: OperationsPolicy = OperationsPolicy()
    attestations: list[Attestation] = []
