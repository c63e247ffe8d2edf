"""Signatures and provenance: real-world Sigstore bundles offline, cosign keys, DSSE, SLSA."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore.models import TrustedRoot
from sigstore.verify import Verifier

from readiness.demo.oci_push import cosign_payload, dsse_sign, slsa_v02_statement, slsa_v1_statement
from readiness.profile.supply_chain import ProvenancePolicy, SignerIdentity
from readiness.rules.supply_chain_signing import (
    CosignSignature,
    SignatureCheck,
    parse_provenance,
    provenance_findings,
    signature_findings,
    verify_cosign_signature,
    verify_dsse_envelope,
    verify_sigstore_bundle,
)

DATA = Path(__file__).resolve().parents[1] / "data" / "supply_chain" / "sigstore"
SP = DATA / "sigstore-python"
ASSETS = SP / "test" / "assets"
BCR = DATA / "slsa-verifier" / "cli" / "slsa-verifier" / "testdata" / "bcr"
GITHUB = "https://token.actions.githubusercontent.com"
OAUTH = "https://github.com/login/oauth"
RFC8785 = "https://github.com/trailofbits/rfc8785.py/.github/workflows/release.yml@refs/tags/v0.1.2"
BCR_ID = "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml@refs/tags/v0.0.1"


@pytest.fixture(scope="module")
def staging() -> Verifier:
    return Verifier(
        trusted_root=TrustedRoot.from_file(str(SP / "trusted_root/staging/trusted_root.json"))
    )


@pytest.fixture(scope="module")
def production() -> Verifier:
    return Verifier(
        trusted_root=TrustedRoot.from_file(str(SP / "trusted_root/production/trusted_root.json"))
    )


def ident(
    identity: str | None = None, issuer: str = OAUTH, regex: str | None = None
) -> SignerIdentity:
    return SignerIdentity(identity=identity, identity_regex=regex, issuer=issuer)


def test_real_bundle_verifies_offline(staging: Verifier) -> None:
    check = verify_sigstore_bundle(
        (ASSETS / "bundle.txt.sigstore").read_bytes(),
        "bundle.txt.sigstore",
        staging,
        [ident("a@tny.town")],
        artifact=(ASSETS / "bundle.txt").read_bytes(),
    )
    assert check.ok, check.reason
    assert (check.identity, check.issuer) == ("a@tny.town", OAUTH)


def test_github_workflow_identity_by_regex(production: Verifier) -> None:
    check = verify_sigstore_bundle(
        (ASSETS / "bundle_v3_github.whl.sigstore").read_bytes(),
        "whl",
        production,
        [
            ident(
                issuer=GITHUB,
                regex=r"https://github\.com/trailofbits/rfc8785\.py/\.github/workflows/release\.yml@refs/tags/v.*",
            )
        ],
        artifact=(ASSETS / "bundle_v3_github.whl").read_bytes(),
    )
    assert check.ok, check.reason
    assert check.identity == RFC8785


def test_wrong_identity_shows_expected_and_found(staging: Verifier) -> None:
    check = verify_sigstore_bundle(
        (ASSETS / "bundle.txt.sigstore").read_bytes(),
        "b",
        staging,
        [ident("release@example.com")],
        artifact=(ASSETS / "bundle.txt").read_bytes(),
    )
    assert not check.ok and check.problem == "wrong-signer"
    assert "a@tny.town" in check.reason and "release@example.com" in check.reason
    findings = signature_findings([check], {"sha256:x"}, [ident("release@example.com")], True)
    assert findings[0].message.startswith("signature b is signed by another identity: ")
    text = findings[0].render()
    assert "expected: signed by release@example.com (issuer https://github.com/login/oauth)" in text
    assert "found:    a@tny.town (issuer https://github.com/login/oauth)" in text


def test_wrong_issuer_fails(staging: Verifier) -> None:
    check = verify_sigstore_bundle(
        (ASSETS / "bundle.txt.sigstore").read_bytes(),
        "b",
        staging,
        [ident("a@tny.town", issuer="https://accounts.google.com")],
        artifact=(ASSETS / "bundle.txt").read_bytes(),
    )
    assert not check.ok and "issuer https://github.com/login/oauth" in check.reason
    assert check.problem == "wrong-issuer"
    finding = signature_findings([check], {"sha256:x"}, [], True, "artifact")[0]
    assert finding.message.startswith("signature b comes from another OIDC issuer: ")
    assert finding.found == "a@tny.town (issuer https://github.com/login/oauth)"


def test_wrong_trust_root_fails(production: Verifier) -> None:
    check = verify_sigstore_bundle(
        (ASSETS / "bundle.txt.sigstore").read_bytes(),
        "b",
        production,
        [ident("a@tny.town")],
        artifact=(ASSETS / "bundle.txt").read_bytes(),
    )
    assert not check.ok and check.problem == "untrusted-root"
    finding = signature_findings([check], {"sha256:x"}, [], True, "artifact")[0]
    assert finding.message.startswith("signature b does not chain to the trusted root: ")
    assert "supply_chain.signature.trusted_root" in finding.fix


def test_tampered_artifact_fails(staging: Verifier) -> None:
    check = verify_sigstore_bundle(
        (ASSETS / "bundle.txt.sigstore").read_bytes(),
        "b",
        staging,
        [ident("a@tny.town")],
        artifact=(ASSETS / "bundle.txt").read_bytes() + b"x",
    )
    assert not check.ok and check.problem == "wrong-digest"
    assert check.reason.startswith("signature is about sha256:802dd60ff883")


def _tamper(data: bytes, mutate: Any) -> bytes:
    doc = json.loads(data)
    mutate(doc)
    return json.dumps(doc).encode()


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(
            lambda d: d["messageSignature"].update(
                signature=base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()
            ),
            id="signature",
        ),
        pytest.param(
            lambda d: d["verificationMaterial"]["tlogEntries"][0].update(logIndex="1"),
            id="log-index",
        ),
        pytest.param(
            lambda d: d["verificationMaterial"]["tlogEntries"][0]["inclusionProof"].update(
                rootHash=base64.b64encode(b"\x00" * 32).decode()
            ),
            id="inclusion-proof",
        ),
    ],
)
def test_tampered_bundles_fail(staging: Verifier, mutate: Any) -> None:
    data = _tamper((ASSETS / "bundle.txt.sigstore").read_bytes(), mutate)
    check = verify_sigstore_bundle(
        data, "b", staging, [ident("a@tny.town")], artifact=(ASSETS / "bundle.txt").read_bytes()
    )
    assert not check.ok and check.reason


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bundle_invalid_version.txt", "invalid bundle"),
        ("bundle_no_log_entry.txt", "log entry"),
        ("bundle_cve_2022_36056.txt", "inconsistent"),
    ],
)
def test_upstream_negative_bundles(staging: Verifier, name: str, reason: str) -> None:
    check = verify_sigstore_bundle(
        (ASSETS / f"{name}.sigstore").read_bytes(),
        name,
        staging,
        [
            ident("william@yossarian.net"),
            ident("alex.cameron@trailofbits.com", issuer="https://accounts.google.com"),
        ],
        artifact=(ASSETS / name).read_bytes(),
    )
    assert not check.ok and reason in check.reason


@pytest.mark.parametrize("data", [b"{not json", b"{}", b'{"mediaType": "x"}', b"\x00\x01"])
def test_corrupt_bundle_gets_a_reason(staging: Verifier, data: bytes) -> None:
    check = verify_sigstore_bundle(data, "corrupt", staging, [ident("a@tny.town")], artifact=b"")
    assert not check.ok and check.reason.startswith("invalid bundle")
    assert check.problem == "bad-bundle"
    finding = signature_findings([check], {"sha256:x"}, [], True)[0]
    assert "is not a usable Sigstore bundle" in finding.message


def test_slsa_bundle_verifies_and_passes_the_policy(production: Verifier) -> None:
    line = (BCR / "MODULE.bazel.intoto.jsonl").read_text().splitlines()[0]
    check = verify_sigstore_bundle(line, "bcr", production, [ident(BCR_ID, issuer=GITHUB)])
    assert check.ok, check.reason
    prov = parse_provenance(check.statement or {})
    assert prov.builder_id == BCR_ID
    assert prov.source_repository == "github.com/aspect-build/rules_lint"
    assert prov.source_ref == "refs/heads/publish-to-bcr"
    import hashlib

    digest = "sha256:" + hashlib.sha256((BCR / "MODULE.bazel").read_bytes()).hexdigest()
    policy = ProvenancePolicy(
        allowed_builders=[
            "https://github.com/bazel-contrib/publish-to-bcr/.github/workflows/publish.yaml"
        ],
        source_repository="https://github.com/aspect-build/rules_lint",
        source_ref="refs/heads/*",
    )
    assert provenance_findings([check], {digest}, policy) == []
    wrong = ProvenancePolicy(
        allowed_builders=["https://example.com/builder"], source_repository="github.com/x/y"
    )
    text = "\n".join(
        f.render() for f in provenance_findings([check], {"sha256:" + "0" * 64}, wrong)
    )
    assert f"attestation bcr is about {digest}, image is sha256:{64 * '0'}" in text
    assert "builder not allowed" in text
    assert "found:    github.com/aspect-build/rules_lint" in text


# -- keys ---------------------------------------------------------------------------------

DIGEST = "sha256:" + "ab" * 32
KEY = ec.generate_private_key(ec.SECP256R1())
OTHER = ec.generate_private_key(ec.SECP256R1())


def cosign(key: ec.EllipticCurvePrivateKey, payload: bytes) -> CosignSignature:
    from cryptography.hazmat.primitives import hashes

    return CosignSignature(
        "sig", payload, base64.b64encode(key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    )


def test_cosign_key_signature() -> None:
    check = verify_cosign_signature(
        cosign(KEY, cosign_payload(DIGEST, "r/app")), {"release.pub": KEY.public_key()}
    )
    assert check.ok and check.signed_digests == (DIGEST,)
    assert signature_findings([check], {DIGEST}, [], True) == []
    other = signature_findings([check], {"sha256:" + "cd" * 32}, [], True)
    assert other[0].message == f"signature sig is about {DIGEST}, image is sha256:{'cd' * 32}"
    assert DIGEST in other[0].found


def test_cosign_wrong_key_and_tampered_payload() -> None:
    keys = {"release.pub": KEY.public_key()}
    assert not verify_cosign_signature(cosign(OTHER, cosign_payload(DIGEST, "r")), keys).ok
    sig = cosign(KEY, cosign_payload(DIGEST, "r"))
    tampered = CosignSignature("sig", cosign_payload("sha256:" + "cd" * 32, "r"), sig.signature_b64)
    assert "does not verify" in verify_cosign_signature(tampered, keys).reason
    assert "not base64" in verify_cosign_signature(CosignSignature("s", b"{}", "%%%"), keys).reason


def test_unsigned_image() -> None:
    findings = signature_findings([], {DIGEST}, [ident("a@b.c")], True)
    assert findings[0].message == "image is not signed"
    assert signature_findings([], {DIGEST}, [], False) == []


@pytest.mark.parametrize("version", ["v1", "v0.2"])
def test_dsse_provenance_policy(version: str) -> None:
    make = slsa_v1_statement if version == "v1" else slsa_v02_statement
    statement = make(
        "r/app",
        DIGEST,
        builder_id="https://ci.example/builder@v2",
        repository="https://github.com/example/shop",
        ref="refs/tags/v1.0",
    )
    check = verify_dsse_envelope(dsse_sign(statement, KEY), "att", {"k": KEY.public_key()})
    assert check.ok and check.signed_digests == (DIGEST,)
    good = ProvenancePolicy(
        allowed_builders=["https://ci.example/builder"],
        source_repository="https://github.com/example/shop.git",
        source_ref="refs/tags/v*",
    )
    assert provenance_findings([check], {DIGEST}, good) == []
    bad = ProvenancePolicy(
        allowed_builders=["https://ci.example/builder"],
        source_repository="https://github.com/example/shop",
        source_ref="refs/heads/main",
        build_types=["https://other/type"],
    )
    messages = [f.message for f in provenance_findings([check], {DIGEST}, bad)]
    assert any("another ref" in m for m in messages)
    assert any("build type not accepted" in m for m in messages)


def test_dsse_wrong_key_and_corrupt_envelope() -> None:
    statement = slsa_v1_statement("r", DIGEST, builder_id="b", repository="r", ref="x")
    wrong = verify_dsse_envelope(dsse_sign(statement, OTHER), "att", {"k": KEY.public_key()})
    assert not wrong.ok and "no DSSE signature verifies" in wrong.reason
    findings = provenance_findings([wrong], {DIGEST}, ProvenancePolicy())
    assert (
        "no verified SLSA provenance" in findings[0].message
        and "no DSSE signature" in findings[0].found
    )
    assert verify_dsse_envelope(b"not json", "x", {}).reason == "not a DSSE envelope"


def test_no_provenance() -> None:
    assert provenance_findings([], {DIGEST}, ProvenancePolicy(required=False)) == []
    assert (
        "no verified SLSA provenance"
        in provenance_findings([], {DIGEST}, ProvenancePolicy())[0].message
    )


def test_signature_check_serializes() -> None:
    data = SignatureCheck("s", "cosign-key", True, signed_digests=(DIGEST,)).as_dict()
    assert data["signed_digests"] == [DIGEST] and data["predicate_type"] is None


def test_default_production_root_works_offline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`trusted_root: production` with `offline: true`: the root sigstore embeds, no network."""
    from readiness.sources.supply_chain import TrustMaterial

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # sigstore's TUF cache
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))

    verifier = TrustMaterial({}, "production", True).verifier()
    check = verify_sigstore_bundle(
        (ASSETS / "bundle_v3_github.whl.sigstore").read_bytes(),
        "whl",
        verifier,
        [ident(RFC8785, issuer=GITHUB)],
        artifact=(ASSETS / "bundle_v3_github.whl").read_bytes(),
    )
    assert check.ok, check.reason


def test_broken_trusted_root_is_a_source_error(tmp_path: Path) -> None:
    from readiness.errors import SourceError
    from readiness.sources.supply_chain import TrustMaterial

    (tmp_path / "root.json").write_text('{"mediaType": "nope"}')
    with pytest.raises(SourceError, match="cannot load the Sigstore trusted root"):
        TrustMaterial({}, str(tmp_path / "root.json"), True).verifier()
