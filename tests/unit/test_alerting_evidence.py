"""The alerting evidence collector: rule sources, SLO windows, remembered failures."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.demo.procs import free_port
from readiness.errors import SourceError
from readiness.profile import load_profile
from readiness.sources.alerting import AlertingEvidence

SLOS = """
slos:
  - service: checkout
    objectives:
      - name: availability
        target: 99.9
        window: 90d
        sli: {error: 'sum(rate(e[{{.window}}]))', total: 'sum(rate(t[{{.window}}]))'}
      - name: latency
        target: 99
        window: 7d
        sli: {good: 'sum(rate(g[{{.window}}]))', total: 'sum(rate(t[{{.window}}]))'}
"""


def evidence(tmp_path: Path, text: str) -> AlertingEvidence:
    (tmp_path / "p.yaml").write_text("extends: none\nenvironment: test\n" + text)
    return AlertingEvidence(load_profile(str(tmp_path / "p.yaml")), tmp_path)


def test_longest_slo_window_or_min_retention(tmp_path: Path) -> None:
    assert evidence(tmp_path, SLOS).longest_slo_window() == (
        90 * 86400,
        "SLO checkout/availability window 90d",
    )
    short = SLOS.replace("90d", "14d")
    assert evidence(tmp_path, short).longest_slo_window() == (
        30 * 86400,
        "alerting.min_retention 30d",
    )


def test_rule_sources_from_patterns(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.yml").write_text("groups: []\n")
    ev = evidence(tmp_path, "targets:\n  rule_files: [rules/*.yml, none/*.yml]\n")
    sources = ev.rule_sources()
    assert [(s.id, s.live) for s in sources] == [("rules/a.yml", False), ("none/*.yml", False)]
    assert ev.rules(sources[0]).groups == ()
    with pytest.raises(SourceError, match=r"none/\*\.yml: the rule_files entry matches no file"):
        ev.rules(sources[1])


def test_failures_are_remembered_not_retried(tmp_path: Path) -> None:
    port = free_port()
    ev = evidence(
        tmp_path,
        f"targets:\n  prometheus: {{url: 'http://127.0.0.1:{port}', timeout: 1, retries: 0}}\n",
    )
    assert [s.id for s in ev.rule_sources()] == ["prometheus"]
    ev.prefetch()
    with pytest.raises(SourceError) as first:
        ev.targets()
    with pytest.raises(SourceError) as second:
        ev.targets()
    # Remembered (not asked again) as data: each reader gets a fresh exception.
    assert first.value is not second.value and str(first.value) == str(second.value)
    assert f"cannot reach http://127.0.0.1:{port}/api/v1/targets" in str(first.value)
    with pytest.raises(SourceError, match=r"targets\.alertmanager is not configured"):
        ev.am_status()


def test_rule_source_ids_outside_the_run_directory(tmp_path: Path) -> None:
    rules = tmp_path / "srv" / "rules"
    (rules / "team").mkdir(parents=True)
    (rules / "team" / "a.yml").write_text("groups: []\n")
    (rules / "b.yml").write_text("groups: []\n")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "p.yaml").write_text(
        "extends: none\nenvironment: test\ntargets:\n"
        f"  rule_files: ['{rules}', '{rules}/*.yml', '{rules}/b.yml']\n"
    )
    ev = AlertingEvidence(load_profile(str(run_dir / "p.yaml")), run_dir)
    assert [s.id for s in ev.rule_sources()] == ["rules/b.yml", "rules/team/a.yml"]
