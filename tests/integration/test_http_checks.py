"""The HTTP checks end to end: the plugin runs checks/test_http.py against real HTTPS services.

A well-run service passes every check; each flawed one fails exactly the checks for its
flaw, with messages that say what was expected, what was found and how to fix it; an
unreachable service ends ``error`` and the reports are still written.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from readiness.plugin import checks_dir
from tests.fixtures.tls import FLAWS, METRICS_TOKEN, Estate, closed_port

pytestmark = pytest.mark.integration

CHECKS = str(checks_dir() / "test_http.py")
ALL = {
    "HTTP-HEALTH",
    "HTTP-READY",
    "HTTP-METRICS",
    "HTTP-TLS-VERSION",
    "HTTP-TLS-CIPHERS",
    "HTTP-TLS-CHAIN",
    "HTTP-TLS-HOSTNAME",
    "HTTP-TLS-EXPIRY",
    "HTTP-TLS-EXPIRY-WARN",
    "HTTP-REDIRECT",
    "HTTP-HSTS",
    "HTTP-SECURITY-HEADERS",
    "HTTP-PRIVATE-AUTH",
    "HTTP-DEFAULT-CREDENTIALS",
    "HTTP-LATENCY",
}
#: site -> (controls that must fail, controls that must end in error); all others pass.
EXPECTED: dict[str, tuple[set[str], set[str]]] = {
    "good": (set(), set()),
    # Its old-client cipher list (ALL) offers CBC, SHA-1 and anonymous suites in TLS 1.2 too.
    "legacy-tls": ({"HTTP-TLS-VERSION", "HTTP-TLS-CIPHERS"}, set()),
    "weak-ciphers": ({"HTTP-TLS-CIPHERS"}, set()),
    # The well-run service under a TLS 1.3-only cipher policy.
    "tls13-only": ({"HTTP-TLS-CIPHERS"}, set()),
    # Credentials are never sent over an unverified connection: metrics cannot be read.
    "expired-cert": (
        {"HTTP-TLS-CHAIN", "HTTP-TLS-EXPIRY", "HTTP-TLS-EXPIRY-WARN"},
        {"HTTP-METRICS"},
    ),
    "wrong-host": ({"HTTP-TLS-HOSTNAME"}, {"HTTP-METRICS"}),
    "no-hsts": ({"HTTP-HSTS"}, set()),
    "default-login": ({"HTTP-DEFAULT-CREDENTIALS"}, set()),
    "slow": ({"HTTP-LATENCY"}, set()),
    "unkempt": (
        {
            "HTTP-HEALTH",
            "HTTP-READY",
            "HTTP-METRICS",
            "HTTP-REDIRECT",
            "HTTP-SECURITY-HEADERS",
            "HTTP-PRIVATE-AUTH",
        },
        set(),
    ),
    "unreachable": (set(), ALL),
}


def estate_profile(estate: Estate, path: Path, **gate: Any) -> Path:
    services = [estate.service(name) for name in FLAWS]
    services.append(
        {**estate.service("good"), "name": "tls13-only", "tls": {"ciphers": {"policy": "modern"}}}
    )
    dead = closed_port()
    services.append(
        {
            **estate.service("good"),
            "name": "unreachable",
            "url": f"https://127.0.0.1:{dead}",
            "http_url": f"http://127.0.0.1:{dead}",
        }
    )
    profile = {
        "environment": "test",
        "gate": {"fail_on": "low", **gate},
        "http": {"concurrency": 12},
        "targets": {"services": services},
    }
    path.write_text(yaml.safe_dump(profile, sort_keys=False))
    return path


def outcomes(report: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    return {(c["target"], c["control"]): c["outcome"] for c in report["checks"]}


@pytest.fixture(scope="module")
def estate_run(http_estate: Estate, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One run of the HTTP checks over every test service, in a separate process."""
    work = tmp_path_factory.mktemp("estate-run")
    profile = estate_profile(http_estate, work / "estate.yaml")
    proc = subprocess.run(
        [
            *(sys.executable, "-m", "pytest", f"--profile={profile}", CHECKS),
            *("-p", "no:cacheprovider", "-p", "no:benchmark"),
            *("--report-dir", str(work / "reports")),
        ],
        cwd=work,
        env={**os.environ, "TEST_METRICS_TOKEN": METRICS_TOKEN},
        capture_output=True,
        text=True,
        timeout=300,
    )
    report_file = work / "reports" / "readiness-report.json"
    assert report_file.is_file(), f"no report written:\n{proc.stdout[-3000:]}\n{proc.stderr}"
    return {
        "proc": proc,
        "dir": work / "reports",
        "report": json.loads(report_file.read_text()),
        "text": report_file.read_text(),
    }


