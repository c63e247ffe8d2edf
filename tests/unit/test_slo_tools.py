"""Sloth and Pyrra specs are validated as their own validators do, on their own test data.

Sloth's ``sloth validate`` test (test/integration/prometheus/validate_test.go) expects every
file under ``testdata/validate/good`` to validate and every one under ``bad`` to fail; its
examples are valid. Pyrra's examples pass its admission webhook, and the table of its
webhook test (kubernetes/api/v1alpha1/servicelevelobjective_types_test.go) is replayed.
OpenSLO files, whatever tool they came with, are judged as ``oslo validate`` judges them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from readiness.sources.slo_specs import SpecError, load_file
from readiness.sources.slo_validate import pyrra_problems

DATA = Path(__file__).parent.parent / "data" / "slo"
SLOTH_TESTDATA = DATA / "sloth/test/integration/prometheus/testdata/validate"
GOOD = sorted((SLOTH_TESTDATA / "good").glob("*.yaml"))
BAD = sorted((SLOTH_TESTDATA / "bad").glob("*.yaml"))
EXAMPLES = sorted((DATA / "sloth/examples").glob("*.y*ml"))
PYRRA = sorted((DATA / "pyrra").rglob("*.yaml"))
# What the bad files' `# BAD!` comments mark, as readiness names it.
BAD_KEYS = {
    "bad-aa.yaml": "slos[1].objective",
    "bad-ab.yaml": "slos[1].objective",
    "bad-ba.yaml": "slos[1].objective",
    "bad-k8s.yaml": "spec.service",
    "bad-multi-k8s.yaml": "[0].spec.slos[0].alerting.name",
    "bad-multi.yaml": "[1].slos[1].sli",
    "bad-openslo.yaml": "spec.timeWindows[0]",
}


def _ids(path: Path) -> str:
    return path.name


@pytest.mark.parametrize("path", [p for p in GOOD if "openslo" not in p.name], ids=_ids)
def test_sloth_good_specs_validate(path: Path) -> None:
    assert load_file(path).objectives


@pytest.mark.parametrize("path", BAD, ids=_ids)
def test_sloth_bad_specs_fail_where_marked(path: Path) -> None:
    marked = [line for line in path.read_text().splitlines() if "# BAD!" in line]
    assert marked, "each upstream bad file marks its mistake"
    with pytest.raises(SpecError) as info:
        load_file(path)
    assert info.value.key == BAD_KEYS[path.name]


def test_openslo_files_follow_oslo_not_sloth() -> None:
    """Sloth reads OpenSLO v1alpha loosely; oslo requires a calendar for a window that is not
    rolling and a value per objective, so both of sloth's OpenSLO files are rejected."""
    for path in (
        SLOTH_TESTDATA / "good/good-openslo.yaml",
        DATA / "sloth/examples/openslo-getting-started.yml",
    ):
        with pytest.raises(SpecError, match=r"invalid OpenSLO.*calendar"):
            load_file(path)


@pytest.mark.parametrize("path", [p for p in EXAMPLES if "openslo" not in p.name], ids=_ids)
def test_sloth_examples(path: Path) -> None:
    if path.name == "victoria-metrics.yml":
        # MetricsQL (sloth validates it with its VictoriaMetrics plugin): not PromQL
        with pytest.raises(SpecError, match="histogram_share"):
            load_file(path)
        return
    assert load_file(path).objectives


@pytest.mark.parametrize("path", PYRRA, ids=[str(p.relative_to(DATA / "pyrra")) for p in PYRRA])
def test_pyrra_examples(path: Path) -> None:
    objectives = load_file(path).objectives
    assert len(objectives) == path.read_text().count("kind: ServiceLevelObjective")
    assert all(0 < o.target < 1 and not o.unsupported for o in objectives)


def _slo(**spec: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"target": "99", "window": "2w"}
    base.update(spec)
    return {"metadata": {"name": "foo", "namespace": "bar"}, "spec": base}


RATIO = {
    "ratio": {"errors": {"metric": 'errors{foo="bar"}'}, "total": {"metric": 'total{foo="bar"}'}}
}
LATENCY = {
    "latency": {
        "success": {"metric": 'foo_bucket{foo="bar",le="1"}'},
        "total": {"metric": 'foo_count{foo="bar"}'},
    }
}


def _ratio(errors: str, total: str) -> dict[str, Any]:
    return {"ratio": {"errors": {"metric": errors}, "total": {"metric": total}}}


def _latency(success: str, total: str) -> dict[str, Any]:
    return {"latency": {"success": {"metric": success}, "total": {"metric": total}}}


@pytest.mark.parametrize(
    ("doc", "error"),
    [
        ({"metadata": {}, "spec": {}}, "name must be set"),
        ({"metadata": {"name": "foo"}, "spec": {}}, "target must be set"),
        (_slo(target="-99"), "target must be between 0 and 100"),
        (_slo(target="9999"), "target must be between 0 and 100"),
        (_slo(target="0.9134", window=""), "window must be set"),  # a warning in Pyrra only
        (_slo(window="2t"), "not a duration"),
        (_slo(indicator={}), "one of ratio, latency, latencyNative or bool_gauge must be set"),
        (_slo(indicator=RATIO), None),
        (_slo(indicator=_ratio("", "")), "ratio total metric must be set"),
        (_slo(indicator=_ratio("", "foo")), "ratio errors metric must be set"),
        (_slo(indicator=_ratio("foo", "")), "ratio total metric must be set"),
        (_slo(indicator=_ratio("foo", "foo")), None),  # a warning in Pyrra only
        (_slo(indicator=_ratio("foo", "foo{")), "failed to parse ratio total metric"),
        (_slo(indicator=_ratio("foo", "foo}")), "failed to parse ratio total metric"),
        (_slo(indicator=_ratio("foo", "$$$")), "failed to parse ratio total metric"),
        (_slo(indicator=_ratio("foo", "foo{foo=\"bar'}")), "failed to parse ratio total metric"),
        (
            _slo(indicator=_ratio('errors{foo="bar"}', 'sum(total{foo="bar"})')),
            "ratio total metric must be a vector selector, but got AggregateExpr",
        ),
        (
            _slo(indicator=_ratio('errors{foo="bar"}', 'errors{foo="bar"} / total{foo="bar"}')),
            "ratio total metric must be a vector selector, but got BinaryExpr",
        ),
        (
            _slo(indicator=_ratio('sum(errors{foo="bar"})', 'total{foo="bar"}')),
            "ratio errors metric must be a vector selector, but got AggregateExpr",
        ),
        (
            _slo(indicator=_ratio('rate(errors{foo="bar"}[5m])', 'total{foo="bar"}')),
            "ratio errors metric must be a vector selector, but got Call",
        ),
        (_slo(indicator=LATENCY), None),
        (_slo(indicator=_latency("", "")), "latency total metric must be set"),
        (_slo(indicator=_latency("", "foo")), "latency success metric must be set"),
        (_slo(indicator=_latency('foo_bucket{foo="bar"}', "foo_count")), "le label matcher"),
    ],
)
def test_pyrra_webhook_table(doc: dict[str, Any], error: str | None) -> None:
    problems = pyrra_problems(doc)
    if error is None:
        assert problems == []
    else:
        assert len(problems) == 1 and error in problems[0].message, problems
