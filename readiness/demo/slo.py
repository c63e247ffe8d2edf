"""Demo component: a Prometheus with 30 days of backfilled SLI history on 127.0.0.1:19190.

checkout is healthy, search spent 80 % of its budget in an incident ten days ago (feature
freeze), catalog is healthy but has no burn-rate alerts loaded. catalog's SLO comes from
a Sloth spec file written next to the data.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import yaml

from readiness.demo import Component
from readiness.demo.slo_history import (
    DAY,
    Incident,
    ServiceHistory,
    load_history,
    native_slo,
    start_prometheus,
)
from readiness.profile.slo import SloSpec
from readiness.rules.slo_alerts import burn_rate_rules
from readiness.sources.slo_specs import from_native

ORDER = 30
PORT = 19190
SERVICES = (
    ServiceHistory("checkout", 0.0002),
    ServiceHistory("search", 0.0002, incidents=(Incident(10 * DAY, DAY, 0.0182),)),
    ServiceHistory("catalog", 0.0003),
)
ALERTED = ("checkout", "search")

SLOTH_SPEC = {
    "version": "prometheus/v1",
    "service": "catalog",
    "labels": {"owner": "catalog-team"},
    "slos": [
        {
            "name": "availability",
            "objective": 99.5,
            "description": "Catalog answers without server errors.",
            "sli": {
                "events": {
                    "error_query": 'sum(rate(http_requests_total{service="catalog",'
                    'code=~"5.."}[{{.window}}]))',
                    "total_query": 'sum(rate(http_requests_total{service="catalog"}[{{.window}}]))',
                }
            },
            "alerting": {
                "name": "CatalogHighErrorRate",
                "page_alert": {"labels": {"severity": "critical"}},
                "ticket_alert": {"labels": {"severity": "warning"}},
            },
        }
    ],
}


def start(workdir: Path) -> Component:
    home = workdir / "slo"
    if home.exists():
        shutil.rmtree(home)
    home.mkdir(parents=True)
    load_history(home, SERVICES, int(time.time()) - 60)
    (home / "sloth-catalog.yml").write_text(yaml.safe_dump(SLOTH_SPEC, sort_keys=False))
    rules: list[dict[str, object]] = []
    for service in ALERTED:
        (objective,) = from_native(SloSpec.model_validate(native_slo(service)), "demo")
        rules.extend(
            burn_rate_rules(objective, f"https://runbooks.example.com/{service}/error-budget")
        )
    proc = start_prometheus(home, PORT, rules)
    return Component(
        "slo-prometheus",
        f"Prometheus with 30 days of SLO history on http://127.0.0.1:{PORT}",
        proc.stop,
    )
