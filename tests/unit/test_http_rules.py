"""The HTTP rules on hand-made evidence: table-driven, no servers."""

from __future__ import annotations

import datetime as dt

import pytest

from readiness.profile.http import (
    INTERMEDIATE_TLS12_CIPHERS,
    HstsPolicy,
    JsonExpectation,
    MetricsExpectation,
)
from readiness.rules import http as rules
from readiness.sources.http import CertInfo, Fetch, Handshake, LatencySample, LoginProbe
from readiness.sources.tls_ciphers import CipherScan

NOW = dt.datetime(2026, 11, 24, 12, 0, tzinfo=dt.UTC)
URL = "https://shop.example:8443"


def fetch(
    status: int | None = 200,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    url: str = URL + "/",
) -> Fetch:
    return Fetch(
        url=url,
        status=status,
        reason="OK" if status == 200 else "",
        headers=tuple((k.lower(), v) for k, v in (headers or {}).items()),
        body=body,
        elapsed_ms=3.0,
        timeout_s=2.0,
    )


def cert(
    days_left: float = 90,
    dns: tuple[str, ...] = ("shop.example",),
    ips: tuple[str, ...] = (),
) -> CertInfo:
    return CertInfo(
        subject="CN=shop.example",
        issuer="CN=Test CA",
        not_before=NOW - dt.timedelta(days=10),
        not_after=NOW + dt.timedelta(days=days_left),
        dns_names=dns,
        ip_addresses=ips,
        common_name="shop.example",
        serial="1a",
        sha256="00",
    )


# ------------------------------------------------------------------ health / ready

HEALTH = JsonExpectation(path="/healthz", json={"status": "ok", "checks.db": "up"})


@pytest.mark.parametrize(
    ("probe", "expected_messages"),
    [
        (fetch(200, b'{"status": "ok", "checks": {"db": "up"}}'), []),
        (fetch(503, b'{"status": "down"}'), ["shop: health endpoint"]),
        (fetch(None), ["answered no answer within 2s"]),
        (fetch(200, b"<html>"), ["did not answer JSON"]),
        (fetch(200, b'{"status": "ok"}'), ["has no field 'checks.db'"]),
        (
            fetch(200, b'{"status": "degraded", "checks": {"db": "down"}}'),
            ['reports status="degraded"', 'reports checks.db="down"'],
        ),
    ],
)
def test_health(probe: Fetch, expected_messages: list[str]) -> None:
    findings = rules.endpoint_findings("shop", "health", probe, HEALTH)
    assert len(findings) == len(expected_messages), findings
    for finding, text in zip(findings, expected_messages, strict=True):
        assert text in finding.message
        assert finding.expected and finding.found and finding.fix


def test_health_failure_says_expected_found_fix() -> None:
    (finding,) = rules.endpoint_findings("shop", "health", fetch(503, b"busy"), HEALTH)
    assert finding.expected == "HTTP 2xx within 2s"
    assert finding.found == "HTTP 503, body: busy"
    assert "/healthz" in finding.fix


def test_readiness_without_json_expectation_only_needs_2xx() -> None:
    ready = JsonExpectation(path="/readyz")
    assert rules.endpoint_findings("shop", "readiness", fetch(204), ready) == []
    assert rules.endpoint_findings("shop", "readiness", fetch(500), ready)


# ------------------------------------------------------------------------- metrics

EXPOSITION = b"""# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200"} 3
# TYPE up gauge
up 1
"""


@pytest.mark.parametrize(
    ("required", "missing"),
    [
        (["http_requests_total", "up"], None),
        (["http_requests"], None),  # the family name of a counter
        (["up", "queue_depth"], "queue_depth"),
    ],
)
def test_metrics_required_names(required: list[str], missing: str | None) -> None:
    expect = MetricsExpectation(required=required)
    findings, summary = rules.metrics_findings("shop", fetch(200, EXPOSITION), expect)
    assert summary is not None and summary.families == ("http_requests", "up")
    if missing is None:
        assert findings == []
    else:
        assert len(findings) == 1 and missing in findings[0].message


