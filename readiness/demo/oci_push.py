"""Push images and supply-chain artefacts to a registry, pure Python (demo and tests).

A one-layer image (config User/Env/Labels), cosign-format signatures (``sha256-<hex>.sig``)
and attestations (``.att``, DSSE), OCI 1.1 referrers with the referrers tag-schema fallback
index (``sha256-<hex>``). Anonymous, basic or bearer-token auth; ``verify=`` on every
request. Deterministic: the same inputs give the same digests.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urljoin

import requests
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"
OCI_LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"
OCI_EMPTY = "application/vnd.oci.empty.v1+json"
COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIG_ANNOTATION = "dev.cosignproject.cosign/signature"
CYCLONEDX = "application/vnd.cyclonedx+json"
SIGSTORE_BUNDLE = "application/vnd.dev.sigstore.bundle.v0.3+json"
DSSE = "application/vnd.dsse.envelope.v1+json"
IN_TOTO = "application/vnd.in-toto+json"


class PushError(RuntimeError):
    pass


def sha256(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def canon(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), sort_keys=True).encode()


def descriptor(media_type: str, data: bytes, **extra: Any) -> dict[str, Any]:
    return {"mediaType": media_type, "digest": sha256(data), "size": len(data), **extra}


class Pusher:
    """Writes to one registry: anonymous, basic, or bearer token per 401 challenge."""

    def __init__(
        self,
        base: str,
        auth: tuple[str, str] | None = None,
        verify: bool | str = True,
        timeout: float = 10.0,
    ):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.creds = auth
        self.token: str | None = None
        self.verify = verify
        self.session = requests.Session()

    def _send(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, **kw: Any
    ) -> requests.Response:
        url = urljoin(self.base + "/", url)
        response: requests.Response | None = None
        for attempt in (1, 2):
            h = dict(headers or {})
            if self.token:
                h["Authorization"] = f"Bearer {self.token}"
            response = self.session.request(
                method,
                url,
                headers=h,
                auth=None if self.token else self.creds,
                timeout=self.timeout,
                verify=self.verify,
                **kw,
            )
            challenge = response.headers.get("WWW-Authenticate", "")
            if (
                response.status_code != 401
                or attempt == 2
                or not challenge.lower().startswith("bearer ")
            ):
                return response
            params = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
            realm = params.pop("realm")
            token = self.session.get(
                realm, params=params, auth=self.creds, timeout=self.timeout, verify=self.verify
            )
            token.raise_for_status()
            body = token.json()
            self.token = body.get("token") or body["access_token"]
        assert response is not None
        return response

    def _req(self, method: str, url: str, **kw: Any) -> requests.Response:
        response = self._send(method, url, **kw)
        if response.status_code >= 400:
            raise PushError(f"{method} {url}: {response.status_code} {response.text[:300]}")
        return response

    def push_blob(self, repo: str, data: bytes) -> str:
        digest = sha256(data)
        if self._send("HEAD", f"/v2/{repo}/blobs/{digest}").status_code == 200:
            return digest
        loc = self._req("POST", f"/v2/{repo}/blobs/uploads/").headers["Location"]
        loc = urljoin(self.base + "/", loc)
        sep = "&" if "?" in loc else "?"
        self._req(
            "PUT",
            f"{loc}{sep}digest={digest}",
            data=data,
            headers={"Content-Type": "application/octet-stream"},
        )
        return digest

    def push_manifest(self, repo: str, ref: str, manifest: Mapping[str, Any]) -> tuple[str, bytes]:
        body = canon(manifest)
        self._req(
            "PUT",
            f"/v2/{repo}/manifests/{ref}",
            data=body,
            headers={"Content-Type": str(manifest["mediaType"])},
        )
        return sha256(body), body

    def get_index(self, repo: str, tag: str) -> dict[str, Any] | None:
        response = self._send("GET", f"/v2/{repo}/manifests/{tag}", headers={"Accept": OCI_INDEX})
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise PushError(f"GET index {repo}:{tag}: {response.status_code}")
        data: dict[str, Any] = response.json()
        return data


def make_layer(files: Mapping[str, bytes | tuple[bytes, int]]) -> tuple[bytes, str]:
    """Deterministic tar.gz layer with explicit 0755 parent directories.

    A value is the content, or (content, mode) for executables."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs = sorted(
            {"/".join(n.split("/")[:i]) for n in files for i in range(1, n.count("/") + 1)}
        )
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, 0
            tar.addfile(info)
        for name, value in sorted(files.items()):
            content, mode = value if isinstance(value, tuple) else (value, 0o644)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(content), mode, 0
            tar.addfile(info, io.BytesIO(content))
    plain = raw.getvalue()
    return gzip.compress(plain, mtime=0), sha256(plain)


