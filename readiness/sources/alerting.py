"""Evidence of the alerting family, collected once per run and cached.

One :class:`AlertingEvidence` per session: each piece (live rules, targets, TSDB status,
Alertmanager status, rule files…) is fetched on first use; a failure is remembered and
raised again as the same SourceError for every check that needs it, without re-trying.
"""

from __future__ import annotations

import glob
import itertools
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from readiness.errors import CachedError, SourceError
from readiness.profile.model import Profile
from readiness.rules.alerting import runbook_urls
from readiness.rules.alerting_model import (
    AlertmanagerStatus,
    PromAlert,
    RuleSet,
    ScrapeTarget,
    Silence,
    TsdbStatus,
    parse_duration,
)
from readiness.sources.alertmanager import AlertmanagerClient
from readiness.sources.api import ApiClient
from readiness.sources.prometheus import PrometheusClient
from readiness.sources.rulefiles import expand, load_rule_file
from readiness.sources.run import gather
from readiness.sources.runbooks import shared_prober

T = TypeVar("T")

LIVE = "prometheus"


@dataclass(frozen=True, slots=True)
class RuleSource:
    """A place rules come from: the live Prometheus, or one rule file."""

    id: str
    live: bool = False
    path: Path | None = None
    pattern: str = ""  # the profile entry (for a pattern that matched nothing)


