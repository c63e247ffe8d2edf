"""The release commit's pipeline and jobs, from the GitLab REST API (v4).

``GET /projects/:id/pipelines?sha=`` (the newest pipeline for the commit) and
``GET /projects/:id/pipelines/:pipeline_id/jobs`` (every page; retried jobs are left
out by GitLab, so each job's latest try is judged). Only GET; the token is a bearer
header.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from readiness.errors import SourceError
from readiness.profile.ci import CiTarget
from readiness.rules.ci import ApprovalGate, CiCommit, CiResult
from readiness.sources.api import ApiClient
from readiness.sources.ci_github import optional_json


def _list(client: ApiClient, target: CiTarget, path: str, **params: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in range(1, target.max_pages + 1):
        batch = client.get_json(path, {**params, "per_page": target.per_page, "page": page})
        if not isinstance(batch, list):
            raise SourceError(target.name, f"{path} answered {type(batch).__name__}, not a list")
        items += [i for i in batch if isinstance(i, dict)]
        if len(batch) < target.per_page:
            return items
    raise SourceError(
        target.name,
        f"{path} has more than {target.max_pages} pages of {target.per_page}; "
        "raise targets.ci[].max_pages to read them all",
    )


def _job(job: dict[str, Any]) -> CiResult:
    state = str(job.get("status", ""))
    detail = str(job.get("failure_reason") or "")
    if job.get("allow_failure") and state == "failed":
        detail = ", ".join(d for d in ("allowed to fail", detail) if d)
    return CiResult(
        str(job.get("name", "")),
        "job",
        state,
        str(job.get("web_url") or ""),
        detail,
        str(job["id"]) if isinstance(job.get("id"), int) else "",
    )


def read_commit(target: CiTarget) -> CiCommit:
    client = ApiClient(target.name, target)
    project = f"api/v4/projects/{quote(target.project, safe='')}"
    pipelines = _list(client, target, f"{project}/pipelines", sha=target.sha)
    mine = [p for p in pipelines if p.get("sha") == target.sha and isinstance(p.get("id"), int)]
    if not mine:
        return CiCommit(target.name, target.sha, (), f"gitlab project {target.project}")
    newest = max(mine, key=lambda p: int(p["id"]))
    jobs = _list(client, target, f"{project}/pipelines/{newest['id']}/jobs")
    pipeline = CiResult(
        f"pipeline {newest['id']}",
        "pipeline",
        str(newest.get("status", "")),
        str(newest.get("web_url") or ""),
    )
    results = (pipeline, *(_job(j) for j in jobs))
    where = f"pipeline {newest['id']} of gitlab project {target.project}"
    return CiCommit(target.name, target.sha, results, where)


def read_approval(target: CiTarget) -> ApprovalGate:
    """``GET /projects/:id/protected_environments/:name``: its approval rules."""
    project = f"api/v4/projects/{quote(target.project, safe='')}"
    name = quote(target.environment, safe="")
    env = optional_json(target, f"{project}/protected_environments/{name}")
    where = f"gitlab project {target.project}"
    if env is None:
        return ApprovalGate(target.name, target.environment, where, False, 0)
    rules = [r for r in env.get("approval_rules") or [] if isinstance(r, dict)]
    count = int(env.get("required_approval_count") or 0)
    count += sum(int(r.get("required_approvals") or 0) for r in rules)
    approvers = tuple(str(r.get("access_level_description") or "") for r in rules)
    kinds = ["deploy access levels"] if env.get("deploy_access_levels") else []
    kinds += [f"approval rule {a}" for a in approvers]
    if env.get("required_approval_count"):
        kinds.append(f"{env['required_approval_count']} required approvals")
    return ApprovalGate(
        target.name, target.environment, where, True, count, approvers, tuple(kinds)
    )
