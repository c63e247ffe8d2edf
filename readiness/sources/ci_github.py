"""The release commit's check runs and commit statuses, from the GitHub REST API.

``GET /repos/{owner}/{repo}/commits/{sha}/check-runs`` (the latest run per name, every
page) and ``GET /repos/{owner}/{repo}/commits/{sha}/status`` (the combined status: the
latest status per context, every page). Only GET; the token is a bearer header.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

from readiness.errors import SourceError
from readiness.profile.ci import CiTarget
from readiness.redact import safe_url
from readiness.rules.ci import ApprovalGate, CiCommit, CiResult
from readiness.sources.api import ApiClient, parse_json

ACCEPT = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}


def _check_state(run: dict[str, Any]) -> str:
    if run.get("status") != "completed":
        return "pending" if run.get("status") in (None, "") else str(run["status"])
    return str(run.get("conclusion") or "no conclusion")


def _pages(client: ApiClient, target: CiTarget, path: str, key: str) -> list[dict[str, Any]]:
    """Every item of a paginated list answer (``{total_count, <key>: [...]}``)."""
    items: list[dict[str, Any]] = []
    for page in range(1, target.max_pages + 1):
        body = client.get_json(path, {"per_page": target.per_page, "page": page})
        batch = body.get(key) if isinstance(body, dict) else None
        if not isinstance(batch, list):
            raise SourceError(target.name, f"{path} answered without a {key!r} list")
        items += [i for i in batch if isinstance(i, dict)]
        total = body.get("total_count")
        done = isinstance(total, int) and len(items) >= total
        if done or len(batch) < target.per_page:
            return items
    raise SourceError(
        target.name,
        f"{path} has more than {target.max_pages} pages of {target.per_page}; "
        "raise targets.ci[].max_pages to read them all",
    )


def optional_json(
    target: CiTarget, path: str, headers: Mapping[str, str] | None = None
) -> dict[str, Any] | None:
    """A JSON object, or None when the API answers 404 (not configured); other errors
    as :meth:`ApiClient.get_json` raises them."""
    client = ApiClient(target.name, target)
    client.session.headers.update(headers or {})
    response = client.get(path)
    if response.status_code == 404:
        return None
    if response.status_code >= 400:
        return dict(client.get_json(path))  # raises, naming the status
    body = parse_json(client.name, safe_url(client.url(path)), response)
    if not isinstance(body, dict):
        raise SourceError(client.name, f"{safe_url(client.url(path))} answered no object")
    return body


def read_commit(target: CiTarget) -> CiCommit:
    client = ApiClient(target.name, target)
    client.session.headers.update(ACCEPT)
    base = f"repos/{target.repository}/commits/{target.sha}"
    runs = _pages(client, target, f"{base}/check-runs", "check_runs")
    statuses = _pages(client, target, f"{base}/status", "statuses")
    results = [
        CiResult(
            str(r.get("name", "")),
            "check run",
            _check_state(r),
            str(r.get("html_url") or ""),
        )
        for r in runs
    ]
    results += [
        CiResult(
            str(s.get("context", "")),
            "status",
            str(s.get("state", "")),
            str(s.get("target_url") or ""),
            str(s.get("description") or ""),
        )
        for s in statuses
    ]
    return CiCommit(target.name, target.sha, tuple(results), f"github {target.repository}")


def read_approval(target: CiTarget) -> ApprovalGate:
    """``GET /repos/{owner}/{repo}/environments/{name}``: its required reviewers."""
    name = quote(target.environment, safe="")
    env = optional_json(target, f"repos/{target.repository}/environments/{name}", ACCEPT)
    where = f"github {target.repository}"
    if env is None:
        return ApprovalGate(target.name, target.environment, where, False, 0)
    rules = [r for r in env.get("protection_rules") or [] if isinstance(r, dict)]
    reviewers = tuple(
        str((r.get("reviewer") or {}).get("login") or (r.get("reviewer") or {}).get("slug") or "")
        for rule in rules
        if rule.get("type") == "required_reviewers"
        for r in rule.get("reviewers") or []
        if isinstance(r, dict)
    )
    return ApprovalGate(
        target.name,
        target.environment,
        where,
        True,
        1 if reviewers else 0,  # GitHub: one of the reviewers approves
        reviewers,
        tuple(str(r.get("type", "")) for r in rules),
    )
