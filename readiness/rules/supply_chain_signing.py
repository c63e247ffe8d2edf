"""Signature and provenance verification: Sigstore bundles, cosign key signatures, DSSE.

Cryptography comes from the ``sigstore`` library (certificate chain to the pinned trusted
root, SCTs, transparency-log inclusion proof and signed checkpoint or SET, identity
policy) and from ``cryptography`` for key-based cosign signatures and DSSE envelopes.
Nothing here does I/O: trusted roots and keys are loaded by the sources.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.x509.oid import ObjectIdentifier
from sigstore.errors import Error as SigstoreError
from sigstore.errors import VerificationError
from sigstore.hashes import Hashed
from sigstore.models import Bundle, InvalidBundle
from sigstore.verify import Verifier
from sigstore_models.common.v1 import HashAlgorithm

from readiness.findings import Finding
from readiness.profile.supply_chain import ProvenancePolicy, SignerIdentity

IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
STATEMENT_TYPES = frozenset(
    {"https://in-toto.io/Statement/v0.1", "https://in-toto.io/Statement/v1"}
)
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
SLSA_TYPES = frozenset({SLSA_V1, SLSA_V02})
CYCLONEDX_PREDICATES = frozenset(
    {
        "https://cyclonedx.org/bom",
        "https://cyclonedx.org/bom/v1.4",
        "https://cyclonedx.org/bom/v1.5",
    }
)
COSIGN_SIGN_PREDICATE = "https://sigstore.dev/cosign/sign/v1"

_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_OTHERNAME_SAN = ObjectIdentifier("1.3.6.1.4.1.57264.1.7")


# -- identities ---------------------------------------------------------------------------


def certificate_identity(cert: x509.Certificate) -> tuple[list[str], str]:
    """(SAN identities, OIDC issuer) of a Fulcio-style signing certificate."""
    sans: list[str] = []
    try:
        ext = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
        sans.extend(ext.get_values_for_type(x509.RFC822Name))
        sans.extend(ext.get_values_for_type(x509.UniformResourceIdentifier))
        for other in ext.get_values_for_type(x509.OtherName):
            if other.type_id == _OTHERNAME_SAN:
                sans.append(other.value.decode(errors="replace"))
    except x509.ExtensionNotFound:
        pass
    issuer = ""
    for oid in (_ISSUER_V2, _ISSUER_V1):
        try:
            raw = cert.extensions.get_extension_for_oid(oid).value
        except x509.ExtensionNotFound:
            continue
        value: bytes = raw.value  # type: ignore[attr-defined]
        if oid == _ISSUER_V2 and len(value) >= 2 and value[0] == 0x0C:
            # DER UTF8String; the short form length covers every realistic issuer URL
            value = value[2:] if value[1] < 0x80 else value[2 + (value[1] & 0x7F) :]
        issuer = value.decode(errors="replace")
        break
    return sans, issuer


def identity_matches(wanted: SignerIdentity, sans: Sequence[str], issuer: str) -> bool:
    if wanted.issuer != issuer:
        return False
    if wanted.identity is not None:
        return wanted.identity in sans
    if wanted.identity_regex is None:
        return False  # an identity names neither a value nor a pattern: nothing matches
    pattern = re.compile(wanted.identity_regex)
    return any(pattern.fullmatch(san) for san in sans)


class IdentityPolicy:
    """A sigstore ``VerificationPolicy``: any of the profile's identities, with its issuer."""

    def __init__(self, identities: Sequence[SignerIdentity]):
        self.identities = list(identities)
        self.found: tuple[list[str], str] | None = None
        self.problem = ""

    def verify(self, cert: x509.Certificate) -> None:
        sans, issuer = certificate_identity(cert)
        self.found = (sans, issuer)
        if not self.identities:
            self.problem = WRONG_SIGNER
            raise VerificationError("no signer identities configured in the profile")
        if not any(identity_matches(w, sans, issuer) for w in self.identities):
            same_issuer = any(w.issuer == issuer for w in self.identities)
            self.problem = WRONG_SIGNER if same_issuer else WRONG_ISSUER
            raise VerificationError(
                f"certificate identity {', '.join(sans) or '(none)'} (issuer {issuer or '?'}) "
                f"is not an allowed signer: "
                f"{'; '.join(w.describe() for w in self.identities)}"
            )


