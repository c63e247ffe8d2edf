"""Profile schema of the supply_chain family: registries, images and the release policy."""

from __future__ import annotations

import re
from pathlib import PurePosixPath
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, field_validator, model_validator

from readiness.profile.common import Endpoint, Model, SeverityName


class Registry(Endpoint):
    """An OCI registry read through the Distribution API (read-only)."""

    name: str


class ImageFiles(Model):
    """Supply-chain files declared for an image beside what the registry holds."""

    sbom: str | None = None
    provenance: list[str] = []
    signature_bundles: list[str] = []


class Image(Model):
    """One image of the release: a reference in a registry, plus declared files."""

    ref: str
    name: str = ""
    registry: str | None = None
    platform: str = "linux/amd64"
    files: ImageFiles = ImageFiles()

    @field_validator("ref")
    @classmethod
    def _ref_shape(cls, value: str) -> str:
        if "/" not in value:
            raise ValueError(
                "image ref needs a registry host and repository, e.g. registry:5000/team/app:1.0"
            )
        return value

    @property
    def target_id(self) -> str:
        return self.name or self.ref.split("/", 1)[1]


class Artifact(Model):
    """A release artifact that is not an image (wheel, tarball, binary, Helm chart…).

    Read from a local ``path`` or fetched read-only from an HTTPS ``url``; judged with its
    declared SBOM, Sigstore bundles and provenance, without any registry.
    """

    name: str = ""
    path: str | None = None
    url: str | None = None
    ca_file: str | None = None
    timeout: float = Field(120.0, gt=0, le=3600)
    """Total time to download a URL artifact (connect, retries, body)."""
    max_bytes: int = Field(1024**3, gt=0, le=4 * 1024**3)
    files: ImageFiles = ImageFiles()

    @model_validator(mode="after")
    def _one_location(self) -> Artifact:
        if (self.path is None) == (self.url is None):
            raise ValueError("give exactly one of path or url")
        if self.url is not None:
            parts = urlsplit(self.url)
            if parts.scheme != "https" or not parts.hostname:
                raise ValueError("artifact url must be https://host/…")
            if parts.username or parts.password:
                raise ValueError("artifact url must not carry credentials")
        return self

    @property
    def location(self) -> str:
        """Where the artifact is read from (a URL without its query string)."""
        if self.path is not None:
            return self.path
        assert self.url is not None
        return self.url.split("?", 1)[0].split("#", 1)[0]

    @property
    def target_id(self) -> str:
        return self.name or PurePosixPath(urlsplit(self.location).path).name or self.location


class DockerDaemon(Model):
    """A Docker Engine whose images and running containers are inspected."""

    url: str = "unix:///var/run/docker.sock"
    timeout: float = Field(10.0, gt=0, le=3600)


class SupplyChainTargets(Model):
    """Fields of `targets:` this family reads."""

    registries: list[Registry] = []
    images: list[Image] = []
    artifacts: list[Artifact] = []
    docker: DockerDaemon | None = None

    @model_validator(mode="after")
    def _registries_known(self) -> SupplyChainTargets:
        names = {r.name for r in self.registries}
        for image in self.images:
            if image.registry is not None and image.registry not in names:
                raise ValueError(
                    f"image {image.ref!r} names registry {image.registry!r}, which is not in "
                    f"targets.registries ({', '.join(sorted(names)) or 'none'})"
                )
        ids = [i.target_id for i in self.images] + [a.target_id for a in self.artifacts]
        twice = sorted({t for t in ids if ids.count(t) > 1})
        if twice:
            raise ValueError(
                f"images and artifacts need unique names; used twice: {', '.join(twice)} "
                "(set name: on one of them)"
            )
        return self


class SignerIdentity(Model):
    """An acceptable Sigstore signer: certificate identity (exact or regex) and OIDC issuer."""

    identity: str | None = None
    identity_regex: str | None = None
    issuer: str

    @model_validator(mode="after")
    def _one_identity(self) -> SignerIdentity:
        if (self.identity is None) == (self.identity_regex is None):
            raise ValueError("give exactly one of identity or identity_regex")
        if self.identity_regex is not None:
            try:
                re.compile(self.identity_regex)
            except re.error as exc:
                raise ValueError(f"identity_regex does not compile: {exc}") from None
        return self

    def describe(self) -> str:
        who = self.identity if self.identity is not None else f"~/{self.identity_regex}/"
        return f"{who} (issuer {self.issuer})"


