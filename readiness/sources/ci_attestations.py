"""Build attestations of a released digest, from the GitHub and GitLab REST APIs.

* GitHub: ``GET /repos/{owner}/{repo}/attestations/sha256:{hex}`` answers the Sigstore
  bundles stored for the digest; each bundle's DSSE payload is an in-toto statement whose
  SLSA provenance names the source repository, commit, workflow file and run.
* GitLab: ``GET /api/v4/projects/:id/attestations/{hex}`` (GitLab 18.5+, Ultimate, the
  ``slsa_provenance_statement`` flag) lists the provenance attestations of the digest,
  each naming the CI job (``build_id``) that produced it.

Only GET. The answers are the CI system's own record, read over verified TLS with the
target's token; verifying a bundle's signature is the supply_chain family's
(SC-PROVENANCE with the bundle as a file).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from readiness.profile.ci import CiTarget
from readiness.redact import safe_url
from readiness.rules.ci_artifacts import BuildClaim
from readiness.sources.api import ApiClient, parse_json
from readiness.sources.ci_github import ACCEPT, optional_json

IN_TOTO = "application/vnd.in-toto+json"


@dataclass(frozen=True, slots=True)
class Attested:
    """The attestations found for one digest, and a note when the API had none to give."""

    claims: tuple[BuildClaim, ...]
    note: str = ""


def _dig(data: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _statement(bundle: Any) -> tuple[dict[str, Any] | None, str]:
    """The in-toto statement of a Sigstore bundle's DSSE envelope, or why not."""
    envelope = _dig(bundle, "dsseEnvelope")
    if not isinstance(envelope, dict):
        return None, "no DSSE envelope in the bundle"
    if envelope.get("payloadType") != IN_TOTO:
        return None, f"payload type {envelope.get('payloadType')!r} is not in-toto"
    try:
        statement = json.loads(base64.b64decode(str(envelope.get("payload", "")), validate=True))
    except (binascii.Error, ValueError):
        return None, "the DSSE payload is not base64 JSON"
    if not isinstance(statement, dict):
        return None, "the DSSE payload is not an in-toto statement"
    return statement, ""


def _subjects(statement: dict[str, Any]) -> tuple[str, ...]:
    found = []
    for subject in statement.get("subject") or []:
        value = _dig(subject, "digest", "sha256")
        if isinstance(value, str):
            found.append(f"sha256:{value.lower()}")
    return tuple(found)


def _slsa_v1(predicate: dict[str, Any], source: str, kind: str, subjects: Any) -> BuildClaim:
    workflow = _dig(predicate, "buildDefinition", "externalParameters", "workflow")
    repository = _text(_dig(workflow, "repository"))
    commit = None
    deps = _dig(predicate, "buildDefinition", "resolvedDependencies")
    for dep in deps if isinstance(deps, list) else []:
        sha = _text(_dig(dep, "digest", "gitCommit")) or _text(_dig(dep, "digest", "sha1"))
        uri = _text(_dig(dep, "uri")) or ""
        if sha and (commit is None or (repository and repository in uri)):
            commit = sha
    return BuildClaim(
        source,
        kind,
        subjects,
        repository=repository,
        commit=commit,
        workflow=_text(_dig(workflow, "path")),
        ref=_text(_dig(workflow, "ref")),
        run=_text(_dig(predicate, "runDetails", "metadata", "invocationId")),
    )


def _slsa_v02(predicate: dict[str, Any], source: str, kind: str, subjects: Any) -> BuildClaim:
    config = _dig(predicate, "invocation", "configSource")
    uri = _text(_dig(config, "uri")) or ""
    repository, _, ref = uri.removeprefix("git+").partition("@")
    return BuildClaim(
        source,
        kind,
        subjects,
        repository=repository or None,
        commit=_text(_dig(config, "digest", "sha1")),
        workflow=_text(_dig(config, "entryPoint")),
        ref=ref or None,
        run=_text(_dig(predicate, "metadata", "buildInvocationId")),
    )


def claim_of_bundle(bundle: Any, source: str) -> BuildClaim:
    """What one Sigstore bundle's SLSA provenance states about the build."""
    statement, problem = _statement(bundle)
    if statement is None:
        return BuildClaim(source, f"unreadable ({problem})")
    kind = str(statement.get("predicateType") or "")
    predicate = statement.get("predicate")
    subjects = _subjects(statement)
    if not isinstance(predicate, dict):
        return BuildClaim(source, kind, subjects)
    if "buildDefinition" in predicate:
        return _slsa_v1(predicate, source, kind, subjects)
    return _slsa_v02(predicate, source, kind, subjects)


def read_github(target: CiTarget, digest: str) -> Attested:
    """The attestations GitHub stores for ``digest`` in the target's repository (its
    first page of 30, newest first; a 404 means none)."""
    path = f"repos/{target.repository}/attestations/{quote(digest, safe=':')}"
    body = optional_json(target, path, ACCEPT)
    if body is None:
        return Attested((), "the API answered 404: no attestation for the digest")
    items = body.get("attestations")
    claims = []
    for n, item in enumerate(items if isinstance(items, list) else [], start=1):
        source = f"github attestation {n} of {target.repository}"
        bundle = _dig(item, "bundle")
        if not isinstance(bundle, dict):
            claims.append(BuildClaim(source, "unreadable (no bundle in the answer)"))
            continue
        claims.append(claim_of_bundle(bundle, source))
    return Attested(tuple(claims))


def read_gitlab(target: CiTarget, digest: str) -> Attested:
    """GitLab's provenance attestations of ``digest`` in the target's project; a 404
    (no attestations API, or none) is said in the note."""
    project = f"api/v4/projects/{quote(target.project, safe='')}"
    hexdigest = digest.removeprefix("sha256:")
    path = f"{project}/attestations/{hexdigest}"
    client = ApiClient(target.name, target)
    response = client.get(path)
    if response.status_code == 404:
        return Attested(
            (),
            "the API answered 404: the attestations API needs GitLab 18.5 or later, "
            "Ultimate, and the slsa_provenance_statement feature flag",
        )
    if response.status_code >= 400:
        client.get_json(path)  # raises, naming the status
    items = parse_json(client.name, safe_url(client.url(path)), response)
    claims = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        subject = _text(item.get("subject_digest"))
        job = item.get("build_id")
        claims.append(
            BuildClaim(
                f"gitlab attestation {item.get('iid', '?')} of project {target.project}",
                str(item.get("predicate_type") or ""),
                (f"sha256:{subject.lower()}",) if subject else (),
                job=str(job) if isinstance(job, int) else None,
                status=str(item.get("status") or ""),
            )
        )
    return Attested(tuple(claims))
