"""The demo DORA store: deterministic history that shows every level and one open incident."""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

from readiness.demo import dora as demo
from readiness.dora.recorder import measure
from readiness.dora.store import open_store

NOW = dt.datetime(2026, 11, 24, 9, 30, tzinfo=dt.UTC)


def seeded(path: Path) -> dict[str, object]:
    counts = demo.seed(str(path), NOW, random.Random(demo.SEED))
    store = open_store(str(path))
    try:
        result = measure(
            store, NOW, 30, ["checkout", "cart", "frontend"], "demo", weeks=6, per_service=True
        )
        result["open"] = [(i.id, i.service) for i in store.open_incidents()]
    finally:
        store.close()
    result["counts"] = counts
    return result


def test_demo_history_is_deterministic_and_varied(tmp_path: Path) -> None:
    first = seeded(tmp_path / "a.sqlite")
    second = seeded(tmp_path / "b.sqlite")
    assert first == second
    assert first["open"] == [("DEMO-INC-OPEN", "frontend")]
    per = first["per_service"]
    assert isinstance(per, dict)
    levels = {
        (service, metric): per[service][metric]["level"]
        for service in per
        for metric in ("deployment_frequency", "lead_time", "change_failure_rate")
    }
    assert levels[("checkout", "deployment_frequency")] == "elite"
    assert levels[("cart", "change_failure_rate")] == "low"
    assert levels[("frontend", "lead_time")] in ("medium", "low")
    assert len(first["weekly"]) == 6  # type: ignore[arg-type]


def test_start_replaces_the_previous_demo_store(tmp_path: Path) -> None:
    component = demo.start(tmp_path)
    again = demo.start(tmp_path)
    assert component.description == again.description
    assert again.env == {"READINESS_DORA_STORE": str(tmp_path / "dora.sqlite")}
    store = open_store(str(tmp_path / "dora.sqlite"))
    try:
        assert store.counts()["gate_runs"] == 0
        assert store.counts()["deployments"] > 50
    finally:
        store.close()
