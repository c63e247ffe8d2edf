"""Which families run: from the profile's targets, its own sections and ``families:``."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from readiness.families import family_states, judged_elsewhere
from readiness.profile import load_profile


def states(tmp_path: Path, text: str) -> dict[str, tuple[bool, str]]:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text))
    profile = load_profile(str(path), env={})
    return {name: (s.runs, s.reason) for name, s in family_states(profile).items()}


def test_an_empty_profile_runs_only_dora(tmp_path: Path) -> None:
    got = states(tmp_path, "environment: p\n")
    assert {name for name, (runs, _) in got.items() if runs} == {"dora"}
    assert got["kubernetes"] == (False, "no cluster or manifests in targets")
    assert got["http"] == (False, "no services in targets")
    assert got["supply_chain"][1] == "no registries, images, artifacts or docker in targets"


@pytest.mark.parametrize(
    ("targets", "family"),
    [
        ("services: [{name: web, url: 'https://web.example.com'}]", "http"),
        ("rule_files: [rules/*.yml]", "alerting"),
        ("alertmanager: {url: 'http://127.0.0.1:9093'}", "alerting"),
        ("manifests: [{name: release, paths: [deploy]}]", "kubernetes"),
        ("kubernetes: [{name: prod, in_cluster: true}]", "kubernetes"),
        ("artifacts: [{name: cli, path: dist/cli.whl}]", "supply_chain"),
        ("backups: [{name: db, directory: /backups}]", "operations"),
    ],
)
def test_a_target_turns_its_family_on(tmp_path: Path, targets: str, family: str) -> None:
    got = states(tmp_path, f"environment: p\ntargets:\n  {targets}\n")
    assert got[family] == (True, "")
    assert [n for n, (runs, _) in got.items() if runs] == sorted({"dora", family})


def test_operations_runs_when_the_profile_itself_asks_for_it(tmp_path: Path) -> None:
    # staging.yaml (bundled) has an operations section; extending it does not ask for one.
    assert states(tmp_path, "extends: staging\nenvironment: p\n")["operations"][0] is False
    own = "extends: staging\nenvironment: p\noperations: {backups: {retention_days: 7}}\n"
    assert states(tmp_path, own)["operations"] == (True, "")
    attested = """\
        environment: p
        attestations:
          - {control: OPS-CICD, status: passed, explanation: x, attested_by: a,
             date: 2026-11-01, frequency: 90d}
        """
    assert states(tmp_path, attested)["operations"] == (True, "")
    forced = "environment: p\nfamilies: {operations: {enabled: true}}\n"
    assert states(tmp_path, forced)["operations"] == (True, "")


def test_families_setting_wins_and_needs_a_reason(tmp_path: Path) -> None:
    off = """\
        environment: p
        targets: {services: [{name: web, url: 'https://web.example.com'}]}
        families: {http: {enabled: false, reason: judged by the edge team}}
        """
    assert states(tmp_path, off)["http"] == (
        False,
        "disabled by the profile: judged by the edge team",
    )
    with pytest.raises(Exception, match="disabling a family needs a reason"):
        states(tmp_path, "environment: p\nfamilies: {http: {enabled: false}}\n")


def test_overlaps_are_judged_where_the_other_family_runs(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("environment: p\ntargets: {manifests: [{name: r, paths: [k8s]}]}\n")
    profile = load_profile(str(path), env={})
    overlap = judged_elsewhere(profile, "OPS-GRACEFUL-SHUTDOWN")
    assert overlap is not None and overlap.judged_by == "K8S-GRACEFUL-SHUTDOWN"
    assert judged_elsewhere(profile, "OPS-HEALTHCHECKS") is None  # http does not run