@pytest.mark.parametrize(
    ("probe", "text"),
    [
        (fetch(200, b"this is { not exposition"), "not valid Prometheus exposition"),
        (fetch(200, b""), "exposes no metrics"),
        (fetch(401), "answered HTTP 401"),
    ],
)
def test_metrics_bad_endpoint(probe: Fetch, text: str) -> None:
    findings, _ = rules.metrics_findings("shop", probe, MetricsExpectation(required=["up"]))
    assert len(findings) == 1 and text in findings[0].message


# ----------------------------------------------------------------------------- TLS


def test_tls_version_accepted_old_protocols_are_findings() -> None:
    handshakes = [
        Handshake("TLSv1", True, "TLSv1", "ECDHE-RSA-AES128-SHA"),
        Handshake("TLSv1.1", False, detail="tlsv1 alert protocol version"),
    ]
    (finding,) = rules.tls_version_findings("shop", "h:1", handshakes, "1.2")
    assert finding.message == "shop: h:1 accepts TLSv1"
    assert "TLSv1 handshake accepted (negotiated TLSv1" in finding.found
    assert rules.tls_version_findings("shop", "h:1", handshakes[1:], "1.2") == []


def scan(*accepted: str, complete: bool = True) -> CipherScan:
    return CipherScan(
        address="h:1",
        offered=("AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"),
        accepted=accepted,
        handshakes=len(accepted) + (1 if complete else 0),
        refusal="sslv3 alert handshake failure" if complete else "",
        complete=complete,
        untested=("RC4-SHA (not in this machine's TLS library)",),
        library="OpenSSL 3.0",
    )


def test_ciphers_outside_the_policy_fail() -> None:
    allowed = INTERMEDIATE_TLS12_CIPHERS
    assert rules.cipher_findings("shop", scan(), "intermediate", allowed) == []
    (finding,) = rules.cipher_findings(
        "shop", scan("AES128-SHA", "ECDHE-RSA-AES128-SHA"), "intermediate", allowed
    )
    assert finding.message == (
        "shop: h:1 accepts 2 TLS 1.2 cipher suite(s) outside the intermediate policy: "
        "AES128-SHA, ECDHE-RSA-AES128-SHA"
    )
    assert finding.expected.startswith("TLS 1.2 suites only from the intermediate policy: ECDHE")
    assert finding.found == "accepted AES128-SHA, ECDHE-RSA-AES128-SHA"
    assert "ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA" in finding.fix


def test_a_cut_short_scan_says_more_may_be_accepted() -> None:
    (finding,) = rules.cipher_findings(
        "shop", scan("AES128-SHA", complete=False), "custom", ("ECDHE-RSA-AES128-GCM-SHA256",)
    )
    assert "outside the custom policy: AES128-SHA" in finding.message
    assert "ended it after 1 handshakes, so more suites may be accepted" in finding.found


def test_modern_policy_refuses_tls12_altogether() -> None:
    assert rules.cipher_findings("shop", scan(), "modern", ()) == []
    (finding,) = rules.cipher_findings("shop", scan("ECDHE-RSA-AES128-GCM-SHA256"), "modern", ())
    assert finding.message == (
        "shop: h:1 accepts TLS 1.2 (ECDHE-RSA-AES128-GCM-SHA256); "
        "cipher policy modern allows TLS 1.3 only"
    )
    assert finding.expected == "TLS 1.2 handshakes refused (TLS 1.3 only)"
    assert "ssl_protocols TLSv1.3" in finding.fix


