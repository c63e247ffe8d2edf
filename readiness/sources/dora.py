"""Read the DORA store for checks (open incidents), with a SourceError naming the store."""

from __future__ import annotations

from collections.abc import Sequence

from readiness import snapshot
from readiness.dora.model import DoraError, Incident
from readiness.dora.store import open_store, redact_location
from readiness.errors import SourceError


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
    try:
        store = open_store(location)
    except DoraError as exc:
        raise SourceError(redact_location(location), str(exc)) from None
    try:
        found = store.open_incidents(services, environment)
    except DoraError as exc:
        raise SourceError(store.location, str(exc)) from None
    finally:
        store.close()
    out: dict[str, list[Incident]] = {s: [] for s in services}
    for incident in found:
        out.setdefault(incident.service, []).append(incident)
    return out
