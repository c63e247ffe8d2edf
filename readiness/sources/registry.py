"""Read-only OCI Distribution API client: tags, manifests, config blobs, referrers.

Resolves tags to digests, reads OCI and Docker manifests and indexes (picking one
platform), config blobs (digest-checked), OCI 1.1 referrers with the ``sha256-<hex>``
tag-schema fallback, and cosign's ``.sig`` / ``.att`` / ``.sbom`` tags. Auth: basic
(preemptive), a static bearer token, or the token flow per ``WWW-Authenticate``
challenge. TLS against the profile's CA with ``verify=`` on every request.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import requests

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.sources.api import (
    auth_headers,
    basic_auth,
    new_session,
    recorded_response,
    send,
    short_error,
    verify_setting,
)
from readiness.sources.run import run_context

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
OCI_INDEX = "application/vnd.oci.image.index.v1+json"
DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json"
DOCKER_LIST = "application/vnd.docker.distribution.manifest.list.v2+json"
INDEX_TYPES = frozenset({OCI_INDEX, DOCKER_LIST})
MANIFEST_TYPES = frozenset({OCI_MANIFEST, DOCKER_MANIFEST})
ACCEPT = ", ".join((OCI_MANIFEST, OCI_INDEX, DOCKER_MANIFEST, DOCKER_LIST))

COSIGN_SIMPLESIGNING = "application/vnd.dev.cosign.simplesigning.v1+json"
COSIGN_SIGNATURE_ANNOTATION = "dev.cosignproject.cosign/signature"
COSIGN_CERTIFICATE_ANNOTATION = "dev.sigstore.cosign/certificate"
COSIGN_BUNDLE_ANNOTATION = "dev.sigstore.cosign/bundle"
DSSE_ENVELOPE = "application/vnd.dsse.envelope.v1+json"
CYCLONEDX_JSON = "application/vnd.cyclonedx+json"
SIGSTORE_BUNDLE_TYPES = frozenset(
    {
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle+json;version=0.3",
        "application/vnd.dev.sigstore.bundle+json;version=0.2",
    }
)
IN_TOTO_JSON = "application/vnd.in-toto+json"

MAX_MANIFEST = 4 * 1024 * 1024  # the largest manifest registries must accept (OCI)
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_CHALLENGE_PARAM = re.compile(r'(\w+)="([^"]*)"')


def sha256_digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class ImageRef:
    """``host[:port]/repository[:tag][@digest]`` split into its parts."""

    host: str
    repository: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, ref: str) -> ImageRef:
        host, _, rest = ref.partition("/")
        if not rest:
            raise ValueError(f"image reference {ref!r} has no repository")
        digest = None
        if "@" in rest:
            rest, digest = rest.split("@", 1)
            if not _DIGEST.match(digest):
                raise ValueError(f"image reference {ref!r} has a malformed digest {digest!r}")
        tag = None
        last = rest.rsplit("/", 1)[-1]
        if ":" in last:
            rest, tag = rest.rsplit(":", 1)
        return cls(host, rest, tag, digest)

    @property
    def reference(self) -> str:
        """What to ask the registry for: the digest when pinned, else the tag."""
        return self.digest or self.tag or "latest"

    def __str__(self) -> str:
        text = f"{self.host}/{self.repository}"
        if self.tag:
            text += f":{self.tag}"
        if self.digest:
            text += f"@{self.digest}"
        return text


@dataclass(frozen=True, slots=True)
class Manifest:
    digest: str
    media_type: str
    raw: bytes
    body: Mapping[str, Any]

    @property
    def is_index(self) -> bool:
        return self.media_type in INDEX_TYPES

    def descriptors(self, key: str) -> list[Mapping[str, Any]]:
        value = self.body.get(key) or []
        return [d for d in value if isinstance(d, Mapping)]


@dataclass(frozen=True, slots=True)
class Referrer:
    """One descriptor of the referrers list (API or fallback index)."""

    digest: str
    media_type: str
    artifact_type: str
    annotations: Mapping[str, str] = field(default_factory=dict)


class RegistryClient:
    """Read-only access to one registry. Thread-safe for concurrent reads."""

    def __init__(
        self,
        name: str,
        endpoint: Endpoint,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.name = name
        self.endpoint = endpoint
        self.base = endpoint.url.rstrip("/")
        self._sleep = sleep
        self._session = new_session()
        self._tokens: dict[str, str] = {}
        self._lock = threading.Lock()

    # -- transport ---------------------------------------------------------------------

    def _send(
        self, method: str, url: str, headers: Mapping[str, str], max_bytes: int | None = None
    ) -> requests.Response:
        return send(
            self.name,
            self.endpoint,
            self._session,
            method,
            url,
            sleep=self._sleep,
            headers=dict(headers),
            allow_redirects=True,
            max_bytes=max_bytes or run_context().limits.cap("registry"),
        )

    def _auth_header(self, scope: str) -> dict[str, str]:
        auth = self.endpoint.auth
        with self._lock:
            token = self._tokens.get(scope)
        if token:
            return {"Authorization": f"Bearer {token}"}
        static = auth_headers(auth)
        if static:
            return static
        creds = basic_auth(auth)
        if creds is not None:
            raw = f"{creds[0]}:{creds[1]}".encode()
            return {"Authorization": "Basic " + base64.b64encode(raw).decode()}
        return {}

    def _fetch_token(self, challenge: str, scope: str) -> str:
        params = dict(_CHALLENGE_PARAM.findall(challenge))
        realm = params.pop("realm", "")
        if not realm.startswith(("http://", "https://")):
            raise SourceError(self.name, f"bearer challenge without a usable realm: {challenge!r}")
        params.setdefault("scope", scope)
        try:
            response = self._session.get(
                realm,
                params=params,
                auth=basic_auth(self.endpoint.auth),
                timeout=self.endpoint.timeout,
                verify=verify_setting(self.endpoint),
            )
        except requests.exceptions.SSLError as exc:
            raise SourceError(
                self.name, f"TLS error talking to {realm}: {short_error(exc)}"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise SourceError(
                self.name, f"cannot reach token service {realm}: {short_error(exc)}"
            ) from None
        if response.status_code in (401, 403):
            raise SourceError(
                self.name,
                f"token service {realm} refused our credentials (HTTP {response.status_code}); "
                "check the auth settings of this registry in the profile",
            )
        if response.status_code >= 400:
            raise SourceError(
                self.name, f"token service {realm} answered HTTP {response.status_code}"
            )
        try:
            data = response.json()
            token = data.get("token") or data.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise SourceError(self.name, f"token service {realm} returned no token")
        return token

    def get(
        self, path: str, repository: str, accept: str = "", max_bytes: int | None = None
    ) -> requests.Response:
        """GET ``path`` with auth (body capped); follows one bearer challenge per scope."""
        key = ("registry GET", f"{self.base}{path}", accept)
        return recorded_response(
            self.name, key, lambda: self._get(path, repository, accept, max_bytes)
        )

    def _get(
        self, path: str, repository: str, accept: str, max_bytes: int | None
    ) -> requests.Response:
        url = f"{self.base}{path}"
        scope = f"repository:{repository}:pull"
        headers = {"Accept": accept} if accept else {}
        response = self._send("GET", url, {**headers, **self._auth_header(scope)}, max_bytes)
        challenge = response.headers.get("WWW-Authenticate", "")
        if response.status_code == 401 and challenge.lower().startswith("bearer "):
            token = self._fetch_token(challenge, scope)
            with self._lock:
                self._tokens[scope] = token
            bearer = {**headers, "Authorization": f"Bearer {token}"}
            response = self._send("GET", url, bearer, max_bytes)
        if response.status_code in (401, 403):
            raise SourceError(
                self.name,
                f"{url} refused our credentials (HTTP {response.status_code}); "
                "check the auth settings of this registry in the profile",
            )
        return response

    # -- API ---------------------------------------------------------------------------

    def ping(self) -> None:
        response = self.get("/v2/", "")
        if response.status_code != 200:
            raise SourceError(self.name, f"{self.base}/v2/ answered HTTP {response.status_code}")

    def manifest(self, repository: str, reference: str) -> Manifest | None:
        """The manifest or index at a tag or digest; None when the registry has none."""
        cap = min(MAX_MANIFEST, run_context().limits.cap("registry"))
        response = self.get(f"/v2/{repository}/manifests/{reference}", repository, ACCEPT, cap)
        if response.status_code == 404:
            return None
        if response.status_code >= 400:
            raise SourceError(
                self.name,
                f"manifest {repository}:{reference}: HTTP {response.status_code} "
                f"{response.text[:200]}",
            )
        raw = response.content
        if len(raw) > cap:
            raise SourceError(
                self.name, f"manifest {repository}:{reference} is over the {cap} bytes cap"
            )
        digest = sha256_digest(raw)
        if reference.startswith("sha256:") and digest != reference:
            raise SourceError(
                self.name,
                f"manifest {repository}@{reference} has content digest {digest}: "
                "the registry served different bytes",
            )
        try:
            body = json.loads(raw)
        except ValueError:
            raise SourceError(self.name, f"manifest {repository}:{reference} is not JSON") from None
        if not isinstance(body, dict):
            raise SourceError(self.name, f"manifest {repository}:{reference} is not a JSON object")
        media_type = str(
            body.get("mediaType") or response.headers.get("Content-Type", "").split(";")[0]
        )
        return Manifest(digest, media_type, raw, body)

    def blob(self, repository: str, digest: str, max_size: int | None = None) -> bytes:
        """A blob checked against its digest; at most ``max_size`` bytes (default: the
        profile's registry cap, ``limits.max_body_mb.registry``)."""
        max_size = max_size or run_context().limits.cap("registry")
        if not _DIGEST.match(digest):
            raise SourceError(self.name, f"unsupported blob digest {digest!r}")
        response = self.get(f"/v2/{repository}/blobs/{digest}", repository, max_bytes=max_size)
        if response.status_code >= 400:
            raise SourceError(self.name, f"blob {repository}@{digest}: HTTP {response.status_code}")
        data = response.content
        if len(data) > max_size:
            raise SourceError(self.name, f"blob {repository}@{digest} exceeds {max_size} bytes")
        if sha256_digest(data) != digest:
            raise SourceError(
                self.name, f"blob {repository}@{digest} does not match its digest (corrupt)"
            )
        return data

    def referrers(self, repository: str, digest: str) -> tuple[list[Referrer], str]:
        """Referrers of ``digest``: the referrers API, else the ``sha256-<hex>`` tag index.

        Returns the referrers and which path answered (``api``, ``tag-schema`` or ``none``).
        """
        response = self.get(f"/v2/{repository}/referrers/{digest}", repository, OCI_INDEX)
        body: Any = None
        how = "none"
        if response.status_code == 200 and "json" in response.headers.get("Content-Type", ""):
            try:
                body = response.json()
                how = "api"
            except ValueError:
                body = None
        if body is None:
            index = self.manifest(repository, digest.replace(":", "-"))
            if index is not None and index.is_index:
                body = index.body
                how = "tag-schema"
        if not isinstance(body, dict):
            return [], how
        found = []
        for entry in body.get("manifests") or []:
            if not isinstance(entry, dict) or not _DIGEST.match(str(entry.get("digest", ""))):
                continue
            found.append(
                Referrer(
                    digest=entry["digest"],
                    media_type=str(entry.get("mediaType", "")),
                    artifact_type=str(entry.get("artifactType", "")),
                    annotations={
                        str(k): str(v) for k, v in (entry.get("annotations") or {}).items()
                    },
                )
            )
        return found, how

    def cosign_tag(self, repository: str, digest: str, suffix: str) -> Manifest | None:
        """cosign's legacy ``sha256-<hex>.<suffix>`` tag (sig, att, sbom)."""
        return self.manifest(repository, f"{digest.replace(':', '-')}.{suffix}")


def pick_platform(index: Manifest, platform: str) -> Mapping[str, Any] | None:
    """The index entry for ``os/arch[/variant]``, skipping attestation entries."""
    wanted = platform.split("/")
    for entry in index.descriptors("manifests"):
        plat = entry.get("platform") or {}
        have = [str(plat.get("os", "")), str(plat.get("architecture", ""))]
        if len(wanted) > 2:
            have.append(str(plat.get("variant", "")))
        if have == wanted[: len(have)] and len(have) == len(wanted):
            return entry
    return None