@pytest.mark.parametrize("site", list(EXPECTED))
def test_each_service_fails_exactly_its_flaws(estate_run: dict[str, Any], site: str) -> None:
    got = {ctl: out for (t, ctl), out in outcomes(estate_run["report"]).items() if t == site}
    failing, erroring = EXPECTED[site]
    want = {
        ctl: "error" if ctl in erroring else "failed" if ctl in failing else "passed" for ctl in ALL
    }
    assert got == want, (
        f"service {site}: outcomes differ from expected\n"
        + "\n".join(f"  {c}: expected {want[c]}, got {got.get(c)}" for c in sorted(want))
        + f"\n{estate_run['proc'].stdout[-4000:]}"
    )


def _check(report: Mapping[str, Any], target: str, control: str) -> dict[str, Any]:
    for check in report["checks"]:
        if check["target"] == target and check["control"] == control:
            return dict(check)
    raise AssertionError(f"no result for {control} on {target}")


@pytest.mark.parametrize(
    ("target", "control", "fragments"),
    [
        (
            "legacy-tls",
            "HTTP-TLS-VERSION",
            [
                "legacy-tls: 127.0.0.1:",
                "accepts TLSv1, TLSv1.1",
                "expected: only TLS 1.2 or newer; older handshakes refused",
                "found:    TLSv1 handshake accepted (negotiated TLSv1,",
                "fix:      set the server's minimum TLS version to 1.2",
            ],
        ),
        (
            "expired-cert",
            "HTTP-TLS-CHAIN",
            [
                "expired-cert: certificate of 127.0.0.1:",
                "is not trusted: certificate has expired",
                "expected: a chain valid against the profile CA",
                "issuer CN=readiness test CA",
                "fix:      renew the certificate",
            ],
        ),
        (
            "expired-cert",
            "HTTP-TLS-EXPIRY",
            ["expired on", "days ago)", "expected: at least 14 days of validity left"],
        ),
        (
            "expired-cert",
            "HTTP-METRICS",
            ["TLS verification of", "credentials are not sent over an unverified connection"],
        ),
        (
            "wrong-host",
            "HTTP-TLS-HOSTNAME",
            [
                "wrong-host: certificate of 127.0.0.1:",
                "is not valid for '127.0.0.1'",
                "expected: 127.0.0.1 in the certificate's subjectAltName",
                "found:    subjectAltName: other.example",
                "fix:      issue the certificate with 127.0.0.1 in subjectAltName",
            ],
        ),
        (
            "no-hsts",
            "HTTP-HSTS",
            [
                "no-hsts: https://127.0.0.1:",
                "sends no Strict-Transport-Security header",
                "expected: Strict-Transport-Security: max-age>=31536000",
                "found:    no Strict-Transport-Security header",
                "fix:      send 'Strict-Transport-Security: max-age=31536000'",
            ],
        ),
        (
            "default-login",
            "HTTP-DEFAULT-CREDENTIALS",
            [
                "default-login: https://127.0.0.1:",
                "/api/org accepts the default credentials of user 'admin'",
                "expected: the default credentials refused (HTTP 401/403)",
                "found:    HTTP 200 (anonymous: HTTP 401 Unauthorized)",
                "fix:      change the password of 'admin'",
            ],
        ),
        (
            "slow",
            "HTTP-LATENCY",
            [
                "slow: latency p95 of https://127.0.0.1:",
                "/healthz is",
                "over the 1000 ms budget",
                "expected: p95 <= 1000 ms over 3 requests",
                "found:    p95 ",
            ],
        ),
        (
            "unkempt",
            "HTTP-HEALTH",
            [
                "unkempt: health endpoint https://127.0.0.1:",
                "answered HTTP 503",
                "expected: HTTP 2xx within 10s",
                'found:    HTTP 503 Service Unavailable, body: {"status": "degraded"}',
            ],
        ),
        (
            "unkempt",
            "HTTP-READY",
            [
                'reports status="starting"',
                'expected: status: "ready"',
                'found:    status: "starting"',
            ],
        ),
        (
            "unkempt",
            "HTTP-METRICS",
            ["lacks required metric(s) http_request_duration_seconds"],
        ),
        (
            "unkempt",
            "HTTP-PRIVATE-AUTH",
            [
                "/admin answers anonymous requests",
                "/metrics answers anonymous requests",
                "expected: HTTP 401/403 (or a redirect to a login page) without credentials",
                "found:    HTTP 200 OK to an anonymous GET",
            ],
        ),
        (
            "unkempt",
            "HTTP-REDIRECT",
            ["does not redirect to HTTPS", "found:    HTTP 200 OK (served in clear text)"],
        ),
        (
            "unkempt",
            "HTTP-SECURITY-HEADERS",
            [
                "lacks Content-Security-Policy header",
                "lacks X-Content-Type-Options header",
                "lacks X-Frame-Options header",
                "lacks Referrer-Policy header",
            ],
        ),
        (
            "weak-ciphers",
            "HTTP-TLS-CIPHERS",
            [
                "weak-ciphers: 127.0.0.1:",
                "accepts 2 TLS 1.2 cipher suite(s) outside the intermediate policy: "
                "AES128-SHA, AES256-GCM-SHA384",
                "expected: TLS 1.2 suites only from the intermediate policy: "
                "ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-RSA-AES128-GCM-SHA256",
                "found:    accepted AES128-SHA, AES256-GCM-SHA384",
                "fix:      restrict the server's TLS 1.2 suites to the policy (nginx: ssl_ciphers",
            ],
        ),
        (
            "tls13-only",
            "HTTP-TLS-CIPHERS",
            [
                "tls13-only: 127.0.0.1:",
                "accepts TLS 1.2 (ECDHE-ECDSA-AES128-GCM-SHA256, ECDHE-ECDSA-AES256-GCM-SHA384, "
                "ECDHE-ECDSA-CHACHA20-POLY1305); cipher policy modern allows TLS 1.3 only",
                "expected: TLS 1.2 handshakes refused (TLS 1.3 only)",
            ],
        ),
        ("unreachable", "HTTP-TLS-CIPHERS", ["unreachable: cannot connect to 127.0.0.1:"]),
        ("unreachable", "HTTP-HEALTH", ["unreachable: cannot connect to 127.0.0.1:"]),
        ("unreachable", "HTTP-TLS-VERSION", ["unreachable: cannot connect to 127.0.0.1:"]),
    ],
)
def test_failure_messages(
    estate_run: dict[str, Any], target: str, control: str, fragments: list[str]
) -> None:
    message = _check(estate_run["report"], target, control)["message"]
    missing = [f for f in fragments if f not in message]
    assert not missing, f"{control} on {target}: message lacks {missing}:\n{message}"


