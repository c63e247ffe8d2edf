"""The HTML report, driven in headless Chromium: one outcome model, filters, search, sort,
evidence, blockers and framework coverage, all matching the JSON report."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest

from readiness.controls import catalogue
from readiness.controls.frameworks import requirements_of
from tests.browser import open_page
from tests.plugin.test_plugin import report, run

SOON = dt.date.today() + dt.timedelta(days=10)

CHECKS = """
import pytest
from readiness import Finding, SourceError, assert_no_findings, control, parametrize
from readiness.checking import profile_of

TARGETS = {"cart": "ok", "pay": "bad", "ledger": "down", "search-api": "bad"}

def pytest_generate_tests(metafunc):
    profile_of(metafunc.config)
    parametrize(metafunc, "target", sorted(TARGETS.items()))

@control("HTTP-HEALTH")
def test_health(target, evidence):
    evidence.add(url=f"https://{target}.example.test/healthz", status={"code": 503, "body": "down"})
    if target == "down":
        raise SourceError("ledger", "cannot reach http://127.0.0.1:9/healthz: connection refused")
    assert_no_findings(
        [Finding("health endpoint failed", expected="HTTP 200", found="HTTP 503",
                 fix="make /healthz answer")] if target == "bad" else []
    )

@control("K8S-IMAGE-DIGEST")
def test_digest(target, evidence):
    evidence.add(expr='rate(http_requests_total{job="x", code=~"5.."}[5m]) > 0.1')
    assert_no_findings([Finding(f"image of {target} is not pinned", expected="a digest",
                                found="a tag")] if target != "ok" else [])

@control("HTTP-TLS-VERSION")
def test_tls(target):
    assert_no_findings([Finding("TLS 1.0 accepted", expected="TLS >= 1.2", found="TLS 1.0")]
                       if target == "ok" else [])

@control("K8S-SA-TOKEN")
def test_token(target):
    pytest.skip("no Kubernetes target configured")
"""

PROFILE = f"""environment: test
gate: {{fail_on: high}}
families:  # the checks below bring their own targets
  http: {{enabled: true}}
  kubernetes: {{enabled: true}}
waivers:
  - control: HTTP-TLS-VERSION
    target: cart
    reason: kiosks speak TLS 1.0 until January
    approver: dana@example.com
    expires: {SOON.isoformat()}
