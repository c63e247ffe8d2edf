"""DORA maths against hand-computed values (time injected: no hidden clock)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from readiness.dora import metrics
from readiness.dora.metrics import Level, compute, weekly
from readiness.dora.model import Deployment, DeploymentKind, Incident

NOW = dt.datetime(2026, 11, 24, tzinfo=dt.UTC)
SINCE = NOW - dt.timedelta(days=30)
H = dt.timedelta(hours=1)
D = dt.timedelta(days=1)


def dep(
    ident: str,
    at: dt.datetime,
    lead: dt.timedelta | None = H,
    *,
    first: dt.timedelta | None = None,
    service: str = "cart",
    env: str = "production",
    kind: DeploymentKind = DeploymentKind.PLANNED,
) -> Deployment:
    return Deployment(
        id=ident,
        service=service,
        environment=env,
        deployed_at=at,
        commit_time=None if lead is None else at - lead,
        first_commit_time=None if first is None else at - first,
        kind=kind,
    )


def inc(
    ident: str,
    opened: dt.datetime,
    resolved: dt.datetime | None = None,
    deployment: str | None = None,
    service: str = "cart",
    env: str = "production",
) -> Incident:
    return Incident(
        id=ident,
        service=service,
        environment=env,
        opened_at=opened,
        resolved_at=resolved,
        deployment_id=deployment,
    )


def test_empty_period_has_no_values_and_no_levels() -> None:
    m = compute([], [], NOW, 30)
    assert m.deployment_frequency.deployments == 0
    assert m.deployment_frequency.per_day == 0
    assert m.deployment_frequency.level is None  # no data, not "low"
    assert (m.lead_time.sample, m.lead_time.median_s, m.lead_time.level) == (0, None, None)
    assert (m.change_failure_rate.rate, m.change_failure_rate.level) == (None, None)
    assert (m.time_to_restore.median_s, m.time_to_restore.still_open) == (None, 0)
    assert m.rework_rate.rate is None
    d = m.as_dict()
    assert d["window"] == {
        "since": "2026-10-25T00:00:00Z",
        "until": "2026-11-24T00:00:00Z",
        "days": 30,
    }
    assert d["lead_time"]["level"] is None


def test_one_deployment() -> None:
    m = compute([dep("d1", NOW - D, lead=2 * H)], [], NOW, 30)
    f = m.deployment_frequency
    assert f.deployments == 1
    assert f.per_day == pytest.approx(1 / 30)
    assert f.per_week == pytest.approx(7 / 30)
    assert f.level is Level.MEDIUM  # once a month exactly
    assert (m.lead_time.median_s, m.lead_time.p90_s) == (7200, 7200)
    assert m.lead_time.level is Level.ELITE
    assert (m.change_failure_rate.failed, m.change_failure_rate.rate) == (0, 0.0)
    assert m.change_failure_rate.level is Level.ELITE
    assert m.rework_rate.rate == 0.0


def test_window_edges_are_included_and_outside_excluded() -> None:
    deployments = [
        dep("before", SINCE - dt.timedelta(seconds=1)),
        dep("at-start", SINCE),
        dep("at-end", NOW),
        dep("after", NOW + dt.timedelta(seconds=1)),
    ]
    m = compute(deployments, [], NOW, 30)
    assert m.deployment_frequency.deployments == 2


def test_lead_time_median_of_even_count_and_nearest_rank_p90() -> None:
    deployments = [
        dep("a", NOW - 4 * D, lead=H),
        dep("b", NOW - 3 * D, lead=2 * H),
        dep("c", NOW - 2 * D, lead=3 * H),
        dep("d", NOW - 1 * D, lead=10 * H),
        dep("no-commit-time", NOW - 1 * D, lead=None),
    ]
    lt = compute(deployments, [], NOW, 30).lead_time
    assert lt.sample == 4  # the deployment without a commit time is not a sample
    assert lt.median_s == 2.5 * 3600
    assert lt.p90_s == 10 * 3600  # rank ceil(0.9 * 4) = 4
    assert lt.level is Level.ELITE


def test_lead_time_starts_at_the_earliest_commit_of_the_change() -> None:
    d = dep("a", NOW - D, lead=H, first=3 * D)
    lt = compute([d], [], NOW, 30).lead_time
    assert lt.median_s == 3 * 86400
    assert lt.level is Level.HIGH


def test_change_failure_rate_counts_each_failed_deployment_once() -> None:
    deployments = [dep(f"d{i}", NOW - (i + 1) * D) for i in range(4)]
    incidents = [
        inc("i1", NOW - 1 * D + H, NOW - 1 * D + 2 * H, deployment="d0"),
        inc("i2", NOW - 1 * D + 3 * H, None, deployment="d0"),
        inc("i3", NOW - 3 * D + H, NOW - 3 * D + 2 * H, deployment="d2"),
        inc("unlinked", NOW - 2 * D, NOW - 2 * D + H),
    ]
    cfr = compute(deployments, incidents, NOW, 30).change_failure_rate
    assert (cfr.sample, cfr.failed, cfr.rate) == (4, 2, 0.5)
    assert cfr.level is Level.LOW


def test_incident_linked_to_a_deployment_outside_the_window_is_not_a_failure_of_it() -> None:
    deployments = [dep("old", SINCE - D), dep("new", NOW - D)]
    incidents = [inc("i1", SINCE + H, SINCE + 2 * H, deployment="old")]
    cfr = compute(deployments, incidents, NOW, 30).change_failure_rate
    assert (cfr.sample, cfr.failed, cfr.rate) == (1, 0, 0.0)


def test_time_to_restore_spanning_the_window_edge_and_unresolved() -> None:
    incidents = [
        inc("spans-start", SINCE - 2 * D, SINCE + H),  # 49 h, resolved in the window
        inc("short", NOW - 5 * D, NOW - 5 * D + dt.timedelta(minutes=30)),  # 30 min
        inc("mid", NOW - 4 * D, NOW - 4 * D + 2 * H),  # 2 h
        inc("resolved-before", SINCE - 3 * D, SINCE - 2 * D),  # outside
        inc("open", NOW - 2 * D),  # unresolved
        inc("resolved-later", NOW - H, NOW + H),  # open at the window's end
    ]
    ttr = compute([], incidents, NOW, 30).time_to_restore
    assert ttr.sample == 3
    assert ttr.median_s == 2 * 3600
    assert ttr.p90_s == 49 * 3600
    assert ttr.still_open == 2
    assert ttr.level is Level.HIGH


def test_rework_rate_counts_rollbacks_and_hotfixes() -> None:
    deployments = [
        dep("a", NOW - 1 * D),
        dep("b", NOW - 2 * D, kind=DeploymentKind.ROLLBACK),
        dep("c", NOW - 3 * D, kind=DeploymentKind.HOTFIX),
        dep("d", NOW - 4 * D),
        dep("e", NOW - 5 * D),
    ]
    rw = compute(deployments, [], NOW, 30).rework_rate
    assert (rw.sample, rw.rollbacks, rw.hotfixes, rw.rate) == (5, 1, 1, 0.4)


def test_filters_by_service_and_environment() -> None:
    deployments = [
        dep("a", NOW - D, service="cart"),
        dep("b", NOW - D, service="search"),
        dep("c", NOW - D, service="cart", env="staging"),
    ]
    incidents = [inc("i", NOW - D + H, deployment="b", service="search")]
    cart = compute(deployments, incidents, NOW, 30, ["cart"], "production")
    assert cart.deployment_frequency.deployments == 1
    assert cart.time_to_restore.still_open == 0
    search = compute(deployments, incidents, NOW, 30, ["search"], "production")
    assert search.change_failure_rate.rate == 1.0
    every = compute(deployments, incidents, NOW, 30)
    assert every.deployment_frequency.deployments == 3


def test_ties_in_time_are_all_counted() -> None:
    same = NOW - D
    m = compute([dep("a", same, lead=H), dep("b", same, lead=H)], [], NOW, 30)
    assert m.deployment_frequency.deployments == 2
    assert m.lead_time.median_s == 3600


# Each metric's level boundaries: (level function, [(value, level), ...]).
LEVEL_BOUNDARIES = {
    "frequency": (
        metrics.frequency_level,
        [
            (2, Level.ELITE),
            (1, Level.ELITE),
            (0.99, Level.HIGH),
            (1 / 7, Level.HIGH),
            (0.14, Level.MEDIUM),
            (1 / 30, Level.MEDIUM),
            (0.03, Level.LOW),
            (0, Level.LOW),
        ],
    ),
    "lead_time": (
        metrics.lead_time_level,
        [
            (3600, Level.ELITE),
            (86399, Level.ELITE),
            (86400, Level.HIGH),
            (7 * 86400, Level.HIGH),
            (7 * 86400 + 1, Level.MEDIUM),
            (30 * 86400, Level.MEDIUM),
            (31 * 86400, Level.LOW),
        ],
    ),
    "failure_rate": (
        metrics.failure_rate_level,
        [
            (0.0, Level.ELITE),
            (0.05, Level.ELITE),
            (0.051, Level.HIGH),
            (0.10, Level.HIGH),
            (0.15, Level.MEDIUM),
            (0.16, Level.LOW),
            (1.0, Level.LOW),
        ],
    ),
    "restore": (
        metrics.restore_level,
        [
            (59 * 60, Level.ELITE),
            (3600, Level.HIGH),
            (86399, Level.HIGH),
            (86400, Level.MEDIUM),
            (7 * 86400, Level.LOW),
        ],
    ),
}


@pytest.mark.parametrize(
    ("level_of", "value", "level"),
    [
        pytest.param(level_of, value, level, id=f"{name}-{value:g}-{level.name}")
        for name, (level_of, cases) in LEVEL_BOUNDARIES.items()
        for value, level in cases
    ],
)
def test_levels(level_of: Callable[[float], Level], value: float, level: Level) -> None:
    assert level_of(value) is level


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([5, 5, 5, 1], 50, 5),
        ([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90, 9),
        ([7], 90, 7),
        ([1, 2], 90, 2),
        ([], 90, None),
    ],
)
def test_percentile_nearest_rank(values: list[float], p: float, expected: float | None) -> None:
    assert metrics.percentile(values, p) == expected


def test_days_must_be_positive() -> None:
    with pytest.raises(ValueError, match="days must be positive"):
        compute([], [], NOW, 0)


def test_weekly_points_oldest_first_with_boundaries_in_one_week() -> None:
    deployments = [
        dep("w0-a", NOW - D),
        dep("w0-b", NOW - 2 * D),
        dep("boundary", NOW - 7 * D),  # exactly on the boundary: the older week
        dep("w2", NOW - 15 * D, kind=DeploymentKind.HOTFIX),
    ]
    incidents = [inc("i", NOW - 15 * D + H, NOW - 15 * D + 3 * H, deployment="w2")]
    points = weekly(deployments, incidents, NOW, weeks=3)
    assert [p.until for p in points] == [NOW - 14 * D, NOW - 7 * D, NOW]
    assert [p.deployments for p in points] == [1, 1, 2]
    assert points[0].change_failure_rate == 1.0
    assert points[0].rework_rate == 1.0
    assert points[0].time_to_restore_median_s == 2 * 3600
    assert points[2].time_to_restore_median_s is None
    assert points[1].as_dict()["week_ending"] == "2026-11-17T00:00:00Z"


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "n/a"), (30, "30 s"), (600, "10 min"), (3 * 3600, "3.0 h"), (3 * 86400, "3.0 d")],
)
def test_describe_duration(seconds: float | None, text: str) -> None:
    assert metrics.describe_duration(seconds) == text


def test_time_to_restore_per_severity_with_mean_and_median() -> None:
    def inc(ident: str, severity: str, hours: float) -> Incident:
        opened = NOW - 2 * D
        return Incident(
            ident,
            "cart",
            "production",
            opened,
            severity=severity,
            resolved_at=opened + dt.timedelta(hours=hours),
        )

    restored = [inc("a", "SEV1", 1), inc("b", "SEV1", 2), inc("c", "SEV1", 9), inc("d", "SEV3", 4)]
    restored.append(inc("e", "", 6))
    ttr = compute([], restored, NOW).as_dict()["time_to_restore"]
    assert isinstance(ttr, dict)
    assert (ttr["sample"], ttr["median_seconds"], ttr["mean_seconds"]) == (5, 4 * 3600, 15840)
    sev1 = ttr["by_severity"]["SEV1"]
    assert (sev1["sample"], sev1["median_seconds"], sev1["mean_seconds"]) == (3, 7200, 4 * 3600)
    assert list(ttr["by_severity"]) == ["SEV1", "SEV3", "unset"]
    assert ttr["by_severity"]["unset"]["mean_seconds"] == 6 * 3600
