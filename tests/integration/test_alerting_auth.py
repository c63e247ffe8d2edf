"""Prometheus behind TLS (a test CA) and basic auth: verified, authenticated, never leaked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import bcrypt
import pytest
import requests

from readiness.demo.alerting import start_prometheus, write_rules
from readiness.demo.procs import ManagedProcess, free_port
from readiness.demo.tls import issue, make_ca
from readiness.plugin import checks_dir

pytestmark = pytest.mark.integration

PASSWORD = "pr0m-s3cret-Xq7"
CHECKS = str(checks_dir() / "test_alerting.py")


@pytest.fixture(scope="module")
def tls_prometheus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    base = tmp_path_factory.mktemp("tls-prom")
    ca = make_ca(base / "ca")
    cert = issue(ca, base / "certs")
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=4)).decode()
    web = {
        "tls_server_config": {"cert_file": str(cert.cert), "key_file": str(cert.key)},
        "basic_auth_users": {"readiness": hashed},
    }
    write_rules(
        base / "prom" / "rules",
        {"r.yml": {"groups": [{"name": "g", "rules": [{"record": "one", "expr": "vector(1)"}]}]}},
    )
    port = free_port()
    proc: ManagedProcess = start_prometheus(
        base / "prom", port, [], retention="90d", name="tls-prometheus", web_config=web
    )
    url = f"https://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:  # until the rule group was evaluated once
            answer = requests.get(
                f"{url}/api/v1/rules",
                auth=("readiness", PASSWORD),
                verify=str(ca.cert_file),
                timeout=5,
            )
            # 503 "Service Unavailable" while the TSDB opens: the port is open before
            # Prometheus is ready, and /-/ready cannot be awaited without credentials
            groups = answer.json()["data"]["groups"] if answer.status_code == 200 else []
            if groups and not groups[0]["lastEvaluation"].startswith("0001"):
                break
            time.sleep(0.2)
        yield url, ca.cert_file
    finally:
        proc.stop()


def run(tmp_path: Path, url: str, ca: Path | None, password: str) -> tuple[dict[str, str], str]:
    ca_line = f", ca_file: {ca}" if ca else ""
    (tmp_path / "p.yaml").write_text(
        "extends: none\nenvironment: test\n"
        "targets:\n"
        f"  prometheus: {{url: {url}, timeout: 3, retries: 0{ca_line},\n"
        "    auth: {basic: {username: readiness, password: '${PROM_PASSWORD}'}}}\n"
    )
    env = {**os.environ, "PROM_PASSWORD": password}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", CHECKS, "--profile=p.yaml", "-p", "no:cacheprovider",
         "-k", "rule_health or cardinality or retention", "-rA"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    report = json.loads((tmp_path / "reports" / "readiness-report.json").read_text())
    outcomes = {c["control"]: c["outcome"] for c in report["checks"]}
    everything = proc.stdout + proc.stderr
    for name in ("readiness-report.json", "readiness-report.html", "junit.xml"):
        everything += (tmp_path / "reports" / name).read_text()
    messages = {c["control"]: c["message"] for c in report["checks"]}
    assert PASSWORD not in everything
    return outcomes | {f"{k}:msg": v or "" for k, v in messages.items()}, everything


def test_tls_and_basic_auth(tls_prometheus: tuple[str, Path], tmp_path: Path) -> None:
    url, ca = tls_prometheus
    got, _ = run(tmp_path, url, ca, PASSWORD)
    assert (got["PROM-RULE-HEALTH"], got["PROM-CARDINALITY"]) == ("passed", "passed"), got[
        "PROM-RULE-HEALTH:msg"
    ]
    assert got["PROM-RETENTION"] == "passed"


def test_unknown_ca_is_an_error(tls_prometheus: tuple[str, Path], tmp_path: Path) -> None:
    url, _ = tls_prometheus
    got, _ = run(tmp_path, url, None, PASSWORD)
    assert got["PROM-RULE-HEALTH"] == "error"
    assert "TLS error talking to" in got["PROM-RULE-HEALTH:msg"]


def test_wrong_password_is_an_error_that_names_no_secret(
    tls_prometheus: tuple[str, Path], tmp_path: Path
) -> None:
    url, ca = tls_prometheus
    got, everything = run(tmp_path, url, ca, "wrong-" + PASSWORD[::-1])
    assert got["PROM-RULE-HEALTH"] == "error"
    assert "refused our credentials (HTTP 401)" in got["PROM-RULE-HEALTH:msg"]
    assert PASSWORD[::-1] not in everything