@pytest.mark.parametrize(
    ("name", "dns", "ips", "ok"),
    [
        ("shop.example", ("shop.example",), (), True),
        ("SHOP.example.", ("shop.example",), (), True),
        ("a.shop.example", ("*.shop.example",), (), True),
        ("a.b.shop.example", ("*.shop.example",), (), False),
        ("shop.example", ("*.shop.example",), (), False),
        ("x.com", ("*.com",), (), False),
        ("other.example", ("shop.example",), (), False),
        ("127.0.0.1", ("localhost",), ("127.0.0.1",), True),
        ("127.0.0.2", (), ("127.0.0.1",), False),
        ("::1", (), ("::1",), True),
        ("127.0.0.1", ("127.0.0.1",), (), False),  # an IP must be an IP SAN
    ],
)
def test_hostname_matching(name: str, dns: tuple[str, ...], ips: tuple[str, ...], ok: bool) -> None:
    assert rules.hostname_matches(name, dns, ips) is ok


def test_hostname_finding_lists_the_names_found() -> None:
    (finding,) = rules.hostname_findings("shop", "h:1", "shop.example", cert(dns=("other",)))
    assert finding.found.startswith("subjectAltName: other")
    assert finding.fix == "issue the certificate with shop.example in subjectAltName"


@pytest.mark.parametrize(
    ("days", "threshold", "text"),
    [
        (90, 14, None),
        (14.5, 14, None),
        (10, 14, "in 10.0 days"),
        (-3, 14, "expired on"),
        (20, 30, "in 20.0 days"),
    ],
)
def test_expiry(days: float, threshold: int, text: str | None) -> None:
    findings = rules.expiry_findings("shop", "h:1", cert(days), NOW, threshold, "fail")
    if text is None:
        assert findings == []
    else:
        assert len(findings) == 1 and text in findings[0].message
        assert f"at least {threshold} days" in findings[0].expected


def test_chain_untrusted_and_turned_off() -> None:
    c = cert()
    (finding,) = rules.chain_findings("shop", "h:1", False, "certificate has expired", c, "x")
    assert "renew" in finding.fix and "expired" in finding.message
    assert rules.chain_findings("shop", "h:1", True, "", c, "x") == []
    assert rules.chain_findings("shop", "h:1", None, "", c, "x") == []


# --------------------------------------------------------------- redirect / HSTS


@pytest.mark.parametrize(
    ("status", "location", "ok"),
    [
        (301, "https://shop.example:8443/", True),
        (308, "https://shop.example/", True),
        (302, "http://shop.example/", False),
        (200, None, False),
        (301, "https://evil.example/", False),
        (None, None, False),
    ],
)
def test_redirect(status: int | None, location: str | None, ok: bool) -> None:
    probe = fetch(status, headers={"Location": location} if location else {}, url="http://x/")
    findings = rules.redirect_findings("shop", probe, URL)
    assert (findings == []) is ok, findings


@pytest.mark.parametrize(
    ("header", "policy", "problem"),
    [
        ("max-age=31536000", HstsPolicy(), None),
        ("max-age=63072000; includeSubDomains; preload", HstsPolicy(preload=True), None),
        ("max-age=86400", HstsPolicy(), "max-age=86400 is below 31536000"),
        ('max-age="31536000"', HstsPolicy(), None),
        ("max-age=abc", HstsPolicy(), "no valid max-age"),
        ("max-age=31536000", HstsPolicy(include_subdomains=True), "includeSubDomains missing"),
        (None, HstsPolicy(), "sends no Strict-Transport-Security header"),
    ],
)
def test_hsts(header: str | None, policy: HstsPolicy, problem: str | None) -> None:
    probe = fetch(headers={"Strict-Transport-Security": header} if header else {})
    findings = rules.hsts_findings("shop", probe, policy)
    if problem is None:
        assert findings == []
    else:
        assert len(findings) == 1 and problem in findings[0].message


# ------------------------------------------------------------------ security headers

ALL_HEADERS = [
    "content-security-policy",
    "x-content-type-options",
    "frame-protection",
    "referrer-policy",
]
GOOD = {
    "Content-Security-Policy": "default-src 'self'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "SAMEORIGIN",
    "Referrer-Policy": "no-referrer",
}


