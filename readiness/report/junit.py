"""JUnit XML for CI, written from the JSON report (so it is identical from any directory
and after an xdist merge).

One ``testcase`` per check: classname ``readiness.<family>``, name ``<CONTROL>[<target>]``.
Blocking failures are ``<failure>``, errored checks ``<error>``, skipped ``<skipped>``;
warned and waived checks pass (they do not block) and say why in ``<system-out>``. Every
testcase carries ``<properties>`` (outcome, control, severity, family, target, waiver
approver/expiry), as pytest's ``xunit1`` output does; Jenkins and GitLab read the rest
by the Jenkins ``junit-10.xsd`` schema. A run that could not judge (broken profile,
collection error, no check selected) adds a ``readiness.gate`` testcase in error.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from functools import lru_cache
from typing import Any

_DECLARATION = "<?xml version='1.0' encoding='utf-8'?>\n"
_CHUNK = 1 << 16  # characters joined before a piece is encoded


def _time(seconds: float) -> str:
    return f"{max(seconds, 0.0):.3f}"


_MARKUP = re.compile(r"[&<>]")
_ATTR_MARKUP = re.compile(r"[&<>\"\r\n\t]")


def _text(value: str) -> str:
    """Character data, escaped as ElementTree writes it."""
    if _MARKUP.search(value) is None:  # most values: one scan, nothing to escape
        return value
    if "&" in value:
        value = value.replace("&", "&amp;")
    if "<" in value:
        value = value.replace("<", "&lt;")
    if ">" in value:
        value = value.replace(">", "&gt;")
    return value


def _attr(value: str) -> str:
    """An attribute value, escaped as ElementTree writes it."""
    if _ATTR_MARKUP.search(value) is None:
        return value
    value = _text(value)
    if '"' in value:
        value = value.replace('"', "&quot;")
    if "\r" in value:
        value = value.replace("\r", "&#13;")
    if "\n" in value:
        value = value.replace("\n", "&#10;")
    if "\t" in value:
        value = value.replace("\t", "&#09;")
    return value


def _tag(name: str, attrs: Iterable[tuple[str, str]]) -> str:
    return "<" + name + "".join(f' {k}="{_attr(v)}"' for k, v in attrs)


def _leaf(pad: str, name: str, attrs: Iterable[tuple[str, str]], text: str = "") -> str:
    """An element without children, on its own line (``pad``: newline and indentation)."""
    if text:
        return f"{pad}{_tag(name, attrs)}>{_text(text)}</{name}>"
    return f"{pad}{_tag(name, attrs)} />"


def _properties(pad: str, values: Mapping[str, Any]) -> str:
    inner = pad + '  <property name="'
    rows = [
        f'{inner}{_attr(name)}" value="{_attr(value if type(value) is str else str(value))}" />'
        for name, value in values.items()
        if value is not None and value != ""
    ]
    if not rows:
        return f"{pad}<properties />"
    return f"{pad}<properties>{''.join(rows)}{pad}</properties>"


#: A check's properties whose few values repeat in every row (escaped once each).
_REPEATED = ("outcome", "control", "severity", "family")
_repeated_attr = lru_cache(maxsize=4096)(_attr)


def _check_properties(pad: str, check: Mapping[str, Any]) -> str:
    """A check's ``<properties>``: what :func:`_properties` writes for its id, outcome,
    control, severity, family, target, blocking and waiver (names known to need no
    escaping)."""
    row = pad + '  <property name="'
    rows = []
    ident = check.get("id")
    if ident is not None and ident != "":
        rows.append(f'{row}id" value="{_attr(str(ident))}" />')
    for name in _REPEATED:
        value = check[name]
        if value is not None and value != "":
            rows.append(f'{row}{name}" value="{_repeated_attr(str(value))}" />')
    target = check["target"]
    if target is not None and target != "":
        rows.append(f'{row}target" value="{_attr(str(target))}" />')
    blocking = "true" if check.get("blocking") else "false"
    rows.append(f'{row}blocking" value="{blocking}" />')
    waiver = check.get("waiver")
    if waiver:
        for name in ("approver", "expires", "reason"):
            value = waiver.get(name)
            if value is not None and value != "":
                rows.append(f'{row}waiver.{name}" value="{_attr(str(value))}" />')
    return f"{pad}<properties>{''.join(rows)}{pad}</properties>"


def _first_line(text: str) -> str:
    return (text.splitlines() or [""])[0][:500]


def _kind(check: Mapping[str, Any]) -> str:
    """A check's JUnit kind: pass, failure, error or skipped."""
    outcome = check["outcome"]
    if outcome == "failed":
        return "failure"
    if outcome in ("error", "skipped"):
        return str(outcome)
    return "pass"


