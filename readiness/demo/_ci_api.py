"""Replays recorded GitHub and GitLab API answers over real HTTP(S) on loopback.

No GitHub or GitLab can run on these machines, so the demo and the tests point the ci
family's own client at this server. It answers the reads the client makes, cut into
pages as the real APIs cut them (``per_page``/``page``; GitHub's ``total_count``,
GitLab's ``X-Page``/``X-Next-Page``/``X-Total`` headers):

* GitHub: ``/repos/{o}/{r}/commits/{sha}/check-runs`` and ``.../status``;
* GitLab: ``/api/v4/projects/{id}/pipelines?sha=`` and ``.../pipelines/{id}/jobs``;
* deployment approvals: GitHub ``/repos/{o}/{r}/environments/{name}``, GitLab
  ``/api/v4/projects/{id}/protected_environments/{name}`` (404 for one not recorded);
* build attestations of a digest: GitHub ``/repos/{o}/{r}/attestations/sha256:{hex}``
  (the recorded bundles whose statement names the digest; 404 for none), GitLab
  ``/api/v4/projects/{id}/attestations/{hex}`` (those with that ``subject_digest``).

A wrong or missing bearer token gets each API's own 401 answer; anything but GET a 405.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from readiness.demo._replay import ReplayServer

#: The recordings (upstream answers, see ``ci_demo/SOURCES.md``).
RECORDINGS = Path(__file__).with_name("ci_demo")
_GH = re.compile(r"^/repos/[^/]+/[^/]+/commits/(?P<sha>[^/]+)/(?P<what>check-runs|status)$")
_GH_ENV = re.compile(r"^/repos/[^/]+/[^/]+/environments/(?P<name>[^/]+)$")
_GL_ENV = re.compile(r"^/api/v4/projects/[^/]+/protected_environments/(?P<name>[^/]+)$")
_GH_ATTESTATIONS = re.compile(r"^/repos/[^/]+/[^/]+/attestations/(?P<digest>sha256:[0-9a-f]{64})$")
_GL_ATTESTATIONS = re.compile(r"^/api/v4/projects/[^/]+/attestations/(?P<hex>[0-9a-f]{64})$")
_GL_PIPELINES = re.compile(r"^/api/v4/projects/[^/]+/pipelines$")
_GL_JOBS = re.compile(r"^/api/v4/projects/[^/]+/pipelines/(?P<id>\d+)/jobs$")
_GH_401 = {
    "message": "Bad credentials",
    "documentation_url": "https://docs.github.com/rest",
    "status": "401",
}
_GL_401 = {"message": "401 Unauthorized"}


@dataclass
class CiRecording:
    """The answers one recorded repository (GitHub) and project (GitLab) give."""

    check_runs: list[dict[str, Any]] = field(default_factory=list)
    combined_status: dict[str, Any] = field(default_factory=dict)
    pipelines: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    environments: dict[str, dict[str, Any]] = field(default_factory=dict)  # GitHub
    protected_environments: dict[str, dict[str, Any]] = field(default_factory=dict)  # GitLab
    attestations: list[dict[str, Any]] = field(default_factory=list)  # GitHub, with bundles
    gitlab_attestations: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def load(cls, directory: Path = RECORDINGS) -> CiRecording:
        def read(name: str) -> Any:
            return json.loads((directory / name).read_text(encoding="utf-8"))

        jobs: list[dict[str, Any]] = read("gitlab-pipeline-jobs.json")
        pipelines: list[dict[str, Any]] = read("gitlab-pipelines.json")
        known = {p["id"] for p in pipelines}
        for job in jobs:  # the jobs' own pipeline, as the jobs answer gives it
            if job["pipeline"]["id"] not in known:
                pipelines.append(dict(job["pipeline"]))
                known.add(job["pipeline"]["id"])
        return cls(
            check_runs=read("github-check-runs.json")["check_runs"],
            combined_status=read("github-combined-status.json"),
            pipelines=pipelines,
            jobs=jobs,
            # served under the names asked for: with reviewers / approval rules, without
            environments={
                "production": read("github-environments.json")["environments"][0],
                "canary": read("github-environment.json"),
            },
            protected_environments={
                "production": read("gitlab-protected-environment-approvals.json"),
                "canary": read("gitlab-protected-environment.json"),
            },
            attestations=read("github-attestations.json")["attestations"],
            gitlab_attestations=read("gitlab-attestations.json"),
        )


def _subjects(attestation: dict[str, Any]) -> set[str]:
    """The ``sha256:HEX`` subjects of a GitHub attestation's DSSE statement."""
    payload = attestation.get("bundle", {}).get("dsseEnvelope", {}).get("payload", "")
    statement = json.loads(base64.b64decode(payload))
    return {f"sha256:{s['digest']['sha256']}" for s in statement.get("subject", [])}


