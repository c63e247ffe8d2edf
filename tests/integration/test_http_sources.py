"""The HTTP source against real HTTP(S) services: caching, bounded concurrency, TLS facts,
unreachable targets, and credentials never sent over an unverified connection."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from readiness.errors import SourceError
from readiness.profile.http import (
    INTERMEDIATE_TLS12_CIPHERS,
    HttpPolicy,
    JsonExpectation,
    Service,
)
from readiness.rules import http as rules
from readiness.sources.http import HOST_CONNECTIONS, HttpSource
from tests.fixtures.tls import METRICS_TOKEN, Estate, Site, SiteSpec, closed_port, https_site

pytestmark = pytest.mark.integration


def make_service(estate: Estate, name: str, **extra: Any) -> Service:
    entry = estate.service(name, **extra)
    entry["auth"] = {"bearer_token": METRICS_TOKEN}
    return Service.model_validate(entry)


def jobs(source: HttpSource, s: Service) -> list[Any]:
    return [
        lambda: source.health(s),
        lambda: source.ready(s),
        lambda: source.metrics(s),
        lambda: source.page(s),
        lambda: source.plain_http(s),
        lambda: source.tls(s),
        lambda: source.legacy_handshakes(s, "1.2"),
        lambda: source.default_login(s, "/api/org", "admin", "admin"),
        *[(lambda p=p: source.fetch(s, p)) for p in s.all_private_paths()],
    ]


def test_each_url_is_fetched_once_per_run(http_estate: Estate) -> None:
    service = make_service(http_estate, "good")
    source = HttpSource(HttpPolicy())
    source.prefetch(jobs(source, service) * 3)  # the same probes asked for three times
    for job in jobs(source, service):  # and again by the checks, one after another
        job()
    base = service.url
    anonymous = {k: n for k, n in source.stats.urls.items()}
    assert anonymous, "nothing was fetched"
    # One GET per (URL, credentials): /metrics with the token and without, /api/org with
    # and without the default login; everything else exactly once.
    assert source.stats.urls == {
        base + "/healthz": 1,
        base + "/readyz": 1,
        base + "/metrics": 2,
        base + "/": 1,
        http_estate.redirects["good"].url: 1,
        base + "/admin": 1,
        base + "/api/org": 2,
    }, anonymous
    # Two legacy attempts; the TLS facts come from the content probes' verified connection.
    assert source.stats.handshakes == 2


def keep_alive(site: Site, *, closes_after_each: bool = False) -> Site:
    """The site's server keeps connections open (HTTP/1.1); ``closes_after_each``: it says
    keep-alive but hangs up after every answer, as a server whose idle timeout passed."""
    handler = site.server.RequestHandlerClass
    attrs: dict[str, Any] = {"protocol_version": "HTTP/1.1"}
    if closes_after_each:
        attrs["handle"] = lambda self: self.handle_one_request()
    site.server.RequestHandlerClass = type("KeepAlive", (handler,), attrs)
    return site


@pytest.fixture
def kept_alive_site(http_estate: Estate, tmp_path: Path) -> Iterator[Site]:
    from readiness.demo.tls import issue

    cert = issue(http_estate.ca, tmp_path, "kept", days=30)
    site = keep_alive(https_site("kept", cert, SiteSpec(delay=0.05)))
    yield site
    site.stop()


def test_a_service_costs_a_few_connections_not_one_per_request(
    http_estate: Estate, kept_alive_site: Site
) -> None:
    service = make_service(
        http_estate,
        "good",
        url=kept_alive_site.url,
        http_url=None,
        latency={"path": "/healthz", "requests": 20},
    )
    source = HttpSource(HttpPolicy())
    probes = [*jobs(source, service)[:4], *jobs(source, service)[5:]]  # no plain-HTTP URL
    source.prefetch([*probes, lambda: source.latency(service, "/healthz", 20)])
    sample = source.latency(service, "/healthz", 20)
    assert sample.requests == 20 and set(sample.statuses) == {200}
    assert source.tls(service).chain_verified is True
    requests = source.stats.requests
    assert requests == 20 + 8  # latency, health, ready, metrics x2, page, admin, api/org x2
    # Every request on one of at most HOST_CONNECTIONS kept-alive connections, the TLS
    # facts read from one of them; the server saw those connections and no more.
    assert source.stats.connections <= HOST_CONNECTIONS < requests
    assert kept_alive_site.server.requests == source.stats.connections
    assert kept_alive_site.server.max_in_flight <= HOST_CONNECTIONS
    assert source.stats.handshakes == 2  # the two legacy versions only
    source.close()


def test_idle_connections_are_bounded_across_services(http_estate: Estate, tmp_path: Path) -> None:
    """Past max_idle idle connections in all, the one idle the longest is closed: an estate
    of hundreds of services holds a bounded number of file descriptors."""
    from readiness.demo.tls import issue

    cert = issue(http_estate.ca, tmp_path, "idle", days=30)
    sites = [keep_alive(https_site(f"idle{i}", cert, SiteSpec())) for i in range(3)]
    try:
        services = [
            Service(name=f"idle{i}", url=site.url, ca_file=str(http_estate.ca.cert_file))
            for i, site in enumerate(sites)
        ]
        source = HttpSource(HttpPolicy(), max_idle=2)
        for service in services:
            assert source.fetch(service, "/healthz").status == 200
        assert source.idle_connections == 2 and source.stats.connections == 3
        assert source.fetch(services[2], "/readyz").status == 200  # kept: reused
        assert source.stats.connections == 3
        assert source.fetch(services[0], "/readyz").status == 200  # closed: a new one
        assert source.stats.connections == 4 and source.idle_connections == 2
        source.close()
        assert source.idle_connections == 0
    finally:
        for site in sites:
            site.stop()


def test_a_kept_alive_connection_the_server_closed_is_replaced(
    http_estate: Estate, kept_alive_site: Site
) -> None:
    keep_alive(kept_alive_site, closes_after_each=True)
    service = make_service(http_estate, "good", url=kept_alive_site.url)
    source = HttpSource(HttpPolicy())
    paths = ["/healthz", "/readyz", "/", "/admin"]
    fetches = [source.fetch(service, p) for p in paths]  # one after another: reuse is tried
    assert [f.status for f in fetches] == [200, 200, 200, 401]
    assert source.stats.requests == len(paths)
    assert source.stats.connections == len(paths)  # each stale connection replaced once
    source.close()


@pytest.fixture
def busy_site(http_estate: Estate, tmp_path: Path) -> Iterator[Site]:
    from readiness.demo.tls import issue

    cert = issue(http_estate.ca, tmp_path, "busy", days=30)
    site = https_site("busy", cert, SiteSpec(delay=0.3))
    yield site
    site.stop()


def test_probes_run_concurrently_within_the_bound(http_estate: Estate, busy_site: Site) -> None:
    paths = [f"/private/{i}" for i in range(12)]
    service = Service(
        name="busy", url=busy_site.url, ca_file=str(http_estate.ca.cert_file), private_paths=paths
    )
    source = HttpSource(HttpPolicy(concurrency=3))
    source.prefetch([(lambda p=p: source.fetch(service, p)) for p in paths])
    assert busy_site.server.requests == 12
    assert 1 < busy_site.server.max_in_flight <= 3, busy_site.server.max_in_flight
    assert all(source.fetch(service, p).status == 404 for p in paths)
    assert busy_site.server.requests == 12, "cached results were fetched again"


def test_unreachable_service_raises_a_source_error_naming_it() -> None:
    port = closed_port()
    service = Service(name="billing", url=f"https://127.0.0.1:{port}", health="/healthz")
    source = HttpSource(HttpPolicy(timeout=2))
    for probe in (lambda: source.health(service), lambda: source.tls(service)):
        with pytest.raises(SourceError) as info:
            probe()
        assert info.value.target == "billing"
        assert f"cannot connect to 127.0.0.1:{port}" in str(info.value)
    requests = source.stats.requests
    with pytest.raises(SourceError):
        source.health(service)
    assert source.stats.requests == requests, "a failed probe was retried within the run"


def test_old_protocols_accepted_only_where_allowed(http_estate: Estate) -> None:
    source = HttpSource(HttpPolicy())
    legacy = source.legacy_handshakes(make_service(http_estate, "legacy-tls"), "1.2")
    assert [(h.version, h.accepted, h.negotiated) for h in legacy] == [
        ("TLSv1", True, "TLSv1"),
        ("TLSv1.1", True, "TLSv1.1"),
    ]
    good = source.legacy_handshakes(make_service(http_estate, "good"), "1.3")
    assert [(h.version, h.accepted) for h in good] == [
        ("TLSv1", False),
        ("TLSv1.1", False),
        ("TLSv1.2", True),  # the good service allows 1.2: a 1.3-only policy finds it
    ]
    assert all(h.detail for h in good)


def test_tls_evidence_of_a_good_service(http_estate: Estate) -> None:
    tls = HttpSource(HttpPolicy()).tls(make_service(http_estate, "good"))
    assert tls.version in ("TLSv1.2", "TLSv1.3")
    assert tls.chain_verified is True and tls.chain_error == ""
    assert tls.cert.issuer == "CN=readiness test CA"
    assert "127.0.0.1" in tls.cert.ip_addresses and "localhost" in tls.cert.dns_names
    assert tls.trust == f"profile CA {http_estate.ca.cert_file}"


def test_without_the_profile_ca_the_chain_is_untrusted(http_estate: Estate) -> None:
    service = make_service(http_estate, "good", ca_file=None)
    tls = HttpSource(HttpPolicy()).tls(service)
    assert tls.chain_verified is False and tls.trust == "system trust store"
    assert "unable to get local issuer certificate" in tls.chain_error


def test_verification_turned_off_is_said(http_estate: Estate) -> None:
    service = make_service(http_estate, "expired-cert", verify_tls=False)
    source = HttpSource(HttpPolicy())
    assert source.tls(service).chain_verified is None
    metrics = source.metrics(service)  # the profile said so: credentials are sent
    assert metrics.status == 200 and metrics.tls_verified is None
    assert "verify_tls: false" in metrics.tls_note


def test_credentials_never_go_over_an_unverified_connection(http_estate: Estate) -> None:
    service = make_service(http_estate, "wrong-host")
    source = HttpSource(HttpPolicy())
    health = source.health(service)  # anonymous: fetched, and the evidence says how
    assert health.status == 200 and health.tls_verified is False
    assert "certificate not trusted" in health.tls_note
    with pytest.raises(SourceError, match="credentials are not sent over an unverified"):
        source.metrics(service)


def test_a_health_endpoint_slower_than_its_timeout_fails(http_estate: Estate) -> None:
    service = make_service(
        http_estate, "slow", health={"path": "/healthz", "json": {"status": "ok"}, "timeout": 0.2}
    )
    fetch = HttpSource(HttpPolicy()).health(service)
    assert fetch.timed_out
    assert service.health is not None
    (finding,) = rules.endpoint_findings("slow", "health", fetch, service.health)
    assert finding.found == "no answer within 0.2s"
    assert finding.expected == "HTTP 2xx within 0.2s"


def test_response_headers_are_kept_without_credentials(http_estate: Estate) -> None:
    service = make_service(http_estate, "good")
    source = HttpSource(HttpPolicy())
    metrics = source.metrics(service)
    assert metrics.status == 200 and metrics.credentials == "profile credentials"
    assert METRICS_TOKEN not in repr(metrics.summary(headers=True))
    page = source.page(service)
    assert page.header("x-frame-options") == "DENY"
    expect = JsonExpectation(path="/healthz", json={"status": "ok"})
    assert rules.endpoint_findings("good", "health", source.health(service), expect) == []


def test_a_server_speaking_only_tls10(http_estate: Estate, tmp_path: Path) -> None:
    from readiness.demo.tls import issue

    site = https_site("old", issue(http_estate.ca, tmp_path, "old"), SiteSpec(only_tls10=True))
    try:
        service = Service(name="old", url=site.url, ca_file=str(http_estate.ca.cert_file))
        source = HttpSource(HttpPolicy())
        handshakes = source.legacy_handshakes(service, "1.2")
        assert [(h.version, h.accepted) for h in handshakes] == [
            ("TLSv1", True),
            ("TLSv1.1", False),
        ]
        (finding,) = rules.tls_version_findings("old", "a", handshakes, "1.2")
        assert finding.message == "old: a accepts TLSv1"
        with pytest.raises(SourceError, match=r"TLS handshake with 127\.0\.0\.1:"):
            source.tls(service)  # no modern handshake: the other TLS checks cannot look
    finally:
        site.stop()


def test_cipher_scan_costs_one_handshake_per_accepted_suite_plus_one(http_estate: Estate) -> None:
    source = HttpSource(HttpPolicy())
    good = source.tls12_ciphers(make_service(http_estate, "good"), INTERMEDIATE_TLS12_CIPHERS)
    assert (good.accepted, good.handshakes, good.complete) == ((), 1, True)
    assert "handshake failure" in good.refusal
    before = source.stats.handshakes
    weak = source.tls12_ciphers(
        make_service(http_estate, "weak-ciphers"), INTERMEDIATE_TLS12_CIPHERS
    )
    assert weak.accepted == ("AES128-SHA", "AES256-GCM-SHA384")
    assert weak.handshakes == 3 and source.stats.handshakes - before == 3
    assert not set(weak.offered) & set(INTERMEDIATE_TLS12_CIPHERS)
    source.tls12_ciphers(make_service(http_estate, "weak-ciphers"), INTERMEDIATE_TLS12_CIPHERS)
    assert source.stats.handshakes - before == 3, "a scan was repeated within the run"


def test_a_tls13_only_server_passes_any_cipher_policy(http_estate: Estate, tmp_path: Path) -> None:
    import ssl

    from readiness.demo.tls import issue

    site = https_site("tls13", issue(http_estate.ca, tmp_path, "tls13"), SiteSpec())
    assert site.server.tls is not None
    site.server.tls.minimum_version = ssl.TLSVersion.TLSv1_3
    try:
        service = Service(name="tls13", url=site.url, ca_file=str(http_estate.ca.cert_file))
        scan = HttpSource(HttpPolicy()).tls12_ciphers(service, ())  # modern: no TLS 1.2
        assert (scan.accepted, scan.handshakes, scan.complete) == ((), 1, True)
        assert "protocol version" in scan.refusal
    finally:
        site.stop()


def test_a_silent_server_leaves_the_cipher_scan_unknown() -> None:
    import socket

    with socket.socket() as listener:  # accepts TCP (the kernel's backlog), never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        service = Service(name="mute", url=f"https://127.0.0.1:{port}", timeout=0.5)
        with pytest.raises(SourceError, match=r"no answer to a TLS 1\.2 handshake") as info:
            HttpSource(HttpPolicy()).tls12_ciphers(service, INTERMEDIATE_TLS12_CIPHERS)
        assert info.value.target == "mute"
