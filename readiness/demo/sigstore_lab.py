"""A private Sigstore instance for the demo, the tests and the benchmarks.

A Fulcio-like CA (root + intermediate) issues short-lived code-signing certificates with
the Sigstore identity extensions (SAN, OIDC issuer v1 and v2) and an embedded SCT signed
by a CT log key; a Rekor-like transparency log appends every signature as a
``hashedrekord`` or ``dsse`` entry and hands out an RFC 6962 inclusion proof, a signed
checkpoint (signed note) and a signed entry timestamp. ``trusted_root()`` is the matching
trusted root, so bundles made here verify offline with the stock ``sigstore`` Verifier,
and fail with its reasons when tampered with.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import struct
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import rfc8785
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

BUNDLE_V03 = "application/vnd.dev.sigstore.bundle.v0.3+json"
TRUSTED_ROOT = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
IN_TOTO = "application/vnd.in-toto+json"
_ISSUER_V1 = ObjectIdentifier("1.3.6.1.4.1.57264.1.1")
_ISSUER_V2 = ObjectIdentifier("1.3.6.1.4.1.57264.1.8")
_SCT_LIST = ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _spki(key: ec.EllipticCurvePublicKey) -> bytes:
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _key_id(key: ec.EllipticCurvePublicKey) -> bytes:
    return hashlib.sha256(_spki(key)).digest()


def _der_octets(data: bytes) -> bytes:
    n = len(data)
    if n < 0x80:
        length = bytes([n])
    else:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        length = bytes([0x80 | len(raw)]) + raw
    return b"\x04" + length + data


def _utf8_der(text: str) -> bytes:
    raw = text.encode()
    if len(raw) >= 0x80:
        size = len(raw).to_bytes((len(raw).bit_length() + 7) // 8, "big")
        return b"\x0c" + bytes([0x80 | len(size)]) + size + raw
    return b"\x0c" + bytes([len(raw)]) + raw


def _leaf_hash(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _mth(leaves: list[bytes]) -> bytes:
    if len(leaves) == 1:
        return leaves[0]
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    return _node_hash(_mth(leaves[:k]), _mth(leaves[k:]))


def _path(m: int, leaves: list[bytes]) -> list[bytes]:
    """RFC 6962 audit path of leaf ``m``, bottom-up."""
    if len(leaves) <= 1:
        return []
    k = 1 << ((len(leaves) - 1).bit_length() - 1)
    if m < k:
        return [*_path(m, leaves[:k]), _mth(leaves[k:])]
    return [*_path(m - k, leaves[k:]), _mth(leaves[:k])]


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "readiness.test"),
            x509.NameAttribute(NameOID.COMMON_NAME, cn),
        ]
    )


def dsse_entry_body(envelope_json: str, verifier_b64: str) -> dict[str, Any]:
    """The canonical body Rekor logs for a ``dsse`` entry: envelope and payload hashes and
    each signature with the signer's certificate."""
    envelope = json.loads(envelope_json)
    payload = base64.b64decode(envelope["payload"])
    return {
        "apiVersion": "0.0.1",
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(envelope_json.encode()).hexdigest(),
            },
            "payloadHash": {"algorithm": "sha256", "value": hashlib.sha256(payload).hexdigest()},
            "signatures": [
                {"signature": s["sig"], "verifier": verifier_b64} for s in envelope["signatures"]
            ],
        },
    }


