"""Push DORA metrics to a Prometheus Pushgateway as gauges (prometheus_client)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.error import URLError

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway

from readiness.dora.model import DoraError

JOB = "readiness_dora"
LEVEL_VALUE = {"elite": 4, "high": 3, "medium": 2, "low": 1}
AGGREGATE = "all"


def registry_of(
    per_service: Mapping[str, Mapping[str, Any]], environment: str
) -> CollectorRegistry:
    """Gauges for each ``service -> metrics dict``; absent values are left out."""
    registry = CollectorRegistry()
    labels = ["service", "environment"]

    def gauge(name: str, doc: str, extra: tuple[str, ...] = ()) -> Gauge:
        return Gauge(name, doc, [*labels, *extra], registry=registry)

    window = gauge("dora_window_days", "Length of the window the DORA metrics cover")
    deployments = gauge("dora_deployments", "Deployments in the window")
    frequency = gauge("dora_deployment_frequency_per_day", "Deployments per day in the window")
    lead = gauge("dora_lead_time_seconds", "Lead time for changes", ("quantile",))
    cfr = gauge("dora_change_failure_rate", "Share of deployments that caused an incident")
    restore = gauge("dora_time_to_restore_seconds", "Time to restore service", ("quantile",))
    open_incidents = gauge("dora_open_incidents", "Incidents still open at the window's end")
    rework = gauge("dora_rework_rate", "Share of unplanned deployments (rollbacks, hotfixes)")
    sample = gauge("dora_sample_size", "Samples behind each metric", ("metric",))
    level = gauge("dora_level", "DORA level: 4 elite, 3 high, 2 medium, 1 low", ("metric",))

    for service, m in per_service.items():
        key = (service, environment)
        window.labels(*key).set(float(m["window"]["days"]))
        f, lt, fr, ttr, rw = (
            m["deployment_frequency"],
            m["lead_time"],
            m["change_failure_rate"],
            m["time_to_restore"],
            m["rework_rate"],
        )
        deployments.labels(*key).set(f["deployments"])
        frequency.labels(*key).set(f["per_day"])
        for quantile, value in (("0.5", lt["median_seconds"]), ("0.9", lt["p90_seconds"])):
            if value is not None:
                lead.labels(*key, quantile).set(value)
        if fr["rate"] is not None:
            cfr.labels(*key).set(fr["rate"])
        for quantile, value in (("0.5", ttr["median_seconds"]), ("0.9", ttr["p90_seconds"])):
            if value is not None:
                restore.labels(*key, quantile).set(value)
        open_incidents.labels(*key).set(ttr["still_open"])
        if rw["rate"] is not None:
            rework.labels(*key).set(rw["rate"])
        for metric, part in (
            ("deployment_frequency", f),
            ("lead_time", lt),
            ("change_failure_rate", fr),
            ("time_to_restore", ttr),
            ("rework_rate", rw),
        ):
            sample.labels(*key, metric).set(part["sample"])
            if part["level"] in LEVEL_VALUE:
                level.labels(*key, metric).set(LEVEL_VALUE[part["level"]])
    return registry


def push(
    url: str,
    per_service: Mapping[str, Mapping[str, Any]],
    environment: str,
    timeout: float = 10,
) -> None:
    """Replace this job's metrics for ``environment`` on the Pushgateway at ``url``."""
    if not url.startswith(("http://", "https://")):
        raise DoraError(f"Pushgateway URL {url!r} must start with http:// or https://")
    registry = registry_of(per_service, environment)
    try:
        push_to_gateway(
            url,
            job=JOB,
            registry=registry,
            grouping_key={"environment": environment or "all"},
            timeout=timeout,
        )
    except (URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DoraError(f"cannot push to the Pushgateway at {url}: {reason}") from None