"""


def _shown(page: Any) -> list[dict[str, str]]:
    return page.eval_on_selector_all(
        "#rd-table > tbody > tr:not([hidden])",
        "rows => rows.map(r => ({o: r.dataset.o, s: r.dataset.s, c: r.dataset.c,"
        " target: r.cells[4].textContent, fw: r.dataset.fw}))",
    )


def test_page_matches_the_json_and_filters_search_sort_and_evidence_work(
    pytester: pytest.Pytester,
) -> None:
    run(pytester, PROFILE, checks=CHECKS)
    data = report(pytester)
    assert set(data["summary"].values()) != {0}
    html = pytester.path / "reports" / "readiness-report.html"
    with open_page(html) as page:
        p: Any = page
        # One outcome model: chips, rows and the JSON agree, for every outcome.
        chips = p.eval_on_selector_all(
            ".rd-chip",
            "cs => Object.fromEntries(cs.map(c => [c.dataset.outcome, +c.dataset.count]))",
        )
        assert chips == data["summary"]
        assert Counter(r["o"] for r in _shown(p)) == +Counter(data["summary"])
        assert all(n > 0 for n in data["summary"].values())  # every outcome is exercised
        assert p.inner_text("#rd-verdict").strip() == "Gate FAILED: release blocked"
        assert not p.is_visible(".summary .controls")  # pytest-html's own filter bar
        assert not p.is_visible("#results-table")

        # Blockers: grouped by cause, the most severe first.
        causes = p.eval_on_selector_all(".rd-blocker summary b", "bs => bs.map(b => b.textContent)")
        assert causes == ["HTTP-HEALTH"]
        assert "ledger" in p.inner_text("#rd-blockers") and "pay" in p.inner_text("#rd-blockers")

        # Filter by severity.
        p.select_option("#rd-f-severity", "low")
        shown = _shown(p)
        assert shown and {r["s"] for r in shown} == {"low"}
        assert len(shown) == sum(1 for c in data["checks"] if c["severity"] == "low")
        assert p.inner_text("#rd-shown") == f"{len(shown)} of {len(data['checks'])} shown"
        # ... and by outcome, with a chip.
        p.click("#rd-reset")
        p.click(".rd-chip[data-outcome=warned]")
        assert {r["o"] for r in _shown(p)} == {"warned"}
        assert p.get_attribute(".rd-chip[data-outcome=warned]", "aria-pressed") == "true"

        # Free-text search over target and message.
        p.click("#rd-reset")
        p.fill("#rd-search", "search-api")
        p.wait_for_function("document.getElementById('rd-shown').textContent.startsWith('4 of')")
        assert {r["target"] for r in _shown(p)} == {"search-api"}
        p.fill("#rd-search", "TLS 1.0 accepted")
        p.wait_for_function("document.getElementById('rd-shown').textContent.startsWith('1 of')")
        assert [r["c"] for r in _shown(p)] == ["HTTP-TLS-VERSION"]

        # Framework filter: only controls that evidence a CIS Kubernetes requirement.
        p.click("#rd-reset")
        p.select_option("#rd-f-framework", "cis-k8s")
        cis = {
            c.id
            for c in catalogue().values()
            if any(r.framework == "cis-k8s" for r in requirements_of(c))
        }
        assert {r["c"] for r in _shown(p)} == {"K8S-SA-TOKEN"} and "K8S-SA-TOKEN" in cis

        # Sort: severity critical -> info on the first click, every column sorts.
        p.click("#rd-reset")
        p.click("#rd-table th[data-sort=sev]")
        order = [r["s"] for r in _shown(p)]
        rank = ["critical", "high", "medium", "low", "info"]
        assert order == sorted(order, key=rank.index)
        p.click("#rd-table th[data-sort=target]")
        targets = [r["target"] for r in _shown(p)]
        assert targets == sorted(targets)
        p.click("#rd-table th[data-sort=target]")
        assert [r["target"] for r in _shown(p)] == sorted(targets, reverse=True)

        # Evidence: collapsed by default, a key/value table with links and code blocks.
        row = p.locator("#rd-table > tbody > tr[data-c='HTTP-HEALTH']").first
        assert not row.locator(".rd-ev").is_visible()
        row.locator("details.rd-detail summary").click()
        ev = row.locator(".rd-ev")
        ev.locator("table").first.wait_for()  # drawn on the toggle event, just after the click
        assert ev.locator("th", has_text="url").count() == 1
        assert ev.locator("a").first.get_attribute("href").endswith(".example.test/healthz")
        assert ev.locator("table table th", has_text="code").count() == 1
        digest = p.locator("#rd-table > tbody > tr[data-c='K8S-IMAGE-DIGEST']").first
        digest.locator("details.rd-detail summary").click()
        digest.locator(".rd-ev pre code").wait_for()
        assert 'code=~"5.."' in digest.locator(".rd-ev pre code").inner_text()

        # Every message once, never cut.
        for check in data["checks"]:
            if check["message"]:
                assert (
                    p.locator(f"#rd-table tr[data-nodeid='{check['nodeid']}'] .rd-msg").inner_text()
                    == check["message"]
                )
        assert p.locator(".rd-msg", has_text="health endpoint failed").count() == 2

        # Waivers with their state; framework coverage.
        assert "active" in p.inner_text("#rd-waivers") and "dana@example.com" in p.inner_text(
            "#rd-waivers"
        )
        cov = p.inner_text("#rd-frameworks")
        assert "CIS Kubernetes Benchmark" in cov and "SOC 2" in cov


def test_runs_without_a_profile_keep_pytest_htmls_own_page(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_plain="def test_one():\n    assert True\n\ndef test_two():\n    assert False\n"
    )
    pytester.runpytest("-p", "no:cacheprovider", "--html=page.html", "--self-contained-html")
    html = pytester.path / "page.html"
    text = html.read_text()
    assert 'id="readiness"' not in text and "test_plain.py::test_two" in text
    with open_page(html) as page:
        p: Any = page
        assert p.is_visible("#results-table") and p.is_visible(".summary .controls")
        assert p.locator("#results-table tbody.results-table-row").count() == 2
        assert "1 Failed" in p.inner_text(".summary .filters")