# -- results ------------------------------------------------------------------------------

# Why a signature-bearing object was rejected (SignatureCheck.problem).
WRONG_SIGNER = "wrong-signer"
WRONG_ISSUER = "wrong-issuer"
WRONG_DIGEST = "wrong-digest"
BAD_BUNDLE = "bad-bundle"
UNTRUSTED_ROOT = "untrusted-root"
MISSING_TIMESTAMP = "missing-timestamp"
BAD_SIGNATURE = "bad-signature"
UNKNOWN_KEY = "unknown-key"

_UNTRUSTED_MARKERS = (
    "certificate chain",
    "failed to verify SCT",
    "no Timestamp Authorities",
    "contains no transparency log",
    "invalid log entry",
    "invalid DSSE log entry",
    "checkpoint",
    "inclusion",
)


def classify_sigstore_error(message: str) -> str:
    """The problem category of a sigstore verification error message."""
    if "not enough sources of verified time" in message:
        return MISSING_TIMESTAMP
    if any(marker in message for marker in _UNTRUSTED_MARKERS):
        return UNTRUSTED_ROOT
    if "digest mismatch" in message:
        return WRONG_DIGEST
    return BAD_SIGNATURE


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The outcome of verifying one signature-bearing object."""

    source: str
    kind: str  # sigstore-bundle | sigstore-dsse | cosign-key | dsse-key
    ok: bool
    reason: str = ""
    identity: str = ""
    issuer: str = ""
    signed_digests: tuple[str, ...] = ()
    statement: Mapping[str, Any] | None = None
    problem: str = ""
    """Empty when ``ok``; else one of the problem categories above."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "kind": self.kind,
            "ok": self.ok,
            "reason": self.reason,
            "identity": self.identity,
            "issuer": self.issuer,
            "signed_digests": list(self.signed_digests),
            "problem": self.problem,
            "predicate_type": (self.statement or {}).get("predicateType"),
        }


def _statement(payload: bytes) -> Mapping[str, Any]:
    try:
        doc = json.loads(payload)
    except ValueError as exc:
        raise ValueError(f"DSSE payload is not JSON: {exc}") from None
    if not isinstance(doc, Mapping) or doc.get("_type") not in STATEMENT_TYPES:
        raise ValueError("DSSE payload is not an in-toto statement")
    return doc


def subject_digests(statement: Mapping[str, Any]) -> tuple[str, ...]:
    out = []
    for subject in statement.get("subject") or []:
        if isinstance(subject, Mapping):
            digest = subject.get("digest") or {}
            if isinstance(digest, Mapping) and digest.get("sha256"):
                out.append("sha256:" + str(digest["sha256"]).lower())
    return tuple(out)