def _page(items: list[Any], query: dict[str, str]) -> tuple[list[Any], int, int]:
    per_page = max(1, min(int(query.get("per_page") or 30), 100))
    page = max(1, int(query.get("page") or 1))
    start = (page - 1) * per_page
    return items[start : start + per_page], page, per_page


_JSON = {"Content-Type": "application/json; charset=utf-8"}


class RecordedCiServer(ReplayServer):
    thread_name = "ci-replay"

    def __init__(
        self,
        recording: CiRecording,
        port: int = 0,
        token: str | None = None,
        cert: tuple[Path, Path] | None = None,
    ):
        super().__init__(port, token, cert)
        self.recording = recording

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, bytes, Mapping[str, str]]:
        code, body, headers = self.respond(path, query)
        return code, json.dumps(body).encode(), {**_JSON, **headers}

    def unauthorized(self, path: str) -> tuple[int, bytes, Mapping[str, str]]:
        body = _GL_401 if path.startswith("/api/v4/") else _GH_401
        return 401, json.dumps(body).encode(), _JSON

    def refused(self) -> tuple[int, bytes, Mapping[str, str]]:
        return 405, json.dumps({"message": "this replay server only reads"}).encode(), _JSON

    def respond(self, path: str, query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        rec = self.recording
        github = _GH.match(path)
        if github and github["what"] == "check-runs":
            runs, _, _ = _page(rec.check_runs, query)
            return 200, {"total_count": len(rec.check_runs), "check_runs": runs}, {}
        if github:
            statuses = rec.combined_status.get("statuses", [])
            page, _, _ = _page(statuses, query)
            return 200, {**rec.combined_status, "statuses": page}, {}
        env = _GH_ENV.match(path) or _GL_ENV.match(path)
        if env:
            gitlab = path.startswith("/api/")
            table = rec.protected_environments if gitlab else rec.environments
            if env["name"] not in table:
                return 404, {"message": "404 Not found" if gitlab else "Not Found"}, {}
            return 200, table[env["name"]], {}
        attested = _GH_ATTESTATIONS.match(path)
        if attested:
            found = [a for a in rec.attestations if attested["digest"] in _subjects(a)]
            if not found:
                return 404, {"message": "Not Found", "status": "404"}, {}
            return 200, {"attestations": found}, {}
        attested = _GL_ATTESTATIONS.match(path)
        if attested:
            return (
                200,
                [a for a in rec.gitlab_attestations if a.get("subject_digest") == attested["hex"]],
                {},
            )
        if _GL_PIPELINES.match(path):
            sha = query.get("sha")
            found = [p for p in rec.pipelines if sha is None or p.get("sha") == sha]
            found.sort(key=lambda p: -int(p["id"]))  # GitLab: newest first by default
            return self._gitlab_page(found, query)
        jobs = _GL_JOBS.match(path)
        if jobs:
            wanted = int(jobs["id"])
            if not any(p["id"] == wanted for p in rec.pipelines):
                return 404, {"message": "404 Not found"}, {}
            found = [j for j in rec.jobs if j["pipeline"]["id"] == wanted]
            return self._gitlab_page(found, query)
        return 404, {"message": "Not Found"}, {}

    @staticmethod
    def _gitlab_page(items: list[Any], query: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        page_items, page, per_page = _page(items, query)
        more = page * per_page < len(items)
        headers = {
            "X-Page": str(page),
            "X-Per-Page": str(per_page),
            "X-Total": str(len(items)),
            "X-Next-Page": str(page + 1) if more else "",
        }
        return 200, page_items, headers
