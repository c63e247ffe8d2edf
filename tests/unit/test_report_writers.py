"""The JSON and JUnit reports are written in pieces, byte for byte what the whole-document
writers (``json.dumps(indent=2)``, ElementTree) write for the same report."""

from __future__ import annotations

import enum
import hashlib
import json
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from readiness.report import json_report, junit
from readiness.report.files import DIGEST_NAME, HTML_NAME, JSON_NAME, ReportSet


def _check(i: int, outcome: str, message: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": f"CTL-{i}[ns/Deployment/app-{i}]",
        "nodeid": f"checks/test_x.py::test_x[ns/Deployment/app-{i}]",
        "control": f"CTL-{i % 3}",
        "title": "a title",
        "family": "kubernetes",
        "severity": "high",
        "target": f"ns/Deployment/app-{i}",
        "outcome": outcome,
        "blocking": outcome in ("failed", "error"),
        "message": message,
        "remediation": 'set "x" & <y>',
        "evidence": {"n": i, "names": ["a", "ü"], "nested": {"k": None}},
        "waiver": None,
        "duration": 0.00123 * i,
        **extra,
    }


def _report(state: str = "failed") -> dict[str, Any]:
    checks = [
        _check(0, "passed", ""),
        _check(1, "failed", 'expected <a> & "b"\n  found:\ttab\r\nline'),
        _check(2, "error", ""),
        _check(3, "error", "could not run: boom \ud800 surrogate"),
        _check(4, "skipped", ""),
        _check(5, "skipped", "not applicable"),
        _check(6, "warned", "below the gate"),
        _check(7, "waived", "waived until 2027-01-01", waiver={"approver": "ann", "expires": "x"}),
        _check(8, "warned", ""),
        _check(
            9,
            "waived",
            "w",
            id='CTL-0[odd/"<t>&\tx]',
            target='odd/"<t>&\tx',
            family="k8s & <co>",
            waiver={"approver": 'a "b" <c>', "expires": "2027-01-01", "reason": "r & s\n"},
        ),
    ]
    return {
        "profile": "prod",
        "profile_sha256": "abc",
        "environment": "",
        "started_at": "2026-01-01T00:00:00Z",
        "run": {"id": "r1", "commit": None, "host": "h"},
        "gate": {"state": state, "passed": False, "reason": "it <broke>", "fail_on": "high"},
        "selection": {"mode": "full", "selected": 9, "total": 9, "reasons": ["-k x"]},
        "checks": checks,
    }