def verify_sigstore_bundle(
    data: bytes | str,
    source: str,
    verifier: Verifier,
    identities: Sequence[SignerIdentity],
    artifact_digest: str | None = None,
    artifact: bytes | None = None,
    dsse_expected: bool = False,
) -> SignatureCheck:
    """Verify a Sigstore bundle offline against the identity policy.

    A DSSE bundle yields its in-toto statement and subject digests (the caller binds
    them to its artifact). A message-signature bundle is verified over the digest it
    states, which it yields as its signed digest; given ``artifact`` bytes or an
    ``artifact_digest``, a valid signature over anything else fails as WRONG_DIGEST
    ("signature is about sha256:…, artifact is sha256:…").
    """
    policy = IdentityPolicy(identities)
    try:
        bundle = Bundle.from_json(data)
    except (InvalidBundle, ValueError, SigstoreError) as exc:
        kind = "sigstore-dsse" if dsse_expected else "sigstore-bundle"
        reason = f"invalid bundle: {_first_line(exc)}"
        problem = MISSING_TIMESTAMP if "signed timestamp" in reason else BAD_BUNDLE
        return SignatureCheck(source, kind, False, reason, problem=problem)
    sans, issuer = certificate_identity(bundle.signing_certificate)
    ident = ", ".join(sans)
    kind = "sigstore-dsse" if bundle._dsse_envelope is not None else "sigstore-bundle"
    try:
        if bundle._dsse_envelope is not None:
            payload_type, payload = verifier.verify_dsse(bundle, policy)
            if payload_type != IN_TOTO_PAYLOAD:
                reason = f"unexpected DSSE payload type {payload_type}"
                return SignatureCheck(
                    source, kind, False, reason, ident, issuer, problem=BAD_BUNDLE
                )
            statement = _statement(payload)
            digests = subject_digests(statement)
            return SignatureCheck(source, kind, True, "", ident, issuer, digests, statement)
        signed = _message_digest(bundle)
        if signed is None:
            reason = "bundle states no SHA-256 message digest"
            return SignatureCheck(source, kind, False, reason, ident, issuer, problem=BAD_BUNDLE)
        hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=bytes.fromhex(signed[7:]))
        verifier.verify_artifact(hashed, bundle, policy)
        if artifact is not None:
            artifact_digest = "sha256:" + hashlib.sha256(artifact).hexdigest()
        if artifact_digest is not None and artifact_digest != signed:
            reason = f"signature is about {signed}, artifact is {artifact_digest}"
            return SignatureCheck(
                source, kind, False, reason, ident, issuer, (signed,), problem=WRONG_DIGEST
            )
        return SignatureCheck(source, kind, True, "", ident, issuer, (signed,))
    except (VerificationError, SigstoreError, ValueError) as exc:
        reason = _first_line(exc)
        problem = policy.problem or classify_sigstore_error(reason)
        return SignatureCheck(source, kind, False, reason, ident, issuer, problem=problem)


def _message_digest(bundle: Bundle) -> str | None:
    """``sha256:<hex>`` the message-signature bundle says it signs, if SHA-256."""
    signature = bundle._inner.message_signature
    if signature is None or signature.message_digest is None:
        return None
    digest = signature.message_digest
    if digest.algorithm != HashAlgorithm.SHA2_256:
        return None
    return "sha256:" + bytes(digest.digest).hex()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:400] if "\n" in text and len(text) > 400 else text[:800]


def verify_with_keys(
    signature: bytes, message: bytes, keys: Mapping[str, PublicKeyTypes]
) -> str | None:
    """The name of the key that verifies ``signature`` over ``message``, or None."""
    for name, key in keys.items():
        try:
            if isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
            elif isinstance(key, rsa.RSAPublicKey):
                key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
            elif isinstance(key, ed25519.Ed25519PublicKey):
                key.verify(signature, message)
            else:
                continue
        except InvalidSignature:
            continue
        return name
    return None


@dataclass(frozen=True, slots=True)
class CosignSignature:
    """One layer of a cosign ``.sig`` manifest: simplesigning payload + base64 signature."""

    source: str
    payload: bytes
    signature_b64: str


def verify_cosign_signature(
    sig: CosignSignature, keys: Mapping[str, PublicKeyTypes]
) -> SignatureCheck:
    try:
        raw_sig = base64.b64decode(sig.signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return SignatureCheck(
            sig.source,
            "cosign-key",
            False,
            "signature annotation is not base64",
            problem=BAD_BUNDLE,
        )
    if not raw_sig:
        return SignatureCheck(
            sig.source, "cosign-key", False, "empty signature", problem=BAD_BUNDLE
        )
    key_name = verify_with_keys(raw_sig, sig.payload, keys)
    if key_name is None:
        return SignatureCheck(
            sig.source,
            "cosign-key",
            False,
            "signature does not verify with any configured public key "
            f"({', '.join(keys) or 'none'})",
            problem=UNKNOWN_KEY,
        )
    try:
        payload = json.loads(sig.payload)
        digest = str(payload["critical"]["image"]["docker-manifest-digest"])
    except (ValueError, KeyError, TypeError):
        return SignatureCheck(
            sig.source,
            "cosign-key",
            False,
            "signed payload is not a cosign simplesigning document",
            f"key {key_name}",
            problem=BAD_BUNDLE,
        )
    return SignatureCheck(sig.source, "cosign-key", True, "", f"key {key_name}", "", (digest,))


def pae(payload_type: str, body: bytes) -> bytes:
    pt = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(pt), pt, len(body), body)


