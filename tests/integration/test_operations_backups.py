"""Backups against real files the tests create and a real Prometheus metric."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.profile.operations import BackupLocation
from readiness.rules.operations_backups import freshness, retention, size_collapse
from readiness.sources.api import ApiClient
from readiness.sources.backups import read_directory, read_metric
from readiness.sources.prometheus import PrometheusClient
from tests.fixtures.operations import PromStack

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 24, 6, 0, tzinfo=dt.UTC)


def _write_daily(
    directory: Path,
    days: int,
    *,
    skip: tuple[int, ...] = (),
    sizes: dict[int, int] | None = None,
    newest_age_days: int = 0,
) -> None:
    """One dump per day at 02:00, ``days`` of them, the newest ``newest_age_days`` old."""
    directory.mkdir(parents=True, exist_ok=True)
    for age in range(newest_age_days, newest_age_days + days):
        if age in skip:
            continue
        stamp = (NOW - dt.timedelta(days=age)).replace(hour=2, minute=0)
        size = (sizes or {}).get(age, 1000)
        (directory / f"shop-{stamp:%Y-%m-%dT%H%M%S}Z.sql.gz").write_bytes(b"x" * size)
    (directory / "README").write_text("not a backup")


def _location(directory: Path, **kw: object) -> BackupLocation:
    return BackupLocation.model_validate(
        {"name": "shop-db", "directory": str(directory), "pattern": "*.sql.gz", **kw}
    )


def test_fresh_complete_backups_pass(tmp_path: Path) -> None:
    _write_daily(tmp_path / "b", 31)
    found = read_directory(_location(tmp_path / "b"), tmp_path)
    assert len(found.backups) == 31
    assert found.heads[0].taken_at == dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
    assert freshness(found, NOW, 24, 2) == []
    assert retention(found, NOW, 30, 24, 2) == []
    assert size_collapse(found, 0.5, 7) == []


def test_stale_backup_fails_freshness(tmp_path: Path) -> None:
    _write_daily(tmp_path / "b", 31, newest_age_days=3)
    found = read_directory(_location(tmp_path / "b"), tmp_path)
    (finding,) = freshness(found, NOW, 24, 2)
    assert (
        finding.message
        == "newest backup of shop-db (shop-2026-11-21T020000Z.sql.gz) is 3.2 days old"
    )
    assert finding.expected == "at most 26.0 h (every 24 h + 2 h grace)"


def test_gaps_and_short_history_fail_retention(tmp_path: Path) -> None:
    _write_daily(tmp_path / "b", 12, skip=(4, 5))
    found = read_directory(_location(tmp_path / "b"), tmp_path)
    messages = [f.message for f in retention(found, NOW, 30, 24, 2)]
    assert messages == [
        "backups of shop-db reach back only 11.2 days",
        "backups of shop-db have 1 gap in the last 30 days",
    ]
    gap = retention(found, NOW, 30, 24, 2)[1]
    assert gap.found == "2026-11-18 02:00 -> 2026-11-21 02:00 (3.0 days)"


def test_shrunk_backup_fails_size(tmp_path: Path) -> None:
    _write_daily(tmp_path / "b", 10, sizes={0: 120})
    found = read_directory(_location(tmp_path / "b"), tmp_path)
    (finding,) = size_collapse(found, 0.5, 7)
    assert "is 120 bytes, 12% of the median of the 7 before it" in finding.message


def test_mtime_timestamps(tmp_path: Path) -> None:
    directory = tmp_path / "b"
    directory.mkdir()
    for age in range(3):
        path = directory / f"dump-{age}.tar"
        path.write_bytes(b"y" * 10)
        when = (NOW - dt.timedelta(days=age)).timestamp()
        os.utime(path, (when, when))
    found = read_directory(_location(directory, pattern="*.tar", timestamp_from="mtime"), tmp_path)
    assert [b.name for b in found.backups] == ["dump-2.tar", "dump-1.tar", "dump-0.tar"]
    assert freshness(found, NOW, 24, 2) == []


def test_empty_directory_has_no_backup(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    found = read_directory(_location(tmp_path / "b"), tmp_path)
    (finding,) = freshness(found, NOW, 24, 2)
    assert finding.message == "no backup found for shop-db"


def test_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(
        SourceError, match=r"backup shop-db: backup directory .*/nope does not exist"
    ):
        read_directory(_location(tmp_path / "nope"), tmp_path)


def test_file_instead_of_directory_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    with pytest.raises(SourceError, match="is not a directory"):
        read_directory(_location(tmp_path / "f"), tmp_path)


def test_relative_directory_resolves_against_the_base(tmp_path: Path) -> None:
    _write_daily(tmp_path / "rel", 2)
    found = read_directory(_location(Path("rel")), tmp_path)
    assert len(found.backups) == 2


def test_metric_freshness_from_real_prometheus(ops_prometheus: PromStack) -> None:
    prom = PrometheusClient(ApiClient("prometheus", Endpoint(url=ops_prometheus.prometheus)))
    now = dt.datetime.now(dt.UTC)
    fresh = BackupLocation(
        name="db-fresh", metric='backup_last_success_timestamp_seconds{instance="db-fresh"}'
    )
    found = read_metric(fresh, prom, now, 24, 7)
    assert found.heads[0].taken_at == dt.datetime.fromtimestamp(int(ops_prometheus.fresh), dt.UTC)
    assert freshness(found, now, 24, 2) == []

    every = BackupLocation(name="all-dbs", metric="backup_last_success_timestamp_seconds")
    both = read_metric(every, prom, now, 24, 7)
    assert len(both.heads) == 2
    (finding,) = freshness(both, now, 24, 2)
    assert 'instance="db-stale"' in finding.message and "3.0 days old" in finding.message


def test_metric_that_matches_nothing_has_no_backup(ops_prometheus: PromStack) -> None:
    prom = PrometheusClient(ApiClient("prometheus", Endpoint(url=ops_prometheus.prometheus)))
    loc = BackupLocation(name="ghost", metric='backup_last_success_timestamp_seconds{job="ghost"}')
    found = read_metric(loc, prom, dt.datetime.now(dt.UTC), 24, 7)
    assert [f.message for f in freshness(found, dt.datetime.now(dt.UTC), 24, 2)] == [
        "no backup found for ghost"
    ]


def test_bad_promql_is_a_source_error(ops_prometheus: PromStack) -> None:
    prom = PrometheusClient(ApiClient("prometheus", Endpoint(url=ops_prometheus.prometheus)))
    loc = BackupLocation(name="bad", metric="backup_last_success_timestamp_seconds{")
    with pytest.raises(SourceError, match="prometheus"):
        read_metric(loc, prom, dt.datetime.now(dt.UTC), 24, 7)


def test_metric_sizes_over_time_from_real_prometheus(ops_prometheus: PromStack) -> None:
    prom = PrometheusClient(ApiClient("prometheus", Endpoint(url=ops_prometheus.prometheus)))
    now = dt.datetime.fromtimestamp(ops_prometheus.started, dt.UTC)  # inside the backfill
    loc = BackupLocation(
        name="db-fresh",
        metric='backup_last_success_timestamp_seconds{instance="db-fresh"}',
        size_metric='backup_size_bytes{instance="db-fresh"}',
    )
    found = read_metric(loc, prom, now, 24, 7)
    sizes = [b.size for b in found.backups]
    assert len(sizes) == 8 and sizes[-1] == 4000
    assert all(s is not None and s >= 50_000 for s in sizes[:-1])
    (finding,) = size_collapse(found, 0.5, 7)
    assert "is 4000 bytes" in finding.message
