"""Checklist files and health probes: real files and a real local HTTP server."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.errors import SourceError
from readiness.rules import operations as rules
from readiness.sources import checklist

pytestmark = pytest.mark.integration


def test_runbook_stems_recursive_by_extension(tmp_path: Path) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "db" / "database-outage.md").write_text("# x")
    (tmp_path / "HighErrorRate.RST").write_text("x")
    (tmp_path / "notes.json").write_text("{}")
    stems = checklist.runbook_stems(tmp_path, [".md", ".rst"])
    assert stems == ["HighErrorRate", "database-outage"]


def test_missing_runbook_directory_names_it(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"runbooks: runbook directory .*/absent does not exist"):
        checklist.runbook_stems(tmp_path / "absent", [".md"])
    (tmp_path / "file").write_text("x")
    with pytest.raises(SourceError, match="is not a directory"):
        checklist.runbook_stems(tmp_path / "file", [".md"])


def test_read_text_missing_directory_and_undecodable(tmp_path: Path) -> None:
    assert checklist.read_text(tmp_path / "none.md", "rollback document") is None
    with pytest.raises(SourceError, match=r"rollback document: .* is not a file"):
        checklist.read_text(tmp_path, "rollback document")
    odd = tmp_path / "rollback.md"
    odd.write_bytes(b"\xff\xfe kubectl rollout undo deployment/x")
    text = checklist.read_text(odd, "rollback document")
    assert text is not None
    assert rules.rollback_document_findings("rollback.md", text, "kubectl rollout undo") == []


def test_relative_paths_resolve_against_the_base(tmp_path: Path) -> None:
    assert checklist.resolve("docs/x.md", tmp_path) == tmp_path / "docs" / "x.md"
    assert checklist.resolve("/etc/hosts", tmp_path) == Path("/etc/hosts")


def test_runbook_link_to_a_file(tmp_path: Path) -> None:
    (tmp_path / "rb").mkdir()
    (tmp_path / "rb" / "disk-full.md").write_text("x")
    ok = checklist.runbook_link("DiskFull", "disk-full.md", tmp_path / "rb", tmp_path)
    assert ok.resolved and ok.detail.endswith("rb/disk-full.md")
    uri = checklist.runbook_link("DiskFull", f"file://{tmp_path}/rb/disk-full.md", None, tmp_path)
    assert uri.resolved
    gone = checklist.runbook_link("Gone", "gone.md", tmp_path / "rb", tmp_path)
    assert not gone.resolved and gone.detail.startswith("no file ")


def test_alert_runbooks_from_rule_files(tmp_path: Path) -> None:
    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "a.yml").write_text(
        "groups:\n  - name: g\n    rules:\n"
        "      - {alert: Down, expr: up == 0, annotations: {runbook_url: rb/down.md}}\n"
        "      - {alert: Slow, expr: vector(1)}\n"
        "      - {record: 'job:up:sum', expr: sum(up)}\n"
    )
    found = checklist.file_alert_runbooks(["rules"], tmp_path)
    assert found == [("Down", "rb/down.md"), ("Slow", None)]
    with pytest.raises(SourceError, match=r"'missing/\*\.yml' names no rule file"):
        checklist.file_alert_runbooks(["rules", "missing/*.yml"], tmp_path)


def test_runbook_link_not_fetched_when_reachability_is_off(tmp_path: Path) -> None:
    from readiness.demo.procs import free_port

    dead = f"http://127.0.0.1:{free_port()}/rb.md"
    assert not checklist.runbook_link("A", dead, None, tmp_path).resolved
    link = checklist.runbook_link("A", dead, None, tmp_path, check_reachable=False)
    assert link.resolved and link.detail == "not fetched (check_reachable: false)"
    assert not checklist.runbook_link(
        "A", "nope.md", None, tmp_path, check_reachable=False
    ).resolved