def verify_dsse_envelope(
    data: bytes, source: str, keys: Mapping[str, PublicKeyTypes]
) -> SignatureCheck:
    """A bare DSSE envelope (cosign attest --key) verified with the profile's keys."""
    try:
        env = json.loads(data)
        payload_type = str(env["payloadType"])
        body = base64.b64decode(env["payload"], validate=True)
        sigs = [base64.b64decode(s["sig"], validate=True) for s in env["signatures"]]
    except (ValueError, KeyError, TypeError, binascii.Error):
        return SignatureCheck(source, "dsse-key", False, "not a DSSE envelope", problem=BAD_BUNDLE)
    if payload_type != IN_TOTO_PAYLOAD:
        reason = f"unexpected payload type {payload_type}"
        return SignatureCheck(source, "dsse-key", False, reason, problem=BAD_BUNDLE)
    message = pae(payload_type, body)
    key_name = next(
        (name for s in sigs if (name := verify_with_keys(s, message, keys)) is not None), None
    )
    if key_name is None:
        return SignatureCheck(
            source,
            "dsse-key",
            False,
            "no DSSE signature verifies with a configured public key "
            f"({', '.join(keys) or 'none'})",
            problem=UNKNOWN_KEY,
        )
    try:
        statement = _statement(body)
    except ValueError as exc:
        return SignatureCheck(
            source, "dsse-key", False, str(exc), f"key {key_name}", problem=BAD_BUNDLE
        )
    return SignatureCheck(
        source, "dsse-key", True, "", f"key {key_name}", "", subject_digests(statement), statement
    )


# -- findings: signatures -----------------------------------------------------------------


_PROBLEM_TEXT: dict[str, tuple[str, str]] = {
    # problem: (what went wrong, how to fix it)
    WRONG_SIGNER: (
        "is signed by another identity",
        "re-sign with the release identity, or add the new signer to "
        "supply_chain.signature.identities if the change is legitimate",
    ),
    WRONG_ISSUER: (
        "comes from another OIDC issuer",
        "sign through the expected issuer (e.g. the CI's OIDC provider), or correct the "
        "issuer in supply_chain.signature.identities",
    ),
    WRONG_DIGEST: (
        "is about another artifact",
        "use the bundle made for this exact artifact (the digests differ: another build or "
        "a modified file), or re-sign this artifact",
    ),
    BAD_BUNDLE: (
        "is not a usable Sigstore bundle",
        "regenerate it (cosign sign-blob --bundle, sigstore sign) and check the right file "
        "is declared",
    ),
    UNTRUSTED_ROOT: (
        "does not chain to the trusted root",
        "verify against the Sigstore instance that signed it: set "
        "supply_chain.signature.trusted_root to its trusted_root.json (or production/staging)",
    ),
    MISSING_TIMESTAMP: (
        "has no verified timestamp",
        "sign with a transparency-log upload (cosign's default) or an RFC 3161 timestamp",
    ),
    UNKNOWN_KEY: (
        "does not verify with any configured public key",
        "sign with the release key, or add its public key to supply_chain.signature.public_keys",
    ),
    BAD_SIGNATURE: (
        "does not verify",
        "the signature or the signed content was altered: rebuild and re-sign",
    ),
}


def _signer(c: SignatureCheck) -> str:
    if c.issuer:
        return f"{c.identity or '(no identity)'} (issuer {c.issuer})"
    return c.identity or "unknown signer"


def rejected_finding(c: SignatureCheck, label: str, expected_signer: str) -> Finding:
    """A finding for one rejected signature/attestation, worded by why it was rejected."""
    headline, fix = _PROBLEM_TEXT.get(c.problem, _PROBLEM_TEXT[BAD_SIGNATURE])
    if c.problem == WRONG_DIGEST:
        expected = "a signature over this artifact's digest"
        found = f"a signature by {_signer(c)} over {', '.join(c.signed_digests) or '?'}"
    elif c.problem in (WRONG_SIGNER, WRONG_ISSUER):
        expected = f"signed by {expected_signer}"
        found = _signer(c)
    else:
        expected = f"a verifiable signature by {expected_signer}"
        found = c.reason
    return Finding(
        f"{label} {c.source} {headline}: {c.reason}", expected=expected, found=found, fix=fix
    )