def test_evidence_of_a_good_service(estate_run: dict[str, Any]) -> None:
    report = estate_run["report"]
    health = _check(report, "good", "HTTP-HEALTH")["evidence"]
    assert health["status"] == 200 and health["url"].endswith("/healthz"), health
    assert health["tls_version"] in ("TLSv1.2", "TLSv1.3"), health
    chain = _check(report, "good", "HTTP-TLS-CHAIN")["evidence"]
    assert chain["chain_verified"] is True, chain
    assert chain["certificate"]["issuer"] == "CN=readiness test CA", chain
    assert chain["certificate"]["not_after"], chain
    version = _check(report, "good", "HTTP-TLS-VERSION")["evidence"]
    assert [h["accepted"] for h in version["handshakes"]] == [False, False], version
    ciphers = _check(report, "good", "HTTP-TLS-CIPHERS")["evidence"]
    assert ciphers["policy"] == "intermediate" and ciphers["accepted_outside_policy"] == []
    assert ciphers["handshakes"] == 1 and ciphers["complete"] is True, ciphers
    assert ciphers["refused_with"] and ciphers["offered_outside_policy"] > 50, ciphers
    assert any("PSK/SRP" in n for n in ciphers["not_tested"]), ciphers
    headers = _check(report, "good", "HTTP-SECURITY-HEADERS")["evidence"]["headers"]
    assert headers["x-frame-options"] == "DENY", headers
    latency = _check(report, "good", "HTTP-LATENCY")["evidence"]
    assert latency["requests"] == 3 and len(latency["samples_ms"]) == 3, latency
    assert latency["p95_ms"] >= latency["p50_ms"] > 0, latency
    metrics = _check(report, "good", "HTTP-METRICS")["evidence"]
    assert metrics["credentials"] == "profile credentials" and metrics["families"] == 3, metrics


