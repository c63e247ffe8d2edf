"""HTTP endpoint checks: one control each, parametrized by the profile's services."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from functools import partial
from typing import Literal

import pytest

from readiness import Evidence, SourceError, assert_no_findings, clock, control, parametrize
from readiness.checking import profile_of
from readiness.collect import Job, params
from readiness.profile.http import HttpPolicy, JsonExpectation, Service
from readiness.rules import http as rules
from readiness.sources.http import Fetch, HttpSource, shared_http_source


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    parametrize(metafunc, "service", ((s.name, s) for s in profile.targets.services))


def _jobs(source: HttpSource, s: Service, policy: HttpPolicy) -> list[Callable[[], object]]:
    jobs: list[Callable[[], object]] = [lambda: source.page(s)]
    if s.health:
        jobs.append(lambda: source.health(s))
    if s.ready:
        jobs.append(lambda: source.ready(s))
    if s.metrics:
        jobs.append(lambda: source.metrics(s))
    if s.http_url:
        jobs.append(lambda: source.plain_http(s))
    if s.is_https:
        jobs.append(lambda: source.tls(s))
        jobs.append(lambda: source.legacy_handshakes(s, s.min_tls_version(policy)))
        jobs.append(lambda: source.tls12_ciphers(s, s.cipher_policy(policy)[1]))
    jobs += [(lambda p=p: source.fetch(s, p)) for p in s.all_private_paths()]
    for cred in s.default_credentials:
        jobs += [(lambda c=c: source.default_login(s, *c)) for c in cred.probes()]
    path, requests, _ = s.latency_plan(policy)
    jobs.append(lambda: source.latency(s, path, requests))
    return jobs


def _source(config: pytest.Config) -> HttpSource:
    return shared_http_source(profile_of(config).http)


def readiness_collect(config: pytest.Config, items: Sequence[pytest.Item]) -> list[Job]:
    """Every probe of every selected service, read in the run's collection phase."""
    source = _source(config)
    policy = profile_of(config).http
    return [
        Job(f"{s.host}:{s.port}", partial(_quietly, job), s.name)
        for s in params(items, "service", Service)
        for job in _jobs(source, s, policy)
    ]


def _quietly(job: Callable[[], object]) -> None:
    """Errors stay in the source's cache, raised to the checks that read them."""
    with contextlib.suppress(SourceError):
        job()


@pytest.fixture(scope="session")
def http_source(pytestconfig: pytest.Config) -> HttpSource:
    """The run's HTTP source, filled by the collection phase."""
    return _source(pytestconfig)


def _require_https(service: Service, *, judged_here: bool = False) -> None:
    """Plain-HTTP services fail TLS expectations, unless the profile says TLS is not required.

    The missing TLS is one finding, judged by HTTP-TLS-CHAIN; the other TLS checks point there.
    """
    if service.is_https:
        return
    if not service.tls.required:
        pytest.skip(f"{service.name} is plain HTTP and the profile sets tls.required: false")
    if not judged_here:
        pytest.skip(f"{service.name} is plain HTTP: judged once by HTTP-TLS-CHAIN")
    assert_no_findings(rules.plain_http_findings(service.name, service.url))


def _answered(service: Service, fetch: Fetch) -> Fetch:
    """Headers and auth cannot be judged without an answer: the check could not look."""
    if fetch.timed_out:
        raise SourceError(service.name, f"{fetch.url} gave no answer within {fetch.timeout_s:g}s")
    return fetch


def _check_endpoint(
    service: Service,
    kind: Literal["health", "readiness"],
    expect: JsonExpectation | None,
    probe: Callable[[Service], Fetch],
    evidence: Evidence,
) -> None:
    if expect is None:
        pytest.skip(f"no {kind} endpoint declared for {service.name}")
    evidence.add(url=service.url + expect.path)
    fetch = probe(service)
    evidence.add(**fetch.summary(), expected_json=expect.json_fields)
    assert_no_findings(rules.endpoint_findings(service.name, kind, fetch, expect))


