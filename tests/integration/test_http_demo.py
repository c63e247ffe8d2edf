"""The demo's HTTPS services under the demo profile show every outcome kind for HTTP."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.demo import Component
from readiness.demo import http as demo_http
from readiness.plugin import checks_dir

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
WAIVED_UNTIL = dt.date(2027, 1, 15)


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    workdir = tmp_path_factory.mktemp("demo")
    component: Component = demo_http.start(workdir)
    try:
        yield workdir
    finally:
        component.stop()


def test_demo_http_outcomes(demo_dir: Path, tmp_path: Path) -> None:
    assert (demo_dir / "tls" / "ca.pem").is_file()
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "--profile=demo"),
            *(str(checks_dir() / "test_http.py"), "-p", "no:cacheprovider", "-p", "no:benchmark"),
            *("--report-dir", str(tmp_path / "reports")),
        ],
        cwd=REPO,
        env={**os.environ, "READINESS_DEMO_DIR": str(demo_dir)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads((tmp_path / "reports" / "readiness-report.json").read_text())
    got = {(c["target"], c["control"]): c for c in report["checks"]}
    outcomes = {c["outcome"] for c in report["checks"]}
    kinds = {"passed", "failed", "warned", "waived", "skipped", "error"}
    if dt.date.today() > WAIVED_UNTIL:
        kinds.discard("waived")
    assert outcomes == kinds, proc.stdout
    assert proc.returncode == 1
    storefront = {ctl: c["outcome"] for (t, ctl), c in got.items() if t == "storefront"}
    assert set(storefront.values()) == {"passed", "skipped"}, storefront
    expect = {
        "HTTP-DEFAULT-CREDENTIALS": "failed",
        "HTTP-PRIVATE-AUTH": "failed",  # its waiver expired
        # demo.yaml waives it until 2027-01-15; after that the demo shows it expired
        "HTTP-TLS-VERSION": "waived" if dt.date.today() <= WAIVED_UNTIL else "failed",
        "HTTP-TLS-CIPHERS": "failed",  # its old-client cipher list reaches TLS 1.2 too
        "HTTP-HSTS": "warned",
        "HTTP-SECURITY-HEADERS": "warned",
        "HTTP-REDIRECT": "warned",
        "HTTP-TLS-EXPIRY-WARN": "warned",
        "HTTP-TLS-EXPIRY": "passed",
        "HTTP-TLS-CHAIN": "passed",
    }
    console = {ctl: got[("admin-console", ctl)]["outcome"] for ctl in expect}
    assert console == expect
    assert "waiver expired on 2026-10-01" in got[("admin-console", "HTTP-PRIVATE-AUTH")]["message"]
    assert got[("admin-console", "HTTP-TLS-VERSION")]["waiver"]["approver"]
    ciphers = got[("admin-console", "HTTP-TLS-CIPHERS")]["evidence"]["accepted_outside_policy"]
    assert "ECDHE-ECDSA-AES128-SHA" in ciphers and "AECDH-AES128-SHA" in ciphers, ciphers
    assert got[("legacy-billing", "HTTP-HEALTH")]["outcome"] == "error"
    assert "demo-metrics-token" not in (tmp_path / "reports" / "readiness-report.json").read_text()
