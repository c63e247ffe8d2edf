"""The readiness part of the HTML report: one self-contained fragment rendered with Jinja2.

pytest-html writes the page; its summary hook carries this fragment, which holds the
verdict, what blocks the release, framework coverage, run-to-run changes and the results
table in the readiness outcome model (the same numbers as the JSON report).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from readiness.controls import SEVERITY_NAMES, Control, catalogue
from readiness.controls.frameworks import FRAMEWORKS, requirements_of
from readiness.gate import OUTCOMES
from readiness.report.coverage import framework_coverage, frameworks_of

HERE = Path(__file__).parent
SEVERITY_RANK = {name: len(SEVERITY_NAMES) - i for i, name in enumerate(SEVERITY_NAMES)}
OUTCOME_RANK = {
    o: i for i, o in enumerate(("failed", "error", "warned", "waived", "skipped", "passed"))
}
BLOCKED_STATES = {"failed", "partial", "error"}
FIXABLE = frozenset({"failed", "warned", "waived", "error"})


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["first_line"] = lambda s: (str(s).splitlines() or [""])[0]
    return env


def _asset(name: str) -> str:
    return (HERE / name).read_text(encoding="utf-8")


def gate_state(report: Mapping[str, Any]) -> str:
    """``passed``, ``failed``, or the gate's own ``partial``/``error`` state when it has one."""
    gate = report["gate"]
    state = gate.get("state")
    if isinstance(state, str) and state:
        return state
    return "passed" if gate["passed"] else "failed"


def blocking_groups(checks: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Blocking findings grouped by cause (the control), most severe cause first."""
    groups: dict[str, dict[str, Any]] = {}
    for i, c in enumerate(checks):
        if not c.get("blocking"):
            continue
        g = groups.setdefault(
            c["control"],
            {
                "control": c["control"],
                "title": c.get("title", ""),
                "severity": c["severity"],
                "family": c["family"],
                "remediation": c.get("remediation", ""),
                "checks": [],
            },
        )
        g["checks"].append({**c, "row": i})
    return sorted(
        groups.values(),
        key=lambda g: (-SEVERITY_RANK.get(g["severity"], 0), -len(g["checks"]), g["control"]),
    )


def _ordered_breakdown(
    breakdown: Mapping[str, Mapping[str, int]], order: Sequence[str] | None = None
) -> list[tuple[str, Mapping[str, int]]]:
    if order is None:
        return sorted(breakdown.items())
    return [(k, breakdown[k]) for k in order if k in breakdown]


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=str)
# Where the page's two data blocks go: put in after rendering, so that the template engine
# never copies them (a NUL is in no escaped value nor in the page's own markup).
_ROWS_SLOT = "\x00rd-rows\x00"
_DETAILS_SLOT = "\x00rd-details\x00"


def _json_script(data: Any) -> str:
    """JSON safe inside a <script> element (no ``</script>``, no ``<!--``)."""
    text = _ENCODER.encode(data)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


_BATCH = 256  # items encoded in one call: the same text, fewer encoder set-ups


def _json_array(items: Iterable[Any]) -> Iterator[str]:
    """A JSON array's pieces, a batch of items at a time (each as :func:`_json_script`
    writes it): no list of tens of thousands of rows is built only to be written."""
    separator = "["
    batch: list[Any] = []
    for item in items:
        batch.append(item)
        if len(batch) == _BATCH:
            yield separator + _json_script(batch)[1:-1]
            separator = ","
            batch.clear()
    if batch:
        yield separator + _json_script(batch)[1:-1]
        separator = ","
    yield "[]" if separator == "[" else "]"


def _details(
    checks: Sequence[Mapping[str, Any]], html: Mapping[str, Sequence[str]]
) -> Iterator[dict[str, Any]]:
    """Each check's evidence and charts, in JSON report order: parsed on the first open."""
    for c in checks:
        yield {"e": c.get("evidence") or {}, "h": "".join(html.get(c["nodeid"], ()))}


