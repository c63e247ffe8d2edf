"""Prometheus HTTP API (read-only): rules, alerts, targets, queries, TSDB status, flags."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from readiness.errors import SourceError
from readiness.rules.alerting_model import (
    MetricCount,
    PromAlert,
    Rule,
    RuleGroup,
    RuleKind,
    RuleSet,
    ScrapeTarget,
    TsdbStatus,
    parse_duration,
)
from readiness.sources.api import ApiClient

# Selectors per batched existence query, and the longest query string sent in one GET.
SERIES_BATCH = 25
MAX_QUERY_CHARS = 6000


class PrometheusClient:
    def __init__(self, api: ApiClient):
        self.api = api

    @property
    def name(self) -> str:
        return self.api.name

    def _data(self, path: str, params: dict[str, Any] | None = None, *, keep: bool = True) -> Any:
        body = self.api.get_json(path, params, keep=keep)
        if not isinstance(body, dict) or body.get("status") != "success":
            error = body.get("error") if isinstance(body, dict) else body
            raise SourceError(self.name, f"{path} failed: {error}")
        return body.get("data")

    def query(self, promql: str, time: float | None = None) -> list[dict[str, Any]]:
        """Instant query; the result vector (or a one-element list for scalars)."""
        params: dict[str, Any] = {"query": promql}
        if time is not None:
            params["time"] = time
        data = self._data("/api/v1/query", params)
        if data["resultType"] in ("scalar", "string"):
            return [{"metric": {}, "value": data["result"]}]
        return list(data["result"])

    def query_range(
        self, promql: str, start: float, end: float, step: float, *, keep: bool = True
    ) -> list[dict[str, Any]]:
        """Range query; ``keep=False``: the answer is not kept for the run (see get_json)."""
        params = {"query": promql, "start": start, "end": end, "step": step}
        return list(self._data("/api/v1/query_range", params, keep=keep)["result"])

    def rules(self) -> list[dict[str, Any]]:
        return list(self._data("/api/v1/rules")["groups"])

    def alerts(self) -> list[dict[str, Any]]:
        return list(self._data("/api/v1/alerts")["alerts"])

    def targets(self) -> dict[str, Any]:
        return dict(self._data("/api/v1/targets"))

    def series(self, match: list[str], start: float | None = None) -> list[dict[str, str]]:
        params: dict[str, Any] = {"match[]": match}
        if start is not None:
            params["start"] = start
        return list(self._data("/api/v1/series", params))

    def tsdb_status(self) -> dict[str, Any]:
        return dict(self._data("/api/v1/status/tsdb"))

    def flags(self) -> dict[str, str]:
        return dict(self._data("/api/v1/status/flags"))

    # Typed views used by the alerting checks.

    def rule_set(self) -> RuleSet:
        """Every rule group as loaded and evaluated by this server."""
        groups = []
        for raw in self.rules():
            try:
                groups.append(_rule_group(raw, self.name))
            except (KeyError, TypeError, ValueError) as exc:
                raise SourceError(
                    self.name, f"/api/v1/rules: unexpected rule data: {exc}"
                ) from None
        return RuleSet(self.name, tuple(groups), live=True)

    def scrape_targets(self) -> list[ScrapeTarget]:
        out = []
        for raw in self.targets().get("activeTargets") or []:
            out.append(
                ScrapeTarget(
                    scrape_pool=str(raw.get("scrapePool", "")),
                    scrape_url=str(raw.get("scrapeUrl", "")),
                    health=str(raw.get("health", "unknown")),
                    labels=dict(raw.get("labels") or {}),
                    last_error=str(raw.get("lastError") or ""),
                    last_scrape=str(raw.get("lastScrape") or ""),
                )
            )
        return out

    def tsdb(self, limit: int = 10) -> TsdbStatus:
        raw = self.tsdb_status()
        head = raw.get("headStats") or {}

        def counts(key: str) -> tuple[MetricCount, ...]:
            items = raw.get(key) or []
            return tuple(MetricCount(str(i["name"]), int(i["value"])) for i in items[:limit])

        return TsdbStatus(
            head_series=int(head.get("numSeries", 0)),
            top_metrics=counts("seriesCountByMetricName"),
            top_labels=counts("labelValueCountByLabelName"),
        )

    def retention_seconds(self) -> float | None:
        """``--storage.tsdb.retention.time`` in seconds (None: not set, size-based only)."""
        flags = self.flags()
        value = flags.get("storage.tsdb.retention.time") or flags.get("storage.tsdb.retention")
        if not value:
            return None
        try:
            seconds = parse_duration(value)
        except ValueError:
            raise SourceError(self.name, f"unreadable retention flag {value!r}") from None
        return seconds or None

    def reload_status(self) -> tuple[bool, str]:
        """Whether the last configuration (and rule file) reload succeeded, and when."""
        info = dict(self._data("/api/v1/status/runtimeinfo"))
        return bool(info.get("reloadConfigSuccess", True)), str(info.get("lastConfigTime", ""))

    def firing_alerts(self) -> list[PromAlert]:
        return [
            PromAlert(
                labels=dict(a.get("labels") or {}),
                state=str(a.get("state", "")),
                starts_at=str(a.get("activeAt") or ""),
                summary=str((a.get("annotations") or {}).get("summary", "")),
            )
            for a in self.alerts()
            if a.get("state") == "firing"
        ]

    def series_exist(self, selectors: Sequence[str], lookback: str = "1h") -> dict[str, bool]:
        """Whether each selector matched any series within ``lookback``, in few queries.

        Selectors are batched into one ``or``-joined query per batch, each branch tagged
        with its index, so N selectors cost about N/25 requests instead of N.
        """
        unique = list(dict.fromkeys(selectors))
        result = {s: False for s in unique}
        for batch in _batches(unique, lookback):
            parts = [
                f"label_replace(count(last_over_time({sel}[{lookback}])), "
                f'"readiness_i", "{i}", "", "")'
                for i, sel in batch
            ]
            for sample in self.query(" or ".join(parts)):
                index = int(sample["metric"]["readiness_i"])
                result[unique[index]] = True
        return result


def _batches(selectors: Sequence[str], lookback: str) -> list[list[tuple[int, str]]]:
    batches: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    size = 0
    for index, sel in enumerate(selectors):
        cost = len(sel) + len(lookback) + 80
        if current and (len(current) >= SERIES_BATCH or size + cost > MAX_QUERY_CHARS):
            batches.append(current)
            current, size = [], 0
        current.append((index, sel))
        size += cost
    if current:
        batches.append(current)
    return batches


def _zero_time(value: object) -> bool:
    return not value or str(value).startswith("0001-01-01")


def _rule_group(raw: Mapping[str, Any], source: str) -> RuleGroup:
    rules = []
    for r in raw.get("rules") or []:
        kind: RuleKind = "alerting" if r.get("type") == "alerting" else "recording"
        rules.append(
            Rule(
                kind=kind,
                name=str(r["name"]),
                expr=str(r.get("query", "")),
                group=str(raw["name"]),
                source=str(raw.get("file") or source),
                for_seconds=float(r.get("duration") or 0),
                keep_firing_for_seconds=float(r.get("keepFiringFor") or 0),
                labels=dict(r.get("labels") or {}),
                annotations=dict(r.get("annotations") or {}),
                health=str(r.get("health", "")),
                last_error=str(r.get("lastError") or ""),
                state=str(r.get("state", "")),
                active_alerts=tuple(
                    {"state": str(a.get("state", "")), **dict(a.get("labels") or {})}
                    for a in r.get("alerts") or []
                ),
            )
        )
    last = raw.get("lastEvaluation")
    return RuleGroup(
        name=str(raw["name"]),
        source=str(raw.get("file") or source),
        rules=tuple(rules),
        interval_seconds=float(raw.get("interval") or 0),
        last_evaluation=None if _zero_time(last) else str(last),
    )
