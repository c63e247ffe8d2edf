"""Evidence for the supply-chain checks: one collection per image or artifact, cached.

For each artifact (a file or an HTTPS URL, no registry involved): its SHA-256, the SBOM,
Sigstore bundles and provenance the profile declares for it, each verified offline and
bound to that digest by the rules. For each image: resolve the reference, pick the
platform manifest, read the config blob, discover signatures, attestations and SBOMs
(OCI referrers API or its ``sha256-<hex>`` tag-schema fallback, cosign ``.sig`` /
``.att`` / ``.sbom`` tags, files declared in the profile) and verify them against the
trust material of the profile.
Targets are collected concurrently; a failure is cached too, so every check of an
unreachable image errors with the same reason and the rest of the run goes on.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from readiness import safeload
from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.profile.model import Profile
from readiness.profile.supply_chain import Artifact, Image, ImageFiles, PriorVerdictPolicy
from readiness.rules.supply_chain_sbom import component_purls
from readiness.rules.supply_chain_signing import (
    BAD_BUNDLE,
    CYCLONEDX_PREDICATES,
    CosignSignature,
    SignatureCheck,
    verify_cosign_signature,
    verify_dsse_envelope,
    verify_sigstore_bundle,
)
from readiness.rules.supply_chain_vulns import (
    MatchResult,
    VulnDbStatus,
    match_components,
    purl_key,
)
from readiness.sources.artifacts import read_artifact
from readiness.sources.osv import OsvSource, open_vuln_database
from readiness.sources.registry import (
    COSIGN_BUNDLE_ANNOTATION,
    COSIGN_CERTIFICATE_ANNOTATION,
    COSIGN_SIGNATURE_ANNOTATION,
    COSIGN_SIMPLESIGNING,
    CYCLONEDX_JSON,
    DSSE_ENVELOPE,
    SIGSTORE_BUNDLE_TYPES,
    ImageRef,
    Manifest,
    RegistryClient,
    pick_platform,
)
from readiness.sources.run import gather
from readiness.sources.sbom import SbomDocument, parse_sbom, read_sbom_file
from readiness.verdict.attest import key_verifier
from readiness.verdict.envelope import Verified


@dataclass(frozen=True, slots=True)
class ImageConfig:
    user: str
    env: tuple[str, ...]
    labels: Mapping[str, str]
    os: str
    architecture: str


@dataclass(frozen=True, slots=True)
class ArtifactEvidence:
    """A release artifact (not an image), its digest and its declared evidence."""

    target: str
    location: str
    digest: str
    size: int
    checks: tuple[SignatureCheck, ...]
    sboms: tuple[SbomDocument, ...]
    sbom_problems: tuple[str, ...] = ()
    kind: str = "artifact"

    @property
    def digests(self) -> set[str]:
        return {self.digest}

    def summary(self) -> dict[str, Any]:
        return {
            "artifact": self.location,
            "digest": self.digest,
            "size": self.size,
            "sbom_problems": list(self.sbom_problems),
        }


@dataclass(frozen=True, slots=True)
class ImageEvidence:
    target: str
    ref: ImageRef
    digest: str
    platform_digest: str
    media_type: str
    config: ImageConfig
    checks: tuple[SignatureCheck, ...]
    sboms: tuple[SbomDocument, ...]
    discovery: Mapping[str, Any] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    sbom_problems: tuple[str, ...] = ()
    registry: str = ""
    tls_verified: bool = True
    kind: str = "image"

    @property
    def digests(self) -> set[str]:
        return {self.digest, self.platform_digest}

    def summary(self) -> dict[str, Any]:
        return {
            "ref": str(self.ref),
            "registry": self.registry,
            "tls_verified": self.tls_verified,
            "digest": self.digest,
            "platform_digest": self.platform_digest,
            "media_type": self.media_type,
            "discovery": dict(self.discovery),
            "problems": list(self.problems),
            "sbom_problems": list(self.sbom_problems),
        }


@dataclass
class TrustMaterial:
    """Keys and the Sigstore verifier, loaded once from the profile."""

    keys: dict[str, PublicKeyTypes]
    trusted_root: str
    offline: bool
    _verifier: Any = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def verifier(self) -> Any:
        """The sigstore ``Verifier`` for the pinned trusted root (built on first use)."""
        from sigstore.models import ClientTrustConfig, TrustedRoot
        from sigstore.verify import Verifier

        with self._lock:
            if self._verifier is None:
                try:
                    if self.trusted_root in ("production", "staging"):
                        config = (
                            ClientTrustConfig.production(offline=self.offline)
                            if self.trusted_root == "production"
                            else ClientTrustConfig.staging(offline=self.offline)
                        )
                        self._verifier = Verifier(trusted_root=config.trusted_root)
                    else:
                        self._verifier = Verifier(
                            trusted_root=TrustedRoot.from_file(self.trusted_root)
                        )
                except Exception as exc:  # sigstore raises many types for a bad root
                    raise SourceError(
                        f"trusted root {self.trusted_root}",
                        f"cannot load the Sigstore trusted root: {exc}",
                    ) from None
            return self._verifier


def load_public_keys(paths: Sequence[str]) -> dict[str, PublicKeyTypes]:
    keys: dict[str, PublicKeyTypes] = {}
    for path in paths:
        try:
            keys[Path(path).name] = load_pem_public_key(Path(path).read_bytes())
        except (OSError, ValueError) as exc:
            raise SourceError(path, f"cannot load public key: {exc}") from None
    return keys


def load_trust(profile: Profile) -> TrustMaterial:
    policy = profile.supply_chain.signature
    return TrustMaterial(load_public_keys(policy.public_keys), policy.trusted_root, policy.offline)


def prior_verdict_verifier(
    policy: PriorVerdictPolicy, trust: TrustMaterial
) -> Callable[[bytes, str], Verified]:
    """How SC-PRIOR-VERDICT verifies a verdict: the policy's keys, or its keyless signers."""
    verifier = None
    if policy.identities:
        root = policy.trusted_root
        verifier = TrustMaterial({}, root, trust.offline).verifier() if root else trust.verifier()
    return key_verifier(load_public_keys(policy.public_keys), verifier, policy.identities)


