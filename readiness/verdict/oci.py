"""Verdicts next to images in an OCI registry.

Reading uses the supply-chain family's read-only registry client: the referrers API with
the ``sha256-<hex>`` tag-schema fallback, and cosign's ``sha256-<hex>.att`` tag. Pushing
(only with ``--attest-push``) writes one artifact manifest per verdict whose ``subject`` is
the image, and adds it to the tag-schema referrers index for registries without the
referrers API — the same layout ``cosign attest`` and ``oras attach`` produce.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.sources.api import new_session
from readiness.sources.registry import (
    DSSE_ENVELOPE,
    OCI_INDEX,
    OCI_MANIFEST,
    ImageRef,
    Manifest,
    RegistryClient,
    sha256_digest,
)
from readiness.verdict.statement import PREDICATE_TYPE, VerdictError

SIGSTORE_BUNDLE_JSON = "application/vnd.dev.sigstore.bundle.v0.3+json"
EMPTY_CONFIG = b"{}"
EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json"
_LAYER_TYPES = frozenset({DSSE_ENVELOPE, SIGSTORE_BUNDLE_JSON, "application/vnd.in-toto+json"})
_MAX_CANDIDATES = 64


def _endpoint(ref: ImageRef, ca_file: str | None, plain_http: bool) -> Endpoint:
    scheme = "http" if plain_http else "https"
    return Endpoint(url=f"{scheme}://{ref.host}", ca_file=ca_file)


def resolve(ref: ImageRef, client: RegistryClient) -> Manifest:
    manifest = client.manifest(ref.repository, ref.reference)
    if manifest is None:
        raise VerdictError(f"image {ref} is not in the registry")
    return manifest


def _layers(manifest: Manifest | None) -> list[dict[str, Any]]:
    if manifest is None:
        return []
    return [dict(d) for d in manifest.descriptors("layers") if d.get("mediaType") in _LAYER_TYPES]


def image_candidates(
    image: str, ca_file: str | None = None, plain_http: bool = False
) -> tuple[str, Iterator[tuple[str, bytes]]]:
    """The image's digest and every attestation blob stored for it, verdict or not."""
    try:
        ref = ImageRef.parse(image)
    except ValueError as exc:
        raise VerdictError(str(exc)) from None
    client = RegistryClient(ref.host, _endpoint(ref, ca_file, plain_http))
    try:
        digest = resolve(ref, client).digest
    except SourceError as exc:
        raise VerdictError(str(exc)) from None

    def blobs() -> Iterator[tuple[str, bytes]]:
        try:
            referrers, _ = client.referrers(ref.repository, digest)
            manifests = [
                client.manifest(ref.repository, r.digest)
                for r in referrers[:_MAX_CANDIDATES]
                if r.artifact_type in ("", PREDICATE_TYPE, DSSE_ENVELOPE, SIGSTORE_BUNDLE_JSON)
                or r.annotations.get("predicateType") == PREDICATE_TYPE
            ]
            manifests.append(client.cosign_tag(ref.repository, digest, "att"))
            for manifest in manifests:
                for layer in _layers(manifest)[:_MAX_CANDIDATES]:
                    source = f"{ref.host}/{ref.repository}@{layer['digest']}"
                    yield source, client.blob(ref.repository, str(layer["digest"]))
        except SourceError as exc:
            raise VerdictError(str(exc)) from None

    return digest, blobs()


class Pusher:
    """The few OCI distribution writes a verdict push needs (blob upload, manifest PUT)."""

    def __init__(self, ref: ImageRef, ca_file: str | None, plain_http: bool, timeout: float = 30):
        scheme = "http" if plain_http else "https"
        self.base = f"{scheme}://{ref.host}"
        self.repo = ref.repository
        self.session = new_session()
        self.verify: str | bool = ca_file or True
        self.timeout = timeout

    def _call(self, method: str, url: str, **kw: Any) -> requests.Response:
        try:
            response = self.session.request(
                method, url, verify=self.verify, timeout=self.timeout, **kw
            )
        except requests.RequestException as exc:
            raise VerdictError(f"cannot push to {self.base}: {type(exc).__name__}") from None
        if response.status_code >= 400:
            raise VerdictError(
                f"{method} {url.split('?', 1)[0]} answered HTTP {response.status_code}: "
                f"{response.text[:200]}"
            )
        return response

    def blob(self, data: bytes) -> str:
        digest = sha256_digest(data)
        started = self._call("POST", f"{self.base}/v2/{self.repo}/blobs/uploads/")
        location = started.headers.get("Location", "")
        if location.startswith("/"):
            location = self.base + location
        sep = "&" if "?" in location else "?"
        self._call(
            "PUT",
            f"{location}{sep}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        return digest

    def manifest(self, reference: str, body: dict[str, Any], media_type: str) -> str:
        raw = json.dumps(body, separators=(",", ":")).encode()
        self._call(
            "PUT",
            f"{self.base}/v2/{self.repo}/manifests/{reference}",
            data=raw,
            headers={"Content-Type": media_type},
        )
        return sha256_digest(raw)

    def index(self, tag: str) -> dict[str, Any]:
        response = self.session.get(
            f"{self.base}/v2/{self.repo}/manifests/{tag}",
            headers={"Accept": OCI_INDEX},
            verify=self.verify,
            timeout=self.timeout,
        )
        if response.status_code == 200:
            body = response.json()
            if isinstance(body, dict):
                return body
        return {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}


def push_verdict(
    image: str, envelope_path: Path, ca_file: str | None = None, plain_http: bool = False
) -> str:
    """Attach the signed verdict file to ``image``; returns the artifact manifest's digest."""
    envelope = envelope_path.read_bytes()
    media_type = DSSE_ENVELOPE if envelope_path.suffix == ".jsonl" else SIGSTORE_BUNDLE_JSON
    try:
        ref = ImageRef.parse(image)
        image_manifest = resolve(ref, RegistryClient(ref.host, _endpoint(ref, ca_file, plain_http)))
    except (ValueError, SourceError) as exc:
        raise VerdictError(str(exc)) from None
    pusher = Pusher(ref, ca_file, plain_http)
    layer = pusher.blob(envelope)
    config = pusher.blob(EMPTY_CONFIG)
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": PREDICATE_TYPE,
        "config": {"mediaType": EMPTY_CONFIG_TYPE, "digest": config, "size": len(EMPTY_CONFIG)},
        "layers": [{"mediaType": media_type, "digest": layer, "size": len(envelope)}],
        "subject": {
            "mediaType": image_manifest.media_type,
            "digest": image_manifest.digest,
            "size": len(image_manifest.raw),
        },
        "annotations": {"predicateType": PREDICATE_TYPE},
    }
    raw = json.dumps(manifest, separators=(",", ":")).encode()
    artifact = sha256_digest(raw)
    pusher.manifest(artifact, manifest, OCI_MANIFEST)
    tag = image_manifest.digest.replace(":", "-")
    index = pusher.index(tag)
    entries = [m for m in index.get("manifests", []) if m.get("digest") != artifact]
    entries.append(
        {
            "mediaType": OCI_MANIFEST,
            "digest": artifact,
            "size": len(raw),
            "artifactType": PREDICATE_TYPE,
            "annotations": {"predicateType": PREDICATE_TYPE},
        }
    )
    pusher.manifest(tag, {**index, "manifests": entries}, OCI_INDEX)
    return artifact
