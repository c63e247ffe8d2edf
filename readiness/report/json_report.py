"""The JSON report: the stable contract of DESIGN.md, written atomically with its sha256."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from json.encoder import encode_basestring_ascii as _string
from pathlib import Path
from sys import getrefcount
from typing import Any

from readiness.gate import OUTCOMES, GateState, Outcome, gate_state, stale_waivers
from readiness.profile.model import Profile
from readiness.report.files import DIGEST_NAME, JSON_NAME, ReportSet
from readiness.report.identity import RunIdentity
from readiness.results import CheckResult

SCHEMA = "readiness.report/v1"


def readiness_version() -> str:
    try:
        return version("readiness")
    except PackageNotFoundError:
        return "unknown"


def _iso(t: dt.datetime) -> str:
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_report(
    profile: Profile,
    identity: RunIdentity,
    results: Sequence[CheckResult],
    *,
    started_at: dt.datetime,
    finished_at: dt.datetime,
    today: dt.date,
    selection: dict[str, Any] | None = None,
    errors: Sequence[str] = (),
) -> dict[str, Any]:
    ordered = sorted(results, key=lambda r: (r.id, r.nodeid))
    summary = {o: 0 for o in OUTCOMES}
    for r in ordered:
        summary[r.outcome] += 1
    selection = selection or {"mode": "full", "selected": len(ordered), "total": len(ordered)}
    blocking = [r.nodeid for r in ordered if r.blocking]
    stale = stale_waivers(
        profile.waivers, ((r.control, r.target, Outcome(r.outcome)) for r in ordered)
    )
    report: dict[str, Any] = {
        "schema": SCHEMA,
        "readiness_version": readiness_version(),
        "profile": profile.name,
        "profile_path": profile.path,
        "profile_sha256": profile.sha256,
        "environment": profile.environment,
        "release": profile.release.model_dump(mode="json"),
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "run": identity.as_dict(),
        "gate": gate_block(
            profile.gate.fail_on, profile.gate.errors_block, blocking, selection, errors
        ),
        "selection": selection,
        "summary": summary,
        "by_family": breakdown((r.family, r.outcome) for r in ordered),
        "by_severity": breakdown((r.severity, r.outcome) for r in ordered),
        "checks": [r.contract() for r in ordered],
        "waivers": [
            {
                **w.model_dump(mode="json"),
                "expired": w.expires < today,
                "stale": any(s.waiver is w for s in stale),
                "stale_reason": next((s.reason for s in stale if s.waiver is w), None),
            }
            for w in profile.waivers
        ],
        "controls_overridden": {
            cid: setting.model_dump(mode="json") for cid, setting in profile.controls.items()
        },
        "dora": None,
    }
    return report


def gate_block(
    fail_on: str,
    errors_block: bool,
    blocking: list[str],
    selection: dict[str, Any],
    errors: Sequence[str],
) -> dict[str, Any]:
    """The verdict: ``state`` (passed/failed/partial/error), ``passed`` (true only for a
    full run without blocking findings), the reason in words, the blocking checks."""
    partial = selection.get("mode") == "partial"
    state = gate_state(blocking=len(blocking), partial=partial, errors=errors)
    if state is GateState.ERROR:
        reason = "; ".join(errors)
    elif state is GateState.FAILED:
        reason = f"{len(blocking)} blocking finding{'s' if len(blocking) != 1 else ''}"
        if partial:
            reason += f" in a {partial_text(selection)}"
    elif state is GateState.PARTIAL:
        reason = partial_text(selection)
    else:
        reason = f"full run: {selection.get('selected')} checks, no blocking finding"
    return {
        "fail_on": fail_on,
        "errors_block": errors_block,
        "state": state.value,
        "passed": state is GateState.PASSED,
        "reason": reason,
        "errors": list(errors),
        "blocking": blocking,
    }


def partial_text(selection: dict[str, Any]) -> str:
    """'partial run: 3 of 40 checks (-k 'hsts'), not a release verdict'."""
    total = selection.get("total")
    count = (
        f"{selection.get('selected')} of {total}"
        if total is not None
        else str(selection.get("selected"))
    )
    reasons = selection.get("reasons") or []
    why = f" ({', '.join(reasons)})" if reasons else ""
    return f"partial run: {count} checks{why}, not a release verdict"


def breakdown(pairs: Iterable[tuple[str, str]]) -> dict[str, dict[str, int]]:
    """Outcome counts per group, from (group, outcome) pairs."""
    out: dict[str, dict[str, int]] = {}
    for group, outcome in pairs:
        row = out.setdefault(group, {o: 0 for o in OUTCOMES})
        row[outcome] += 1
    return dict(sorted(out.items()))


_CHUNK = 1 << 16  # characters joined before a piece is encoded and written
_INDENT = "  "


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key: Any) -> str:
    if isinstance(key, str):
        return _string(key)
    if key is True or key is False or key is None:
        return _string(json.dumps(key))
    if isinstance(key, int):
        return _string(int.__repr__(key))
    if isinstance(key, float):
        return _string(_float(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def _scalar(value: Any) -> str | None:
    """A JSON scalar as ``json.dumps`` writes it, or None for a container, for the values
    :meth:`_Indented.value` does not match by their exact type (floats, subclasses)."""
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, list | tuple | dict):
        return None
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class _Indented:
    """Values as ``json.dumps(indent=2)`` writes them. A container that many rows share
    (a source's list of namespaces in every check of that source) is written once per
    indentation and its text reused: the report is not changed while it is written."""

    __slots__ = ("_memo",)

    def __init__(self) -> None:
        self._memo: dict[tuple[int, str], tuple[object, str]] = {}

    def value(self, value: Any, pad: str) -> str:
        """``value`` at the indentation ``pad`` (a newline and the spaces before the
        value's line)."""
        kind = type(value)  # the common scalars first: called for every value of a report
        if kind is str:
            return _string(value)
        if value is None:
            return "null"
        if value is True:
            return "true"
        if value is False:
            return "false"
        if kind is int:
            return int.__repr__(value)
        if kind is dict or kind is list:
            if getrefcount(value) > _SHARED:
                key = (id(value), pad)
                seen = self._memo.get(key)
                if seen is not None and seen[0] is value:
                    return seen[1]
                text = self._container(value, pad)
                self._memo[key] = (value, text)
                return text
            return self._container(value, pad)
        scalar = _scalar(value)
        return self._container(value, pad) if scalar is None else scalar

    def _container(self, value: Any, pad: str) -> str:
        inner = pad + _INDENT
        if isinstance(value, dict):
            if not value:
                return "{}"
            items = [f"{_key(k)}: {self.value(v, inner)}" for k, v in value.items()]
            return "{" + inner + ("," + inner).join(items) + pad + "}"
        if not value:
            return "[]"
        return "[" + inner + ("," + inner).join([self.value(v, inner) for v in value]) + pad + "]"


#: References beyond the caller's own that make a container worth remembering.
_SHARED = 8


def _pieces(report: Mapping[str, Any]) -> Iterator[str]:
    """The report as ``json.dumps(report, indent=2)`` writes it, a top-level field or
    one item of a top-level list (e.g. one check) at a time."""
    if not report:
        yield "{}"
        return
    writer = _Indented()
    pad, inner = "\n" + _INDENT, "\n" + 2 * _INDENT
    for n, (key, value) in enumerate(report.items()):
        yield ("{" if n == 0 else ",") + pad + _key(key) + ": "
        if isinstance(value, list | tuple) and value:
            for i, item in enumerate(value):
                yield ("[" if i == 0 else ",") + inner + writer.value(item, inner)
            yield pad + "]"
        else:
            yield writer.value(value, pad)
    yield "\n}"


def json_chunks(report: Mapping[str, Any]) -> Iterator[bytes]:
    """The JSON report's bytes (``json.dumps(report, indent=2)`` and a newline), in
    pieces: a report of tens of thousands of checks is never held whole as text."""
    pending: list[str] = []
    size = 0
    for piece in _pieces(report):
        pending.append(piece)
        size += len(piece)
        if size >= _CHUNK:
            yield "".join(pending).encode()
            pending.clear()
            size = 0
    pending.append("\n")
    yield "".join(pending).encode()


def report_stream(report: Mapping[str, Any]) -> dict[str, Iterator[bytes]]:
    """The JSON report and its ``.sha256``, each as pieces, in the order they are to be
    written: the digest is computed while the JSON is written, and known only after."""
    digest = hashlib.sha256()

    def json_file() -> Iterator[bytes]:
        for chunk in json_chunks(report):
            digest.update(chunk)
            yield chunk

    def digest_file() -> Iterator[bytes]:
        yield f"{digest.hexdigest()}  {JSON_NAME}\n".encode()

    return {JSON_NAME: json_file(), DIGEST_NAME: digest_file()}


def report_files(report: Mapping[str, Any]) -> dict[str, bytes]:
    """The JSON report and its ``.sha256``, as bytes."""
    return {name: b"".join(chunks) for name, chunks in report_stream(report).items()}


def write_report(report: dict[str, Any], report_dir: Path) -> Path:
    """Write the JSON and its ``.sha256`` atomically (a reader never sees half a file)."""
    ReportSet(report_dir).publish(report_stream(report))
    return report_dir / JSON_NAME


def error_report(
    profile_name: str,
    identity: RunIdentity,
    reason: str,
    *,
    started_at: dt.datetime,
    finished_at: dt.datetime,
) -> dict[str, Any]:
    """The report of a run that could not start judging (e.g. a broken profile)."""
    return {
        "schema": SCHEMA,
        "readiness_version": readiness_version(),
        "profile": profile_name,
        "profile_path": None,
        "profile_sha256": None,
        "environment": None,
        "release": None,
        "started_at": _iso(started_at),
        "finished_at": _iso(finished_at),
        "run": identity.as_dict(),
        "gate": {
            "fail_on": None,
            "errors_block": True,
            "state": GateState.ERROR.value,
            "passed": False,
            "reason": reason,
            "errors": [reason],
            "blocking": [],
        },
        "selection": {"mode": "full", "selected": 0, "deselected": 0, "total": None},
        "summary": {o: 0 for o in OUTCOMES},
        "by_family": {},
        "by_severity": {},
        "checks": [],
        "waivers": [],
        "controls_overridden": {},
        "dora": None,
    }