def _elementtree_junit(report: Mapping[str, Any]) -> bytes:
    """The reference: the same document built as an ElementTree and indented."""

    def props(parent: ET.Element, values: Mapping[str, Any]) -> None:
        node = ET.SubElement(parent, "properties")
        for name, value in values.items():
            if value is not None and value != "":
                ET.SubElement(node, "property", name=name, value=str(value))

    gate, run = report["gate"], report["run"]
    counts = {"failure": 0, "error": 0, "skipped": 0, "pass": 0}
    root = ET.Element("testsuites", name="readiness")
    suite = ET.SubElement(root, "testsuite", name=f"readiness.{report['profile']}")
    props(suite, junit.suite_property_values(report))
    duration = 0.0
    for c in report["checks"]:
        case = ET.SubElement(
            suite,
            "testcase",
            classname=f"readiness.{c['family']}",
            name=c["id"],
            time=f"{c['duration']:.3f}",
        )
        w = c.get("waiver") or {}
        props(
            case,
            {
                "id": c["id"],
                "outcome": c["outcome"],
                "control": c["control"],
                "severity": c["severity"],
                "family": c["family"],
                "target": c["target"],
                "blocking": str(c["blocking"]).lower(),
                "waiver.approver": w.get("approver"),
                "waiver.expires": w.get("expires"),
                "waiver.reason": w.get("reason"),
            },
        )
        message, first = c["message"], (c["message"].splitlines() or [""])[0][:500]
        kind = "pass"
        if c["outcome"] == "failed":
            node = ET.SubElement(case, "failure", message=first, type=c["control"])
            node.text = f"{message}\n\nhow to fix: {c['remediation']}".strip()
            kind = "failure"
        elif c["outcome"] == "error":
            ET.SubElement(case, "error", message=first, type=c["control"]).text = message
            kind = "error"
        elif c["outcome"] == "skipped":
            ET.SubElement(case, "skipped", message=first or "skipped")
            kind = "skipped"
        elif message:
            ET.SubElement(case, "system-out").text = f"{c['outcome']}: {message}"
        counts[kind] += 1
        duration += c["duration"]
    if gate["state"] == "error":
        case = ET.SubElement(suite, "testcase", classname="readiness.gate", name="run", time="0")
        ET.SubElement(case, "error", message=gate["reason"], type="gate").text = gate["reason"]
        counts["error"] += 1
    attrs = {
        "tests": str(sum(counts.values())),
        "failures": str(counts["failure"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"]),
        "time": f"{duration:.3f}",
        "timestamp": report["started_at"],
        "hostname": run["host"],
    }
    for key, value in attrs.items():
        suite.set(key, value)
    for key in ("tests", "failures", "errors", "time"):
        root.set(key, attrs[key])
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


@pytest.mark.parametrize("state", ["failed", "error"])
def test_junit_is_what_elementtree_writes(state: str, monkeypatch: pytest.MonkeyPatch) -> None:
    report = _report(state)
    expected = _elementtree_junit(report)
    assert junit.junit_xml(report) == expected
    monkeypatch.setattr(junit, "_CHUNK", 10)  # many small pieces, same document
    pieces = list(junit.junit_chunks(report))
    assert len(pieces) > 3 and b"".join(pieces) == expected


def test_json_report_is_json_dumps_indented_with_its_digest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    report = _report()
    report["checks"][0]["evidence"]["nan"] = float("nan")
    expected = (json.dumps(report, indent=2) + "\n").encode()
    monkeypatch.setattr(json_report, "_CHUNK", 16)
    assert len(list(json_report.json_chunks(report))) > 3
    files = json_report.report_files(report)
    assert files[JSON_NAME] == expected
    digest = hashlib.sha256(expected).hexdigest()
    assert files[DIGEST_NAME] == f"{digest}  {JSON_NAME}\n".encode()
    ReportSet(tmp_path).publish(json_report.report_stream(report))  # written in pieces
    assert (tmp_path / JSON_NAME).read_bytes() == expected
    assert (tmp_path / DIGEST_NAME).read_bytes() == files[DIGEST_NAME]


class _Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    "value",
    [
        {},
        {"checks": [], "dora": None},
        {"checks": [{}, {"a": []}, {"b": [[], {}, (1, 2)]}], "one": [1]},
        {
            "floats": [1.5, -0.0, 1e300, float("inf"), -float("inf"), float("nan")],
            "text": 'ü \u2028 "quoted" \\ \n <tag> &',
            7: "int key",
            2.5: "float key",
            None: "null key",
            False: "bool key",
            "level": _Level.HIGH,
            "nested": {"a": {"b": [{"c": [True, False, None]}]}},
        },
    ],
)
def test_json_pieces_match_json_dumps(value: dict[Any, Any]) -> None:
    expected = (json.dumps(value, indent=2) + "\n").encode()
    assert b"".join(json_report.json_chunks(value)) == expected


def test_json_pieces_of_shared_containers_match_json_dumps() -> None:
    """A container many rows share is written once per indentation and reused."""
    shared_list = ["payments", "checkout", {"deep": [1, 2]}]
    shared_dict = {"source": "estate", "namespaces": shared_list}
    checks = [{"evidence": dict(shared_dict), "about": shared_dict} for _ in range(20)]
    value = {"checks": checks, "top": shared_list, "nested": [[shared_list], shared_dict]}
    expected = (json.dumps(value, indent=2) + "\n").encode()
    assert b"".join(json_report.json_chunks(value)) == expected
    shared_list.append("changed between two reports")
    expected = (json.dumps(value, indent=2) + "\n").encode()
    assert b"".join(json_report.json_chunks(value)) == expected


def test_json_refuses_what_json_dumps_refuses() -> None:
    with pytest.raises(TypeError):
        b"".join(json_report.json_chunks({"x": object()}))


def test_a_report_set_whose_writing_fails_midway_leaves_the_previous_set_and_no_staging(
    tmp_path: Path,
) -> None:
    previous = json_report.report_files(_report("failed"))
    ReportSet(tmp_path).publish(previous)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert set(before) == {JSON_NAME, DIGEST_NAME}

    def broken_json() -> Iterator[bytes]:
        yield b'{"schema": "readiness.report/v1",\n'
        raise OSError(28, "No space left on device")

    new = _report("passed")
    files = {
        JSON_NAME: broken_json(),
        DIGEST_NAME: json_report.report_files(new)[DIGEST_NAME],
    }
    with pytest.raises(OSError, match="No space left"):
        ReportSet(tmp_path).publish(files)
    after = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    assert after == before  # the previous JSON and its digest, untouched; no staging folder
    digest = hashlib.sha256(after[JSON_NAME]).hexdigest()
    assert after[DIGEST_NAME] == f"{digest}  {JSON_NAME}\n".encode()


_KILLED_WRITER = """
import os, sys, time
from pathlib import Path
from readiness.report import files
from readiness.report.files import DIGEST_NAME, HTML_NAME, JSON_NAME, ReportSet

report_dir, stage = Path(sys.argv[1]), sys.argv[2]
replace = os.replace

def pause():
    (report_dir.parent / "paused").write_text(stage)
    time.sleep(120)

def pausing_replace(src, dst):
    replace(src, dst)
    if stage == "after-json" and Path(dst).name == JSON_NAME:
        pause()

def json_pieces():
    yield b'{"run": "new",'
    if stage == "writing":
        pause()
    yield b' "x": 1}'

files.os.replace = pausing_replace
ReportSet(report_dir).publish(
    {HTML_NAME: b"<p>new</p>", JSON_NAME: json_pieces(), DIGEST_NAME: b"new digest"}
)
"""


@pytest.mark.parametrize("stage", ["writing", "after-json"])
def test_a_run_killed_while_publishing_never_leaves_a_json_beside_another_runs_files(
    tmp_path: Path, stage: str
) -> None:
    report_dir = tmp_path / "reports"
    old_json = b'{"run": "old"}\n'
    old_digest = f"{hashlib.sha256(old_json).hexdigest()}  {JSON_NAME}\n".encode()
    ReportSet(report_dir).publish(
        {HTML_NAME: b"<p>old</p>", JSON_NAME: old_json, DIGEST_NAME: old_digest}
    )
    child = subprocess.Popen(
        [sys.executable, "-c", _KILLED_WRITER, str(report_dir), stage],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        waited = time.monotonic()
        while not (tmp_path / "paused").exists() and time.monotonic() - waited < 120:
            assert child.poll() is None, "the writer ended before its pause"
            time.sleep(0.05)
        assert (tmp_path / "paused").exists()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=60)
    published = {p.name: p.read_bytes() for p in report_dir.iterdir() if p.is_file()}
    if stage == "writing":  # nothing renamed yet: the previous set, whole
        assert published == {
            HTML_NAME: b"<p>old</p>",
            JSON_NAME: old_json,
            DIGEST_NAME: old_digest,
        }
    else:  # the new set up to its JSON; the previous digest must not sit beside it
        assert published == {HTML_NAME: b"<p>new</p>", JSON_NAME: b'{"run": "new", "x": 1}'}