def _about(c_digests: Sequence[str], digests: set[str], what: str) -> str:
    return (
        f"is about {', '.join(c_digests) or 'no sha256 subject'}, "
        f"{what} is {' or '.join(sorted(digests))}"
    )


def signature_findings(
    checks: Sequence[SignatureCheck],
    digests: set[str],
    identities: Sequence[SignerIdentity],
    required: bool,
    what: str = "image",
) -> list[Finding]:
    """Pass when one signature verifies and signs this image's or artifact's digest."""
    sig_checks = [
        c
        for c in checks
        if c.kind in ("cosign-key", "sigstore-bundle")
        or (
            c.kind == "sigstore-dsse"
            and c.statement is not None
            and c.statement.get("predicateType") == COSIGN_SIGN_PREDICATE
        )
    ]
    good = [c for c in sig_checks if c.ok and set(c.signed_digests) & digests]
    if good or not required:
        return []
    expected = "; ".join(w.describe() for w in identities) or "a configured public key"
    subject = " or ".join(sorted(digests))
    if not sig_checks:
        attestations = sorted(
            {str(c.statement.get("predicateType")) for c in checks if c.ok and c.statement}
        )
        found = "no cosign signature, Sigstore bundle or declared bundle file"
        if attestations:
            found = (
                f"only verified attestations ({', '.join(attestations)}): they sign a "
                f"statement about the {what}, not the {what} itself"
            )
        command = "cosign sign" if what == "image" else "cosign sign-blob --bundle"
        return [
            Finding(
                f"{what} is not signed",
                expected=f"a signature by {expected} over {subject}",
                found=found,
                fix=f"sign the {what} digest in the release pipeline ({command}) with the "
                "expected identity or key",
            )
        ]
    findings = []
    for c in sig_checks:
        if not c.ok:
            findings.append(rejected_finding(c, "signature", expected))
        else:
            findings.append(
                Finding(
                    f"signature {c.source} {_about(c.signed_digests, digests, what)}",
                    expected=f"a signature over {subject}",
                    found=f"a signature by {_signer(c)} over "
                    f"{', '.join(c.signed_digests) or 'no digest'}",
                    fix=_PROBLEM_TEXT[WRONG_DIGEST][1],
                )
            )
    return findings


# -- provenance ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Provenance:
    predicate_type: str
    builder_id: str
    build_type: str
    source_repository: str
    source_ref: str
    subjects: tuple[str, ...]
    extra: dict[str, Any] = field(default_factory=dict)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(obj, Mapping):
            return None
        obj = obj.get(key)
    return obj


def _split_uri(uri: str) -> tuple[str, str]:
    """``git+https://github.com/o/r@refs/tags/v1`` -> (``github.com/o/r``, ``refs/tags/v1``)."""
    repo, _, ref = uri.partition("@")
    return normalize_repo(repo), ref


def normalize_repo(uri: str) -> str:
    text = uri.strip().removeprefix("git+")
    text = re.sub(r"^[a-z]+://", "", text)
    return text.removesuffix(".git").rstrip("/").lower()


def parse_provenance(statement: Mapping[str, Any]) -> Provenance:
    ptype = str(statement.get("predicateType", ""))
    pred = statement.get("predicate") or {}
    subjects = subject_digests(statement)
    if ptype == SLSA_V1:
        workflow = _get(pred, "buildDefinition", "externalParameters", "workflow") or {}
        repo = str(_get(workflow, "repository") or "")
        ref = str(_get(workflow, "ref") or "")
        deps = _get(pred, "buildDefinition", "resolvedDependencies") or []
        if (not repo or not ref) and deps and isinstance(deps[0], Mapping):
            dep_repo, dep_ref = _split_uri(str(deps[0].get("uri", "")))
            repo = repo or dep_repo
            ref = ref or dep_ref
        return Provenance(
            ptype,
            str(_get(pred, "runDetails", "builder", "id") or ""),
            str(_get(pred, "buildDefinition", "buildType") or ""),
            normalize_repo(repo) if repo else "",
            ref,
            subjects,
        )
    config_uri = str(_get(pred, "invocation", "configSource", "uri") or "")
    repo, ref = _split_uri(config_uri) if config_uri else ("", "")
    materials = pred.get("materials") if isinstance(pred, Mapping) else None
    if not repo and materials and isinstance(materials[0], Mapping):
        repo, ref = _split_uri(str(materials[0].get("uri", "")))
    return Provenance(
        ptype,
        str(_get(pred, "builder", "id") or ""),
        str(_get(pred, "buildType") or ""),
        repo,
        ref,
        subjects,
    )


