"""Sources and pure rules against the real tools: Prometheus, Alertmanager, amtool, promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml

from readiness.demo.procs import free_port, require_binary
from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.rules.alerting import live_selectors, validity_findings
from readiness.rules.alerting_routes import parse_config, route_alert
from readiness.sources.alertmanager import AlertmanagerClient
from readiness.sources.api import ApiClient
from readiness.sources.prometheus import PrometheusClient
from readiness.sources.rulefiles import expand, load_rule_file
from tests.fixtures.prometheus import AlertStack
from tests.realworld import REALWORLD

pytestmark = pytest.mark.integration

REALWORLD = REALWORLD / "prometheus-rules"

AM_CONFIG = {
    "route": {
        "receiver": "default",
        "group_by": ["alertname", "service"],
        "routes": [
            {"matchers": ['alertname="Watchdog"'], "receiver": "null"},
            {"matchers": ["severity=page"], "receiver": "pager"},
            {"matchers": ['severity=~"ticket|warning"'], "receiver": "tickets", "continue": True},
            {"matchers": ['team="payments"'], "receiver": "payments"},
            {
                "match_re": {"service": "check.*"},
                "routes": [
                    {"matchers": ['env!="prod"', 'severity!~"page|critical"'], "receiver": "dev"},
                    {"match": {"env": "prod"}, "receiver": "payments", "continue": True},
                    {"matchers": ['{region=~"eu-.*", env="prod"}'], "receiver": "eu-oncall"},
                ],
            },
        ],
    },
    "receivers": [
        {"name": n, "webhook_configs": [{"url": f"http://127.0.0.1:9/{n}"}]}
        for n in ("default", "pager", "tickets", "payments", "dev", "eu-oncall")
    ]
    + [{"name": "null"}],
}

LABEL_SETS = [
    {"alertname": "Watchdog", "severity": "page"},
    {"alertname": "A", "severity": "page", "team": "payments"},
    {"alertname": "A", "severity": "ticket", "team": "payments"},
    {"alertname": "A", "severity": "warning"},
    {"alertname": "A", "severity": "info"},
    {"alertname": "A", "severity": "info", "service": "checkout", "env": "dev"},
    {"alertname": "A", "severity": "critical", "service": "checkout", "env": "prod"},
    {
        "alertname": "A",
        "severity": "critical",
        "service": "checkout",
        "env": "prod",
        "region": "eu-west",
    },
    {"alertname": "A", "severity": "critical", "service": "cart", "env": "prod"},
]


@pytest.mark.parametrize(
    "labels", LABEL_SETS, ids=lambda d: ",".join(f"{k}={v}" for k, v in d.items())
)
def test_route_walk_agrees_with_amtool(tmp_path: Path, labels: dict[str, str]) -> None:
    amtool = require_binary("amtool", "prometheus-alertmanager")
    config_file = tmp_path / "am.yml"
    config_file.write_text(yaml.safe_dump(AM_CONFIG))
    proc = subprocess.run(
        [amtool, "config", "routes", "test", f"--config.file={config_file}"]
        + [f"{k}={v}" for k, v in labels.items()],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    expected = proc.stdout.strip().split(",")
    ours = [m.receiver for m in route_alert(parse_config(AM_CONFIG).route, labels)]
    assert ours == expected


@pytest.mark.parametrize(
    "path",
    sorted(p for _, files in expand([str(REALWORLD)], Path.cwd()) for p in files),
    ids=lambda p: p.name,
)
def test_validity_agrees_with_promtool(path: Path) -> None:
    promtool = require_binary("promtool", "prometheus")
    ruleset = load_rule_file(path)
    if any(g for g in ruleset.groups) and path.read_text().lstrip().startswith("apiVersion"):
        # promtool reads plain rule files only: give it the groups of the manifest
        text = yaml.safe_dump({"groups": yaml.safe_load(path.read_text())["spec"]["groups"]})
        target = Path(f"/tmp/readiness-promtool-{path.stem}.yml")
        target.write_text(text)
    else:
        target = path
    proc = subprocess.run(
        [promtool, "check", "rules", str(target)], capture_output=True, text=True, timeout=60
    )
    findings = validity_findings(ruleset)
    assert (proc.returncode == 0) == (not findings), (proc.stderr, [f.message for f in findings])
    for finding in findings:
        # every rule we flag, promtool flags too (by its name)
        name = finding.message.split("'")[3] if finding.message.count("'") >= 4 else ""
        assert name in proc.stderr


def test_prometheus_typed_views(clean_stack: AlertStack, flawed_stack: AlertStack) -> None:
    prom = PrometheusClient(ApiClient("clean", Endpoint(url=clean_stack.prometheus_url)))
    ruleset = prom.rule_set()
    assert ruleset.live and [g.name for g in ruleset.groups] == ["service"]
    assert {r.name for r in ruleset.alerts} == {
        "ServiceDown",
        "HighErrorRate",
        "BackupStale",
        "TrafficFlood",
    }
    service_down = next(r for r in ruleset.alerts if r.name == "ServiceDown")
    assert service_down.for_seconds == 120 and service_down.health == "ok"
    assert service_down.source.endswith("clean.yml")
    assert prom.retention_seconds() == 400 * 86400
    tsdb = prom.tsdb(limit=3)
    assert tsdb.head_series > 10 and len(tsdb.top_metrics) == 3
    jobs = {t.job: t.health for t in prom.scrape_targets()}
    # honor_labels: the pushed series keeps its own job label, the target keeps its pool
    assert jobs == {"prometheus": "up", "checkout": "up", "node": "up", "pushgateway": "up"}
    wanted = sorted(live_selectors(ruleset))
    assert "job:http_requests:rate5m" not in wanted  # produced by a recording rule
    assert "backup_last_success_timestamp_seconds" in wanted  # pushed to the Pushgateway
    exists = prom.series_exist([*wanted, "nonexistent_metric_total", 'up{job="nope"}'])
    assert exists == {
        **{s: True for s in wanted},
        "nonexistent_metric_total": False,
        'up{job="nope"}': False,
    }
    flawed = PrometheusClient(ApiClient("flawed", Endpoint(url=flawed_stack.prometheus_url)))
    assert flawed.retention_seconds() == 15 * 86400


def test_series_exist_batches_many_selectors(clean_stack: AlertStack) -> None:
    prom = PrometheusClient(ApiClient("clean", Endpoint(url=clean_stack.prometheus_url)))
    selectors = [f'up{{job="job{i}"}}' for i in range(60)] + ['up{job="checkout"}']
    result = prom.series_exist(selectors)
    assert [s for s, ok in result.items() if ok] == ['up{job="checkout"}']
    assert len(result) == 61


def test_alertmanager_status_alerts_silences(
    flawed_stack: AlertStack, clean_stack: AlertStack
) -> None:
    am = AlertmanagerClient(ApiClient("am", Endpoint(url=clean_stack.alertmanager_url)))
    status = am.status()
    assert status.version and status.cluster_status == "disabled"
    assert {n: r.integrations for n, r in status.config.receivers.items()} == {
        "default": ("email",),
        "null": (),
        "pager": ("webhook",),
        "chat": ("webhook",),
    }
    flawed = AlertmanagerClient(ApiClient("am", Endpoint(url=flawed_stack.alertmanager_url)))
    alerts = {a.name: a for a in flawed.alerts()}
    assert alerts["CheckoutBroken"].state == "active"
    assert (
        alerts["CheckoutSilenced"].state == "suppressed" and alerts["CheckoutSilenced"].silenced_by
    )
    (silence,) = flawed.silences()
    assert silence.matchers == ('alertname="CheckoutSilenced"',)
    assert 30 * 86400 - 120 < silence.duration_seconds < 30 * 86400 + 120


def test_unreachable_and_wrong_servers_raise_source_errors(clean_stack: AlertStack) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    prom = PrometheusClient(ApiClient("prometheus", Endpoint(url=dead, timeout=1, retries=0)))
    with pytest.raises(SourceError, match=f"prometheus: cannot reach {dead}/api/v1/rules"):
        prom.rule_set()
    # a Prometheus URL given where Alertmanager is expected: a clear error, not a crash
    wrong = AlertmanagerClient(ApiClient("alertmanager", Endpoint(url=clean_stack.prometheus_url)))
    with pytest.raises(SourceError, match=r"alertmanager: .*/api/v2/status answered HTTP 404"):
        wrong.status()