def _testcase(check: Mapping[str, Any]) -> str:
    pad = "\n    "
    inner = pad + "  "
    classname = _repeated_attr(f"readiness.{check['family']}")
    name = _attr(check.get("id") or f"{check['control']}[{check['target']}]")
    seconds = _time(float(check.get("duration") or 0.0))
    parts = [
        f'{pad}<testcase classname="{classname}" name="{name}" time="{seconds}">',
        _check_properties(inner, check),
    ]
    outcome = check["outcome"]
    message = str(check.get("message") or "")
    if outcome == "failed":
        text = f"{message}\n\nhow to fix: {check.get('remediation', '')}".strip()
        attrs = (("message", _first_line(message)), ("type", check["control"]))
        parts.append(_leaf(inner, "failure", attrs, text))
    elif outcome == "error":
        attrs = (("message", _first_line(message)), ("type", check["control"]))
        parts.append(_leaf(inner, "error", attrs, message))
    elif outcome == "skipped":
        parts.append(_leaf(inner, "skipped", (("message", _first_line(message) or "skipped"),)))
    elif outcome in ("warned", "waived") and message:
        parts.append(_leaf(inner, "system-out", (), f"{outcome}: {message}"))
    parts.append(f"{pad}</testcase>")
    return "".join(parts)


def junit_chunks(report: Mapping[str, Any]) -> Iterator[bytes]:
    """The JUnit XML document, in pieces (written as ElementTree writes an indented tree)."""
    gate = report["gate"]
    run = report.get("run") or {}
    checks = report.get("checks", [])
    counts = {"failure": 0, "error": 0, "skipped": 0, "pass": 0}
    duration = 0.0
    for check in checks:
        counts[_kind(check)] += 1
        duration += float(check.get("duration") or 0.0)
    gate_error = gate.get("state") == "error"
    if gate_error:
        counts["error"] += 1
    attrs = {
        "tests": str(sum(counts.values())),
        "failures": str(counts["failure"]),
        "errors": str(counts["error"]),
        "skipped": str(counts["skipped"]),
        "time": _time(duration),
        "timestamp": str(report.get("started_at") or ""),
        "hostname": str(run.get("host") or ""),
    }
    root = _tag(
        "testsuites",
        [("name", "readiness"), *((k, attrs[k]) for k in ("tests", "failures", "errors", "time"))],
    )
    suite = _tag(
        "testsuite", [("name", f"readiness.{report.get('profile') or 'run'}"), *attrs.items()]
    )
    suite_properties = _properties("\n    ", suite_property_values(report))
    pending = [_DECLARATION, root, ">\n  ", suite, ">", suite_properties]
    size = 0
    for check in checks:
        piece = _testcase(check)
        pending.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            yield "".join(pending).encode("utf-8", "xmlcharrefreplace")
            pending.clear()
            size = 0
    if gate_error:
        reason = str(gate.get("reason") or "the run could not judge")
        case = _tag("testcase", (("classname", "readiness.gate"), ("name", "run"), ("time", "0")))
        error = _leaf(
            "\n      ", "error", (("message", _first_line(reason)), ("type", "gate")), reason
        )
        pending.append(f"\n    {case}>{error}\n    </testcase>")
    pending.append("\n  </testsuite>\n</testsuites>\n")
    yield "".join(pending).encode("utf-8", "xmlcharrefreplace")


def junit_xml(report: Mapping[str, Any]) -> bytes:
    return b"".join(junit_chunks(report))


def suite_property_values(report: Mapping[str, Any]) -> dict[str, Any]:
    """The run's identity, gate and selection as testsuite properties (empty ones are
    left out when written)."""
    gate, run = report.get("gate") or {}, report.get("run") or {}
    selection = report.get("selection") or {}
    return {
        "profile": report.get("profile"),
        "profile_sha256": report.get("profile_sha256"),
        "environment": report.get("environment"),
        "run.id": run.get("id"),
        "run.commit": run.get("commit"),
        "gate.state": gate.get("state"),
        "gate.passed": str(bool(gate.get("passed"))).lower(),
        "gate.reason": gate.get("reason"),
        "gate.fail_on": gate.get("fail_on"),
        "selection.mode": selection.get("mode"),
        "selection.selected": selection.get("selected"),
        "selection.deselected": selection.get("deselected"),
        "selection.total": selection.get("total"),
        "selection.reasons": "; ".join(selection.get("reasons") or []),
    }
