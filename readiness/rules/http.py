"""Judgement of HTTP evidence: pure functions from probes to findings (no I/O).

Every finding names the service, what was expected, what was found and how to fix it.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

from readiness.findings import Finding
from readiness.profile.http import HstsPolicy, JsonExpectation, MetricsExpectation
from readiness.sources.http import CertInfo, Fetch, Handshake, LatencySample, LoginProbe
from readiness.sources.tls_ciphers import CipherScan

_SAFE_REFERRER = frozenset(
    {
        "no-referrer",
        "same-origin",
        "strict-origin",
        "strict-origin-when-cross-origin",
        "origin",
        "origin-when-cross-origin",
    }
)
_LOGIN_HINT = re.compile(r"login|signin|sign-in|sso|auth", re.IGNORECASE)
_MISSING = object()


def _status(fetch: Fetch) -> str:
    if fetch.status is None:
        return f"no answer within {fetch.timeout_s:g}s"
    return f"HTTP {fetch.status}" + (f" {fetch.reason}" if fetch.reason else "")


def _snippet(body: bytes, limit: int = 120) -> str:
    text = body.decode("utf-8", errors="replace").strip().replace("\n", " ")
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------- health / readiness


def _lookup(document: Any, dotted: str) -> Any:
    node = document
    for part in dotted.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        else:
            return _MISSING
    return node


def endpoint_findings(
    service: str, kind: Literal["health", "readiness"], fetch: Fetch, expect: JsonExpectation
) -> list[Finding]:
    """The endpoint answers 2xx in time, with the expected JSON fields."""
    fix_path = f"serve {expect.path} answering 2xx"
    if fetch.status is None or not 200 <= fetch.status < 300:
        return [
            Finding(
                f"{service}: {kind} endpoint {fetch.url} answered {_status(fetch)}",
                expected=f"HTTP 2xx within {fetch.timeout_s:g}s",
                found=_status(fetch) + (f", body: {_snippet(fetch.body)}" if fetch.body else ""),
                fix=f"{fix_path} within {fetch.timeout_s:g}s when the service is "
                + ("alive" if kind == "health" else "ready for traffic"),
            )
        ]
    if not expect.json_fields:
        return []
    try:
        document = json.loads(fetch.body)
    except ValueError:
        return [
            Finding(
                f"{service}: {kind} endpoint {fetch.url} did not answer JSON",
                expected="a JSON object with " + _fields_text(expect.json_fields),
                found=f"body: {_snippet(fetch.body) or '(empty)'}",
                fix=f"answer {expect.path} with a JSON status document",
            )
        ]
    findings = []
    for key, want in expect.json_fields.items():
        got = _lookup(document, key)
        if got is _MISSING:
            findings.append(
                Finding(
                    f"{service}: {kind} endpoint {fetch.url} has no field {key!r}",
                    expected=f"{key}: {json.dumps(want)}",
                    found=f"no {key!r} in {_snippet(fetch.body)}",
                    fix=f"include {key!r} in the {kind} response",
                )
            )
        elif got != want:
            findings.append(
                Finding(
                    f"{service}: {kind} endpoint {fetch.url} reports {key}={json.dumps(got)}",
                    expected=f"{key}: {json.dumps(want)}",
                    found=f"{key}: {json.dumps(got)}",
                    fix=f"find why the service reports {key}={json.dumps(got)} "
                    "(its dependencies, its logs) and fix it before releasing",
                )
            )
    return findings


def _fields_text(fields: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {json.dumps(v)}" for k, v in fields.items())


# ---------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class MetricsSummary:
    families: tuple[str, ...]
    samples: int


def parse_metrics(text: str) -> MetricsSummary:
    """Family names and sample count of a Prometheus text exposition (ValueError if bad)."""
    names: list[str] = []
    samples = 0
    for family in text_string_to_metric_families(text):
        names.append(family.name)
        samples += len(family.samples)
    return MetricsSummary(tuple(names), samples)


def _exposes(text: str, name: str, summary: MetricsSummary) -> bool:
    if name in summary.families:
        return True
    # Counters are named without their _total suffix in the parsed family.
    return any(name == f"{fam}{s}" for fam in summary.families for s in ("_total", "_created"))


def metrics_findings(
    service: str, fetch: Fetch, expect: MetricsExpectation
) -> tuple[list[Finding], MetricsSummary | None]:
    if fetch.status is None or not 200 <= fetch.status < 300:
        return [
            Finding(
                f"{service}: metrics endpoint {fetch.url} answered {_status(fetch)}",
                expected="HTTP 200 with Prometheus text exposition",
                found=_status(fetch),
                fix=f"expose metrics on {expect.path}"
                + (" and check the profile's auth for this service" if expect.private else ""),
            )
        ], None
    text = fetch.body.decode("utf-8", errors="replace")
    try:
        summary = parse_metrics(text)
    except ValueError as exc:
        return [
            Finding(
                f"{service}: {fetch.url} is not valid Prometheus exposition",
                expected="Prometheus text exposition format",
                found=f"parse error: {exc}",
                fix="serve metrics with a Prometheus client library",
            )
        ], None
    if not summary.families:
        return [
            Finding(
                f"{service}: {fetch.url} exposes no metrics",
                expected="at least one metric family",
                found=f"empty exposition ({len(fetch.body)} bytes)",
                fix="register the service's metrics with the Prometheus client",
            )
        ], summary
    missing = [n for n in expect.required if not _exposes(text, n, summary)]
    if not missing:
        return [], summary
    return [
        Finding(
            f"{service}: {fetch.url} lacks required metric(s) {', '.join(missing)}",
            expected="metrics " + ", ".join(expect.required),
            found=f"{len(summary.families)} families, missing {', '.join(missing)}",
            fix="instrument the service to export " + ", ".join(missing),
        )
    ], summary


# -------------------------------------------------------------------------------- TLS


def plain_http_findings(service: str, url: str) -> list[Finding]:
    return [
        Finding(
            f"{service}: served over plain HTTP ({url})",
            expected="an https:// URL",
            found=url,
            fix="serve the service over HTTPS (an https:// url, with ca_file: when a private "
            "CA signs it); for a service that is plain HTTP by design (behind a TLS-terminating "
            "proxy, internal only) set tls: {required: false} on it in targets.services, "
            "with a comment saying why",
        )
    ]


def tls_version_findings(
    service: str, address: str, handshakes: Sequence[Handshake], min_version: str
) -> list[Finding]:
    accepted = [h for h in handshakes if h.accepted]
    if not accepted:
        return []
    offered = ", ".join(h.version for h in accepted)
    return [
        Finding(
            f"{service}: {address} accepts {offered}",
            expected=f"only TLS {min_version} or newer; older handshakes refused",
            found="; ".join(
                f"{h.version} handshake accepted (negotiated {h.negotiated}, {h.detail})"
                for h in accepted
            ),
            fix=f"set the server's minimum TLS version to {min_version} "
            f"(nginx: ssl_protocols TLSv{min_version}{' TLSv1.3' if min_version == '1.2' else ''})",
        )
    ]


def cipher_findings(
    service: str, scan: CipherScan, policy: str, allowed: Sequence[str]
) -> list[Finding]:
    """TLS 1.2 suites accepted outside the policy (TLS 1.3 suites are not judged)."""
    if not scan.accepted:
        return []
    suites = ", ".join(scan.accepted)
    more = (
        ""
        if scan.complete
        else f"; the scan's deadline ended it after {scan.handshakes} handshakes, "
        "so more suites may be accepted"
    )
    if not allowed:
        return [
            Finding(
                f"{service}: {scan.address} accepts TLS 1.2 ({suites}); "
                f"cipher policy {policy} allows TLS 1.3 only",
                expected="TLS 1.2 handshakes refused (TLS 1.3 only)",
                found=f"TLS 1.2 accepted with {suites}{more}",
                fix="set the server's minimum protocol to TLS 1.3 (nginx: ssl_protocols "
                "TLSv1.3), or choose http.tls.ciphers.policy: intermediate if TLS 1.2 "
                "clients must still connect",
            )
        ]
    return [
        Finding(
            f"{service}: {scan.address} accepts {len(scan.accepted)} TLS 1.2 cipher "
            f"suite(s) outside the {policy} policy: {suites}",
            expected=f"TLS 1.2 suites only from the {policy} policy: {', '.join(allowed)}",
            found=f"accepted {suites}{more}",
            fix="restrict the server's TLS 1.2 suites to the policy (nginx: ssl_ciphers "
            f"{':'.join(allowed)}; OpenSSL: CipherString), then reload it",
        )
    ]


def chain_findings(
    service: str, address: str, verified: bool | None, error: str, cert: CertInfo, trust: str
) -> list[Finding]:
    if verified is not False:
        return []
    return [
        Finding(
            f"{service}: certificate of {address} is not trusted: {error}",
            expected=f"a chain valid against the {trust}",
            found=f"{error}; subject {cert.subject}, issuer {cert.issuer}, "
            f"valid {cert.not_before:%Y-%m-%d} to {cert.not_after:%Y-%m-%d}",
            fix=_chain_fix(error),
        )
    ]


def _chain_fix(error: str) -> str:
    text = error.lower()
    if "expired" in text:
        return "renew the certificate and deploy the new one"
    if "not yet valid" in text:
        return "check the certificate's validity start and the server's clock"
    if "self" in text or "issuer" in text:
        return (
            "serve a certificate issued by a trusted CA, with the full chain "
            "(leaf + intermediates); or set ca_file for a private CA"
        )
    return "serve a valid certificate chain issued by a trusted CA"


def hostname_matches(name: str, dns_names: Sequence[str], ip_addresses: Sequence[str]) -> bool:
    """RFC 6125 matching against subjectAltName: exact, or a left-most ``*`` label."""
    try:
        ip = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        ip = None
    if ip is not None:
        return any(ipaddress.ip_address(a) == ip for a in ip_addresses)
    host = name.lower().rstrip(".")
    for pattern in (d.lower().rstrip(".") for d in dns_names):
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host:
            label, rest = host.split(".", 1)
            if label and rest == pattern[2:] and rest.count(".") >= 1:
                return True
    return False


def hostname_findings(service: str, address: str, name: str, cert: CertInfo) -> list[Finding]:
    if hostname_matches(name, cert.dns_names, cert.ip_addresses):
        return []
    names = [*cert.dns_names, *cert.ip_addresses]
    return [
        Finding(
            f"{service}: certificate of {address} is not valid for {name!r}",
            expected=f"{name} in the certificate's subjectAltName",
            found="subjectAltName: "
            + (", ".join(names) if names else "(none)")
            + (f"; CN={cert.common_name} (ignored by clients)" if cert.common_name else ""),
            fix=f"issue the certificate with {name} in subjectAltName",
        )
    ]


def days_left(cert: CertInfo, now: dt.datetime) -> float:
    return (cert.not_after - now).total_seconds() / 86400


def expiry_findings(
    service: str, address: str, cert: CertInfo, now: dt.datetime, min_days: int, level: str
) -> list[Finding]:
    """The certificate stays valid for at least ``min_days`` (``level``: fail or warn)."""
    left = days_left(cert, now)
    if left >= min_days:
        return []
    when = f"{cert.not_after:%Y-%m-%d %H:%M} UTC"
    found = (
        f"expired on {when} ({-left:.0f} days ago)"
        if left < 0
        else f"expires on {when}, in {left:.1f} days"
    )
    return [
        Finding(
            f"{service}: certificate of {address} {found}",
            expected=f"at least {min_days} days of validity left ({level} threshold)",
            found=f"{found}; subject {cert.subject}",
            fix="renew the certificate now"
            if left < 0 or level == "fail"
            else "schedule the certificate renewal (or check automatic renewal)",
        )
    ]


# ------------------------------------------------------------------- redirect / HSTS


def redirect_findings(service: str, fetch: Fetch, https_url: str) -> list[Finding]:
    location = fetch.header("location") or ""
    if fetch.status is not None and 300 <= fetch.status < 400:
        target = urlsplit(location)
        if target.scheme == "https":
            want_host = urlsplit(https_url).hostname
            if target.hostname and want_host and target.hostname != want_host:
                return [
                    Finding(
                        f"{service}: {fetch.url} redirects to another host",
                        expected=f"a redirect to https://{want_host}/…",
                        found=f"{_status(fetch)} Location: {location}",
                        fix=f"redirect plain HTTP to https://{want_host} on the same path",
                    )
                ]
            return []
        found = f"{_status(fetch)} Location: {location or '(none)'}"
    else:
        found = _status(fetch) + (" (served in clear text)" if fetch.status else "")
    return [
        Finding(
            f"{service}: {fetch.url} does not redirect to HTTPS",
            expected="HTTP 301/308 with Location: https://…",
            found=found,
            fix=f"answer plain-HTTP requests with 'HTTP 301' and 'Location: {https_url}…'",
        )
    ]


@dataclass(frozen=True, slots=True)
class Hsts:
    max_age: int | None
    include_subdomains: bool
    preload: bool


def parse_hsts(value: str) -> Hsts:
    max_age: int | None = None
    sub = pre = False
    for directive in value.split(";"):
        name, _, arg = directive.strip().partition("=")
        name = name.strip().lower()
        if name == "max-age":
            try:
                max_age = int(arg.strip().strip('"'))
            except ValueError:
                max_age = None
        elif name == "includesubdomains":
            sub = True
        elif name == "preload":
            pre = True
    return Hsts(max_age, sub, pre)


def hsts_findings(service: str, fetch: Fetch, policy: HstsPolicy) -> list[Finding]:
    want = (
        f"Strict-Transport-Security: max-age>={policy.min_max_age}"
        + ("; includeSubDomains" if policy.include_subdomains else "")
        + ("; preload" if policy.preload else "")
    )
    fix = (
        f"send 'Strict-Transport-Security: max-age={max(policy.min_max_age, 31536000)}"
        + ("; includeSubDomains'" if policy.include_subdomains else "'")
        + " on every HTTPS response"
    )
    value = fetch.header("strict-transport-security")
    if value is None:
        return [
            Finding(
                f"{service}: {fetch.url} sends no Strict-Transport-Security header",
                expected=want,
                found="no Strict-Transport-Security header",
                fix=fix,
            )
        ]
    hsts = parse_hsts(value)
    problems = []
    if hsts.max_age is None:
        problems.append("no valid max-age")
    elif hsts.max_age < policy.min_max_age:
        problems.append(f"max-age={hsts.max_age} is below {policy.min_max_age}")
    if policy.include_subdomains and not hsts.include_subdomains:
        problems.append("includeSubDomains missing")
    if policy.preload and not hsts.preload:
        problems.append("preload missing")
    if not problems:
        return []
    return [
        Finding(
            f"{service}: Strict-Transport-Security of {fetch.url} is too weak: "
            + ", ".join(problems),
            expected=want,
            found=f"Strict-Transport-Security: {value}",
            fix=fix,
        )
    ]


# ------------------------------------------------------------------ security headers


def security_header_findings(service: str, fetch: Fetch, required: Sequence[str]) -> list[Finding]:
    findings = []
    csp = fetch.header("content-security-policy") or ""
    for name in required:
        if name == "content-security-policy" and not csp.strip():
            findings.append(
                _header_finding(
                    service,
                    fetch,
                    "Content-Security-Policy",
                    "a Content-Security-Policy (e.g. default-src 'self')",
                    None,
                    "send 'Content-Security-Policy: default-src 'self'' and tighten per page",
                )
            )
        elif name == "x-content-type-options":
            value = fetch.header("x-content-type-options")
            if (value or "").strip().lower() != "nosniff":
                findings.append(
                    _header_finding(
                        service,
                        fetch,
                        "X-Content-Type-Options",
                        "X-Content-Type-Options: nosniff",
                        value,
                        "send 'X-Content-Type-Options: nosniff'",
                    )
                )
        elif name == "frame-protection":
            xfo = (fetch.header("x-frame-options") or "").strip().upper()
            if xfo not in ("DENY", "SAMEORIGIN") and "frame-ancestors" not in csp.lower():
                findings.append(
                    _header_finding(
                        service,
                        fetch,
                        "X-Frame-Options",
                        "X-Frame-Options: DENY or SAMEORIGIN, or CSP frame-ancestors",
                        fetch.header("x-frame-options"),
                        "send 'X-Frame-Options: DENY' or CSP \"frame-ancestors 'none'\"",
                    )
                )
        elif name == "referrer-policy":
            value = fetch.header("referrer-policy")
            tokens = [t.strip().lower() for t in (value or "").split(",") if t.strip()]
            if not tokens or tokens[-1] not in _SAFE_REFERRER:
                findings.append(
                    _header_finding(
                        service,
                        fetch,
                        "Referrer-Policy",
                        "Referrer-Policy: strict-origin-when-cross-origin (or stricter)",
                        value,
                        "send 'Referrer-Policy: strict-origin-when-cross-origin'",
                    )
                )
    return findings


def _header_finding(
    service: str, fetch: Fetch, header: str, expected: str, value: str | None, fix: str
) -> Finding:
    what = "lacks" if value is None else "has a weak"
    return Finding(
        f"{service}: {fetch.url} {what} {header} header",
        expected=expected,
        found=f"{header}: {value}" if value is not None else f"no {header} header",
        fix=fix,
    )


# ------------------------------------------------------------------ authentication


def requires_auth(fetch: Fetch, statuses: Sequence[int]) -> bool:
    """An anonymous request was refused (or sent to a login page)."""
    if fetch.status is None:
        return False
    if fetch.status in statuses:
        return True
    if 300 <= fetch.status < 400:
        location = urlsplit(fetch.header("location") or "")
        return bool(_LOGIN_HINT.search(location.path))
    return False


def private_auth_findings(
    service: str, fetches: Sequence[Fetch], statuses: Sequence[int]
) -> list[Finding]:
    open_ = [f for f in fetches if not requires_auth(f, statuses)]
    if not open_:
        return []
    wanted = "/".join(str(s) for s in statuses)
    return [
        Finding(
            f"{service}: private endpoint {f.url} answers anonymous requests",
            expected=f"HTTP {wanted} (or a redirect to a login page) without credentials",
            found=f"{_status(f)} to an anonymous GET"
            + (f" ({len(f.body)} bytes)" if f.body else ""),
            fix=f"require authentication on {urlsplit(f.url).path} (or serve it only on an "
            "internal listener)",
        )
        for f in open_
    ]


LoginOutcome = Literal["accepted", "refused", "inconclusive"]


def login_outcome(probe: LoginProbe, statuses: Sequence[int]) -> tuple[LoginOutcome, str]:
    """Did the default credentials open a path that is closed to anonymous requests?"""
    anon, creds = probe.anonymous, probe.with_credentials
    if creds.status is None:
        return "inconclusive", f"no answer within {creds.timeout_s:g}s"
    if creds.status in statuses or (300 <= creds.status < 400):
        return "refused", f"HTTP {creds.status}"
    if 200 <= creds.status < 300:
        if anon.status is not None and 200 <= anon.status < 300:
            return (
                "inconclusive",
                f"{probe.path} answers HTTP {anon.status} without any credentials, so the "
                "probe cannot tell whether the defaults work; point it at a path that "
                "requires login",
            )
        return "accepted", f"HTTP {creds.status} (anonymous: {_status(anon)})"
    return "inconclusive", f"unexpected {_status(creds)} from {creds.url}"


def default_credential_findings(
    service: str, probes: Sequence[LoginProbe], statuses: Sequence[int]
) -> list[Finding]:
    findings = []
    for probe in probes:
        outcome, detail = login_outcome(probe, statuses)
        if outcome == "accepted":
            findings.append(
                Finding(
                    f"{service}: {probe.with_credentials.url} accepts the default credentials "
                    f"of user {probe.username!r}",
                    expected="the default credentials refused (HTTP 401/403)",
                    found=f"{detail} with the vendor's default password for {probe.username!r}",
                    fix=f"change the password of {probe.username!r} (or disable the account / "
                    "basic auth) and rotate any tokens issued with it",
                )
            )
    return findings


# ---------------------------------------------------------------------------- latency


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sample."""
    if not values:
        raise ValueError("percentile of an empty sample")
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


