"""HTML report load time in headless Chromium for 10,000 checks: the readiness page
against pytest-html's own page for the same checks, measured in the same run.

    python bench/report_render.py [--checks 10000] [--repeat 5]

Both pages are written by a real pytest run of the same 10,000 parametrized checks
(mixed outcomes, each with evidence): `readiness` with `--profile` (the readiness
fragment in pytest-html's page), `pytest-html` with readiness off (pytest-html's own
table, the page a non-profile run gets). Each page is opened --repeat times in a fresh
headless Chromium (Debian's, driven by Playwright); the time is navigation start to the
end of the load event (all inline scripts run, the table built). Also timed on the
readiness page: a severity filter, a free-text search, a sort, opening one evidence.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser import CHROMIUM_ARGS, chromium_path

CHECKS = """
import pytest
from readiness import Finding, assert_no_findings, control, parametrize

OUTCOMES = ["passed"] * 6 + ["failed", "warned", "skipped", "error"]

def pytest_generate_tests(metafunc):
    parametrize(metafunc, "target", [(f"ns{{i % 40}}/Deployment/svc-{{i}}", i) for i in range({n})])

def _check(target, evidence, severity_hint):
    i = target
    evidence.add(url=f"https://svc-{{i}}.example.test/healthz", status={{"code": 200 + i % 3}},
                 expr=f'rate(http_requests_total{{{{job="svc-{{i}}"}}}}[5m]) > 0.1',
                 containers=[{{"name": "app", "image": f"registry.example/svc:{{i}}"}}])
    kind = OUTCOMES[i % len(OUTCOMES)]
    if kind == "skipped":
        pytest.skip("not applicable to this workload")
    if kind == "error":
        raise RuntimeError(f"could not reach svc-{{i}}")
    if kind in ("failed", "warned"):
        assert_no_findings([Finding(f"svc-{{i}} has no readinessProbe", expected="a readinessProbe",
                                    found="none", fix="add one")])

@control("K8S-PROBES")
def test_high(target, evidence):
    _check(target, evidence, "high")
"""

PROFILE = """environment: bench
families: {kubernetes: {enabled: true}}
controls:
  K8S-PROBES: {severity: high, reason: bench}
"""


def build(root: Path, n: int) -> dict[str, Path]:
    (root / "test_bench.py").write_text(textwrap.dedent(CHECKS.format(n=n)))
    (root / "bench.yaml").write_text(PROFILE)
    py = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_bench.py"]
    off = ["-p", "no:readiness", "-p", "no:readiness-dora", "-p", "no:readiness-attestations"]
    plain_checks = root / "plain"
    plain_checks.mkdir()
    # Without the plugin the same checks need its names: give them trivial stand-ins.
    (plain_checks / "test_bench.py").write_text(
        textwrap.dedent(
            f"""
            import pytest
            OUTCOMES = ["passed"] * 6 + ["failed", "warned", "skipped", "error"]
            IDS = [f"ns{{i % 40}}/Deployment/svc-{{i}}" for i in range({n})]
            @pytest.mark.parametrize("i", range({n}), ids=IDS)
            def test_high(i):
                kind = OUTCOMES[i % len(OUTCOMES)]
                if kind == "skipped":
                    pytest.skip("not applicable to this workload")
                if kind == "error":
                    raise RuntimeError(f"could not reach svc-{{i}}")
                assert kind not in ("failed", "warned"), f"svc-{{i}} has no readinessProbe"
            """
        )
    )
    pages = {
        "readiness": (
            [*py, "--profile=bench.yaml", "--report-dir=out"],
            root,
            root / "out" / "readiness-report.html",
        ),
        "pytest-html": (
            [*py[:-1], "test_bench.py", *off, "--html=page.html", "--self-contained-html"],
            plain_checks,
            plain_checks / "page.html",
        ),
    }
    out = {}
    for name, (cmd, cwd, page) in pages.items():
        start = time.perf_counter()
        subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False, timeout=1800)
        if not page.is_file():
            sys.exit(f"{name}: no page written by {' '.join(cmd)}")
        print(
            f"  wrote {name} page: {page.stat().st_size / 1e6:.1f} MB "
            f"({time.perf_counter() - start:.0f} s run)"
        )
        out[name] = page
    return out


def load_ms(page: Any, url: str) -> float:
    page.goto(url, wait_until="load", timeout=120_000)
    return float(
        page.evaluate(
            "() => { const t = performance.getEntriesByType('navigation')[0];"
            " return t.loadEventEnd - t.startTime; }"
        )
    )


# Each returns the milliseconds from the user's action to the re-laid-out page.
ACTIONS = {
    "filter outcome": """async () => { const t = performance.now();
        const s = document.getElementById('rd-f-outcome'); s.value = 'failed';
        s.dispatchEvent(new Event('change')); void document.body.offsetHeight;
        return performance.now() - t; }""",
    "search (+120 ms debounce)": """async () => { const t = performance.now();
        document.getElementById('rd-reset').click();
        const s = document.getElementById('rd-search'); s.value = 'svc-4242';
        s.dispatchEvent(new Event('input'));
        await new Promise(r => { const o = new MutationObserver(() => { o.disconnect(); r(); });
          o.observe(document.getElementById('rd-shown'), {childList: true}); });
        void document.body.offsetHeight; return performance.now() - t; }""",
    "sort by target": """async () => { document.getElementById('rd-reset').click();
        const t = performance.now();
        document.querySelector('#rd-table th[data-sort=target]').click();
        void document.body.offsetHeight; return performance.now() - t; }""",
    "open evidence": """async () => { const t = performance.now();
        const d = document.querySelector('#rd-table details.rd-detail'); d.open = true;
        d.dispatchEvent(new Event('toggle')); void document.body.offsetHeight;
        return performance.now() - t; }""",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checks", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    chromium = chromium_path()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp:
        pages = build(Path(tmp), args.checks)
        results: dict[str, list[float]] = {name: [] for name in pages}
        actions: dict[str, list[float]] = {}
        with sync_playwright() as pw:
            for _ in range(args.repeat):
                for name, path in pages.items():
                    browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
                    page = browser.new_page(viewport={"width": 1400, "height": 1000})
                    results[name].append(load_ms(page, path.as_uri()))
                    if name == "readiness":
                        for label, script in ACTIONS.items():
                            actions.setdefault(label, []).append(float(page.evaluate(script)))
                    browser.close()
    med = {name: statistics.median(v) for name, v in results.items()}
    print(f"checks: {args.checks}, median of {args.repeat} loads each, fresh Chromium per load")
    for name, ms in med.items():
        print(
            f"  {name:<12} load {ms:8.0f} ms   ratio vs pytest-html {ms / med['pytest-html']:.2f}x"
            f"   (min {min(results[name]):.0f}, max {max(results[name]):.0f})"
        )
    for label, values in actions.items():
        print(f"  readiness    {label:<26} {statistics.median(values):7.0f} ms")


if __name__ == "__main__":
    main()
