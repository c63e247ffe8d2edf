"""Profile schema of the HTTP family: services (``targets.services``) and the ``http:`` policy.

A service names its base URL and what it is expected to serve: health and readiness
endpoints, Prometheus metrics, paths that must require authentication, default
credentials that must be refused, TLS expectations and a latency budget. Thresholds a
service does not set come from the ``http:`` policy, so a whole estate shares one
practice and a single service may tighten or relax it.
"""

from __future__ import annotations

import re
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, field_validator, model_validator

from readiness.profile.common import Auth, Model

TlsVersionName = Literal["1.2", "1.3"]
CipherPolicyName = Literal["modern", "intermediate"]
SecurityHeader = Literal[
    "content-security-policy",
    "x-content-type-options",
    "frame-protection",
    "referrer-policy",
]

#: Well-known vendor defaults, probed with a read-only GET and HTTP Basic credentials.
KNOWN_DEFAULT_CREDENTIALS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "grafana": (("/api/org", "admin", "admin"),),
    "rabbitmq": (("/api/whoami", "guest", "guest"),),
    "tomcat": (
        ("/manager/text/serverinfo", "tomcat", "tomcat"),
        ("/manager/text/serverinfo", "admin", "admin"),
    ),
    "elasticsearch": (("/_security/_authenticate", "elastic", "changeme"),),
    "jenkins": (("/api/json", "admin", "admin"),),
}


#: Mozilla Server Side TLS (5.7) "intermediate": the TLS 1.2 suites it allows, OpenSSL names.
INTERMEDIATE_TLS12_CIPHERS = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "DHE-RSA-AES128-GCM-SHA256",
    "DHE-RSA-AES256-GCM-SHA384",
    "DHE-RSA-CHACHA20-POLY1305",
)
#: Named cipher policies: the TLS 1.2 suites each allows ("modern": TLS 1.3 only).
CIPHER_POLICIES: dict[str, tuple[str, ...]] = {
    "modern": (),
    "intermediate": INTERMEDIATE_TLS12_CIPHERS,
}
_CIPHER_NAME = re.compile(r"[A-Z0-9][A-Z0-9_-]*")


def _path_shorthand(value: Any) -> Any:
    """``health: /healthz`` is short for ``health: {path: /healthz}``."""
    return {"path": value} if isinstance(value, str) else value


def _check_path(value: str) -> str:
    if not value.startswith("/"):
        raise ValueError(f"path {value!r} must start with '/'")
    return value


class _PathProbe(Model):
    """A probed path; a bare string is short for ``{path: ...}``."""

    path: str

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        return _path_shorthand(value)

    @field_validator("path")
    @classmethod
    def _path_ok(cls, value: str) -> str:
        return _check_path(value)


class JsonExpectation(_PathProbe):
    """An endpoint probe: a path answering 2xx, optionally with expected JSON fields."""

    #: Expected JSON fields; dotted keys reach into objects (``checks.db: up``).
    json_fields: dict[str, str | int | float | bool | None] = Field({}, alias="json")
    timeout: float | None = Field(None, gt=0, le=3600)

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class MetricsExpectation(_PathProbe):
    path: str = "/metrics"
    #: Metric names that must be exposed (family or sample names).
    required: list[str] = []
    #: Monitoring endpoints that are private must refuse anonymous requests.
    private: bool = False
    timeout: float | None = Field(None, gt=0, le=3600)


