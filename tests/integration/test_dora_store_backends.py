"""The store contract, on SQLite and on a real PostgreSQL: idempotent writes, incident
linking, atomic batches, bad input refused with nothing stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.dora.model import (
    Batch,
    Deployment,
    DeploymentKind,
    DoraError,
    GateIncidents,
    GateRun,
    Incident,
    StoreError,
)
from readiness.dora.store import SCHEMA_VERSION, Store, gate_incident_id, open_store

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 24, 12, tzinfo=dt.UTC)
H = dt.timedelta(hours=1)


@pytest.fixture
def store(dora_location: str) -> Iterator[Store]:
    s = open_store(dora_location)
    yield s
    s.close()


def run(ident: str, passed: bool = True, at: dt.datetime = NOW) -> GateRun:
    return GateRun(
        id=ident,
        profile="production",
        environment="production",
        passed=passed,
        started_at=at - H,
        finished_at=at,
        commit="abc123",
        services=("cart",),
        summary=(("failed", 0), ("passed", 4)),
    )


def deployment(
    ident: str, at: dt.datetime, service: str = "cart", version: str = "1.0"
) -> Deployment:
    return Deployment(
        id=ident,
        service=service,
        environment="production",
        deployed_at=at,
        version=version,
        commit_time=at - H,
    )


def test_schema_is_migrated_once_and_reopening_keeps_it(store: Store, dora_location: str) -> None:
    assert store.schema_version() == SCHEMA_VERSION
    again = open_store(dora_location)
    try:
        assert again.schema_version() == SCHEMA_VERSION
        assert again.counts() == {"gate_runs": 0, "deployments": 0, "incidents": 0}
    finally:
        again.close()


def test_recording_the_same_batch_twice_changes_nothing(store: Store) -> None:
    batch = Batch(
        run=run("r1"),
        deployments=(deployment("r1:cart", NOW), deployment("r1:search", NOW, "search")),
    )
    first = store.apply(batch, NOW)
    assert first.run_recorded
    assert first.deployments == ("r1:cart", "r1:search")
    second = store.apply(batch, NOW + H)
    assert not second.run_recorded
    assert second.deployments == ()
    assert second.deployments_existing == ("r1:cart", "r1:search")
    assert store.counts() == {"gate_runs": 1, "deployments": 2, "incidents": 0}


def test_a_changed_deployment_under_an_existing_id_is_not_overwritten(store: Store) -> None:
    assert store.record_deployment(deployment("d1", NOW - H), NOW)
    assert not store.record_deployment(deployment("d1", NOW, version="9.9"), NOW)
    (stored,) = store.deployments(NOW - 2 * H, NOW)
    assert (stored.deployed_at, stored.version) == (NOW - H, "1.0")


def test_deployments_round_trip_with_all_fields(store: Store) -> None:
    d = Deployment(
        id="d1",
        service="cart",
        environment="production",
        deployed_at=NOW,
        version="2.0",
        commit="f00",
        commit_time=NOW - 2 * H,
        first_commit_time=NOW - 5 * H,
        run_id="r9",
        kind=DeploymentKind.HOTFIX,
    )
    store.record_deployment(d, NOW)
    assert store.deployments(NOW - H, NOW, ["cart"], "production") == [d]
    assert store.deployments(NOW - H, NOW, ["search"]) == []
    assert store.deployments(NOW - H, NOW, environment="staging") == []


def test_gate_incident_opens_once_links_latest_prior_deployment_and_resolves(
    store: Store,
) -> None:
    store.record_deployment(deployment("old", NOW - 5 * H), NOW)
    store.record_deployment(deployment("latest", NOW - 2 * H), NOW)
    store.record_deployment(deployment("after", NOW + H), NOW)
    store.record_deployment(deployment("other-service", NOW - H, "search"), NOW)
    failing = GateIncidents("cart", "production", NOW, "run-1", open=True, severity="SEV2")
    w1 = store.apply(Batch(run=run("run-1", passed=False), incidents=(failing,)), NOW)
    incident_id = gate_incident_id("cart", "production", "run-1")
    assert w1.incidents_opened == (incident_id,)
    again = GateIncidents("cart", "production", NOW + H, "run-2", open=True)
    w2 = store.apply(Batch(run=run("run-2", passed=False, at=NOW + H), incidents=(again,)), NOW)
    assert w2.incidents_opened == ()  # one open gate incident per service at a time
    stored = store.incident(incident_id)
    assert stored is not None
    assert stored.deployment_id == "latest"
    assert (stored.severity, stored.source, stored.opened_by_run) == ("SEV2", "gate", "run-1")
    passing = GateIncidents("cart", "production", NOW + 2 * H, "run-3", open=False)
    w3 = store.apply(Batch(run=run("run-3", at=NOW + 2 * H), incidents=(passing,)), NOW)
    assert w3.incidents_resolved == (incident_id,)
    resolved = store.incident(incident_id)
    assert resolved is not None
    assert (resolved.resolved_at, resolved.resolved_by_run) == (NOW + 2 * H, "run-3")
    w4 = store.apply(Batch(run=run("run-3", at=NOW + 2 * H), incidents=(passing,)), NOW)
    assert w4.incidents_resolved == ()


def test_manual_incident_open_resolve_and_idempotency(store: Store) -> None:
    store.record_deployment(deployment("d1", NOW - 3 * H), NOW)
    opened, new = store.open_incident(
        Incident("INC-001", "cart", "production", NOW - H, severity="SEV1"), NOW
    )
    assert new and opened.deployment_id == "d1"
    same, new_again = store.open_incident(
        Incident("INC-001", "cart", "production", NOW, severity="SEV3"), NOW
    )
    assert not new_again and same.severity == "SEV1"
    resolved, changed = store.resolve_incident("INC-001", NOW, NOW)
    assert changed and resolved.resolved_at == NOW
    again, changed_again = store.resolve_incident("INC-001", NOW + H, NOW)
    assert not changed_again and again.resolved_at == NOW


def test_incident_without_link_and_without_prior_deployment(store: Store) -> None:
    store.record_deployment(deployment("d1", NOW - 3 * H), NOW)
    unlinked, _ = store.open_incident(
        Incident("INC-2", "cart", "production", NOW), NOW, link_latest_deployment=False
    )
    assert unlinked.deployment_id is None
    nothing_before, _ = store.open_incident(Incident("INC-3", "search", "production", NOW), NOW)
    assert nothing_before.deployment_id is None


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("resolve-unknown", "unknown incident id 'INC-404'"),
        ("resolve-before-open", "is before it opened"),
        ("unknown-deployment", "unknown deployment id 'nope'"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    store: Store, action: str, message: str
) -> None:
    store.open_incident(Incident("INC-1", "cart", "production", NOW), NOW)
    before = store.counts()
    with pytest.raises(DoraError, match=message):
        if action == "resolve-unknown":
            store.resolve_incident("INC-404", NOW, NOW)
        elif action == "resolve-before-open":
            store.resolve_incident("INC-1", NOW - H, NOW)
        else:
            store.open_incident(
                Incident("INC-9", "cart", "production", NOW, deployment_id="nope"), NOW
            )
    assert store.counts() == before
    stored = store.incident("INC-1")
    assert stored is not None and stored.resolved_at is None


def test_a_batch_that_fails_half_way_leaves_nothing(store: Store) -> None:
    naive = dt.datetime(2026, 11, 24, 12)  # no time zone: refused while writing
    batch = Batch(
        run=run("r1"),
        deployments=(deployment("ok", NOW), deployment("bad", naive)),
    )
    with pytest.raises(DoraError, match="has no time zone"):
        store.apply(batch, NOW)
    assert store.counts() == {"gate_runs": 0, "deployments": 0, "incidents": 0}


def test_incidents_overlapping_the_window_are_read(store: Store) -> None:
    for ident, opened, resolved in [
        ("before", NOW - 50 * H, NOW - 40 * H),
        ("spans", NOW - 30 * H, NOW - 10 * H),
        ("inside", NOW - 5 * H, NOW - 4 * H),
        ("open", NOW - 3 * H, None),
        ("later", NOW + H, None),
    ]:
        store.open_incident(
            Incident(ident, "cart", "production", opened, resolved_at=resolved), NOW
        )
    got = store.incidents(NOW - 20 * H, NOW)
    assert [i.id for i in got] == ["spans", "inside", "open"]


def test_unreachable_store_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StoreError, match="cannot open"):
        open_store(str(blocker / "dora.sqlite"))
    with pytest.raises(StoreError, match=r"postgresql://u:\*\*\*@127\.0\.0\.1:1/x.*connecting"):
        open_store("postgresql://u:hunter2@127.0.0.1:1/x")


def test_an_older_schema_is_migrated_forward_keeping_its_records(
    dora_location: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from readiness.dora import store as store_module

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    old = open_store(dora_location)
    assert old.schema_version() == 1
    old.record_deployment(deployment("d1", NOW), NOW)
    old.close()
    monkeypatch.undo()
    new = open_store(dora_location)
    try:
        assert new.schema_version() == SCHEMA_VERSION > 1
        assert [d.id for d in new.deployments(NOW - H, NOW)] == ["d1"]
        assert [d.id for d in new.deployments(NOW - H, NOW, ["cart"], full=False)] == ["d1"]
    finally:
        new.close()


def test_a_newer_schema_is_refused(dora_location: str, monkeypatch: pytest.MonkeyPatch) -> None:
    open_store(dora_location).close()
    from readiness.dora import store as store_module

    monkeypatch.setattr(store_module, "SCHEMA_VERSION", 1)
    with pytest.raises(StoreError, match="newer than this readiness"):
        open_store(dora_location)