def push_image(
    pusher: Pusher,
    repo: str,
    tag: str,
    *,
    user: str = "10001",
    labels: Mapping[str, str] | None = None,
    env: Sequence[str] = ("PATH=/usr/bin:/bin",),
    files: Mapping[str, bytes | tuple[bytes, int]] | None = None,
    cmd: Sequence[str] = ("/app/run",),
) -> tuple[str, bytes]:
    """Push a one-layer image; returns (manifest digest, manifest bytes)."""
    layer, diff_id = make_layer(files or {"app/hello.txt": f"hello {repo}:{tag}\n".encode()})
    config = canon(
        {
            "architecture": "amd64",
            "os": "linux",
            "created": "2026-01-01T00:00:00Z",
            "config": {
                "User": user,
                "Env": list(env),
                "Cmd": list(cmd),
                "Labels": dict(labels or {}),
            },
            "rootfs": {"type": "layers", "diff_ids": [diff_id]},
        }
    )
    pusher.push_blob(repo, layer)
    pusher.push_blob(repo, config)
    return pusher.push_manifest(repo, tag, _image_manifest(config, [descriptor(OCI_LAYER, layer)]))


def push_index(
    pusher: Pusher, repo: str, tag: str, platforms: Mapping[str, tuple[str, bytes]]
) -> tuple[str, bytes]:
    """An OCI image index over already pushed manifests, keyed by ``os/arch``."""
    manifests = []
    for plat, (_, body) in sorted(platforms.items()):
        os_name, arch = plat.split("/", 1)
        manifests.append(
            descriptor(OCI_MANIFEST, body, platform={"os": os_name, "architecture": arch})
        )
    return pusher.push_manifest(
        repo, tag, {"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}
    )


def cosign_payload(image_digest: str, docker_reference: str) -> bytes:
    return canon(
        {
            "critical": {
                "identity": {"docker-reference": docker_reference},
                "image": {"docker-manifest-digest": image_digest},
                "type": "cosign container image signature",
            },
            "optional": None,
        }
    )


def _image_manifest(config: bytes, layers: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": descriptor(OCI_CONFIG, config),
        "layers": list(layers),
    }


def _push_cosign_tag(
    pusher: Pusher,
    repo: str,
    image_digest: str,
    suffix: str,
    config: bytes,
    layers: Sequence[Mapping[str, Any]],
) -> str:
    """Push ``config`` and the manifest at cosign's tag ``sha256-<hex>.<suffix>``."""
    pusher.push_blob(repo, config)
    tag = image_digest.replace(":", "-") + "." + suffix
    pusher.push_manifest(repo, tag, _image_manifest(config, layers))
    return tag


def _config_for(blob: bytes) -> bytes:
    return canon(
        {
            "architecture": "",
            "os": "",
            "config": {},
            "rootfs": {"type": "layers", "diff_ids": [sha256(blob)]},
        }
    )


def push_cosign_signature(
    pusher: Pusher,
    repo: str,
    image_digest: str,
    private_key: ec.EllipticCurvePrivateKey,
    docker_reference: str,
    payload: bytes | None = None,
) -> str:
    """cosign's tag scheme ``sha256-<hex>.sig``: simplesigning payload + ECDSA P-256."""
    payload = payload or cosign_payload(image_digest, docker_reference)
    sig = base64.b64encode(private_key.sign(payload, ec.ECDSA(hashes.SHA256()))).decode()
    pusher.push_blob(repo, payload)
    layer = descriptor(COSIGN_SIMPLESIGNING, payload, annotations={COSIGN_SIG_ANNOTATION: sig})
    return _push_cosign_tag(pusher, repo, image_digest, "sig", _config_for(payload), [layer])


def pae(payload_type: str, body: bytes) -> bytes:
    pt = payload_type.encode()
    return b"DSSEv1 %d %s %d %s" % (len(pt), pt, len(body), body)


def dsse_sign(statement: Mapping[str, Any], private_key: ec.EllipticCurvePrivateKey) -> bytes:
    body = canon(statement)
    sig = private_key.sign(pae(IN_TOTO, body), ec.ECDSA(hashes.SHA256()))
    return canon(
        {
            "payloadType": IN_TOTO,
            "payload": base64.b64encode(body).decode(),
            "signatures": [{"keyid": "", "sig": base64.b64encode(sig).decode()}],
        }
    )


def push_cosign_attestations(
    pusher: Pusher, repo: str, image_digest: str, envelopes: Sequence[tuple[str, bytes]]
) -> str:
    """cosign attest (tag scheme): ``sha256-<hex>.att``, one DSSE layer per attestation."""
    layers = []
    for predicate_type, envelope in envelopes:
        pusher.push_blob(repo, envelope)
        layers.append(
            descriptor(
                DSSE,
                envelope,
                annotations={COSIGN_SIG_ANNOTATION: "", "predicateType": predicate_type},
            )
        )
    config = _config_for(b"".join(e for _, e in envelopes))
    return _push_cosign_tag(pusher, repo, image_digest, "att", config, layers)


def push_cosign_sbom(pusher: Pusher, repo: str, image_digest: str, sbom: bytes) -> str:
    """cosign attach sbom (tag scheme): ``sha256-<hex>.sbom`` with one CycloneDX layer."""
    pusher.push_blob(repo, sbom)
    layer = descriptor(CYCLONEDX, sbom)
    return _push_cosign_tag(pusher, repo, image_digest, "sbom", _config_for(sbom), [layer])


def sbom_statement(image_name: str, image_digest: str, sbom: Mapping[str, Any]) -> dict[str, Any]:
    """cosign attest --type cyclonedx: an in-toto statement whose predicate is the SBOM."""
    return _statement("v1", image_name, image_digest, "https://cyclonedx.org/bom", dict(sbom))


def _statement(
    version: str, image_name: str, image_digest: str, predicate_type: str, predicate: Any
) -> dict[str, Any]:
    """An in-toto statement (``Statement/<version>``) about one image."""
    return {
        "_type": f"https://in-toto.io/Statement/{version}",
        "subject": [
            {"name": image_name, "digest": {"sha256": image_digest.removeprefix("sha256:")}}
        ],
        "predicateType": predicate_type,
        "predicate": predicate,
    }


def push_referrer(
    pusher: Pusher,
    repo: str,
    subject: tuple[str, bytes],
    artifact_type: str,
    blob: bytes,
    annotations: Mapping[str, str] | None = None,
) -> str:
    """OCI 1.1 referrer (``subject`` + ``artifactType``) plus the tag-schema fallback index."""
    subj_digest, subj_body = subject
    empty = b"{}"
    pusher.push_blob(repo, empty)
    pusher.push_blob(repo, blob)
    notes = dict(annotations or {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"})
    manifest = {
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "artifactType": artifact_type,
        "config": descriptor(OCI_EMPTY, empty),
        "layers": [descriptor(artifact_type, blob)],
        "subject": descriptor(OCI_MANIFEST, subj_body),
        "annotations": notes,
    }
    ref_digest, ref_body = pusher.push_manifest(repo, sha256(canon(manifest)), manifest)
    tag = subj_digest.replace(":", "-")
    index = pusher.get_index(repo, tag) or {
        "schemaVersion": 2,
        "mediaType": OCI_INDEX,
        "manifests": [],
    }
    index["manifests"] = [m for m in index["manifests"] if m["digest"] != ref_digest] + [
        descriptor(OCI_MANIFEST, ref_body, artifactType=artifact_type, annotations=notes)
    ]
    pusher.push_manifest(repo, tag, index)
    return ref_digest


def slsa_v1_statement(
    image_name: str,
    image_digest: str,
    *,
    builder_id: str,
    repository: str,
    ref: str,
    build_type: str = "https://actions.github.io/buildtypes/workflow/v1",
) -> dict[str, Any]:
    return _statement(
        "v1",
        image_name,
        image_digest,
        "https://slsa.dev/provenance/v1",
        {
            "buildDefinition": {
                "buildType": build_type,
                "externalParameters": {
                    "workflow": {
                        "ref": ref,
                        "repository": repository,
                        "path": ".github/workflows/release.yml",
                    }
                },
                "resolvedDependencies": [
                    {"uri": f"git+{repository}@{ref}", "digest": {"gitCommit": "0" * 40}}
                ],
            },
            "runDetails": {"builder": {"id": builder_id}, "metadata": {"invocationId": "run-1"}},
        },
    )


def slsa_v02_statement(
    image_name: str,
    image_digest: str,
    *,
    builder_id: str,
    repository: str,
    ref: str,
    build_type: str = "https://github.com/slsa-framework/slsa-github-generator/container@v1",
) -> dict[str, Any]:
    return _statement(
        "v0.1",
        image_name,
        image_digest,
        "https://slsa.dev/provenance/v0.2",
        {
            "builder": {"id": builder_id},
            "buildType": build_type,
            "invocation": {
                "configSource": {"uri": f"git+{repository}@{ref}", "entryPoint": "release"}
            },
            "materials": [{"uri": f"git+{repository}@{ref}", "digest": {"sha1": "0" * 40}}],
        },
    )