def builder_allowed(builder_id: str, allowed: Sequence[str]) -> bool:
    bare = builder_id.split("@", 1)[0]
    return any(fnmatch.fnmatchcase(builder_id, a) or bare == a for a in allowed)


def provenance_findings(
    checks: Sequence[SignatureCheck],
    digests: set[str],
    policy: ProvenancePolicy,
    what: str = "image",
) -> list[Finding]:
    """Pass when one verified SLSA provenance about this digest meets the policy."""
    candidates = [
        (c, c.statement)
        for c in checks
        if c.statement is not None and c.statement.get("predicateType") in SLSA_TYPES
    ]
    if not candidates:
        if not policy.required:
            return []
        failed = [c for c in checks if not c.ok and c.kind in ("dsse-key", "sigstore-dsse")]
        found = "no SLSA provenance attestation"
        if failed:
            reasons = "; ".join(
                f"{c.source} {_PROBLEM_TEXT.get(c.problem, _PROBLEM_TEXT[BAD_SIGNATURE])[0]}: "
                f"{c.reason}"
                for c in failed
            )
            found += f" (unverifiable attestations: {reasons})"
        return [
            Finding(
                f"no verified SLSA provenance for the {what}",
                expected=f"a signed in-toto SLSA provenance (v1 or v0.2) for the {what} digest",
                found=found,
                fix="generate SLSA provenance in the build (e.g. slsa-github-generator, "
                f"cosign attest --type slsaprovenance) and attach or declare it for the {what}",
            )
        ]
    per_candidate: list[list[Finding]] = []
    for c, statement in candidates:
        problems: list[Finding] = []
        if not c.ok:
            problems.append(rejected_finding(c, "provenance", "the expected identity or key"))
            per_candidate.append(problems)
            continue
        prov = parse_provenance(statement)
        if not set(prov.subjects) & digests:
            problems.append(
                Finding(
                    f"attestation {c.source} {_about(prov.subjects, digests, what)}",
                    expected=f"an in-toto subject digest {' or '.join(sorted(digests))}",
                    found=", ".join(prov.subjects) or "no sha256 subject",
                    fix=f"use the provenance generated for this {what} (another build or a "
                    "modified file has another digest)",
                )
            )
        if not prov.builder_id or not builder_allowed(prov.builder_id, policy.allowed_builders):
            problems.append(
                Finding(
                    f"provenance {c.source}: builder not allowed",
                    expected="builder.id in "
                    + (
                        ", ".join(policy.allowed_builders) or "(no builders allowed in the profile)"
                    ),
                    found=prov.builder_id or "no builder.id",
                    fix="build on a trusted builder, or add it to "
                    "supply_chain.provenance.allowed_builders",
                )
            )
        if policy.source_repository and prov.source_repository != normalize_repo(
            policy.source_repository
        ):
            problems.append(
                Finding(
                    f"provenance {c.source}: built from another source repository",
                    expected=normalize_repo(policy.source_repository),
                    found=prov.source_repository or "no source repository stated",
                    fix=f"release only {what}s built from the product's repository",
                )
            )
        if policy.source_ref and not fnmatch.fnmatchcase(prov.source_ref, policy.source_ref):
            problems.append(
                Finding(
                    f"provenance {c.source}: built from another ref",
                    expected=policy.source_ref,
                    found=prov.source_ref or "no ref stated",
                    fix="release from the expected branch or tag",
                )
            )
        if not prov.build_type or (
            policy.build_types and prov.build_type not in policy.build_types
        ):
            problems.append(
                Finding(
                    f"provenance {c.source}: build type not accepted",
                    expected=", ".join(policy.build_types) or "a stated buildType",
                    found=prov.build_type or "none",
                    fix="use a builder that states its buildType",
                )
            )
        if not problems:
            return []
        per_candidate.append(problems)
    return [f for problems in per_candidate for f in problems]
