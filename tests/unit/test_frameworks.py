"""Every control maps to framework requirements that exist; the CLI lists them per framework."""

from __future__ import annotations

import json

import pytest

from readiness.cli import main
from readiness.controls import catalogue
from readiness.controls.frameworks import (
    FRAMEWORKS,
    PRACTICE,
    controls_for,
    parse_reference,
    requirements_of,
)


def test_every_framework_reference_names_a_known_requirement() -> None:
    unknown = [
        (ctl.id, req.label)
        for ctl in catalogue().values()
        for req in requirements_of(ctl)
        if req.framework != PRACTICE and not req.title
    ]
    assert unknown == []


def test_every_framework_is_evidenced_by_some_control() -> None:
    for key, fw in FRAMEWORKS.items():
        used = {req.id for req, _ in controls_for(key, catalogue().values())}
        assert used and used <= set(fw.requirements), key
    # Listed but evidenced by no control: the report shows it as "not covered".
    assert "Build L3" not in {r.id for r, _ in controls_for("slsa", catalogue().values())}


def test_every_control_maps_to_a_framework_requirement_and_its_seed_practice() -> None:
    unmapped = [
        c.id
        for c in catalogue().values()
        if not any(r.framework != PRACTICE for r in requirements_of(c))
    ]
    assert unmapped == []
    no_practice = [
        c.id
        for c in catalogue().values()
        if not any(r.framework == PRACTICE for r in requirements_of(c))
    ]
    assert no_practice == []


@pytest.mark.parametrize(
    ("control", "label"),
    [
        ("K8S-PDB", "nist-800-53 SC-6"),
        ("K8S-HPA-TARGET", "nist-800-53 SC-5(2)"),
        ("K8S-CRONJOB", "soc2 CC7.1"),
        ("OPS-GRACEFUL-SHUTDOWN", "soc2 CC8.1"),
        ("DORA-STAGING-FIRST", "nist-800-53 CM-4(1)"),
    ],
)
def test_control_maps_to_requirement(control: str, label: str) -> None:
    assert label in {r.label for r in requirements_of(catalogue()[control])}


@pytest.mark.parametrize(
    ("reference", "framework", "rid"),
    [
        ("NIST SP 800-53 SC-8(1)", "nist-800-53", "SC-8(1)"),
        ("CIS Kubernetes Benchmark 5.2.7", "cis-k8s", "5.2.7"),
        ("SLSA v1.0 Build L2", "slsa", "Build L2"),
        ("SOC 2 CC8.1", "soc2", "CC8.1"),
        ("Google SRE Book ch. 6", PRACTICE, "Google SRE Book ch. 6"),
    ],
)
def test_parse_reference(reference: str, framework: str, rid: str) -> None:
    req = parse_reference(reference)
    assert (req.framework, req.id) == (framework, rid)


def test_controls_framework_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["controls", "--framework", "cis-k8s", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    by_id = {r["requirement"]: r for r in rows}
    assert by_id["5.1.6"]["controls"] == ["K8S-SA-TOKEN"]
    assert "K8S-SECURITY-CONTEXT" in by_id["5.2.7"]["controls"]
    assert by_id["5.2.7"]["title"] == "Minimize the admission of root containers"
    assert main(["controls", "--framework", "slsa"]) == 0
    out = capsys.readouterr().out
    assert "SLSA v1.0 build track" in out and "SC-PROVENANCE" in out
    with pytest.raises(SystemExit):
        main(["controls", "--framework", "iso-27001"])
