"""Manual attestations in the reports: the register of human statements behind the gate.

Registered through its own ``pytest11`` entry point. Adds ``attestations`` to the JSON
report (every attestation of the profile with its state on the run's date) and a
"Manual attestations" table to the HTML summary, kept apart from automated evidence.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

import pytest

from readiness import clock
from readiness.controls import catalogue
from readiness.keys import PROFILE
from readiness.profile.operations import Attestation


def state_of(att: Attestation, today: dt.date) -> str:
    """``valid``, ``expired``, ``future`` (dated after today) or ``failed``."""
    if att.date > today:
        return "future"
    if today > att.valid_until:
        return "expired"
    return "failed" if att.status == "failed" else "valid"


def register(attestations: list[Attestation], today: dt.date) -> list[dict[str, Any]]:
    controls = catalogue()
    rows = []
    for att in sorted(attestations, key=lambda a: (a.control, a.date)):
        ctl = controls.get(att.control)
        rows.append(
            {
                "kind": "attestation",
                "control": att.control,
                "title": ctl.title if ctl else "",
                "target": att.target,
                "status": att.status,
                "state": state_of(att, today),
                "explanation": att.explanation,
                "attested_by": att.attested_by,
                "date": att.date.isoformat(),
                "frequency": att.frequency,
                "valid_until": att.valid_until.isoformat(),
                **({"release": att.release} if att.release else {}),
            }
        )
    return rows


def _run_date(report: dict[str, Any]) -> dt.date:
    started = str(report.get("started_at") or "")
    try:
        return dt.datetime.fromisoformat(started.replace("Z", "+00:00")).date()
    except ValueError:
        return clock.today()


_STATE_STYLE = {
    "valid": "color:#1a7f37",
    "expired": "color:#cf222e;font-weight:bold",
    "failed": "color:#cf222e;font-weight:bold",
    "future": "color:#9a6700;font-weight:bold",
}


def _release(row: dict[str, Any]) -> str:
    """The release an attestation is for, shown before its explanation."""
    return f"<strong>release {escape(row['release'])}</strong>: " if row.get("release") else ""


def html_table(rows: list[dict[str, Any]]) -> str:
    head = (
        "<h2>Manual attestations</h2>"
        "<p>Statements by people, not automated evidence. Each is valid until the date "
        "shown; an expired one fails its control until re-attested.</p>"
    )
    if not rows:
        return head + "<p>None in this profile.</p>"
    cells = "".join(
        "<tr>"
        f"<td>{escape(r['control'])}<br><small>{escape(r['title'])}</small></td>"
        f"<td>{escape(r['status'])}</td>"
        f'<td style="{_STATE_STYLE.get(r["state"], "")}">{escape(r["state"])}</td>'
        f"<td>{escape(r['attested_by'])}</td>"
        f"<td>{escape(r['date'])}</td>"
        f"<td>{escape(r['valid_until'])}</td>"
        f"<td>{_release(r)}{escape(r['explanation'])}</td>"
        "</tr>"
        for r in rows
    )
    return (
        head + '<table class="readiness-attestations"><thead><tr><th>Control</th>'
        "<th>Status</th><th>State</th><th>Attested by</th><th>Date</th><th>Valid until</th>"
        f"<th>Explanation</th></tr></thead><tbody>{cells}</tbody></table>"
    )


# pytest only collects hook functions named pytest_*: `specname` binds them to the
# readiness hooks.
@pytest.hookimpl(optionalhook=True, specname="readiness_run_finished")
def pytest_attestations_run_finished(config: pytest.Config, report: dict[str, Any]) -> None:
    profile = config.stash.get(PROFILE, None)
    if profile is not None:
        report["attestations"] = register(list(profile.attestations), _run_date(report))


@pytest.hookimpl(optionalhook=True, specname="readiness_html_sections")
def pytest_attestations_html_sections(config: pytest.Config, report: dict[str, Any]) -> list[str]:
    profile = config.stash.get(PROFILE, None)
    if profile is None or not profile.attestations:
        return []
    rows = report.get("attestations") or register(list(profile.attestations), _run_date(report))
    return [html_table(rows)]