@pytest.mark.parametrize(
    ("change", "missing"),
    [
        ({}, []),
        ({"X-Frame-Options": None}, ["X-Frame-Options"]),
        (
            {"X-Frame-Options": None, "Content-Security-Policy": "frame-ancestors 'none'"},
            [],
        ),
        ({"Referrer-Policy": "unsafe-url"}, ["Referrer-Policy"]),
        ({"Referrer-Policy": "no-referrer, strict-origin-when-cross-origin"}, []),
        ({"X-Content-Type-Options": "sniff"}, ["X-Content-Type-Options"]),
        ({"Content-Security-Policy": None}, ["Content-Security-Policy"]),
    ],
)
def test_security_headers(change: dict[str, str | None], missing: list[str]) -> None:
    headers = {k: v for k, v in {**GOOD, **change}.items() if v is not None}
    findings = rules.security_header_findings("shop", fetch(headers=headers), ALL_HEADERS)
    assert [f.message.split(" ")[-2] for f in findings] == missing


def test_security_headers_only_required_ones() -> None:
    assert rules.security_header_findings("shop", fetch(), ["x-content-type-options"])
    assert rules.security_header_findings("shop", fetch(), []) == []


# ------------------------------------------------------------------- authentication


@pytest.mark.parametrize(
    ("status", "location", "protected"),
    [
        (401, None, True),
        (403, None, True),
        (200, None, False),
        (404, None, False),
        (302, "/login?next=/admin", True),
        (302, "/home", False),
        (None, None, False),
    ],
)
def test_requires_auth(status: int | None, location: str | None, protected: bool) -> None:
    probe = fetch(status, headers={"Location": location} if location else {})
    assert rules.requires_auth(probe, [401, 403]) is protected
    findings = rules.private_auth_findings("shop", [probe], [401, 403])
    assert (findings == []) is protected


@pytest.mark.parametrize(
    ("anonymous", "with_credentials", "outcome"),
    [
        (401, 200, "accepted"),
        (302, 200, "accepted"),
        (401, 401, "refused"),
        (401, 302, "refused"),
        (200, 200, "inconclusive"),
        (404, 404, "inconclusive"),
        (401, None, "inconclusive"),
    ],
)
def test_default_login(anonymous: int, with_credentials: int | None, outcome: str) -> None:
    probe = LoginProbe("/api/org", "admin", fetch(anonymous), fetch(with_credentials))
    assert rules.login_outcome(probe, [401, 403])[0] == outcome
    findings = rules.default_credential_findings("shop", [probe], [401, 403])
    assert bool(findings) is (outcome == "accepted")
    for f in findings:
        assert "user 'admin'" in f.message and f.found.startswith("HTTP 200")


# -------------------------------------------------------------------------- latency


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([1.0], 95, 1.0),
        ([float(i) for i in range(1, 21)], 95, 19.0),
        ([float(i) for i in range(1, 101)], 95, 95.0),
        ([5.0, 1.0, 3.0], 50, 3.0),
        ([float(i) for i in range(1, 11)], 100, 10.0),
    ],
)
def test_percentile_nearest_rank(values: list[float], q: float, expected: float) -> None:
    assert rules.percentile(values, q) == expected


def test_percentile_of_nothing() -> None:
    with pytest.raises(ValueError, match="empty"):
        rules.percentile([], 95)


def test_latency_budget() -> None:
    fast = LatencySample("u", (10.0,) * 19 + (900.0,), (200,) * 20, 0, 2.0)
    assert rules.latency_findings("shop", fast, 100) == []  # one outlier of 20 is p100
    slow = LatencySample("u", (10.0,) * 18 + (900.0, 950.0), (200,) * 20, 0, 2.0)
    (finding,) = rules.latency_findings("shop", slow, 100)
    assert "p95 of u is 900 ms, over the 100 ms budget" in finding.message
    timeouts = LatencySample("u", (10.0,), (200,), 2, 2.0)
    (finding,) = rules.latency_findings("shop", timeouts, 100)
    assert "2 of 3 requests" in finding.message
    stats = rules.latency_stats(slow)
    assert stats["p95_ms"] == 900.0 and stats["requests"] == 20
