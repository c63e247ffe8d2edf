"""Signing keys for verdict attestations, in the formats cosign users already have.

- cosign's own encrypted key files (``cosign generate-key-pair``): PEM type
  ``ENCRYPTED SIGSTORE PRIVATE KEY`` (or the older ``ENCRYPTED COSIGN PRIVATE KEY``), a
  JSON envelope of scrypt parameters and a NaCl secretbox around the PKCS#8 key;
- plain PKCS#8 / SEC1 PEM keys, optionally password-protected.

Only ECDSA P-256 is accepted for signing (what ``cosign attest --key`` produces).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from readiness.verdict.attest import read_capped
from readiness.verdict.statement import VerdictError

_COSIGN_PEM_TYPES = ("ENCRYPTED SIGSTORE PRIVATE KEY", "ENCRYPTED COSIGN PRIVATE KEY")
_MAX_KEY_FILE = 64 * 1024


def _read(path: Path) -> bytes:
    return read_capped(path, _MAX_KEY_FILE, "key file")


def _pem_body(text: str, pem_type: str) -> bytes | None:
    begin, end = f"-----BEGIN {pem_type}-----", f"-----END {pem_type}-----"
    if begin not in text or end not in text:
        return None
    inner = text.split(begin, 1)[1].split(end, 1)[0]
    try:
        return base64.b64decode("".join(inner.split()), validate=True)
    except (binascii.Error, ValueError):
        return b""


def _decrypt_cosign(envelope: bytes, password: bytes, path: Path) -> bytes:
    from nacl.exceptions import CryptoError
    from nacl.secret import SecretBox

    try:
        doc = json.loads(envelope)
        kdf, cipher = doc["kdf"], doc["cipher"]
        params = kdf["params"]
        if kdf["name"] != "scrypt" or cipher["name"] != "nacl/secretbox":
            raise VerdictError(
                f"{path}: unsupported key encryption {kdf['name']}/{cipher['name']} "
                "(cosign keys use scrypt + nacl/secretbox)"
            )
        n, r, p = int(params["N"]), int(params["r"]), int(params["p"])
        salt = base64.b64decode(kdf["salt"])
        nonce = base64.b64decode(cipher["nonce"])
        ciphertext = base64.b64decode(doc["ciphertext"])
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise VerdictError(f"{path}: not a cosign encrypted key envelope") from None
    if n > 2**20 or r > 32 or p > 16:
        raise VerdictError(f"{path}: scrypt parameters N={n} r={r} p={p} are out of range")
    key = hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, dklen=32, maxmem=2**30)
    try:
        return bytes(SecretBox(key).decrypt(ciphertext, nonce))
    except CryptoError:
        raise VerdictError(f"{path}: wrong password for the cosign key") from None


def load_signing_key(path: Path, password: str | None) -> ec.EllipticCurvePrivateKey:
    """An ECDSA P-256 private key from a cosign key file or a PEM file."""
    data = _read(path)
    text = data.decode("ascii", errors="replace")
    secret = (password or "").encode()
    for pem_type in _COSIGN_PEM_TYPES:
        body = _pem_body(text, pem_type)
        if body is not None:
            der = _decrypt_cosign(body, secret, path)
            try:
                key = serialization.load_der_private_key(der, None)
            except ValueError:
                raise VerdictError(f"{path}: the decrypted cosign key is not PKCS#8") from None
            return _p256(key, path)
    try:
        loaded = serialization.load_pem_private_key(data, secret or None)
    except TypeError:
        raise VerdictError(
            f"{path}: the key is encrypted: give its password in READINESS_ATTEST_KEY_PASSWORD"
        ) from None
    except ValueError:
        raise VerdictError(
            f"{path}: not a private key (expected a cosign key file or a PEM "
            "PKCS#8/EC private key), or the password is wrong"
        ) from None
    return _p256(loaded, path)


def _p256(key: object, path: Path) -> ec.EllipticCurvePrivateKey:
    if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
        raise VerdictError(f"{path}: only ECDSA P-256 keys sign verdicts (as cosign's do)")
    return key


def load_public_key(path: Path) -> PublicKeyTypes:
    """A PEM public key (``cosign.pub``)."""
    try:
        return serialization.load_pem_public_key(_read(path))
    except ValueError:
        raise VerdictError(f"{path}: not a PEM public key") from None


def public_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
