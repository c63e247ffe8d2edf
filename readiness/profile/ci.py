"""Profile schema of the ci family: the CI result of the commit being released."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from readiness.profile.common import Endpoint, Model

#: Where each provider's API lives when ``url`` is not given.
DEFAULT_URLS = {"github": "https://api.github.com", "gitlab": "https://gitlab.com"}


class CiTarget(Endpoint):
    """The release commit on one CI system, read from its REST API (GET only).

    GitHub: the commit's check runs and commit statuses (``repository: owner/name``).
    GitLab: the newest pipeline for the commit and its jobs (``project``: a numeric id
    or ``group/project``). The token goes in ``auth.bearer_token`` (``${VAR}``); it is
    never shown. ``required`` and ``security_scans`` are check, status or job names;
    shell-style patterns (``test (*)``) match several, and every match must pass.
    """

    name: str
    provider: Literal["github", "gitlab"]
    url: str = ""
    repository: str = ""  # github: owner/name
    project: str = ""  # gitlab: id or group/project
    sha: str = Field(min_length=7)  # the commit being released
    required: list[str] = []  # empty: every check on the commit must pass
    security_scans: list[str] = []  # job names of the pipeline's security scans
    # CI-DEPLOY-APPROVAL: the deployment environment that must require an approval
    # (GitHub environment with required reviewers, GitLab protected environment with
    # approval rules); empty: not checked.
    environment: str = ""
    #: CI-DEPLOY-APPROVAL: `environment` reads the environment's protection from the
    #: API; `attestation` (no GitHub environment or GitLab protected environment) takes
    #: an attestation of CI-DEPLOY-APPROVAL whose `release` is release.version.
    approval: Literal["environment", "attestation"] = "environment"
    #: CI-ARTIFACT-BUILT-BY-PIPELINE: what the release ships, as sha256:HEX digests or
    #: image references pinned by digest (as in targets.images); each needs an
    #: attestation that this pipeline built it from `sha`
    artifacts: list[str] = []
    #: also every image of targets.images (each must be pinned by digest: a tag does not
    #: say which bytes were released)
    artifacts_from_images: bool = False
    workflow: str = ""  # github: the workflow file that must have built them, if set
    per_page: int = Field(100, ge=1, le=100)
    max_pages: int = Field(50, ge=1, le=1000)

    @model_validator(mode="before")
    @classmethod
    def _default_url(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("url") and data.get("provider") in DEFAULT_URLS:
            data = {**data, "url": DEFAULT_URLS[data["provider"]]}
        return data

    @field_validator("artifacts")
    @classmethod
    def _digests(cls, value: list[str]) -> list[str]:
        from readiness.rules.ci_artifacts import released_digest

        for item in value:
            released_digest(item)
        return value

    @property
    def digests(self) -> list[str]:
        """``artifacts`` as sha256:HEX digests, each once."""
        from readiness.rules.ci_artifacts import released_digest

        return list(dict.fromkeys(released_digest(a) for a in self.artifacts))

    @model_validator(mode="after")
    def _names_the_repository(self) -> CiTarget:
        if self.provider == "github" and self.repository.count("/") != 1:
            raise ValueError("a github target names its repository as owner/name")
        if self.provider == "gitlab" and not self.project:
            raise ValueError("a gitlab target names its project (id or group/project)")
        if self.approval == "attestation" and not self.environment:
            raise ValueError("approval: attestation names the approved environment (environment:)")
        return self


class CiTargets(Model):
    """Fields of `targets:` this family reads."""

    ci: list[CiTarget] = []
