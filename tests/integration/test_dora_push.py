"""`readiness dora --push URL` against a real Pushgateway, read back from its /metrics."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from readiness.cli import main as readiness_main
from readiness.demo.procs import free_port
from tests.fixtures.dora import Pushgateway

pytestmark = pytest.mark.integration

NOW = "2026-11-24T00:00:00Z"


def seed(store: str) -> None:
    s = ["--store", store]
    calls = [
        [
            "deployment",
            *s,
            "--service",
            "cart",
            "--id",
            "d1",
            "--at",
            "2026-11-20T10:00:00Z",
            "--commit-time",
            "2026-11-20T08:00:00Z",
        ],
        [
            "deployment",
            *s,
            "--service",
            "cart",
            "--id",
            "d2",
            "--at",
            "2026-11-21T10:00:00Z",
            "--commit-time",
            "2026-11-21T06:00:00Z",
            "--rollback",
        ],
        ["deployment", *s, "--service", "search", "--id", "d3", "--at", "2026-11-22T10:00:00Z"],
        ["incident", "open", "INC-1", *s, "--service", "cart", "--at", "2026-11-21T11:00:00Z"],
        ["incident", "resolve", "INC-1", *s, "--at", "2026-11-21T11:30:00Z"],
    ]
    for call in calls:
        assert readiness_main(["dora", *call]) == 0, call


def scrape(gateway: Pushgateway) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    text = requests.get(f"{gateway.url}/metrics", timeout=10).text
    out = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name.startswith("dora_"):
                labels = tuple(sorted((k, v) for k, v in s.labels.items() if k != "instance"))
                out[(s.name, labels)] = s.value
    return out


def test_push_and_read_back(dora_pushgateway: Pushgateway, tmp_path: Path) -> None:
    store = str(tmp_path / "dora.sqlite")
    seed(store)
    argv = ["dora", "--store", store, "--now", NOW, "--environment", "production"]
    assert readiness_main([*argv, "--push", dora_pushgateway.url]) == 0
    got = scrape(dora_pushgateway)
    common = (("environment", "production"), ("job", "readiness_dora"))

    def value(name: str, service: str, **extra: str) -> float:
        labels = tuple(sorted((*common, ("service", service), *extra.items())))
        assert (name, labels) in got, f"{name}{dict(labels)} not on the Pushgateway"
        return got[(name, labels)]

    assert value("dora_deployments", "all") == 3
    assert value("dora_deployments", "cart") == 2
    assert value("dora_deployment_frequency_per_day", "all") == pytest.approx(3 / 30)
    assert value("dora_lead_time_seconds", "cart", quantile="0.5") == 3 * 3600  # 2 h and 4 h
    assert value("dora_lead_time_seconds", "cart", quantile="0.9") == 4 * 3600
    assert value("dora_change_failure_rate", "cart") == 0.5
    assert value("dora_time_to_restore_seconds", "all", quantile="0.5") == 1800
    assert value("dora_rework_rate", "all") == pytest.approx(1 / 3)
    assert value("dora_level", "cart", metric="lead_time") == 4
    assert value("dora_level", "cart", metric="change_failure_rate") == 1
    assert value("dora_sample_size", "search", metric="lead_time") == 0
    assert value("dora_window_days", "all") == 30
    # search has no lead time samples: no value is pushed rather than a fake zero
    assert not any(
        name == "dora_lead_time_seconds" and ("service", "search") in labels for name, labels in got
    )


def test_push_to_an_unreachable_gateway_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = str(tmp_path / "dora.sqlite")
    seed(store)
    url = f"http://127.0.0.1:{free_port()}"
    assert readiness_main(["dora", "--store", store, "--now", NOW, "--push", url]) == 2
    err = capsys.readouterr().err
    assert f"cannot push to the Pushgateway at {url}" in err
