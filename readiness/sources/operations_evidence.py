"""Everything the operations checks read, collected once per run and concurrently.

:class:`OperationsEvidence` knows, from the profile, which sources are configured. Each
piece of evidence is computed at most once (thread-safe); :meth:`prefetch` starts the
pieces the selected checks need all at once, so the run's wall time tracks the slowest
target rather than the number of targets. Errors are kept and raised to each check that
asks for the failed piece.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

from readiness.errors import SourceError, raise_fresh
from readiness.profile.common import Endpoint
from readiness.profile.model import Profile
from readiness.profile.operations import BackupLocation
from readiness.redact import safe_url
from readiness.rules import operations as rules
from readiness.rules import operations_observability as obs
from readiness.rules.alerting_model import AlertmanagerConfig
from readiness.rules.operations_backups import BackupSet
from readiness.sources import checklist, oncall, otel
from readiness.sources.alertmanager import AlertmanagerClient
from readiness.sources.api import ApiClient
from readiness.sources.backups import read_directory, read_metric
from readiness.sources.grafana import GrafanaClient
from readiness.sources.jaeger import JaegerClient
from readiness.sources.loki import LokiClient
from readiness.sources.operations_k8s import WorkloadSpecs, live_specs, manifest_specs
from readiness.sources.prometheus import PrometheusClient
from readiness.sources.run import gather
from readiness.sources.s3 import BucketListing, list_bucket
from readiness.workers import Workers

T = TypeVar("T")
AlertRunbooks = dict[str, list[tuple[str, str | None]]]


def shared_endpoint(profile: Profile, own: Endpoint | None, target: str) -> Endpoint | None:
    """The family's own endpoint setting, else the shared ``targets.<target>``."""
    if own is not None:
        return own
    shared = getattr(profile.targets, target, None)
    return shared if isinstance(shared, Endpoint) else None


def prometheus_endpoint(profile: Profile) -> Endpoint | None:
    return shared_endpoint(profile, profile.operations.prometheus, "prometheus")


def alertmanager_endpoint(profile: Profile) -> Endpoint | None:
    return shared_endpoint(profile, profile.operations.alertmanager, "alertmanager")


def rule_files(profile: Profile) -> list[str]:
    return list(getattr(profile.targets, "rule_files", None) or [])


@dataclass(frozen=True, slots=True)
class RunbookTarget:
    """One distinct runbook URL of a source and the alerts that name it (``url`` None: the
    alerts without one); ``error`` when the source could not be read."""

    source: str  # "prometheus" or "rule-files"
    url: str | None
    alerts: tuple[str, ...] = ()
    error: str = ""

    @property
    def id(self) -> str:
        if self.error:
            return self.source
        return f"{self.source}:{safe_url(self.url) if self.url else 'no-runbook-url'}"


def runbook_sources(profile: Profile) -> list[str]:
    return (["prometheus"] if prometheus_endpoint(profile) else []) + (
        ["rule-files"] if rule_files(profile) else []
    )


def alert_runbook_pairs(profile: Profile, base: Path, source: str) -> list[tuple[str, str | None]]:
    """(alert, runbook_url) of every alerting rule of a source, as many as there are rules
    (one alert name may carry different URLs, e.g. one per service)."""
    if source == "prometheus":
        endpoint = prometheus_endpoint(profile)
        if endpoint is None:
            raise SourceError("prometheus", "not configured in the profile")
        rule_set = PrometheusClient(ApiClient("prometheus", endpoint)).rule_set()
        return [(r.name, r.annotations.get("runbook_url")) for r in rule_set.alerts]
    return checklist.file_alert_runbooks(rule_files(profile), base)


def runbook_targets(profile: Profile, base: Path) -> list[RunbookTarget]:
    """Every distinct runbook URL per source: the targets of OPS-RUNBOOK-LINKS. The
    Prometheus rules are the run's shared answer (read once for every family)."""
    targets: list[RunbookTarget] = []
    for source in runbook_sources(profile):
        try:
            pairs = alert_runbook_pairs(profile, base, source)
        except SourceError as exc:
            targets.append(RunbookTarget(source, None, (), exc.reason))
            continue
        by_url: dict[str | None, set[str]] = {}
        for alert, url in pairs:
            by_url.setdefault(url, set()).add(alert)
        for url, alerts in sorted(by_url.items(), key=lambda item: item[0] or ""):
            targets.append(RunbookTarget(source, url, tuple(sorted(alerts))))
    return targets