class AlertingEvidence:
    def __init__(self, profile: Profile, base_dir: Path):
        self.profile = profile
        self.policy = profile.alerting
        self.base_dir = base_dir
        targets = profile.targets
        self.prometheus = (
            PrometheusClient(ApiClient("prometheus", targets.prometheus))
            if targets.prometheus is not None
            else None
        )
        self.alertmanager = (
            AlertmanagerClient(ApiClient("alertmanager", targets.alertmanager))
            if targets.alertmanager is not None
            else None
        )
        runbooks = self.policy.runbooks
        self.runbooks = shared_prober(runbooks.timeout, runbooks.max_concurrency, runbooks.ca_file)
        self._cache: dict[str, Any] = {}
        self._sources: list[RuleSource] | None = None
        self._lock = threading.RLock()  # a fetch may need other cached evidence

    def _once(self, key: str, fetch: Callable[[], T]) -> T:
        with self._lock:
            if key not in self._cache:
                try:
                    self._cache[key] = fetch()
                except SourceError as exc:
                    self._cache[key] = CachedError(exc)
            value = self._cache[key]
        if isinstance(value, CachedError):
            value.reraise()
        return value  # type: ignore[no-any-return]

    def prefetch(self) -> None:
        """Fetch every live view at once, concurrently: the run waits for the slowest API.

        Failures are remembered like any other (the checks needing them end in error).
        """
        jobs: list[tuple[str, Callable[[], object]]] = []
        if self.prometheus is not None:
            prom = self.prometheus
            jobs += [
                ("rules", prom.rule_set),
                ("targets", prom.scrape_targets),
                ("tsdb", lambda: prom.tsdb(self.policy.top_metrics)),
                ("retention", prom.retention_seconds),
                ("reload", prom.reload_status),
            ]
        if self.alertmanager is not None:
            am = self.alertmanager
            jobs += [("am_status", am.status), ("am_alerts", am.alerts), ("silences", am.silences)]
        elif self.prometheus is not None:
            jobs.append(("prom_alerts", self.prometheus.firing_alerts))
        todo = [(key, fn) for key, fn in jobs if key not in self._cache]
        results = gather(lambda job: job[1](), todo, max_workers=8)
        with self._lock:
            for (key, _), result in zip(todo, results, strict=True):
                if isinstance(result, SourceError):
                    self._cache.setdefault(key, CachedError(result))
                elif not isinstance(result, Exception):
                    self._cache.setdefault(key, result)

    # -- rule sources --------------------------------------------------------------------

    def rule_sources(self) -> list[RuleSource]:
        """The live server (if configured) and every rule file, expanded once per run."""
        if self._sources is None:
            sources = [RuleSource(LIVE, live=True)] if self.prometheus is not None else []
            seen: set[Path] = set()
            for pattern, files in expand(self.profile.targets.rule_files, self.base_dir):
                if not files:
                    sources.append(RuleSource(pattern, pattern=pattern))
                for path in files:
                    if path.resolve() not in seen:  # a file named by two patterns: judged once
                        seen.add(path.resolve())
                        sources.append(RuleSource(self._display(path, pattern), path=path))
            self._sources = sources
        return list(self._sources)

    def _display(self, path: Path, pattern: str) -> str:
        """A short, stable id: relative to the run's directory, else to the pattern's root
        (``/srv/rules/*.yml`` -> ``rules/a.yml``)."""
        try:
            return str(path.resolve().relative_to(self.base_dir.resolve()))
        except ValueError:
            pass
        static = Path(*itertools.takewhile(lambda p: not glob.has_magic(p), Path(pattern).parts))
        anchor = static if static.is_dir() else static.parent
        try:
            return str(Path(anchor.name) / path.relative_to(anchor))
        except ValueError:
            return str(path)

    def rules(self, source: RuleSource) -> RuleSet:
        if source.live:
            return self._once("rules", self._prom().rule_set)
        if source.path is None:
            raise SourceError(source.id, "the rule_files entry matches no file")
        path = source.path
        return self._once(f"file:{path}", lambda: load_rule_file(path, source.id))

    def recorded_names(self) -> set[str]:
        """Series the live server's recording rules produce."""
        ruleset = self.rules(RuleSource(LIVE, live=True))
        return {r.name for r in ruleset.rules if r.kind == "recording"}

    def all_file_rules(self) -> list[RuleSet]:
        return [self.rules(s) for s in self.rule_sources() if not s.live]

    def requirement_rules(self) -> tuple[str, RuleSet]:
        """Where required alerts are looked for: what runs after the release, i.e. the live
        server's rules plus the release's rule files (files that do not load are left out:
        their own checks report them). A live server that cannot be read is an error."""
        sets: list[RuleSet] = []
        names: list[str] = []
        for source in self.rule_sources():
            try:
                sets.append(self.rules(source))
            except SourceError:
                if source.live:
                    raise
                continue
            names.append(source.id)
        where = names[0] if len(names) == 1 else f"{len(names)} rule sources"
        if len(names) > 1 and self.prometheus is not None:
            where = f"{LIVE} and {len(names) - 1} rule file(s)"
        groups = tuple(g for s in sets for g in s.groups)
        return where, RuleSet(where, groups, ())

    # -- Prometheus ----------------------------------------------------------------------

    def _prom(self) -> PrometheusClient:
        if self.prometheus is None:
            raise SourceError("prometheus", "targets.prometheus is not configured")
        return self.prometheus

    def targets(self) -> list[ScrapeTarget]:
        return self._once("targets", self._prom().scrape_targets)

    def tsdb(self) -> TsdbStatus:
        return self._once("tsdb", lambda: self._prom().tsdb(self.policy.top_metrics))

    def retention(self) -> float | None:
        return self._once("retention", self._prom().retention_seconds)

    def reload_status(self) -> tuple[bool, str]:
        return self._once("reload", self._prom().reload_status)

    def series_exist(self, selectors: list[str]) -> dict[str, bool]:
        """Whether each selector has series on the live server; each asked once per run."""
        known: dict[str, bool] = self._once("series", dict)
        todo = [sel for sel in selectors if sel not in known]
        if todo:
            known.update(self._prom().series_exist(todo, self.policy.series_lookback))
        return {sel: known[sel] for sel in selectors}

    # -- Alertmanager --------------------------------------------------------------------

    def _am(self) -> AlertmanagerClient:
        if self.alertmanager is None:
            raise SourceError("alertmanager", "targets.alertmanager is not configured")
        return self.alertmanager

    def am_status(self) -> AlertmanagerStatus:
        return self._once("am_status", self._am().status)

    def active_alerts(self) -> tuple[str, list[PromAlert]]:
        """Alerts from Alertmanager (with silences), else firing alerts from Prometheus."""
        if self.alertmanager is not None:
            return "alertmanager", self._once("am_alerts", self._am().alerts)
        return "prometheus", self._once("prom_alerts", self._prom().firing_alerts)

    def silences(self) -> list[Silence]:
        return self._once("silences", self._am().silences)

    # -- policy helpers ------------------------------------------------------------------

    def longest_slo_window(self) -> tuple[float, str]:
        """The longest SLO window of the profile, else the policy's ``min_retention``."""
        longest, why = 0.0, ""
        for slo in getattr(self.profile, "slos", None) or []:
            for objective in getattr(slo, "objectives", None) or [slo]:
                window = getattr(objective, "window", None)
                if not window:
                    continue
                try:
                    seconds = parse_duration(window)
                except ValueError:
                    continue
                if seconds > longest:
                    name = getattr(objective, "name", "")
                    longest = seconds
                    why = f"SLO {getattr(slo, 'service', '')}/{name} window {window}".replace(
                        " /", " "
                    )
        minimum = parse_duration(self.policy.min_retention)
        if longest >= minimum:
            return longest, why
        return minimum, f"alerting.min_retention {self.policy.min_retention}"

    def services(self) -> Iterator[str]:
        for service in getattr(self.profile.targets, "services", None) or []:
            yield str(service.name)

    def runbook_statuses(self) -> dict[str, Any]:
        """Every runbook URL of every rule source, each fetched once, all concurrently."""

        def fetch() -> dict[str, Any]:
            urls: set[str] = set()
            for source in self.rule_sources():
                try:
                    urls.update(runbook_urls(self.rules(source)))
                except SourceError:
                    continue  # that source's own checks report it
            return dict(self.runbooks.probe(sorted(urls)))

        if not self.policy.runbooks.check_reachable:
            return {}
        return self._once("runbooks", fetch)
