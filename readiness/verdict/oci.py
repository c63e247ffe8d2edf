"""Verdicts next to images in an OCI registry.

Reading uses the supply-chain family's read-only registry client: the referrers API with
the ``sha256-<hex>`` tag-schema fallback, and cosign's ``sha256-<hex>.att`` tag. Pushing
(only with ``--attest-push``) writes one OCI 1.1 referrer per verdict whose ``subject`` is
the image, and adds it to the tag-schema referrers index for registries without the
referrers API — the layout ``oras attach`` produces and the supply-chain family reads.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests

from readiness.demo.oci_push import Pusher, PushError, push_referrer
from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.sources.api import verify_setting
from readiness.sources.registry import (
    DSSE_ENVELOPE,
    ImageRef,
    Manifest,
    RegistryClient,
)
from readiness.verdict.statement import PREDICATE_TYPE, VerdictError

SIGSTORE_BUNDLE_JSON = "application/vnd.dev.sigstore.bundle.v0.3+json"
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


def attestation_blobs(
    client: RegistryClient, repository: str, digest: str
) -> Iterator[tuple[str, bytes]]:
    """Every attestation blob stored for ``digest``: referrers, then cosign's ``.att`` tag."""
    try:
        referrers, _ = client.referrers(repository, digest)
        manifests = [
            client.manifest(repository, r.digest)
            for r in referrers[:_MAX_CANDIDATES]
            if r.artifact_type in ("", PREDICATE_TYPE, DSSE_ENVELOPE, SIGSTORE_BUNDLE_JSON)
            or r.annotations.get("predicateType") == PREDICATE_TYPE
        ]
        manifests.append(client.cosign_tag(repository, digest, "att"))
        for manifest in manifests:
            for layer in _layers(manifest)[:_MAX_CANDIDATES]:
                source = f"{client.base}/{repository}@{layer['digest']}"
                yield source, client.blob(repository, str(layer["digest"]))
    except SourceError as exc:
        raise VerdictError(str(exc)) from None


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
    return digest, attestation_blobs(client, ref.repository, digest)


def profile_endpoint(image: str, registries: Sequence[Endpoint]) -> Endpoint | None:
    """The profile's registry entry (scheme, CA, credentials) for the image's host."""
    host = image.split("/", 1)[0]
    return next((r for r in registries if urlsplit(r.url).netloc == host), None)


def push_verdict(
    image: str,
    envelope_path: Path,
    ca_file: str | None = None,
    plain_http: bool = False,
    endpoint: Endpoint | None = None,
) -> str:
    """Attach the signed verdict file to ``image``; returns the referrer manifest's digest.

    ``endpoint`` (the profile's registry entry) gives scheme, CA and credentials; without
    it, HTTPS (or plain HTTP) with ``ca_file``, anonymously."""
    envelope = envelope_path.read_bytes()
    media_type = DSSE_ENVELOPE if envelope_path.suffix == ".jsonl" else SIGSTORE_BUNDLE_JSON
    try:
        ref = ImageRef.parse(image)
        endpoint = endpoint or _endpoint(ref, ca_file, plain_http)
        subject = resolve(ref, RegistryClient(ref.host, endpoint))
        basic = endpoint.auth.basic if endpoint.auth else None
        pusher = Pusher(
            endpoint.url,
            auth=(basic.username, basic.password) if basic else None,
            verify=verify_setting(endpoint),
        )
        return push_referrer(
            pusher,
            ref.repository,
            (subject.digest, subject.raw),
            media_type,
            envelope,
            {"predicateType": PREDICATE_TYPE},
        )
    except (ValueError, SourceError, PushError, requests.RequestException) as exc:
        raise VerdictError(f"cannot attach the verdict to {image}: {exc}") from None
