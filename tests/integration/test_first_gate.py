"""The README's "Your first gate", done as a new user would: the installed wheel, in a
directory outside the repository, against a plain `python3 -m http.server` and an HTTPS
service signed by a test CA."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness.demo.tls import issue, make_ca
from tests.fixtures.tls import Site, SiteSpec, closed_port, https_site
from tests.wheel import ROOT, install_wheel

FAMILY_LINE = "readiness: family skipped: "


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv with the wheel built from this repository; its bin directory."""
    _, env_dir = install_wheel(tmp_path_factory.mktemp("wheel"))
    return env_dir / "bin"


@pytest.fixture
def plain_service(tmp_path: Path) -> Iterator[str]:
    """`python3 -m http.server`, exactly as the README starts it."""
    port = closed_port()
    served = tmp_path / "site"
    served.mkdir()
    (served / "index.html").write_text("<h1>hello</h1>\n")
    proc = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=served,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(url + "/", timeout=2):
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def tls_service(tmp_path: Path) -> Iterator[tuple[Site, Path]]:
    ca = make_ca(tmp_path / "ca", days=400)
    cert = issue(ca, tmp_path / "certs", "web", days=365)
    site = https_site("web", cert, SiteSpec(metrics_token=None))
    try:
        yield site, ca.cert_file
    finally:
        site.stop()


class User:
    """Runs commands in the walkthrough directory with the installed package."""

    def __init__(self, bin_dir: Path, home: Path) -> None:
        self.bin = bin_dir
        self.home = home
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("READINESS_")}
        self.env["PATH"] = f"{bin_dir}{os.pathsep}{self.env.get('PATH', '')}"
        self.env.pop("GITHUB_STEP_SUMMARY", None)

    def run(self, *cmd: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / cmd[0]), *cmd[1:]],
            cwd=self.home,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )

    def gate(self) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        done = self.run(
            "python", "-m", "pytest", "--profile=production", "-p", "no:cacheprovider", "-q"
        )
        report = json.loads((self.home / "reports" / "readiness-report.json").read_text())
        return done, report


def _blocking(report: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (c["control"], c["target"]) for c in report["checks"] if c["outcome"] in ("failed", "error")
    ]


@pytest.mark.integration
def test_first_gate_walkthrough(
    installed: Path,
    tmp_path: Path,
    plain_service: str,
    tls_service: tuple[Site, Path],
) -> None:
    home = tmp_path / "my-service"
    home.mkdir()
    assert not home.is_relative_to(ROOT)
    user = User(installed, home)

    version = user.run("readiness", "--version")
    assert version.returncode == 0 and version.stdout.startswith("readiness 0."), version
    demo_help = user.run("readiness", "demo", "run", "--help")
    assert demo_help.returncode == 0 and "usage: readiness demo" in demo_help.stdout
    assert list(home.iterdir()) == []  # help started nothing and wrote nothing

    # 1. init against the plain HTTP service; the profile checks.
    init = user.run("readiness", "init", "--service", f"web={plain_service}")
    assert init.returncode == 0, init.stderr
    profile = home / "profiles" / "production.yaml"
    assert "extends: base" in profile.read_text()
    check = user.run("readiness", "profile", "check", "profiles/production.yaml")
    assert check.returncode == 0 and ": ok (" in check.stdout, check.stdout + check.stderr

    # 2. First run: exactly one blocking finding, the missing TLS, with its fix.
    done, report = user.gate()
    assert done.returncode == 1, done.stdout[-3000:]
    assert _blocking(report) == [("HTTP-TLS-CHAIN", "web")]
    (tls,) = [c for c in report["checks"] if c["control"] == "HTTP-TLS-CHAIN"]
    assert "served over plain HTTP" in tls["message"] and "tls: {required: false}" in tls["message"]
    assert {c["control"] for c in report["checks"] if c["outcome"] == "passed"} >= {"HTTP-HEALTH"}
    skipped_families = sorted(
        line.removeprefix(FAMILY_LINE).split(":")[0]
        for line in done.stdout.splitlines()
        if line.startswith(FAMILY_LINE)
    )
    assert skipped_families == ["alerting", "ci", "kubernetes", "operations", "slo", "supply_chain"]
    assert "kubernetes: no cluster or manifests in targets" in done.stdout
    unrequested = [
        c for c in report["checks"] if c["family"] != "http" and c["outcome"] != "skipped"
    ]
    assert [(c["control"], c["outcome"]) for c in unrequested if c["family"] != "dora"] == []

    # 3a. Plain HTTP by design: say so, and the gate is green.
    text = profile.read_text().replace(
        f"      url: {plain_service}\n",
        f"      url: {plain_service}\n      tls: {{required: false}}     # internal only\n",
    )
    profile.write_text(text)
    done, report = user.gate()
    assert done.returncode == 0, done.stdout[-3000:]
    assert report["gate"]["passed"] is True and _blocking(report) == []

    # 3b. The HTTPS service with a private CA: init finds its endpoints; the gate is green.
    site, ca_file = tls_service
    init = user.run(
        "readiness", "init", "--force", "--service", f"web={site.url}", "--ca-file", str(ca_file)
    )
    assert init.returncode == 0, init.stderr
    text = profile.read_text()
    for line in ("      health: /healthz\n", "      ready: /readyz\n", "      metrics: /metrics\n"):
        assert line in text
    done, report = user.gate()
    assert done.returncode == 0, done.stdout[-3000:]
    assert report["gate"]["passed"] is True
    outcomes = {c["control"]: c["outcome"] for c in report["checks"] if c["family"] == "http"}
    for passed in (
        "HTTP-HEALTH",
        "HTTP-READY",
        "HTTP-METRICS",
        "HTTP-TLS-CHAIN",
        "HTTP-TLS-HOSTNAME",
        "HTTP-TLS-VERSION",
    ):
        assert outcomes[passed] == "passed", (passed, outcomes)

    # 4. Then the rest of the system: the profile names each new target and still checks.
    (home / "deploy" / "k8s").mkdir(parents=True)
    init = user.run(
        "readiness",
        "init",
        "--force",
        "--service",
        f"web={site.url}",
        "--ca-file",
        str(ca_file),
        "--prometheus",
        "http://127.0.0.1:9090",
        "--alertmanager",
        "http://127.0.0.1:9093",
        "--manifests",
        "deploy/k8s",
        "--registry",
        "https://127.0.0.1:5000",
        "--images",
        "127.0.0.1:5000/team/web:1.4.0",
    )
    assert init.returncode == 0, init.stderr
    check = user.run("readiness", "profile", "check", "production")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "families that run: alerting, dora, http, kubernetes, supply_chain" in check.stdout
    show = user.run("readiness", "profile", "show", "production")
    assert show.returncode == 0
    assert "url: http://127.0.0.1:9090  # profiles/production.yaml:" in show.stdout
