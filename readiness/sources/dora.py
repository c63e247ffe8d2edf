"""Read the DORA store for checks (open incidents), with a SourceError naming the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import TypeVar

from readiness import snapshot
from readiness.dora.model import DoraError, GateRun, Incident, iso
from readiness.dora.store import Store, open_store, redact_location
from readiness.errors import SourceError

T = TypeVar("T")


def open_incidents(
    location: str, services: Sequence[str], environment: str
) -> dict[str, list[Incident]]:
    """Open incidents per service of ``environment`` (kept in an evidence snapshot)."""
    key = ("open incidents", redact_location(location), tuple(services), environment)
    return snapshot.through(
        "dora",
        redact_location(location),
        key,
        lambda: _open_incidents(location, services, environment),
    )


def _open_incidents(
    location: str, services: Sequence[str], environment: str
) -> dict[str, list[Incident]]:
    found = _read(location, lambda s: s.open_incidents(services, environment))
    out: dict[str, list[Incident]] = {s: [] for s in services}
    for incident in found:
        out.setdefault(incident.service, []).append(incident)
    return out


def passed_runs(location: str, environment: str, version: str, since: dt.datetime) -> list[GateRun]:
    """Passed gate runs of ``version`` in ``environment`` since ``since`` (snapshot-kept)."""
    key = ("passed runs", redact_location(location), environment, version, iso(since))
    return snapshot.through(
        "dora",
        redact_location(location),
        key,
        lambda: _read(location, lambda s: s.passed_runs(environment, version, since)),
    )


def incidents(
    location: str,
    services: Sequence[str],
    environment: str,
    since: dt.datetime,
    until: dt.datetime,
) -> dict[str, list[Incident]]:
    """Incidents per service of ``environment`` that overlap [since, until] (snapshot-kept)."""
    key = ("incidents", redact_location(location), tuple(services), environment, iso(since))
    found = snapshot.through(
        "dora",
        redact_location(location),
        key,
        lambda: _read(location, lambda s: s.incidents(since, until, services, environment)),
    )
    out: dict[str, list[Incident]] = {s: [] for s in services}
    for incident in found:
        out.setdefault(incident.service, []).append(incident)
    return out


def _read(location: str, read: Callable[[Store], T]) -> T:
    try:
        store = open_store(location)
    except DoraError as exc:
        raise SourceError(redact_location(location), str(exc)) from None
    try:
        return read(store)
    except DoraError as exc:
        raise SourceError(store.location, str(exc)) from None
    finally:
        store.close()
