"""Backups as evidence: timestamped files in a directory, or a last-success metric."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from readiness import snapshot
from readiness.errors import SourceError
from readiness.profile.operations import BackupLocation
from readiness.rules.operations_backups import Backup, BackupSet
from readiness.sources.prometheus import PrometheusClient

_STAMP = re.compile(
    r"(?<!\d)(?P<y>\d{4})-?(?P<mo>\d{2})-?(?P<d>\d{2})"
    r"(?:[T_ .-]?(?P<h>\d{2})[:-]?(?P<mi>\d{2})(?:[:-]?(?P<s>\d{2}))?)?(?!\d)"
)


def timestamp_in_name(name: str) -> dt.datetime | None:
    """``db-2026-11-23T0200.sql.gz``, ``db_20261123_020000.dump``… as UTC; None if absent."""
    for match in _STAMP.finditer(name):
        parts = {k: int(v) if v else 0 for k, v in match.groupdict().items()}
        try:
            return dt.datetime(
                parts["y"],
                parts["mo"],
                parts["d"],
                parts["h"],
                parts["mi"],
                parts["s"],
                tzinfo=dt.UTC,
            )
        except ValueError:
            continue
    return None


def read_directory(location: BackupLocation, base: Path) -> BackupSet:
    """Every backup file matching the location's pattern, oldest first."""
    key = ("backups", location.name, str(location.directory), location.pattern, str(base))
    return snapshot.through(
        "listing", f"backup {location.name}", key, lambda: _read_directory(location, base)
    )


def _read_directory(location: BackupLocation, base: Path) -> BackupSet:
    assert location.directory is not None
    directory = Path(location.directory)
    if not directory.is_absolute():
        directory = base / directory
    if not directory.exists():
        raise SourceError(f"backup {location.name}", f"backup directory {directory} does not exist")
    if not directory.is_dir():
        raise SourceError(f"backup {location.name}", f"{directory} is not a directory")
    backups: list[Backup] = []
    try:
        entries = sorted(directory.glob(location.pattern))
    except OSError as exc:
        raise SourceError(
            f"backup {location.name}", f"cannot list {directory}: {exc.strerror}"
        ) from None
    for path in entries:
        try:
            if not path.is_file():
                continue
            stat = path.stat()
        except OSError as exc:
            raise SourceError(
                f"backup {location.name}", f"cannot read {path}: {exc.strerror}"
            ) from None
        taken = timestamp_in_name(path.name) if location.timestamp_from == "name" else None
        if taken is None:
            taken = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
        backups.append(Backup(path.name, taken, stat.st_size))
    backups.sort(key=lambda b: b.taken_at)
    return BackupSet(location.name, "directory", tuple(backups), tuple(backups[-1:]))


def _series_name(metric: dict[str, str]) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(metric.items()) if k != "__name__")
    return f"{metric.get('__name__', '')}{{{labels}}}"


def read_metric(
    location: BackupLocation,
    prometheus: PrometheusClient,
    now: dt.datetime,
    frequency_hours: float,
    baseline: int,
) -> BackupSet:
    """The last success of each series of the location's metric, and sizes over time."""
    assert location.metric is not None
    heads = []
    for series in prometheus.query(location.metric, time=now.timestamp()):
        try:
            stamp = float(series["value"][1])
        except (KeyError, IndexError, TypeError, ValueError):
            raise SourceError(
                prometheus.name, f"unexpected sample for {location.metric}: {series!r}"
            ) from None
        heads.append(
            Backup(_series_name(series.get("metric", {})), dt.datetime.fromtimestamp(stamp, dt.UTC))
        )
    heads.sort(key=lambda b: b.taken_at)
    backups: list[Backup] = list(heads)
    if location.size_metric:
        step = frequency_hours * 3600
        end = now.timestamp()
        start = end - step * baseline  # baseline + 1 points: the newest and those before
        sized: list[Backup] = []
        for series in prometheus.query_range(location.size_metric, start, end, step):
            name = _series_name(series.get("metric", {}))
            for stamp, value in series.get("values", []):
                at = dt.datetime.fromtimestamp(float(stamp), dt.UTC)
                sized.append(Backup(f"{name}@{at:%Y-%m-%d %H:%M}", at, int(float(value))))
        sized.sort(key=lambda b: b.taken_at)
        backups = sized
    return BackupSet(location.name, "metric", tuple(backups), tuple(heads))
