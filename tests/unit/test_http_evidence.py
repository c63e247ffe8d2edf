"""Evidence types of the HTTP source: certificates, headers, the per-run cache."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from readiness.demo.tls import issue, make_ca
from readiness.sources.http import Fetch, _auth_headers, _clean_header, parse_certificate


def test_parse_certificate(tmp_path: Path) -> None:
    ca = make_ca(tmp_path, name="Unit CA", days=10)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    files = issue(ca, tmp_path, "srv", hosts=("shop.example", "10.1.2.3"), days=7, valid_from=start)
    cert = x509.load_pem_x509_certificate(files.cert.read_bytes())
    info = parse_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert info.subject == "CN=shop.example" and info.issuer == "CN=Unit CA"
    assert info.dns_names == ("shop.example",) and info.ip_addresses == ("10.1.2.3",)
    assert info.not_before == start and info.not_after == start + dt.timedelta(days=7)
    assert len(info.sha256) == 64
    assert info.summary()["subject_alt_names"] == ["shop.example", "10.1.2.3"]


@pytest.mark.parametrize(
    ("name", "value", "kept"),
    [
        ("Content-Type", "text/html", ("content-type", "text/html")),
        ("Set-Cookie", "session=abc123; HttpOnly", ("set-cookie", "session=<redacted>")),
        ("Authorization", "Bearer x", ("authorization", "<redacted>")),
        ("WWW-Authenticate", "Basic realm=x", ("www-authenticate", "Basic realm=x")),
    ],
)
def test_headers_never_keep_credentials(name: str, value: str, kept: tuple[str, str]) -> None:
    assert _clean_header(name, value) == kept


def test_fetch_headers_and_summary() -> None:
    fetch = Fetch(
        url="https://x/",
        status=200,
        headers=(("x-a", "1"), ("x-a", "2")),
        credentials="profile credentials",
        tls_version="TLSv1.3",
        tls_verified=False,
        tls_note="certificate not trusted",
    )
    assert fetch.header("X-A") == "1" and fetch.header_values("x-a") == ["1", "2"]
    summary = fetch.summary(headers=True)
    assert summary["tls_verified"] is False and summary["credentials"] == "profile credentials"
    assert Fetch(url="u", status=None, timeout_s=2).summary()["status"] == "timeout"


def test_auth_headers() -> None:
    assert _auth_headers(None, ("admin", "admin")) == {"Authorization": "Basic YWRtaW46YWRtaW4="}
    assert _auth_headers(None, None) is None