def latency_stats(sample: LatencySample) -> dict[str, float | int]:
    stats: dict[str, float | int] = {"requests": sample.requests, "timeouts": sample.timeouts}
    if sample.durations_ms:
        stats.update(
            {
                "p50_ms": round(percentile(sample.durations_ms, 50), 1),
                "p95_ms": round(percentile(sample.durations_ms, 95), 1),
                "max_ms": round(max(sample.durations_ms), 1),
                "min_ms": round(min(sample.durations_ms), 1),
            }
        )
    return stats


def latency_findings(service: str, sample: LatencySample, p95_ms: float) -> list[Finding]:
    findings = []
    if sample.timeouts:
        findings.append(
            Finding(
                f"{service}: {sample.timeouts} of {sample.requests} requests to {sample.url} "
                f"got no answer within {sample.timeout_s:g}s",
                expected=f"every request answered, p95 <= {p95_ms:g} ms",
                found=f"{sample.timeouts} timeouts",
                fix="find what blocks the slow requests (saturation, locks, a slow dependency)",
            )
        )
    if sample.durations_ms:
        p95 = percentile(sample.durations_ms, 95)
        if p95 > p95_ms:
            findings.append(
                Finding(
                    f"{service}: latency p95 of {sample.url} is {p95:.0f} ms, over the "
                    f"{p95_ms:g} ms budget",
                    expected=f"p95 <= {p95_ms:g} ms over {sample.requests} requests",
                    found=f"p95 {p95:.0f} ms (p50 {percentile(sample.durations_ms, 50):.0f} ms, "
                    f"max {max(sample.durations_ms):.0f} ms)",
                    fix="profile the slow path and fix it (or scale out) before releasing; "
                    "adjust latency.p95_ms if the budget is wrong",
                )
            )
    return findings