@control("HTTP-HEALTH")
def test_health(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _check_endpoint(service, "health", service.health, http_source.health, evidence)


@control("HTTP-READY")
def test_ready(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _check_endpoint(service, "readiness", service.ready, http_source.ready, evidence)


@control("HTTP-METRICS")
def test_metrics(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    if service.metrics is None:
        pytest.skip(f"no metrics endpoint declared for {service.name}")
    evidence.add(url=service.url + service.metrics.path, required=service.metrics.required)
    fetch = http_source.metrics(service)
    findings, summary = rules.metrics_findings(service.name, fetch, service.metrics)
    evidence.add(**fetch.summary(), content_type=fetch.header("content-type"))
    if summary is not None:
        evidence.add(families=len(summary.families), samples=summary.samples)
    assert_no_findings(findings)


@control("HTTP-TLS-VERSION")
def test_tls_version(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _require_https(service)
    minimum = service.min_tls_version(http_source.policy)
    address = f"{service.host}:{service.port}"
    handshakes = http_source.legacy_handshakes(service, minimum)
    evidence.add(
        address=address, minimum=f"TLS {minimum}", handshakes=[h.summary() for h in handshakes]
    )
    findings = rules.tls_version_findings(service.name, address, handshakes, minimum)
    try:
        tls = http_source.tls(service)
        evidence.add(negotiated_by_default=tls.version, cipher=tls.cipher)
    except SourceError as exc:
        if not findings:
            raise
        # A server speaking only old versions: the finding stands on its own.
        evidence.add(modern_handshake=f"failed: {exc.reason}")
    assert_no_findings(findings)


@control("HTTP-TLS-CIPHERS")
def test_tls_ciphers(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _require_https(service)
    policy, allowed = service.cipher_policy(http_source.policy)
    evidence.add(policy=policy, allowed_tls12=list(allowed), tls13="not judged: all suites fine")
    scan = http_source.tls12_ciphers(service, allowed)
    evidence.add(**scan.summary())
    assert_no_findings(rules.cipher_findings(service.name, scan, policy, allowed))


@control("HTTP-TLS-CHAIN")
def test_tls_chain(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _require_https(service, judged_here=True)
    if not service.verify_tls:
        pytest.skip(f"TLS verification turned off for {service.name} (verify_tls: false)")
    tls = http_source.tls(service)
    evidence.add(**tls.summary())
    assert_no_findings(
        rules.chain_findings(
            service.name, tls.address, tls.chain_verified, tls.chain_error, tls.cert, tls.trust
        )
    )


@control("HTTP-TLS-HOSTNAME")
def test_tls_hostname(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _require_https(service)
    tls = http_source.tls(service)
    evidence.add(server_name=tls.server_name, address=tls.address, **tls.cert.summary())
    assert_no_findings(
        rules.hostname_findings(service.name, tls.address, tls.server_name, tls.cert)
    )


def _expiry(service: Service, source: HttpSource, evidence: Evidence, level: str) -> None:
    _require_https(service)
    warn, fail = service.expiry_days(source.policy)
    days = fail if level == "fail" else warn
    tls = source.tls(service)
    now = clock.now()
    evidence.add(
        address=tls.address,
        not_after=tls.cert.not_after.isoformat(),
        days_left=round(rules.days_left(tls.cert, now), 1),
        threshold_days=days,
        subject=tls.cert.subject,
        issuer=tls.cert.issuer,
    )
    assert_no_findings(rules.expiry_findings(service.name, tls.address, tls.cert, now, days, level))


@control("HTTP-TLS-EXPIRY")
def test_tls_expiry(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _expiry(service, http_source, evidence, "fail")


@control("HTTP-TLS-EXPIRY-WARN")
def test_tls_expiry_warning(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _expiry(service, http_source, evidence, "warn")


@control("HTTP-REDIRECT")
def test_redirect(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    if service.http_url is None:
        pytest.skip(f"no http_url declared for {service.name}")
    evidence.add(url=service.http_url)
    fetch = http_source.plain_http(service)
    evidence.add(**fetch.summary(), location=fetch.header("location"))
    assert_no_findings(rules.redirect_findings(service.name, fetch, service.url))


@control("HTTP-HSTS")
def test_hsts(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    _require_https(service)
    fetch = _answered(service, http_source.page(service))
    evidence.add(
        **fetch.summary(),
        strict_transport_security=fetch.header("strict-transport-security"),
    )
    assert_no_findings(rules.hsts_findings(service.name, fetch, http_source.policy.hsts))


@control("HTTP-SECURITY-HEADERS")
def test_security_headers(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    evidence.add(url=service.url + service.headers_path)
    fetch = _answered(service, http_source.page(service))
    evidence.add(**fetch.summary(headers=True), required=http_source.policy.security_headers)
    assert_no_findings(
        rules.security_header_findings(service.name, fetch, http_source.policy.security_headers)
    )


@control("HTTP-PRIVATE-AUTH")
def test_private_auth(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    paths = service.all_private_paths()
    if not paths:
        pytest.skip(f"no private paths declared for {service.name}")
    fetches = [_answered(service, http_source.fetch(service, p)) for p in paths]
    statuses = http_source.policy.auth_required_statuses
    evidence.add(anonymous_requests=[f.summary() for f in fetches], accepted_statuses=statuses)
    assert_no_findings(rules.private_auth_findings(service.name, fetches, statuses))


@control("HTTP-DEFAULT-CREDENTIALS")
def test_default_credentials(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    if not service.default_credentials:
        pytest.skip(f"no default credentials to probe declared for {service.name}")
    probes = [
        http_source.default_login(service, *triple)
        for cred in service.default_credentials
        for triple in cred.probes()
    ]
    statuses = http_source.policy.auth_required_statuses
    outcomes = [(p, *rules.login_outcome(p, statuses)) for p in probes]
    evidence.add(
        probes=[
            {
                "url": p.with_credentials.url,
                "user": p.username,
                "anonymous_status": p.anonymous.summary()["status"],
                "status_with_default_credentials": p.with_credentials.summary()["status"],
                "outcome": outcome,
            }
            for p, outcome, _ in outcomes
        ]
    )
    findings = rules.default_credential_findings(service.name, probes, statuses)
    unclear = [
        f"{p.with_credentials.url}: {detail}" for p, o, detail in outcomes if o == "inconclusive"
    ]
    if unclear and not findings:
        raise SourceError(
            service.name, "default-credential probe inconclusive: " + "; ".join(unclear)
        )
    assert_no_findings(findings)


@control("HTTP-LATENCY")
def test_latency(service: Service, http_source: HttpSource, evidence: Evidence) -> None:
    path, requests, budget = service.latency_plan(http_source.policy)
    evidence.add(url=service.url + path, p95_budget_ms=budget)
    sample = http_source.latency(service, path, requests)
    evidence.add(
        **rules.latency_stats(sample),
        samples_ms=[round(d, 1) for d in sample.durations_ms],
        statuses=sorted(set(sample.statuses)),
        measured="up to 8 at once on kept-alive connections; a request that opened its "
        "connection includes the connect and TLS handshake",
    )
    assert_no_findings(rules.latency_findings(service.name, sample, budget))
