"""Release artifacts that are not images: their SHA-256, read from a file or over HTTPS.

A local file is hashed in chunks; a URL is fetched read-only (GET) through the project's
request helper, with the artifact's ``timeout`` as its total deadline and ``max_bytes``
as its size cap. Errors name the artifact by its location without any
query string (which may carry a signed-URL token).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from readiness.errors import SourceError
from readiness.profile.common import Endpoint
from readiness.profile.supply_chain import Artifact
from readiness.sources.api import new_session, send

CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class ArtifactFile:
    digest: str
    """``sha256:<hex>``"""
    size: int


def _too_big(artifact: Artifact) -> SourceError:
    return SourceError(
        artifact.location,
        f"artifact larger than max_bytes ({artifact.max_bytes} bytes); raise "
        "targets.artifacts[].max_bytes if this size is expected",
    )


def _hash_file(artifact: Artifact, path: Path) -> ArtifactFile:
    try:
        size = path.stat().st_size
        if size > artifact.max_bytes:
            raise _too_big(artifact)
        sha = hashlib.sha256()
        with path.open("rb") as handle:
            while chunk := handle.read(CHUNK):
                sha.update(chunk)
    except OSError as exc:
        raise SourceError(
            artifact.location, f"cannot read artifact: {exc.strerror or exc}"
        ) from None
    return ArtifactFile("sha256:" + sha.hexdigest(), size)


def _hash_url(artifact: Artifact, url: str) -> ArtifactFile:
    endpoint = Endpoint(
        url=url,
        ca_file=artifact.ca_file,
        timeout=artifact.timeout,
        deadline=artifact.timeout,
        retries=1,
    )
    with new_session(pool_maxsize=1) as session:
        response = send(
            artifact.location, endpoint, session, "GET", url, max_bytes=artifact.max_bytes
        )
    if response.status_code != 200:
        raise SourceError(
            artifact.location, f"artifact download answered HTTP {response.status_code}"
        )
    body = response.content
    return ArtifactFile("sha256:" + hashlib.sha256(body).hexdigest(), len(body))


def read_artifact(artifact: Artifact) -> ArtifactFile:
    """The SHA-256 and size of ``artifact``; SourceError naming it otherwise."""
    if artifact.path is not None:
        return _hash_file(artifact, Path(artifact.path))
    assert artifact.url is not None  # the profile model requires one of path and url
    return _hash_url(artifact, artifact.url)
