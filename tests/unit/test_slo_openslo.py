"""OpenSLO validation equals ``oslo validate`` on oslo's own test inputs and go-sdk's examples.

``tests/data/slo/oslo/test/outputs/validate/*`` is what oslo prints for each input: the
objects and properties it rejects. readiness must reject exactly those (one documented
difference: oslo's test image has no time zone database, so it also reports
``America/New_York`` as unknown; readiness knows that zone).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.sources.slo_openslo import sli_kinds, validate
from readiness.sources.slo_specs import SpecError, load_file

DATA = Path(__file__).parent.parent / "data" / "slo"
OSLO = DATA / "oslo" / "test"
_OBJECT = re.compile(r"Validation for (\w+)\.(\w+) '([^']*)'(?: at index (\d+))? has failed")
_PROPERTY = re.compile(r"^\s+- '([^']+)'(?: with value '([^']*)')?:$")
_FILE = re.compile(r"^Errors in /oslo/test/inputs/validate/(.+):$")


def _objects(path: Path) -> list[Any]:
    objects: list[Any] = []
    for doc in yaml.safe_load_all(path.read_text()):
        objects.extend(doc if isinstance(doc, list) else [doc])
    return objects


def oslo_rejects(output: Path) -> dict[str, set[tuple[int, str]]]:
    """File -> {(object index, property path)} that oslo reported, read from its output."""
    found: dict[str, set[tuple[int, str]]] = {}
    file, index = "", 0
    for line in output.read_text().splitlines():
        if m := _FILE.match(line):
            file = m.group(1)
            found[file] = set()
        elif m := _OBJECT.search(line):
            index = int(m.group(4) or 0)
        elif (m := _PROPERTY.match(line)) and m.group(2) != "America/New_York":
            found[file].add((index, m.group(1)))
    return found


def readiness_rejects(path: Path) -> set[tuple[int, str]]:
    objects = _objects(path)
    slis = sli_kinds(objects)
    return {(i, p.path) for i, obj in enumerate(objects) for p in validate(obj, slis)}


@pytest.mark.parametrize("case", ["v1", "v1alpha", "mix", "recursive"])
def test_same_properties_rejected_as_oslo(case: str) -> None:
    expected = oslo_rejects(OSLO / "outputs" / "validate" / case)
    assert expected, "the upstream output names rejected properties"
    for file, wanted in expected.items():
        path = OSLO / "inputs" / "validate" / file
        if "v2alpha" in path.read_text():
            with pytest.raises(SpecError, match=r"unsupported apiVersion 'openslo\.com/v2alpha'"):
                load_file(path)
            continue
        assert readiness_rejects(path) == wanted, file
        with pytest.raises(SpecError, match="invalid OpenSLO"):
            load_file(path)


def test_the_bats_cases_are_rejected_for_the_same_reason() -> None:
    bats = (OSLO / "validate.bats").read_text()
    assert 'unknown field \\"markdown\\"' in bats and "unsupported openslo.Version: foo" in bats
    unknown = readiness_rejects(OSLO / "inputs" / "validate" / "unknown-field.yaml")
    assert (0, "spec.markdown") in unknown
    with pytest.raises(SpecError) as info:
        load_file(OSLO / "inputs" / "validate" / "invalid-apiversion.yaml")
    assert info.value.key == "apiVersion"


def test_new_york_is_a_time_zone() -> None:
    """The one line of oslo's output left out above: its test image lacks tzdata."""
    output = (OSLO / "outputs" / "validate" / "v1").read_text()
    assert "unknown time zone America/New_York" in output
    assert (0, "spec.timeWindow[0].calendar.timeZone") not in readiness_rejects(
        OSLO / "inputs" / "validate" / "v1.yaml"
    )


GO_SDK = sorted((DATA / "go-sdk").rglob("*.yaml"))


@pytest.mark.parametrize("path", GO_SDK, ids=[p.name + "-" + p.parent.parent.name for p in GO_SDK])
def test_go_sdk_examples(path: Path) -> None:
    """The SDK's examples are valid, except slos.yaml: the same SLO as oslo's v1.yaml input,
    with ``op`` on a ratio objective, which oslo rejects."""
    problems = readiness_rejects(path)
    if path.name == "slos.yaml" and "v1alpha" not in str(path):
        assert problems == {(0, "spec.objectives[0].op")}
    else:
        assert problems == set()


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("metadata: {name: Web_Shop}", "metadata.name"),
        ("metadata: {name: web, owner: me}", "metadata.owner"),
        ("spec: {service: web, colour: blue}", "spec.colour"),
        ("objectives: [{target: 0.99, op: lt}]", "spec.objectives[0].op"),
        ("objectives: [{target: 0.99, value: 3}]", "spec.objectives[0].value"),
        ("objectives: [{target: 0.99, targetPercent: 99}]", "spec.objectives[0]"),
        ("objectives: [{target: 1.5}]", "spec.objectives[0].target"),
        ("budgetingMethod: Weekly", "spec.budgetingMethod"),
        ("budgetingMethod: Timeslices", "spec.objectives[0].timeSliceTarget"),
        ("timeWindow: [{duration: 28x, isRolling: true}]", "spec.timeWindow[0].duration"),
        ("timeWindow: [{duration: 28d}]", "spec.timeWindow[0]"),
        ("indicatorRef: Not_A_Label", "spec.indicatorRef"),
    ],
)
def test_each_rule(text: str, path: str) -> None:
    base: dict[str, Any] = {
        "apiVersion": "openslo/v1",
        "kind": "SLO",
        "metadata": {"name": "web"},
        "spec": {
            "service": "web",
            "budgetingMethod": "Occurrences",
            "indicator": {
                "metadata": {"name": "ok"},
                "spec": {
                    "ratioMetric": {
                        "good": {"metricSource": {"type": "Prometheus", "spec": {"query": "g"}}},
                        "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "t"}}},
                    }
                },
            },
            "timeWindow": [{"duration": "28d", "isRolling": True}],
            "objectives": [{"target": 0.99}],
        },
    }
    assert validate(base) == []
    change = yaml.safe_load(text)
    for key, value in change.items():
        if key == "metadata":
            base["metadata"] = value
        elif key == "spec":
            base["spec"].update(value)
        else:
            base["spec"][key] = value
            if key == "indicatorRef":
                del base["spec"]["indicator"]
    assert path in {p.path for p in validate(base)}
