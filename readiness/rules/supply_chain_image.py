"""Image configuration rules: user, tag, labels, secret-looking ENV, running containers."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from readiness.findings import Finding

ROOT_USERS = frozenset({"", "root", "0"})


def is_root_user(user: str) -> bool:
    """Docker's USER: ``name``, ``uid``, ``name:group`` or ``uid:gid``; empty means root."""
    return user.split(":", 1)[0].strip() in ROOT_USERS


def user_findings(user: str) -> list[Finding]:
    if not is_root_user(user):
        return []
    return [
        Finding(
            "image runs as root",
            expected="a non-root USER (e.g. 10001)",
            found=f"USER {user!r}" if user else "no USER (defaults to root)",
            fix="add `USER 10001` (a numeric, non-root uid) to the Dockerfile",
        )
    ]


def tag_findings(tag: str | None, digest: str | None, require_digest: bool) -> list[Finding]:
    findings = []
    if digest is None and (tag is None or tag == "latest"):
        findings.append(
            Finding(
                "image is referenced by the moving 'latest' tag",
                expected="a version tag or a digest",
                found=f"tag {tag or '(none, implies latest)'}",
                fix="reference the released version, e.g. app:1.4.0@sha256:…",
            )
        )
    elif require_digest and digest is None:
        findings.append(
            Finding(
                "image is not pinned by digest",
                expected="ref@sha256:<digest>",
                found=f"tag {tag}",
                fix="pin the image by digest in the release manifest",
            )
        )
    return findings


def label_findings(labels: Mapping[str, str], required: Sequence[str]) -> list[Finding]:
    missing = [name for name in required if not str(labels.get(name, "")).strip()]
    if not missing:
        return []
    return [
        Finding(
            f"image lacks required label(s): {', '.join(missing)}",
            expected=", ".join(required),
            found=", ".join(sorted(labels)) or "no labels",
            fix="set them at build time, e.g. docker build --label "
            "org.opencontainers.image.revision=$GIT_SHA",
        )
    ]


_PLACEHOLDER = re.compile(r"^(\$\{?\w+\}?|/.*|file:.*|changeme|<.*>|\*+|)$", re.IGNORECASE)


def secret_env_findings(env: Sequence[str], patterns: Sequence[str]) -> list[Finding]:
    """ENV entries whose name looks like a secret and whose value is set (never shown)."""
    compiled = [re.compile(p) for p in patterns]
    hits = []
    for entry in env:
        name, _, value = entry.partition("=")
        if name.upper().endswith(("_FILE", "_PATH", "_URL_FILE")):
            continue
        if any(p.search(name) for p in compiled) and not _PLACEHOLDER.match(value.strip()):
            hits.append(name)
    if not hits:
        return []
    return [
        Finding(
            f"image environment holds secret-looking value(s) in {', '.join(hits)}",
            expected="no credentials baked into the image",
            found=f"{len(hits)} variable(s) with values (not shown)",
            fix="remove them from the Dockerfile ENV, inject at run time from a secret store, "
            "and rotate the exposed credentials",
        )
    ]


@dataclass(frozen=True, slots=True)
class ContainerInfo:
    name: str
    image: str
    image_id: str
    user: str
    privileged: bool
    memory: int


def container_findings(c: ContainerInfo, require_memory_limit: bool) -> list[Finding]:
    findings = []
    if is_root_user(c.user):
        findings.append(
            Finding(
                f"container {c.name} runs as root",
                expected="a non-root user",
                found=f"user {c.user!r}" if c.user else "no user (root)",
                fix="run with --user 10001 or set USER in the image",
            )
        )
    if c.privileged:
        findings.append(
            Finding(
                f"container {c.name} is privileged",
                expected="Privileged: false",
                found="Privileged: true",
                fix="drop --privileged; grant only the capabilities needed",
            )
        )
    if require_memory_limit and c.memory <= 0:
        findings.append(
            Finding(
                f"container {c.name} has no memory limit",
                expected="HostConfig.Memory > 0",
                found="unlimited",
                fix="run with --memory (e.g. --memory 512m)",
            )
        )
    return findings