class SignaturePolicy(Model):
    required: bool = True
    identities: list[SignerIdentity] = []
    trusted_root: str = "production"
    """A trusted_root.json path (offline, pinned), or `production` / `staging`."""
    offline: bool = True
    public_keys: list[str] = []
    """PEM public keys for cosign key-based signatures and attestations."""


class PriorVerdictPolicy(Model):
    """A signed, passing verdict of an earlier stage's full gate for the same image digests."""

    environment: str = "staging"
    max_age: str = "7d"
    """How old the earlier verdict may be (e.g. 24h, 7d)."""
    public_keys: list[str] = []
    """PEM public keys of key-signed verdicts (cosign.pub)."""
    identities: list[SignerIdentity] = []
    """Keyless signers of verdicts (certificate identity and OIDC issuer)."""
    trusted_root: str | None = None
    """Sigstore trusted root for keyless verdicts; default: supply_chain.signature's."""

    @field_validator("max_age")
    @classmethod
    def _age(cls, value: str) -> str:
        from readiness.verdict.statement import parse_age

        parse_age(value)
        return value

    @model_validator(mode="after")
    def _some_signer(self) -> PriorVerdictPolicy:
        if not self.public_keys and not self.identities:
            raise ValueError("prior_verdict needs public_keys or identities to verify verdicts")
        return self


class ProvenancePolicy(Model):
    required: bool = True
    allowed_builders: list[str] = []
    source_repository: str | None = None
    source_ref: str | None = None
    build_types: list[str] = []
    """Accepted buildType URIs; empty: any, but one must be stated."""


DEFAULT_NTIA: dict[str, float] = {
    "supplier": 0.8,
    "name": 1.0,
    "version": 1.0,
    "unique_identifier": 0.95,
    "dependencies": 1.0,
    "author": 1.0,
    "timestamp": 1.0,
}


class SbomPolicy(Model):
    required: bool = True
    ntia: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_NTIA))
    """Minimum share (0..1) of components with each NTIA element; document-level
    elements (author, timestamp, dependencies) are 0 or 1."""
    deny_licenses: list[str] = ["AGPL-3.0-only", "AGPL-3.0-or-later", "SSPL-1.0"]
    warn_unknown_licenses: bool = True

    @field_validator("ntia")
    @classmethod
    def _shares(cls, value: dict[str, float]) -> dict[str, float]:
        for key, share in value.items():
            if key not in DEFAULT_NTIA:
                raise ValueError(
                    f"unknown NTIA element {key!r}; expected one of {', '.join(DEFAULT_NTIA)}"
                )
            if not 0.0 <= share <= 1.0:
                raise ValueError(f"ntia.{key} must be a share between 0 and 1, got {share}")
        return {**DEFAULT_NTIA, **value}


class VulnerabilityPolicy(Model):
    database: str | None = None
    """The SQLite store written by ``readiness vulndb import`` (OSV records)."""
    max_age_days: float = Field(7.0, gt=0)
    """A database whose last import is older than this is stale."""
    if_missing: Literal["fail", "skip"] = "fail"
    """What SC-VULNS does without a usable (present, non-stale) database: fail, or skip
    with the reason (for environments that accept not looking)."""
    osv_db: str | None = None
    """Alternatively, a directory (searched recursively) or a .zip of OSV JSON records."""
    fail_on: SeverityName = "high"
    cvss_threshold: float | None = Field(None, ge=0.0, le=10.0)
    """Block at or above this CVSS base score (overrides fail_on when set)."""
    unknown_severity_blocks: bool = True


class ImagePolicy(Model):
    forbid_root: bool = True
    forbid_latest: bool = True
    require_digest_pin: bool = False
    required_labels: list[str] = [
        "org.opencontainers.image.source",
        "org.opencontainers.image.revision",
        "org.opencontainers.image.version",
    ]
    secret_env_patterns: list[str] = [
        r"(?i)(password|passwd|secret|token|api[_-]?key|private[_-]?key|credentials?)"
    ]
    require_memory_limit: bool = True


class SupplyChainPolicy(Model):
    signature: SignaturePolicy = SignaturePolicy()
    prior_verdict: PriorVerdictPolicy | None = None
    """Require an earlier stage's passing verdict (SC-PRIOR-VERDICT); unset: not checked."""
    provenance: ProvenancePolicy = ProvenancePolicy()
    sbom: SbomPolicy = SbomPolicy()
    vulnerabilities: VulnerabilityPolicy = VulnerabilityPolicy()
    image: ImagePolicy = ImagePolicy()


class SupplyChainSection(Model):
    """Top-level profile sections this family owns."""

    supply_chain: SupplyChainPolicy = SupplyChainPolicy()