def _control_columns(ctl: Control | None) -> tuple[str, list[str]]:
    """A control's frameworks and requirement labels, as the table shows them."""
    if ctl is None:
        return "", []
    return " ".join(frameworks_of(ctl)), [r.label for r in requirements_of(ctl)]


def _row(
    i: int, c: Mapping[str, Any], ctl: Control | None, columns: tuple[str, list[str]]
) -> dict[str, Any]:
    """One row of the results table (``i``: the check's place in the JSON report;
    ``columns``: its control's :func:`_control_columns`)."""
    waiver = c.get("waiver")
    return {
        "i": i,
        "o": c["outcome"],
        "or": OUTCOME_RANK.get(c["outcome"], 9),
        "s": c["severity"],
        "sr": SEVERITY_RANK.get(c["severity"], 0),
        "c": c["control"],
        "t": c.get("title", ""),
        "f": c["family"],
        "fw": columns[0],
        "tg": c["target"],
        "m": c.get("message", ""),
        "fix": c.get("remediation", "") if c["outcome"] in FIXABLE else "",
        "w": (
            f"approved by {waiver.get('approver')} until {waiver.get('expires')}: "
            f"{waiver.get('reason')}"
            if waiver
            else ""
        ),
        "b": bool(c.get("blocking")),
        "id": c["nodeid"],
        "rq": columns[1],
        "d": c.get("duration", 0.0),
    }


def _rows(checks: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    """The results table's data, in review order; the page's script renders it. What a
    reviewer reads first: failures before passes, the most severe first."""
    controls = catalogue()
    order = sorted(
        range(len(checks)),
        key=lambda i: (
            OUTCOME_RANK.get(checks[i]["outcome"], 9),
            -SEVERITY_RANK.get(checks[i]["severity"], 0),
            checks[i]["control"],
            i,
        ),
    )
    columns: dict[str, tuple[str, list[str]]] = {}
    for i in order:
        control = checks[i]["control"]
        ctl = controls.get(control)
        if control not in columns:
            columns[control] = _control_columns(ctl)
        yield _row(i, checks[i], ctl, columns[control])


def render_fragment(
    report: Mapping[str, Any],
    *,
    check_html: Mapping[str, Sequence[str]] | None = None,
    sections: Sequence[str] = (),
) -> str:
    """The readiness report as one HTML fragment (style, markup, data, script)."""
    return "".join(fragment_pieces(report, check_html=check_html, sections=sections))


def fragment_pieces(
    report: Mapping[str, Any],
    *,
    check_html: Mapping[str, Sequence[str]] | None = None,
    sections: Sequence[str] = (),
) -> Iterator[str]:
    """:func:`render_fragment` in pieces (the data blocks row by row), to be written
    one after the other without ever holding the whole fragment."""
    checks = report["checks"]
    state = gate_state(report)
    coverage = framework_coverage(checks)
    controls_seen = sorted({c["control"] for c in checks})
    families = sorted({c["family"] for c in checks})
    page = (
        _environment()
        .get_template("readiness.html.j2")
        .render(
            r=report,
            run=report["run"],
            gate=report["gate"],
            state=state,
            blocked=state in BLOCKED_STATES,
            outcomes=OUTCOMES,
            severities=SEVERITY_NAMES,
            families=families,
            controls=controls_seen,
            frameworks=FRAMEWORKS,
            coverage=coverage,
            blockers=blocking_groups(checks),
            by_family=_ordered_breakdown(report.get("by_family", {})),
            by_severity=_ordered_breakdown(report.get("by_severity", {}), SEVERITY_NAMES),
            total=len(checks),
            rows_json=_ROWS_SLOT,
            details_json=_DETAILS_SLOT,
            changes=report.get("changes"),
            selection=report.get("selection"),
            tls_unverified=report["run"].get("tls_unverified"),
            sections=list(sections),
            style=_asset("report.css"),
            script=_asset("report.js"),
        )
    )
    head, rest = page.split(_ROWS_SLOT)
    middle, tail = rest.split(_DETAILS_SLOT)
    yield head
    yield from _json_array(_rows(checks))
    yield middle
    yield from _json_array(_details(checks, check_html or {}))
    yield tail
