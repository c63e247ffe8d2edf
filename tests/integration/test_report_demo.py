"""The demo's HTML report, opened in headless Chromium, says exactly what its JSON says."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from readiness.controls import SEVERITY_NAMES
from tests.browser import open_page
from tests.integration.test_demo import DEMO_PORTS, REPO, listening, run

pytestmark = pytest.mark.integration


def test_demo_report_page_equals_the_json_report(tmp_path: Path) -> None:
    assert not [p for p in DEMO_PORTS if listening(p)], "demo ports in use (a demo still up?)"
    reports = tmp_path / "reports"
    done = run(
        ["readiness.cli", "demo", "run", "-p", "no:cacheprovider", f"--report-dir={reports}"],
        REPO,
        tmp_path / "demo",
    )
    assert done.returncode == 1, (done.stdout + done.stderr)[-4000:]
    data = json.loads((reports / "readiness-report.json").read_text())
    checks = {c["nodeid"]: c for c in data["checks"]}
    with open_page(reports / "readiness-report.html") as page:
        p: Any = page
        chips = p.eval_on_selector_all(
            ".rd-chip",
            "cs => Object.fromEntries(cs.map(c => [c.dataset.outcome, +c.dataset.count]))",
        )
        assert chips == data["summary"]
        rows = p.eval_on_selector_all(
            "#rd-table > tbody > tr",
            "rs => rs.map(r => ({id: r.dataset.nodeid, o: r.dataset.o, s: r.dataset.s,"
            " msg: (r.querySelector('.rd-msg') || {}).innerText || ''}))",
        )
        assert Counter(r["id"] for r in rows) == Counter(list(checks))  # every check, once
        assert Counter(r["o"] for r in rows) == +Counter(data["summary"])
        for r in rows:  # labels and messages are the JSON's, whole
            check = checks[r["id"]]
            assert (r["o"], r["s"]) == (check["outcome"], check["severity"])
            assert r["msg"] == check["message"]
        assert p.inner_text("#rd-verdict").strip() == "Gate FAILED: release blocked"
        assert not p.is_visible(".summary .controls")  # pytest-html's pytest-outcome counts

        severities = p.eval_on_selector_all(
            "#rd-by-severity tr th .rd-sev", "ss => ss.map(s => s.textContent)"
        )
        assert severities == [s for s in SEVERITY_NAMES if s in data["by_severity"]]
        blocked = p.eval_on_selector_all(".rd-blocker li a", "as => as.length")
        assert blocked == len(data["gate"]["blocking"])

        p.select_option("#rd-f-severity", "critical")
        shown = p.eval_on_selector_all(
            "#rd-table > tbody > tr:not([hidden])", "rs => rs.map(r => r.dataset.s)"
        )
        assert shown and set(shown) == {"critical"}
        assert len(shown) == sum(1 for c in data["checks"] if c["severity"] == "critical")

        p.click("#rd-reset")
        p.fill("#rd-search", "shop/deployment/cart")
        p.wait_for_function(
            f"!document.getElementById('rd-shown').textContent.startsWith('{len(rows)} of')"
        )
        texts = p.eval_on_selector_all(
            "#rd-table > tbody > tr:not([hidden])",
            "rs => rs.map(r => (r.cells[4].textContent + ' ' + r.cells[5].innerText).toLowerCase())",
        )
        assert texts and all("shop/deployment/cart" in t for t in texts)

        row = p.locator("#rd-table > tbody > tr:not([hidden])[data-c='K8S-PROBES']").first
        row.locator("details.rd-detail summary").click()
        row.locator(".rd-ev table").first.wait_for()  # drawn on the toggle event
        assert row.locator(".rd-ev table th").count() > 0

        # SLO burn-down charts: in the evidence of the SLO checks, drawn when opened.
        p.click("#rd-reset")
        slo = p.locator("#rd-table > tbody > tr[data-c='SLO-BUDGET']").first
        assert slo.locator(".slo-burndown").count() == 0
        slo.locator("details.rd-detail summary").click()
        slo.locator("svg.slo-burndown").wait_for()
        assert slo.locator("svg.slo-burndown").count() == 1
        assert "Weekly trends" in p.inner_text("#rd-sections")
