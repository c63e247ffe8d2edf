"""Signing and verifying verdict statements: DSSE with a key, or a Sigstore bundle.

The envelope is the one ``cosign attest --key`` writes (``payloadType``
``application/vnd.in-toto+json``, ECDSA P-256 over the DSSE pre-authentication
encoding), so ``cosign verify-blob-attestation --key cosign.pub`` reads it too. Keyless
verdicts are Sigstore bundles (v0.3, DSSE content) made by the ``sigstore`` library.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from readiness.profile.supply_chain import SignerIdentity
from readiness.rules.supply_chain_signing import (
    IN_TOTO_PAYLOAD,
    pae,
    verify_dsse_envelope,
    verify_sigstore_bundle,
)
from readiness.verdict.statement import VerdictError

SIGSTORE_BUNDLE_MEDIA = "application/vnd.dev.sigstore.bundle"


def canonical(obj: Mapping[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def sign_with_key(statement: Mapping[str, Any], key: ec.EllipticCurvePrivateKey) -> bytes:
    """A DSSE envelope over the statement, signed with an ECDSA P-256 key."""
    body = canonical(statement)
    signature = key.sign(pae(IN_TOTO_PAYLOAD, body), ec.ECDSA(hashes.SHA256()))
    envelope = {
        "payloadType": IN_TOTO_PAYLOAD,
        "payload": base64.b64encode(body).decode(),
        "signatures": [{"keyid": "", "sig": base64.b64encode(signature).decode()}],
    }
    return json.dumps(envelope).encode() + b"\n"


def sign_keyless(statement: Mapping[str, Any], signing_context: Any, identity_token: Any) -> bytes:
    """A Sigstore bundle (DSSE) from the ``sigstore`` signer: Fulcio certificate, Rekor entry."""
    from sigstore import dsse

    with signing_context.signer(identity_token) as signer:
        bundle = signer.sign_dsse(dsse.Statement(canonical(statement)))
    text: str = bundle.to_json()
    return text.encode() + b"\n"


@dataclass(frozen=True, slots=True)
class Verified:
    statement: Mapping[str, Any]
    signer: str  # "key cosign.pub" or the certificate identity and issuer


def is_sigstore_bundle(data: bytes) -> bool:
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    return isinstance(doc, Mapping) and str(doc.get("mediaType", "")).startswith(
        SIGSTORE_BUNDLE_MEDIA
    )


def verify_attestation(
    data: bytes,
    source: str,
    *,
    keys: Mapping[str, PublicKeyTypes] | None = None,
    verifier: Any = None,
    identities: Sequence[SignerIdentity] = (),
) -> Verified:
    """The verified statement of a DSSE envelope (by key) or a Sigstore bundle (by identity)."""
    if is_sigstore_bundle(data):
        if verifier is None or not identities:
            raise VerdictError(
                f"{source} is a Sigstore bundle: give --identity and --issuer "
                "(and --trusted-root for a private Sigstore instance)"
            )
        check = verify_sigstore_bundle(data, source, verifier, identities, dsse_expected=True)
        signer = f"{check.identity} (issuer {check.issuer})"
    else:
        if not keys:
            raise VerdictError(f"{source} is signed with a key: give --key PUBLIC_KEY")
        check = verify_dsse_envelope(data, source, keys)
        signer = check.identity
    if not check.ok or check.statement is None:
        raise VerdictError(f"{source}: signature does not verify: {check.reason}")
    return Verified(check.statement, signer)