def registry_for(profile: Profile, image: Image, ref: ImageRef) -> tuple[str, Endpoint]:
    regs = profile.targets.registries
    if image.registry is not None:
        reg = next(r for r in regs if r.name == image.registry)
        return reg.name, reg
    for reg in regs:
        host = reg.url.split("://", 1)[-1].split("/", 1)[0]
        if host == ref.host:
            return reg.name, reg
    return ref.host, Endpoint(url=f"https://{ref.host}")


def _parse_config(data: bytes, target: str) -> ImageConfig:
    try:
        doc = json.loads(data)
        cfg = doc.get("config") or {}
    except (ValueError, AttributeError):
        raise SourceError(target, "image config blob is not JSON") from None
    return ImageConfig(
        user=str(cfg.get("User") or ""),
        env=tuple(str(e) for e in cfg.get("Env") or []),
        labels={str(k): str(v) for k, v in (cfg.get("Labels") or {}).items()},
        os=str(doc.get("os", "")),
        architecture=str(doc.get("architecture", "")),
    )


Subject = Image | Artifact
SubjectEvidence = ImageEvidence | ArtifactEvidence


class SupplyChainCollector:
    """Collects and caches the evidence of every image and artifact of the profile."""

    def __init__(self, profile: Profile):
        self.profile = profile
        self._clients: dict[str, RegistryClient] = {}
        self._cache: dict[str, SubjectEvidence | SourceError] = {}
        self._vulns: dict[str, MatchResult | SourceError] = {}
        self._vulndb: tuple[OsvSource | None, VulnDbStatus | None] | SourceError | None = None
        self._lock = threading.Lock()
        self._trust: TrustMaterial | None = None

    def trust(self) -> TrustMaterial:
        if self._trust is None:
            self._trust = load_trust(self.profile)
        return self._trust

    def _client(self, image: Image, ref: ImageRef) -> RegistryClient:
        name, endpoint = registry_for(self.profile, image, ref)
        with self._lock:
            if name not in self._clients:
                self._clients[name] = RegistryClient(f"registry {name}", endpoint)
            return self._clients[name]

    def registry_client(self, image: Image) -> tuple[RegistryClient, ImageRef]:
        """The run's client for the image's registry (the profile's auth and CA)."""
        ref = ImageRef.parse(image.ref)
        return self._client(image, ref), ref

    def subjects(self) -> list[Subject]:
        return [*self.profile.targets.images, *self.profile.targets.artifacts]

    def prefetch(self) -> None:
        missing = [s for s in self.subjects() if s.target_id not in self._cache]
        gather(self.evidence, missing, max_workers=8)

    def evidence(self, subject: Subject) -> SubjectEvidence:
        """The cached evidence of an image or artifact; a cached failure is raised anew."""
        with self._lock:
            cached = self._cache.get(subject.target_id)
        if cached is None:
            what = "image" if isinstance(subject, Image) else "artifact"
            try:
                if isinstance(subject, Image):
                    cached = self._collect(subject)
                else:
                    cached = self._collect_artifact(subject)
            except SourceError as exc:
                cached = SourceError(exc.target, f"{what} {subject.target_id}: {exc.reason}")
            with self._lock:
                self._cache[subject.target_id] = cached
        if isinstance(cached, SourceError):
            raise SourceError(cached.target, cached.reason)
        return cached

    def image(self, image: Image) -> ImageEvidence:
        ev = self.evidence(image)
        assert isinstance(ev, ImageEvidence)  # images are collected as ImageEvidence
        return ev

    def _collect_artifact(self, artifact: Artifact) -> ArtifactEvidence:
        file = read_artifact(artifact)
        checks: list[SignatureCheck] = []
        sboms: list[SbomDocument] = []
        sbom_problems: list[str] = []
        self._declared_files(artifact.files, [file.digest], checks, sboms, sbom_problems)
        return ArtifactEvidence(
            target=artifact.target_id,
            location=artifact.location,
            digest=file.digest,
            size=file.size,
            checks=tuple(checks),
            sboms=tuple(sboms),
            sbom_problems=tuple(sbom_problems),
        )

    # -- collection --------------------------------------------------------------------

    def _collect(self, image: Image) -> ImageEvidence:
        ref = ImageRef.parse(image.ref)
        client = self._client(image, ref)
        top = client.manifest(ref.repository, ref.reference)
        if top is None:
            raise SourceError(client.name, f"{ref} not found in the registry")
        platform = top
        if top.is_index:
            entry = pick_platform(top, image.platform)
            if entry is None:
                raise SourceError(client.name, f"{ref} has no manifest for {image.platform}")
            found = client.manifest(ref.repository, str(entry["digest"]))
            if found is None:
                raise SourceError(
                    client.name, f"{ref}: platform manifest {entry['digest']} missing"
                )
            platform = found
        config_desc = platform.body.get("config") or {}
        config = _parse_config(
            client.blob(ref.repository, str(config_desc.get("digest", ""))), client.name
        )
        checks: list[SignatureCheck] = []
        sboms: list[SbomDocument] = []
        problems: list[str] = []
        sbom_problems: list[str] = []
        discovery: dict[str, Any] = {}
        for digest in dict.fromkeys([top.digest, platform.digest]):
            self._discover(client, ref, digest, checks, sboms, problems, sbom_problems, discovery)
        self._declared_files(
            image.files, [top.digest, platform.digest], checks, sboms, sbom_problems
        )
        return ImageEvidence(
            target=image.target_id,
            ref=ref,
            digest=top.digest,
            platform_digest=platform.digest,
            media_type=top.media_type,
            config=config,
            checks=tuple(checks),
            sboms=tuple(sboms),
            discovery=discovery,
            problems=tuple(problems),
            sbom_problems=tuple(sbom_problems),
            registry=client.base,
            tls_verified=client.base.startswith("https://") and client.endpoint.verify_tls,
        )

    def _layers(
        self, client: RegistryClient, repo: str, manifest: Manifest
    ) -> list[tuple[Mapping[str, Any], bytes]]:
        return [
            (layer, client.blob(repo, str(layer.get("digest", ""))))
            for layer in manifest.descriptors("layers")
        ]

    def _discover(
        self,
        client: RegistryClient,
        ref: ImageRef,
        digest: str,
        checks: list[SignatureCheck],
        sboms: list[SbomDocument],
        problems: list[str],
        sbom_problems: list[str],
        discovery: dict[str, Any],
    ) -> None:
        repo = ref.repository
        short = digest[:19]
        found: list[str] = []
        sig = client.cosign_tag(repo, digest, "sig")
        if sig is not None:
            found.append("cosign .sig")
            for layer, blob in self._layers(client, repo, sig):
                ann = layer.get("annotations") or {}
                if layer.get("mediaType") != COSIGN_SIMPLESIGNING:
                    continue
                source = f"{repo}:{digest.replace(':', '-')}.sig"
                keyless = ann.get(COSIGN_CERTIFICATE_ANNOTATION) or ann.get(
                    COSIGN_BUNDLE_ANNOTATION
                )
                if keyless and not self.trust().keys:
                    checks.append(
                        SignatureCheck(
                            source,
                            "cosign-key",
                            False,
                            "keyless cosign signature in the legacy tag format: attach a "
                            "Sigstore bundle (cosign --new-bundle-format) to verify it",
                        )
                    )
                    continue
                checks.append(
                    verify_cosign_signature(
                        CosignSignature(
                            source, blob, str(ann.get(COSIGN_SIGNATURE_ANNOTATION, ""))
                        ),
                        self.trust().keys,
                    )
                )
        att = client.cosign_tag(repo, digest, "att")
        if att is not None:
            found.append("cosign .att")
            source = f"{repo}:{digest.replace(':', '-')}.att"
            for layer, blob in self._layers(client, repo, att):
                if layer.get("mediaType") == DSSE_ENVELOPE:
                    check = verify_dsse_envelope(blob, source, self.trust().keys)
                    checks.append(check)
                    self._sbom_from_statement(check, digest, sboms)
        sbom_tag = client.cosign_tag(repo, digest, "sbom")
        if sbom_tag is not None:
            found.append("cosign .sbom")
            for _, blob in self._layers(client, repo, sbom_tag):
                self._add_sbom(
                    blob, f"{repo}:{digest.replace(':', '-')}.sbom", digest, sboms, sbom_problems
                )
        referrers, how = client.referrers(repo, digest)
        discovery[short] = {"referrers": how, "count": len(referrers), "tags": found}
        for referrer in referrers:
            manifest = client.manifest(repo, referrer.digest)
            if manifest is None:
                problems.append(f"referrer {referrer.digest} listed but missing")
                continue
            subject = (manifest.body.get("subject") or {}).get("digest")
            if subject is not None and subject != digest:
                problems.append(f"referrer {referrer.digest} names subject {subject}, not {digest}")
                continue
            kind = referrer.artifact_type or str(manifest.body.get("artifactType", ""))
            source = f"{repo}@{referrer.digest[:19]} ({kind})"
            for layer, blob in self._layers(client, repo, manifest):
                ltype = str(layer.get("mediaType", ""))
                if kind in SIGSTORE_BUNDLE_TYPES or ltype in SIGSTORE_BUNDLE_TYPES:
                    check = verify_sigstore_bundle(
                        blob,
                        source,
                        self.trust().verifier(),
                        self.profile.supply_chain.signature.identities,
                        artifact_digest=digest,
                        dsse_expected=referrer.annotations.get("dev.sigstore.bundle.content")
                        == "dsse-envelope",
                    )
                    checks.append(check)
                    self._sbom_from_statement(check, digest, sboms)
                elif kind == CYCLONEDX_JSON or ltype == CYCLONEDX_JSON:
                    self._add_sbom(blob, source, digest, sboms, sbom_problems)
                elif ltype == DSSE_ENVELOPE:
                    check = verify_dsse_envelope(blob, source, self.trust().keys)
                    checks.append(check)
                    self._sbom_from_statement(check, digest, sboms)

    @staticmethod
    def _add_sbom(
        blob: bytes, source: str, digest: str, sboms: list[SbomDocument], problems: list[str]
    ) -> None:
        try:
            sboms.append(parse_sbom(blob, source, subject_digest=digest))
        except SourceError as exc:
            problems.append(str(exc))

    @staticmethod
    def _sbom_from_statement(check: SignatureCheck, digest: str, sboms: list[SbomDocument]) -> None:
        st = check.statement
        if not check.ok or st is None or st.get("predicateType") not in CYCLONEDX_PREDICATES:
            return
        predicate = st.get("predicate")
        if isinstance(predicate, Mapping) and isinstance(predicate.get("Data"), Mapping):
            predicate = predicate["Data"]  # cosign's wrapped predicate form
        if isinstance(predicate, Mapping):
            subjects = set(check.signed_digests)
            sboms.append(
                SbomDocument(
                    f"{check.source} (attested SBOM)",
                    dict(predicate),
                    0,
                    digest if digest in subjects else next(iter(subjects), digest),
                )
            )

    def _declared_files(
        self,
        files: ImageFiles,
        digests: Sequence[str],
        checks: list[SignatureCheck],
        sboms: list[SbomDocument],
        sbom_problems: list[str],
    ) -> None:
        """Files the profile declares; an unreadable one is a finding with its reason.

        Message-signature bundles are checked against each of ``digests`` (an image's
        index and platform manifest); provenance subjects are bound by the rules.
        """
        if files.sbom:
            try:
                sboms.append(read_sbom_file(files.sbom))
            except SourceError as exc:
                sbom_problems.append(str(exc))
        identities = self.profile.supply_chain.signature.identities
        for path in files.provenance:
            try:
                items = _json_items(path)
            except SourceError as exc:
                checks.append(
                    SignatureCheck(path, "sigstore-dsse", False, exc.reason, problem=BAD_BUNDLE)
                )
                continue
            for n, item in enumerate(items):
                source = f"{path}#{n + 1}" if n else path
                if isinstance(item, Mapping) and "mediaType" in item:
                    checks.append(
                        verify_sigstore_bundle(
                            json.dumps(item),
                            source,
                            self.trust().verifier(),
                            identities,
                            dsse_expected=True,
                        )
                    )
                else:
                    checks.append(
                        verify_dsse_envelope(json.dumps(item).encode(), source, self.trust().keys)
                    )
        for path in files.signature_bundles:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                reason = f"cannot read bundle: {exc.strerror or exc}"
                checks.append(
                    SignatureCheck(path, "sigstore-bundle", False, reason, problem=BAD_BUNDLE)
                )
                continue
            results = [
                verify_sigstore_bundle(
                    data, path, self.trust().verifier(), identities, artifact_digest=d
                )
                for d in dict.fromkeys(digests)
            ]
            checks.append(next((r for r in results if r.ok), results[0]))

    # -- vulnerabilities ---------------------------------------------------------------

    def vuln_database(self) -> tuple[OsvSource | None, VulnDbStatus | None]:
        """The profile's vulnerability database, opened once per run."""
        with self._lock:
            if self._vulndb is None:
                try:
                    self._vulndb = open_vuln_database(self.profile.supply_chain.vulnerabilities)
                except SourceError as exc:
                    self._vulndb = exc
            cached = self._vulndb
        if isinstance(cached, SourceError):
            raise SourceError(cached.target, cached.reason)
        return cached

    def vulnerabilities(self, subject: Subject, source: OsvSource) -> MatchResult:
        """The subject's SBOM components matched against ``source`` (cached per target)."""
        with self._lock:
            cached = self._vulns.get(subject.target_id)
        if cached is None:
            try:
                evidence = self.evidence(subject)
                purls = [p for sbom in evidence.sboms for p in component_purls(sbom.doc)]
                keys = [k for k in map(purl_key, dict.fromkeys(purls)) if k is not None]
                cached = match_components(purls, source.database_for(keys))
            except SourceError as exc:
                cached = exc
            with self._lock:
                self._vulns[subject.target_id] = cached
        if isinstance(cached, SourceError):
            raise SourceError(cached.target, cached.reason)
        return cached


def _json_items(path: str) -> Sequence[Any]:
    """A JSON document, or JSON Lines (``.intoto.jsonl``): one item per line."""
    try:
        text = safeload.read_text(Path(path))
    except safeload.SafeLoadError as exc:
        raise SourceError(path, f"cannot read provenance {exc}") from None
    try:
        return [safeload.load_json(text, path)]
    except safeload.SafeLoadError as exc:
        if "\n" not in text.strip():
            raise SourceError(path, f"cannot read provenance {exc}") from None
    items = []
    for n, line in enumerate(text.splitlines(), 1):
        if line.strip():
            try:
                items.append(safeload.load_json(line, f"{path} line {n}"))
            except safeload.SafeLoadError as exc:
                raise SourceError(path, f"cannot read provenance {exc}") from None
    return items