@dataclass
class SigstoreLab:
    """Fulcio + CT log + Rekor in one object; thread-safe signing."""

    name: str = "readiness-sigstore"
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
    root_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )
    ca_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP384R1())
    )
    ct_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    log_key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    leaves: list[bytes] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        start = self.now - dt.timedelta(days=1)
        root_pub = self.root_key.public_key()
        self.root_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{self.name} root"))
            .issuer_name(_name(f"{self.name} root"))
            .public_key(root_pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=3650))
            .add_extension(_ca_usage(), critical=True)
            .add_extension(x509.BasicConstraints(ca=True, path_length=1), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(root_pub), critical=False)
            .sign(self.root_key, hashes.SHA384())
        )
        ca_pub = self.ca_key.public_key()
        self.ca_cert = (
            x509.CertificateBuilder()
            .subject_name(_name(f"{self.name} intermediate"))
            .issuer_name(self.root_cert.subject)
            .public_key(ca_pub)
            .serial_number(x509.random_serial_number())
            .not_valid_before(start)
            .not_valid_after(start + dt.timedelta(days=365))
            .add_extension(_ca_usage(), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
            )
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_pub), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(root_pub), critical=False
            )
            .sign(self.root_key, hashes.SHA384())
        )
        self.ct_log_id = _key_id(self.ct_key.public_key())
        self.log_id = _key_id(self.log_key.public_key())

    # -- trust ---------------------------------------------------------------------------

    def trusted_root(self) -> dict[str, Any]:
        start = (self.now - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def log(url: str, key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
            return {
                "baseUrl": url,
                "hashAlgorithm": "SHA2_256",
                "publicKey": {
                    "rawBytes": _b64(_spki(key.public_key())),
                    "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                    "validFor": {"start": start},
                },
                "logId": {"keyId": _b64(_key_id(key.public_key()))},
            }

        return {
            "mediaType": TRUSTED_ROOT,
            "tlogs": [log("https://rekor.readiness.invalid", self.log_key)],
            "certificateAuthorities": [
                {
                    "subject": {"organization": "readiness.test", "commonName": self.name},
                    "uri": "https://fulcio.readiness.invalid",
                    "certChain": {
                        "certificates": [
                            {"rawBytes": _b64(c.public_bytes(serialization.Encoding.DER))}
                            for c in (self.ca_cert, self.root_cert)
                        ]
                    },
                    "validFor": {"start": start},
                }
            ],
            "ctlogs": [log("https://ctfe.readiness.invalid", self.ct_key)],
            "timestampAuthorities": [],
        }

    def write_trusted_root(self, path: Path) -> Path:
        path.write_text(json.dumps(self.trusted_root(), indent=1))
        return path

    # -- Fulcio --------------------------------------------------------------------------

    def issue(
        self, identity: str, issuer: str, at: dt.datetime | None = None
    ) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
        """A fresh key and its 10-minute signing certificate for ``identity``."""
        key = ec.generate_private_key(ec.SECP256R1())
        return key, self.certify(key.public_key(), identity, issuer, at)

    def certify(
        self,
        public_key: ec.EllipticCurvePublicKey,
        identity: str,
        issuer: str,
        at: dt.datetime | None = None,
    ) -> x509.Certificate:
        """A 10-minute signing certificate for ``identity`` (an e-mail or a URI)."""
        at = at or self.now
        san: x509.GeneralName = (
            x509.RFC822Name(identity)
            if "@" in identity and "://" not in identity
            else x509.UniformResourceIdentifier(identity)
        )
        serial = x509.random_serial_number()

        def build(sct_value: bytes) -> x509.Certificate:
            return (
                x509.CertificateBuilder()
                .subject_name(x509.Name([]))
                .issuer_name(self.ca_cert.subject)
                .public_key(public_key)
                .serial_number(serial)
                .not_valid_before(at - dt.timedelta(minutes=1))
                .not_valid_after(at + dt.timedelta(minutes=9))
                .add_extension(
                    x509.KeyUsage(
                        digital_signature=True,
                        content_commitment=False,
                        key_encipherment=False,
                        data_encipherment=False,
                        key_agreement=False,
                        key_cert_sign=False,
                        crl_sign=False,
                        encipher_only=False,
                        decipher_only=False,
                    ),
                    critical=True,
                )
                .add_extension(
                    x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=False
                )
                .add_extension(
                    x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False
                )
                .add_extension(
                    x509.AuthorityKeyIdentifier.from_issuer_public_key(self.ca_key.public_key()),
                    critical=False,
                )
                .add_extension(x509.SubjectAlternativeName([san]), critical=True)
                .add_extension(
                    x509.UnrecognizedExtension(_ISSUER_V1, issuer.encode()), critical=False
                )
                .add_extension(
                    x509.UnrecognizedExtension(_ISSUER_V2, _utf8_der(issuer)), critical=False
                )
                .add_extension(x509.UnrecognizedExtension(_SCT_LIST, sct_value), critical=False)
                .sign(self.ca_key, hashes.SHA384())
            )

        timestamp_ms = int(at.timestamp()) * 1000
        draft = build(self._sct_extension(timestamp_ms, b"\x00" * 70))
        issuer_key_id = _key_id(self.ca_key.public_key())
        tbs = draft.tbs_precertificate_bytes
        signed = (
            struct.pack("!BBQH", 0, 0, timestamp_ms, 1)
            + issuer_key_id
            + len(tbs).to_bytes(3, "big")
            + tbs
            + struct.pack("!H", 0)
        )
        signature = self.ct_key.sign(signed, ec.ECDSA(hashes.SHA256()))
        return build(self._sct_extension(timestamp_ms, signature))

    def _sct_extension(self, timestamp_ms: int, signature: bytes) -> bytes:
        sct = (
            struct.pack("!B32sQH", 0, self.ct_log_id, timestamp_ms, 0)
            + struct.pack("!BBH", 4, 3, len(signature))
            + signature
        )
        listed = struct.pack("!H", len(sct)) + sct
        return _der_octets(struct.pack("!H", len(listed)) + listed)

    # -- Rekor ---------------------------------------------------------------------------

    def _log(self, kind: str, body: Mapping[str, Any], at: dt.datetime) -> dict[str, Any]:
        canonical = rfc8785.dumps(dict(body))
        integrated = int(at.timestamp())
        with self._lock:
            self.leaves.append(_leaf_hash(canonical))
            index = len(self.leaves) - 1
            leaves = list(self.leaves)
        size = index + 1
        root = _mth(leaves)
        proof = _path(index, leaves)
        note = f"{self.name} - 1\n{size}\n{_b64(root)}\n"
        note_sig = self.log_key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        checkpoint = f"{note}\n\u2014 {self.name} {_b64(self.log_id[:4] + note_sig)}\n"
        promise = rfc8785.dumps(
            {
                "body": _b64(canonical),
                "integratedTime": integrated,
                "logID": self.log_id.hex(),
                "logIndex": index,
            }
        )
        set_sig = self.log_key.sign(promise, ec.ECDSA(hashes.SHA256()))
        return {
            "logIndex": str(index),
            "logId": {"keyId": _b64(self.log_id)},
            "kindVersion": {"kind": kind, "version": "0.0.1"},
            "integratedTime": str(integrated),
            "inclusionPromise": {"signedEntryTimestamp": _b64(set_sig)},
            "inclusionProof": {
                "logIndex": str(index),
                "rootHash": _b64(root),
                "treeSize": str(size),
                "hashes": [_b64(h) for h in proof],
                "checkpoint": {"envelope": checkpoint},
            },
            "canonicalizedBody": _b64(canonical),
        }

    # -- signing -------------------------------------------------------------------------

    def sign_digest(
        self, digest: str, identity: str, issuer: str, at: dt.datetime | None = None
    ) -> str:
        """A message-signature bundle over a ``sha256:<hex>`` digest (an image manifest)."""
        from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

        at = at or self.now
        raw = bytes.fromhex(digest.removeprefix("sha256:"))
        key, cert = self.issue(identity, issuer, at)
        signature = key.sign(raw, ec.ECDSA(Prehashed(hashes.SHA256())))
        pem = cert.public_bytes(serialization.Encoding.PEM)
        body = {
            "apiVersion": "0.0.1",
            "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": raw.hex()}},
                "signature": {"content": _b64(signature), "publicKey": {"content": _b64(pem)}},
            },
        }
        return self._bundle(
            cert,
            self._log("hashedrekord", body, at),
            messageSignature={
                "messageDigest": {"algorithm": "SHA2_256", "digest": _b64(raw)},
                "signature": _b64(signature),
            },
        )

    def sign_artifact(self, data: bytes, identity: str, issuer: str) -> str:
        return self.sign_digest("sha256:" + hashlib.sha256(data).hexdigest(), identity, issuer)

    def sign_statement(
        self,
        statement: Mapping[str, Any],
        identity: str,
        issuer: str,
        at: dt.datetime | None = None,
    ) -> str:
        """A DSSE bundle over an in-toto statement (SLSA provenance, SBOM attestation)."""
        at = at or self.now
        payload = json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()
        pae = b"DSSEv1 %d %s %d %s" % (len(IN_TOTO), IN_TOTO.encode(), len(payload), payload)
        key, cert = self.issue(identity, issuer, at)
        signature = key.sign(pae, ec.ECDSA(hashes.SHA256()))
        pem = cert.public_bytes(serialization.Encoding.PEM)
        envelope = {
            "payload": _b64(payload),
            "payloadType": IN_TOTO,
            "signatures": [{"sig": _b64(signature)}],
        }
        body = dsse_entry_body(json.dumps(envelope), _b64(pem))
        return self._bundle(cert, self._log("dsse", body, at), dsseEnvelope=envelope)

    @staticmethod
    def _bundle(cert: x509.Certificate, entry: Mapping[str, Any], **content: Any) -> str:
        """A v0.3 bundle (JSON): the signing certificate, one log entry, then ``content``."""
        return json.dumps(
            {
                "mediaType": BUNDLE_V03,
                "verificationMaterial": {
                    "certificate": {
                        "rawBytes": _b64(cert.public_bytes(serialization.Encoding.DER))
                    },
                    "tlogEntries": [entry],
                },
                **content,
            }
        )


def _ca_usage() -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=False,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
