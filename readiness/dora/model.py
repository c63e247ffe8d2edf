"""What the DORA store holds: gate runs, deployments and incidents (typed, frozen)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from enum import StrEnum

from readiness.errors import ReadinessError

#: what a gate run wrote to the DORA store, beside its reports
RECEIPT_NAME = "dora-record.json"


class DoraError(ReadinessError):
    """Bad DORA input (dates, ids, order of events): nothing was stored."""


class StoreError(DoraError):
    """The store could not be opened or written; names the store (without credentials)."""

    def __init__(self, store: str, message: str):
        self.store = store
        self.reason = message
        super().__init__(f"DORA store {store}: {message}")


class DeploymentKind(StrEnum):
    """``planned`` releases, or the unplanned ``rollback`` and ``hotfix`` (rework)."""

    PLANNED = "planned"
    ROLLBACK = "rollback"
    HOTFIX = "hotfix"


@dataclass(frozen=True, slots=True)
class GateRun:
    id: str
    profile: str
    environment: str
    passed: bool
    started_at: dt.datetime
    finished_at: dt.datetime
    commit: str = ""
    services: tuple[str, ...] = ()
    summary: tuple[tuple[str, int], ...] = ()
    version: str = ""  # release.version the run judged ("" before schema 3)


@dataclass(frozen=True, slots=True)
class Deployment:
    id: str
    service: str
    environment: str
    deployed_at: dt.datetime
    version: str = ""
    commit: str = ""
    commit_time: dt.datetime | None = None  # the deployed (newest) commit
    first_commit_time: dt.datetime | None = None  # the earliest commit of the change
    run_id: str = ""
    kind: DeploymentKind = DeploymentKind.PLANNED

    @property
    def change_started(self) -> dt.datetime | None:
        """Where lead time starts: the earliest commit of the change when known."""
        return self.first_commit_time or self.commit_time

    @property
    def unplanned(self) -> bool:
        return self.kind is not DeploymentKind.PLANNED


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    service: str
    environment: str
    opened_at: dt.datetime
    severity: str = ""
    title: str = ""
    resolved_at: dt.datetime | None = None
    deployment_id: str | None = None
    source: str = "manual"  # "manual" or "gate" (opened by a failing run)
    opened_by_run: str = ""
    resolved_by_run: str = ""
    postmortem_url: str = ""  # the post-mortem document (user-info and query masked)
    postmortem_at: dt.datetime | None = None  # when it was first linked


@dataclass(frozen=True, slots=True)
class GateIncidents:
    """What a gate run does to incidents of one service: open one, or resolve open ones."""

    service: str
    environment: str
    at: dt.datetime
    run_id: str
    open: bool  # True: open (if none is open); False: resolve the gate's open incidents
    severity: str = ""
    title: str = ""
    link_latest_deployment: bool = True


@dataclass(frozen=True, slots=True)
class Batch:
    """Everything one gate run records, written in one transaction (all or nothing)."""

    run: GateRun | None = None
    deployments: tuple[Deployment, ...] = ()
    incidents: tuple[GateIncidents, ...] = ()


@dataclass(frozen=True, slots=True)
class Written:
    """What a batch changed; re-applying the same batch changes nothing."""

    run_recorded: bool = False
    deployments: tuple[str, ...] = ()
    deployments_existing: tuple[str, ...] = ()
    incidents_opened: tuple[str, ...] = ()
    incidents_resolved: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default=())

    def as_dict(self) -> dict[str, object]:
        return {
            "run": self.run_recorded,
            "deployments": list(self.deployments),
            "deployments_already_recorded": list(self.deployments_existing),
            "incidents_opened": list(self.incidents_opened),
            "incidents_resolved": list(self.incidents_resolved),
        }


_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:@/+-]{0,199}$")


def postmortem_link(url: str) -> str:
    """A post-mortem URL as stored: http(s) with a host, user-info and query values
    masked (a link must never carry a credential into the store or the reports)."""
    from urllib.parse import urlsplit

    from readiness.redact import safe_url

    text = url.strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise DoraError(
            f"post-mortem link {safe_url(text)!r} is not an http(s) URL: give the "
            "document's address, e.g. https://wiki.example.com/postmortems/INC-001"
        )
    if len(text) > 2000:
        raise DoraError("post-mortem link is longer than 2000 characters")
    return safe_url(text)


def check_id(kind: str, value: str) -> str:
    if not _ID.match(value):
        raise DoraError(
            f"{kind} id {value!r} is not valid: use 1-200 letters, digits and . _ : @ / + -"
        )
    return value


def parse_time(value: str, what: str = "time") -> dt.datetime:
    """ISO 8601 (``2026-11-20T10:00:00Z``, ``+01:00`` offsets, a bare date = midnight UTC)
    or Unix seconds. A time without an offset is taken as UTC."""
    text = value.strip()
    if re.fullmatch(r"\d{9,11}(\.\d+)?", text):
        return dt.datetime.fromtimestamp(float(text), dt.UTC)
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise DoraError(
            f"{what} {value!r} is not a date: use ISO 8601 such as 2026-11-20T10:00:00Z "
            "or Unix seconds"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def iso(t: dt.datetime | None) -> str | None:
    if t is None:
        return None
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_epoch(t: dt.datetime) -> int:
    if t.tzinfo is None:
        raise DoraError(f"time {t.isoformat()} has no time zone")
    return int(t.timestamp())


def from_epoch(value: int | None) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromtimestamp(int(value), dt.UTC)