class CipherPolicy(Model):
    """The TLS 1.2 cipher suites a service may accept (TLS 1.3 suites are all acceptable).

    ``policy: intermediate`` (Mozilla's list) or ``modern`` (no TLS 1.2 at all), or an
    explicit ``allowed`` list of OpenSSL suite names; not both.
    """

    #: Mozilla's intermediate (the default when neither is given) or modern (TLS 1.3 only).
    policy: CipherPolicyName | None = None
    #: OpenSSL names, e.g. ECDHE-RSA-AES128-GCM-SHA256; replaces the named policy.
    allowed: list[str] | None = None

    @field_validator("allowed")
    @classmethod
    def _names(cls, value: list[str] | None) -> list[str] | None:
        for name in value or []:
            if not _CIPHER_NAME.fullmatch(name):
                raise ValueError(
                    f"{name!r} is not an OpenSSL cipher suite name "
                    "(e.g. ECDHE-RSA-AES128-GCM-SHA256)"
                )
        return value

    @model_validator(mode="after")
    def _one(self) -> CipherPolicy:
        if self.policy is not None and self.allowed is not None:
            raise ValueError("give either policy or allowed, not both")
        return self

    def resolve(self) -> tuple[str, tuple[str, ...]]:
        """(policy name, allowed TLS 1.2 suites); ``custom`` for an explicit list."""
        if self.allowed is not None:
            return "custom", tuple(self.allowed)
        name = self.policy or "intermediate"
        return name, CIPHER_POLICIES[name]


class TlsExpectation(Model):
    #: Plain-HTTP URLs fail the TLS checks unless this is false.
    required: bool = True
    min_version: TlsVersionName | None = None
    #: TLS 1.2 suites this service may accept; default: the http.tls.ciphers policy.
    ciphers: CipherPolicy | None = None
    #: The name the certificate must carry; default: the URL's host.
    server_name: str | None = None
    expiry_warn_days: int | None = Field(None, ge=0)
    expiry_fail_days: int | None = Field(None, ge=0)


class DefaultCredential(Model):
    """Credentials a vendor ships with; they must be refused.

    Either ``product: grafana`` (see ``KNOWN_DEFAULT_CREDENTIALS``) or an explicit
    ``path``, ``username`` and ``password``. Probed with GET and HTTP Basic only.
    """

    product: str | None = None
    path: str | None = None
    username: str | None = None
    password: str | None = None

    @model_validator(mode="after")
    def _complete(self) -> DefaultCredential:
        explicit = (self.path, self.username, self.password)
        if self.product is not None:
            if self.product not in KNOWN_DEFAULT_CREDENTIALS:
                known = ", ".join(sorted(KNOWN_DEFAULT_CREDENTIALS))
                raise ValueError(f"unknown product {self.product!r}; known: {known}")
            if any(v is not None for v in explicit):
                raise ValueError("give either product or path/username/password, not both")
        elif any(v is None for v in explicit):
            raise ValueError("give product, or all of path, username and password")
        if self.path is not None:
            _check_path(self.path)
        return self

    def probes(self) -> list[tuple[str, str, str]]:
        """(path, username, password) triples to try."""
        if self.product is not None:
            return list(KNOWN_DEFAULT_CREDENTIALS[self.product])
        assert self.path is not None and self.username is not None and self.password is not None
        return [(self.path, self.username, self.password)]


class LatencyExpectation(Model):
    path: str | None = None  # default: the health path, else "/"
    requests: int | None = Field(None, ge=1, le=1000)
    p95_ms: float | None = Field(None, gt=0)

    @field_validator("path")
    @classmethod
    def _path_ok(cls, value: str | None) -> str | None:
        return value if value is None else _check_path(value)


