"""Bundles from the private Sigstore instance, verified offline by the stock verifier.

Each tampering must fail, and for the right reason: the verifier's own message.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier

from readiness.demo.oci_push import slsa_v1_statement
from readiness.demo.sigstore_lab import SigstoreLab
from readiness.profile.supply_chain import ProvenancePolicy, SignerIdentity
from readiness.rules.supply_chain_signing import (
    provenance_findings,
    signature_findings,
    verify_sigstore_bundle,
)

ISSUER = "https://token.actions.githubusercontent.com"
WORKFLOW = "https://github.com/example/shop/.github/workflows/release.yml"
IDENTITY = f"{WORKFLOW}@refs/tags/v1.4.0"
POLICY = [SignerIdentity(identity_regex=rf"{WORKFLOW}@refs/tags/v.*", issuer=ISSUER)]
DIGEST = "sha256:" + "5e" * 32
OTHER_DIGEST = "sha256:" + "77" * 32


@pytest.fixture(scope="module")
def lab() -> SigstoreLab:
    return SigstoreLab()


@pytest.fixture(scope="module")
def verifier(lab: SigstoreLab, tmp_path_factory: pytest.TempPathFactory) -> Verifier:
    path = lab.write_trusted_root(tmp_path_factory.mktemp("lab") / "trusted_root.json")
    return Verifier(trusted_root=TrustedRoot.from_file(str(path)))


def verify(
    verifier: Verifier, bundle: str, digest: str = DIGEST, identities: list[SignerIdentity] = POLICY
) -> Any:
    return verify_sigstore_bundle(bundle, "bundle", verifier, identities, artifact_digest=digest)


def test_image_signature_verifies(lab: SigstoreLab, verifier: Verifier) -> None:
    check = verify(verifier, lab.sign_digest(DIGEST, IDENTITY, ISSUER))
    assert check.ok, check.reason
    assert (check.identity, check.issuer, check.signed_digests) == (IDENTITY, ISSUER, (DIGEST,))
    assert signature_findings([check], {DIGEST}, POLICY, True) == []


def test_email_identity_exact(lab: SigstoreLab, verifier: Verifier) -> None:
    oauth = "https://github.com/login/oauth"
    check = verify(
        verifier,
        lab.sign_digest(DIGEST, "release@example.com", oauth),
        identities=[SignerIdentity(identity="release@example.com", issuer=oauth)],
    )
    assert check.ok, check.reason


def test_wrong_identity(lab: SigstoreLab, verifier: Verifier) -> None:
    fork = "https://github.com/evil/shop/.github/workflows/release.yml@refs/tags/v1.4.0"
    check = verify(verifier, lab.sign_digest(DIGEST, fork, ISSUER))
    assert not check.ok and "is not an allowed signer" in check.reason
    text = signature_findings([check], {DIGEST}, POLICY, True)[0].render()
    assert f"found:    {fork} (issuer {ISSUER})" in text
    assert "expected: signed by ~/" in text


def test_branch_ref_does_not_match_the_tag_regex(lab: SigstoreLab, verifier: Verifier) -> None:
    check = verify(verifier, lab.sign_digest(DIGEST, f"{WORKFLOW}@refs/heads/main", ISSUER))
    assert not check.ok and "refs/heads/main" in check.reason


def test_wrong_issuer(lab: SigstoreLab, verifier: Verifier) -> None:
    check = verify(verifier, lab.sign_digest(DIGEST, IDENTITY, "https://gitlab.com"))
    assert not check.ok and "issuer https://gitlab.com" in check.reason


def test_wrong_digest(lab: SigstoreLab, verifier: Verifier) -> None:
    check = verify(verifier, lab.sign_digest(DIGEST, IDENTITY, ISSUER), digest=OTHER_DIGEST)
    assert not check.ok and check.problem == "wrong-digest"
    assert check.reason == f"signature is about {DIGEST}, artifact is {OTHER_DIGEST}"
    finding = signature_findings([check], {OTHER_DIGEST}, [], True, "artifact")[0]
    assert finding.message.startswith("signature bundle is about another artifact")
    assert finding.found == f"a signature by {IDENTITY} (issuer {ISSUER}) over {DIGEST}"
    assert "re-sign this artifact" in finding.fix


def test_untrusted_instance(verifier: Verifier) -> None:
    stranger = SigstoreLab(name="stranger")
    check = verify(verifier, stranger.sign_digest(DIGEST, IDENTITY, ISSUER))
    assert not check.ok and "certificate chain" in check.reason


def test_certificate_expired_at_log_time(lab: SigstoreLab, verifier: Verifier) -> None:
    import datetime as dt

    bundle = json.loads(lab.sign_digest(DIGEST, IDENTITY, ISSUER))
    later = json.loads(
        lab.sign_digest(DIGEST, IDENTITY, ISSUER, at=lab.now + dt.timedelta(hours=1))
    )
    bundle["verificationMaterial"]["tlogEntries"] = later["verificationMaterial"]["tlogEntries"]
    check = verify(verifier, json.dumps(bundle))
    assert not check.ok and check.reason


def _b64flip(value: str) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[len(raw) // 2] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


def _entry(doc: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = doc["verificationMaterial"]["tlogEntries"][0]
    return entry


def _bump_checkpoint_size(doc: dict[str, Any]) -> None:
    checkpoint = _entry(doc)["inclusionProof"]["checkpoint"]
    origin, size, rest = checkpoint["envelope"].split("\n", 2)
    checkpoint["envelope"] = f"{origin}\n{int(size) + 1}\n{rest}"


TAMPERING: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "signature": (
        lambda d: d["messageSignature"].update(
            signature=_b64flip(d["messageSignature"]["signature"])
        ),
        "Signature is invalid for input",
    ),
    "inclusion-proof": (
        lambda d: _entry(d)["inclusionProof"].update(
            hashes=[_b64flip(h) for h in _entry(d)["inclusionProof"]["hashes"]]
        ),
        "inclusion proof contains invalid root hash",
    ),
    "checkpoint": (_bump_checkpoint_size, "checkpoint: invalid signature"),
    "signed-entry-timestamp": (
        lambda d: _entry(d)["inclusionPromise"].update(
            signedEntryTimestamp=_b64flip(_entry(d)["inclusionPromise"]["signedEntryTimestamp"])
        ),
        "SET: invalid inclusion promise",
    ),
    "integrated-time": (
        lambda d: _entry(d).update(integratedTime=str(int(_entry(d)["integratedTime"]) + 60)),
        "SET: invalid inclusion promise",
    ),
    "log-body": (
        lambda d: _entry(d).update(
            canonicalizedBody=base64.b64encode(
                base64.b64decode(_entry(d)["canonicalizedBody"]).replace(b"sha256", b"sha384")
            ).decode()
        ),
        "inclusion proof contains invalid root hash",
    ),
}


@pytest.mark.parametrize("what", sorted(TAMPERING))
def test_tampered_bundle_fails(lab: SigstoreLab, verifier: Verifier, what: str) -> None:
    lab.sign_digest(DIGEST, IDENTITY, ISSUER)  # a log of several entries: proofs have hashes
    doc = json.loads(lab.sign_digest(DIGEST, IDENTITY, ISSUER))
    assert _entry(doc)["inclusionProof"]["hashes"]
    mutate, reason = TAMPERING[what]
    mutate(doc)
    check = verify(verifier, json.dumps(doc))
    assert not check.ok, what
    assert reason in check.reason


def test_dsse_provenance_bundle(lab: SigstoreLab, verifier: Verifier) -> None:
    statement = slsa_v1_statement(
        "reg/shop/cart",
        DIGEST,
        builder_id="https://ci.example/b@v1",
        repository="https://github.com/example/shop",
        ref="refs/tags/v1.4.0",
    )
    bundle = lab.sign_statement(statement, IDENTITY, ISSUER)
    check = verify(verifier, bundle)
    assert check.ok, check.reason
    policy = ProvenancePolicy(
        allowed_builders=["https://ci.example/b"],
        source_repository="https://github.com/example/shop",
    )
    assert provenance_findings([check], {DIGEST}, policy) == []
    # tamper the payload: the DSSE signature no longer covers it
    doc = json.loads(bundle)
    statement["predicate"]["runDetails"]["builder"]["id"] = "https://evil.example/b"
    doc["dsseEnvelope"]["payload"] = base64.b64encode(
        json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()
    ).decode()
    bad = verify(verifier, json.dumps(doc))
    assert not bad.ok
    assert bad.kind == "sigstore-dsse"
    finding = provenance_findings([bad], {DIGEST}, policy)[0]
    assert "no verified SLSA provenance" in finding.message
    assert "unverifiable attestations: bundle does not verify: " in finding.found
    assert signature_findings([bad], {DIGEST}, POLICY, True)[0].message == "image is not signed"


def test_trusted_root_file_loads(lab: SigstoreLab, tmp_path: Path) -> None:
    root = lab.write_trusted_root(tmp_path / "root.json")
    data = json.loads(root.read_text())
    assert data["mediaType"].startswith("application/vnd.dev.sigstore.trustedroot+json")
    assert len(data["certificateAuthorities"][0]["certChain"]["certificates"]) == 2


def test_bundle_without_any_timestamp_says_so(lab: SigstoreLab, verifier: Verifier) -> None:
    bundle = json.loads(lab.sign_digest(DIGEST, IDENTITY, ISSUER))
    del bundle["verificationMaterial"]["tlogEntries"][0]["inclusionPromise"]
    check = verify(verifier, json.dumps(bundle), digest=DIGEST)
    assert not check.ok and check.problem == "missing-timestamp"
    finding = signature_findings([check], {DIGEST}, POLICY, True, "artifact")[0]
    assert finding.message.startswith("signature bundle has no verified timestamp: ")
    assert "RFC 3161 timestamp" in finding.fix