def services(profile: Profile, own: list[str]) -> list[str]:
    """The services to look for: the section's list, else the names of targets.services."""
    return own or [s.name for s in profile.targets.services]


class OperationsEvidence:
    def __init__(self, profile: Profile, base: Path, now: dt.datetime, max_workers: int = 8):
        self.profile = profile
        self.base = base
        self.now = now
        self._pool = Workers(max_workers, "ops")
        self._futures: dict[str, Future[Any]] = {}
        self._lock = threading.Lock()

    # -- machinery ---------------------------------------------------------------------

    def _collectors(self) -> dict[str, Callable[[], Any]]:
        """Every piece of evidence the profile makes available, by name."""
        t = self.profile.targets
        found: dict[str, Callable[[], Any]] = {"backups": self._backups}
        if any(b.offsite is not None for b in t.backups):
            found["offsite"] = self._offsite
        if prometheus_endpoint(self.profile):
            found["prometheus_alerts"] = lambda: alert_runbook_pairs(
                self.profile, self.base, "prometheus"
            )
            found["monitoring"] = self._monitoring
        if rule_files(self.profile):
            found["rule_file_alerts"] = lambda: alert_runbook_pairs(
                self.profile, self.base, "rule-files"
            )
        if alertmanager_endpoint(self.profile):
            found["alertmanager"] = self._alertmanager
        if t.loki is not None:
            found.update(
                loki_ready=lambda: self._loki().ready(),
                service_logs=self._service_logs,
                log_retention=lambda: self._loki().retention(),
            )
        if t.jaeger is not None:
            found["service_traces"] = self._service_traces
        if t.otel_collector is not None:
            endpoint = t.otel_collector
            found["collector"] = lambda: otel.collector_health(
                ApiClient("otel-collector", endpoint)
            )
        if t.grafana is not None:
            grafana = self.profile.operations.grafana
            found.update(
                grafana_state=lambda: self._grafana().state(),
                dashboards=lambda: self._grafana().dashboards(),
                grafana_access=lambda: self._grafana().access(
                    grafana.default_admin_user, grafana.default_admin_password
                ),
            )
        if getattr(t, "kubernetes", None):
            found["live_workloads"] = lambda: live_specs(self.profile)
        if getattr(t, "manifests", None):
            found["manifest_workloads"] = lambda: manifest_specs(self.profile)
        return found

    def available(self) -> set[str]:
        """The names of the evidence the profile configures a source for."""
        return set(self._collectors())

    def _get(self, name: str) -> Any:
        with self._lock:
            future = self._futures.get(name)
            if future is None:
                collector = self._collectors().get(name)
                if collector is None:
                    raise SourceError(name, "not configured in the profile")
                future = self._pool.submit(collector)
                self._futures[name] = future
        error = future.exception()  # waits; never re-raises the stored exception object
        if error is not None:
            raise_fresh(error)
        return future.result()

    def prefetch(self, names: Iterable[str]) -> None:
        """Start collecting ``names`` (those configured) concurrently; returns at once."""
        available = self._collectors()
        with self._lock:
            for name in names:
                if name in available and name not in self._futures:
                    self._futures[name] = self._pool.submit(available[name])

    def close(self) -> None:
        self._pool.cancel_pending()
        self._pool.shutdown(wait=0)

    # -- what the checks ask for ---------------------------------------------------------

    def alert_runbooks(self, source: str | None = None) -> AlertRunbooks:
        """(alert, runbook_url) per source (``prometheus``, ``rule-files``): the one asked
        for, or every configured one."""
        keys = {"prometheus": "prometheus_alerts", "rule-files": "rule_file_alerts"}
        wanted = [source] if source else [k for k, v in keys.items() if v in self.available()]
        return {name: self._get(keys[name]) for name in wanted}

    def alertmanager(self) -> AlertmanagerConfig:
        return cast("AlertmanagerConfig", self._get("alertmanager"))

    def monitoring(self) -> rules.MonitoringState:
        return cast("rules.MonitoringState", self._get("monitoring"))

    def loki_ready(self) -> tuple[bool, str]:
        return cast("tuple[bool, str]", self._get("loki_ready"))

    def service_logs(self, service: str) -> obs.ServiceLogs:
        return cast("obs.ServiceLogs", _one(self._get("service_logs"), service))

    def log_retention(self) -> obs.LokiRetention:
        return cast("obs.LokiRetention", self._get("log_retention"))

    def service_traces(self, service: str) -> obs.ServiceTraces:
        return cast("obs.ServiceTraces", _one(self._get("service_traces"), service))

    def collector(self) -> obs.HealthAnswer:
        return cast("obs.HealthAnswer", self._get("collector"))

    def grafana_state(self) -> obs.GrafanaState:
        return cast("obs.GrafanaState", self._get("grafana_state"))

    def dashboards(self) -> list[obs.Dashboard]:
        return cast("list[obs.Dashboard]", self._get("dashboards"))

    def grafana_access(self) -> obs.GrafanaAccess:
        return cast("obs.GrafanaAccess", self._get("grafana_access"))

    def backups(self, location: str) -> BackupSet:
        return cast("BackupSet", _one(self._get("backups"), location))

    def offsite(self, location: str) -> BucketListing:
        """The listing of the backup location's copy in a second location."""
        return cast("BucketListing", _one(self._get("offsite"), location))

    def live_workloads(self) -> WorkloadSpecs:
        return cast("WorkloadSpecs", self._get("live_workloads"))

    def manifest_workloads(self) -> WorkloadSpecs:
        return cast("WorkloadSpecs", self._get("manifest_workloads"))

    # -- collectors ----------------------------------------------------------------------

    def _prometheus(self) -> PrometheusClient:
        endpoint = prometheus_endpoint(self.profile)
        assert endpoint is not None
        return PrometheusClient(ApiClient("prometheus", endpoint))

    def _monitoring(self) -> rules.MonitoringState:
        return oncall.monitoring_state(self._prometheus())

    def _alertmanager(self) -> AlertmanagerConfig:
        endpoint = alertmanager_endpoint(self.profile)
        assert endpoint is not None
        return AlertmanagerClient(ApiClient("alertmanager", endpoint)).status().config

    def _loki(self) -> LokiClient:
        assert self.profile.targets.loki is not None
        return LokiClient(ApiClient("loki", self.profile.targets.loki))

    def _service_logs(self) -> dict[str, obs.ServiceLogs | Exception]:
        policy = self.profile.operations.logging
        loki = self._loki()
        names = services(self.profile, policy.services)
        results = gather(
            lambda s: loki.recent_logs(
                policy.service_label, s, policy.lookback_minutes, policy.sample_lines, self.now
            ),
            names,
        )
        return dict(zip(names, results, strict=True))

    def _service_traces(self) -> dict[str, obs.ServiceTraces | Exception]:
        assert self.profile.targets.jaeger is not None
        client = JaegerClient(ApiClient("jaeger", self.profile.targets.jaeger))
        known = client.services()
        policy = self.profile.operations.tracing
        names = services(self.profile, policy.services)
        results = gather(
            lambda s: client.traces(s, policy.lookback_minutes, self.now, known), names
        )
        return dict(zip(names, results, strict=True))

    def _grafana(self) -> GrafanaClient:
        assert self.profile.targets.grafana is not None
        return GrafanaClient(ApiClient("grafana", self.profile.targets.grafana))

    def _backups(self) -> dict[str, BackupSet | Exception]:
        policy = self.profile.operations.backups

        def read(location: BackupLocation) -> BackupSet:
            if location.directory is not None:
                return read_directory(location, self.base)
            endpoint = location.prometheus or prometheus_endpoint(self.profile)
            if endpoint is None:
                raise SourceError(
                    f"backup {location.name}",
                    "a metric location needs a Prometheus (its prometheus: or "
                    "operations.prometheus or targets.prometheus)",
                )
            client = PrometheusClient(ApiClient("prometheus", endpoint))
            frequency = location.frequency_hours or policy.frequency_hours
            return read_metric(location, client, self.now, frequency, policy.size_baseline)

        locations = self.profile.targets.backups
        results = gather(read, locations, max_workers=8)
        return dict(zip([b.name for b in locations], results, strict=True))

    def _offsite(self) -> dict[str, BucketListing | Exception]:
        """Every offsite bucket listed concurrently, each within its own deadline."""
        copies = [(b.name, b.offsite) for b in self.profile.targets.backups if b.offsite]
        results = gather(
            lambda item: list_bucket(f"offsite {item[0]}", item[1]),
            copies,
            max_workers=8,
        )
        return dict(zip([name for name, _ in copies], results, strict=True))


def _one(results: dict[str, T | Exception], key: str) -> T:
    value = results[key]
    if isinstance(value, Exception):
        raise_fresh(value)
    return value
