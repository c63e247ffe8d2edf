"""The private Sigstore instance over HTTP, so the stock ``sigstore`` signer can use it.

Serves on 127.0.0.1 the two endpoints a keyless signer calls:

- Fulcio ``POST /api/v2/signingCert``: checks the CSR's proof of possession and the
  OIDC token (HS256, signed by this instance's token key), then certifies the CSR's key
  for the token's identity (``sub``, or ``email`` for e-mail issuers);
- Rekor ``POST /api/v1/log/entries``: accepts ``dsse`` and ``hashedrekord`` proposals,
  canonicalises them as Rekor does and answers with the entry, inclusion proof, signed
  checkpoint and signed entry timestamp.

``client_trust_config()`` is the matching client trust configuration (trusted root +
signing config pointing here); ``token()`` mints identity tokens for tests and the demo.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from readiness.demo.sigstore_lab import SigstoreLab, dsse_entry_body

CLIENT_TRUST_CONFIG = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
SIGNING_CONFIG = "application/vnd.dev.sigstore.signingconfig.v0.2+json"
_EMAIL_ISSUERS = ("https://accounts.google.com", "https://github.com/login/oauth")
_MAX_BODY = 4 * 1024 * 1024


class _Handler(BaseHTTPRequestHandler):
    server: SigstoreServices

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _answer(self, status: int, body: dict[str, Any]) -> None:
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        if length > _MAX_BODY:
            self._answer(413, {"message": "request too large"})
            return
        try:
            request = json.loads(self.rfile.read(length))
            if self.path == "/api/v2/signingCert":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                self._answer(201, self.server.signing_cert(request, token))
            elif self.path == "/api/v1/log/entries":
                self._answer(201, self.server.log_entry(request))
            else:
                self._answer(404, {"message": f"no endpoint {self.path}"})
        except (ValueError, KeyError, TypeError, InvalidSignature, jwt.PyJWTError) as exc:
            self._answer(400, {"message": f"{type(exc).__name__}: {exc}"})


class SigstoreServices(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, lab: SigstoreLab | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lab = lab or SigstoreLab()
        self.token_key = hashlib.sha256(
            self.lab.log_key.private_numbers().private_value.to_bytes(32, "big")
        ).digest()
        self.url = f"http://127.0.0.1:{self.server_address[1]}"
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)

    def __enter__(self) -> SigstoreServices:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()
        self.server_close()

    # -- tokens ----------------------------------------------------------------------------

    def token(self, identity: str, issuer: str, lifetime: int = 300) -> str:
        now = int(time.time())
        claim = "email" if issuer in _EMAIL_ISSUERS else "sub"
        claims = {"iss": issuer, "aud": "sigstore", "iat": now, "nbf": now, "exp": now + lifetime}
        claims.setdefault("sub", identity)
        claims[claim] = identity
        return jwt.encode(claims, self.token_key, algorithm="HS256")

    # -- Fulcio ----------------------------------------------------------------------------

    def signing_cert(self, request: dict[str, Any], token: str) -> dict[str, Any]:
        claims = jwt.decode(token, self.token_key, algorithms=["HS256"], audience="sigstore")
        issuer = str(claims["iss"])
        identity = str(claims["email"] if issuer in _EMAIL_ISSUERS else claims["sub"])
        pem = base64.b64decode(request["certificateSigningRequest"])
        csr = x509.load_pem_x509_csr(pem)
        if not csr.is_signature_valid:
            raise ValueError("the CSR's signature does not prove possession of its key")
        key = csr.public_key()
        if not isinstance(key, ec.EllipticCurvePublicKey):
            raise ValueError("only ECDSA keys are certified")
        cert = self.lab.certify(key, identity, issuer)
        chain = [
            c.public_bytes(serialization.Encoding.PEM).decode()
            for c in (cert, self.lab.ca_cert, self.lab.root_cert)
        ]
        return {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}

    # -- Rekor -----------------------------------------------------------------------------

    def log_entry(self, proposed: dict[str, Any]) -> dict[str, Any]:
        kind = proposed["kind"]
        spec = proposed["spec"]
        if kind == "dsse":
            content = spec["proposedContent"]
            body = dsse_entry_body(content["envelope"], content["verifiers"][0])
        elif kind == "hashedrekord":
            body = {"apiVersion": "0.0.1", "kind": "hashedrekord", "spec": spec}
        else:
            raise ValueError(f"unsupported entry kind {kind!r}")
        entry = self.lab._log(kind, body, self.lab.now)
        proof = entry["inclusionProof"]
        uuid = hashlib.sha256(base64.b64decode(entry["canonicalizedBody"])).hexdigest()
        return {
            uuid: {
                "body": entry["canonicalizedBody"],
                "integratedTime": int(entry["integratedTime"]),
                "logID": base64.b64decode(entry["logId"]["keyId"]).hex(),
                "logIndex": int(entry["logIndex"]),
                "verification": {
                    "inclusionProof": {
                        "checkpoint": proof["checkpoint"]["envelope"],
                        "hashes": [base64.b64decode(h).hex() for h in proof["hashes"]],
                        "logIndex": int(proof["logIndex"]),
                        "rootHash": base64.b64decode(proof["rootHash"]).hex(),
                        "treeSize": int(proof["treeSize"]),
                    },
                    "signedEntryTimestamp": entry["inclusionPromise"]["signedEntryTimestamp"],
                },
            }
        }

    # -- client configuration --------------------------------------------------------------

    def client_trust_config(self) -> dict[str, Any]:
        start = (self.lab.now.replace(microsecond=0)).strftime("%Y-%m-%dT%H:%M:%SZ")

        def service(url: str) -> dict[str, Any]:
            return {
                "url": url,
                "majorApiVersion": 1,
                "validFor": {"start": start},
                "operator": "readiness.test",
            }

        return {
            "mediaType": CLIENT_TRUST_CONFIG,
            "trustedRoot": self.lab.trusted_root(),
            "signingConfig": {
                "mediaType": SIGNING_CONFIG,
                "caUrls": [service(self.url)],
                "oidcUrls": [],
                "rekorTlogUrls": [service(self.url)],
                "tsaUrls": [],
                "rekorTlogConfig": {"selector": "ANY"},
                "tsaConfig": {"selector": "ANY"},
            },
        }