class Service(Model):
    """One HTTP(S) service and what it must serve."""

    name: str = Field(min_length=1)
    url: str
    #: Plain-HTTP address that must redirect to HTTPS (HTTP-REDIRECT).
    http_url: str | None = None
    ca_file: str | None = None
    verify_tls: bool = True
    timeout: float | None = Field(None, gt=0, le=3600)
    #: Credentials for private endpoints (metrics); from ${VAR}, never reported.
    auth: Auth | None = None
    health: JsonExpectation | None = None
    ready: JsonExpectation | None = None
    metrics: MetricsExpectation | None = None
    tls: TlsExpectation = TlsExpectation()
    #: The page whose headers are judged (HSTS, security headers).
    headers_path: str = "/"
    #: Paths that must refuse anonymous requests (HTTP-PRIVATE-AUTH).
    private_paths: list[str] = []
    default_credentials: list[DefaultCredential] = []
    latency: LatencyExpectation = LatencyExpectation()

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{value!r} is not an absolute http(s) URL")
        if parts.query or parts.fragment:
            raise ValueError(f"{value!r}: give the base URL without query or fragment")
        return value.rstrip("/")

    @field_validator("http_url")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        if value is not None and (urlsplit(value).scheme != "http" or not urlsplit(value).hostname):
            raise ValueError(f"{value!r} is not an absolute http:// URL")
        return value

    @field_validator("headers_path")
    @classmethod
    def _headers_path(cls, value: str) -> str:
        return _check_path(value)

    @field_validator("private_paths")
    @classmethod
    def _private_paths(cls, value: list[str]) -> list[str]:
        return [_check_path(v) for v in value]

    @property
    def is_https(self) -> bool:
        return self.url.startswith("https://")

    @property
    def host(self) -> str:
        return urlsplit(self.url).hostname or ""

    @property
    def port(self) -> int:
        parts = urlsplit(self.url)
        return parts.port or (443 if parts.scheme == "https" else 80)

    def min_tls_version(self, policy: HttpPolicy) -> str:
        return self.tls.min_version or policy.tls.min_version

    def cipher_policy(self, policy: HttpPolicy) -> tuple[str, tuple[str, ...]]:
        """(policy name, allowed TLS 1.2 suites) for HTTP-TLS-CIPHERS."""
        return (self.tls.ciphers or policy.tls.ciphers).resolve()

    def expiry_days(self, policy: HttpPolicy) -> tuple[int, int]:
        """(warn, fail) thresholds in days."""
        return (
            self.tls.expiry_warn_days
            if self.tls.expiry_warn_days is not None
            else policy.tls.expiry_warn_days,
            self.tls.expiry_fail_days
            if self.tls.expiry_fail_days is not None
            else policy.tls.expiry_fail_days,
        )

    def latency_plan(self, policy: HttpPolicy) -> tuple[str, int, float]:
        """(path, requests, p95 budget in ms)."""
        path = self.latency.path or (self.health.path if self.health else "/")
        return (
            path,
            self.latency.requests or policy.latency.requests,
            self.latency.p95_ms or policy.latency.p95_ms,
        )

    def all_private_paths(self) -> list[str]:
        """Declared private paths plus the metrics path when metrics are private."""
        paths = list(self.private_paths)
        if self.metrics is not None and self.metrics.private and self.metrics.path not in paths:
            paths.append(self.metrics.path)
        return paths


class TlsPolicy(Model):
    min_version: TlsVersionName = "1.2"
    ciphers: CipherPolicy = CipherPolicy()
    expiry_warn_days: int = Field(30, ge=0)
    expiry_fail_days: int = Field(14, ge=0)

    @model_validator(mode="after")
    def _order(self) -> TlsPolicy:
        if self.expiry_warn_days < self.expiry_fail_days:
            raise ValueError("expiry_warn_days must be at least expiry_fail_days")
        return self


class HstsPolicy(Model):
    min_max_age: int = Field(31536000, ge=0)
    include_subdomains: bool = False
    preload: bool = False


class LatencyPolicy(Model):
    requests: int = Field(20, ge=1, le=1000)
    p95_ms: float = Field(500.0, gt=0)


class HttpPolicy(Model):
    """Thresholds every service shares unless it sets its own."""

    #: Probes in flight at once, across all services.
    concurrency: int = Field(8, ge=1, le=256)
    #: Per-request timeout in seconds when a service or endpoint sets none.
    timeout: float = Field(10.0, gt=0, le=3600)
    tls: TlsPolicy = TlsPolicy()
    hsts: HstsPolicy = HstsPolicy()
    security_headers: list[SecurityHeader] = [
        "content-security-policy",
        "x-content-type-options",
        "frame-protection",
        "referrer-policy",
    ]
    #: Anonymous answers that count as "authentication required".
    auth_required_statuses: list[int] = [401, 403]
    latency: LatencyPolicy = LatencyPolicy()


class HttpTargets(Model):
    services: list[Service] = []

    @field_validator("services")
    @classmethod
    def _unique(cls, value: list[Service]) -> list[Service]:
        seen: set[str] = set()
        for s in value:
            if s.name in seen:
                raise ValueError(f"service name {s.name!r} appears twice")
            seen.add(s.name)
        return value


class HttpSection(Model):
    http: HttpPolicy = HttpPolicy()