def test_secrets_never_reach_the_reports(estate_run: dict[str, Any]) -> None:
    for name in ("readiness-report.json", "readiness-report.html", "junit.xml"):
        text = (estate_run["dir"] / name).read_text()
        assert METRICS_TOKEN not in text, f"the metrics token leaked into {name}"
        assert "YWRtaW46YWRtaW4" not in text, f"a Basic header leaked into {name}"
    assert METRICS_TOKEN not in estate_run["proc"].stdout


def test_gate_blocks_and_reports_are_written(estate_run: dict[str, Any]) -> None:
    assert estate_run["proc"].returncode == 1, estate_run["proc"].stdout[-2000:]
    report = estate_run["report"]
    assert report["gate"]["passed"] is False
    assert report["summary"]["error"] == len(ALL) + 2, report["summary"]
    for name in ("readiness-report.html", "junit.xml", "readiness-report.json.sha256"):
        assert (estate_run["dir"] / name).is_file(), f"{name} not written"


def test_same_outcomes_under_xdist(
    estate_run: dict[str, Any],
    http_estate: Estate,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profile = estate_profile(http_estate, pytester.path / "estate.yaml")
    monkeypatch.setenv("TEST_METRICS_TOKEN", METRICS_TOKEN)
    result = pytester.runpytest_subprocess(
        f"--profile={profile}", CHECKS, "-p", "no:cacheprovider", "-p", "no:benchmark", "-n", "2"
    )
    report_file = pytester.path / "reports" / "readiness-report.json"
    assert report_file.is_file(), result.stdout.str()[-3000:]
    report = json.loads(report_file.read_text())
    got = outcomes(report)
    assert got == outcomes(estate_run["report"])
    assert len(report["checks"]) == len(ALL) * len(EXPECTED), "checks lost or doubled"
    assert {got[("unreachable", ctl)] for ctl in ALL} == {"error"}
    for name in ("readiness-report.html", "junit.xml"):
        assert (pytester.path / "reports" / name).is_file(), f"{name} not written"
    assert result.ret == 1


def test_below_the_gate_failures_warn(
    http_estate: Estate, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = [http_estate.service("no-hsts"), http_estate.service("legacy-tls")]
    profile = pytester.path / "p.yaml"
    profile.write_text(
        yaml.safe_dump({"environment": "t", "targets": {"services": services}}, sort_keys=False)
    )
    monkeypatch.setenv("TEST_METRICS_TOKEN", METRICS_TOKEN)
    result = pytester.runpytest_subprocess(
        f"--profile={profile}",
        CHECKS,
        *("-p", "no:cacheprovider", "-p", "no:benchmark", "-k", "hsts or tls_version"),
    )
    report = json.loads((pytester.path / "reports" / "readiness-report.json").read_text())
    got = outcomes(report)
    assert got[("no-hsts", "HTTP-HSTS")] == "warned"  # medium, gate at high
    assert got[("legacy-tls", "HTTP-TLS-VERSION")] == "failed"  # high blocks
    assert got[("no-hsts", "HTTP-TLS-VERSION")] == "passed"
    assert result.ret == 1
