"""Who ran what, where and when: the run identity written into every report."""

from __future__ import annotations

import getpass
import socket
import subprocess
import uuid
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class RunIdentity:
    id: str
    commit: str
    ci: str
    job_url: str
    user: str
    host: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def detect_ci(env: Mapping[str, str]) -> tuple[str, str]:
    """The CI system and the job's URL, from the variables each system sets."""
    if env.get("GITHUB_ACTIONS") == "true":
        url = ""
        if env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
            server = env.get("GITHUB_SERVER_URL", "https://github.com")
            url = f"{server}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        return "github-actions", url
    if env.get("GITLAB_CI"):
        return "gitlab-ci", env.get("CI_JOB_URL", "")
    if env.get("JENKINS_URL"):
        return "jenkins", env.get("BUILD_URL", "")
    if env.get("BUILDKITE"):
        return "buildkite", env.get("BUILDKITE_BUILD_URL", "")
    if env.get("CIRCLECI"):
        return "circleci", env.get("CIRCLE_BUILD_URL", "")
    if env.get("CI"):
        return "ci", ""
    return "", ""


COMMIT_VARS = ("READINESS_COMMIT", "GITHUB_SHA", "CI_COMMIT_SHA", "GIT_COMMIT")


def git_commit(env: Mapping[str, str], cwd: Path) -> str:
    for name in COMMIT_VARS:
        if env.get(name):
            return env[name]
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return out.stdout.strip() if out.returncode == 0 else ""


def run_identity(env: Mapping[str, str], cwd: Path) -> RunIdentity:
    ci, job_url = detect_ci(env)
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = ""
    return RunIdentity(
        id=env.get("READINESS_RUN_ID") or str(uuid.uuid4()),
        commit=git_commit(env, cwd),
        ci=ci,
        job_url=job_url,
        user=user,
        host=socket.gethostname(),
    )
