"""The gate's verdict as an in-toto Statement v1 (pure: report in, statement out).

Subjects are the release's images (the digests the supply-chain checks resolved) and the
JSON report itself; the predicate is the project's own type, documented in the README.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from readiness.errors import ReadinessError

# The attestation files beside a report (here, not in attest.py, so the pytest plugin can
# name them without importing the signing stack).
DSSE_NAME = "readiness-verdict.intoto.jsonl"
BUNDLE_NAME = "readiness-verdict.sigstore.json"
STATEMENT_NAME = "readiness-verdict.statement.json"

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
PREDICATE_TYPE = "https://readiness.dev/attestation/verdict/v1"
REPORT_SUBJECT = "readiness-report.json"
_SHA256 = re.compile(r"^sha256:[0-9a-f]{64}$")
_BLOCKING_LIMIT = 200  # findings carried in the predicate; the report has them all


class VerdictError(ReadinessError):
    """A verdict that cannot be attested or does not verify (the message says why)."""


@dataclass(frozen=True, slots=True)
class Subject:
    name: str
    digest: str  # sha256:<hex>

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "digest": {"sha256": self.digest.removeprefix("sha256:")}}


def image_subjects(checks: Iterable[Mapping[str, Any]]) -> list[Subject]:
    """The image digests the run resolved, from the supply-chain checks' evidence."""
    found: dict[str, Subject] = {}
    for check in checks:
        evidence = check.get("evidence")
        image = evidence.get("image") if isinstance(evidence, Mapping) else None
        if not isinstance(image, Mapping):
            continue
        digest, ref = str(image.get("digest") or ""), str(image.get("ref") or "")
        if _SHA256.match(digest) and ref:
            found[digest] = Subject(repository_of(ref), digest)
    return sorted(found.values(), key=lambda s: (s.name, s.digest))


def repository_of(ref: str) -> str:
    """``registry:5000/team/app:1.0@sha256:…`` → ``registry:5000/team/app``."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)
    if len(last) == 2 and ":" in last[1]:
        name = f"{last[0]}/{last[1].split(':', 1)[0]}"
    return name


def refuse_unattestable(report: Mapping[str, Any]) -> None:
    """Only a full, finished run may be attested (a failing one may: it says it failed)."""
    selection = report.get("selection")
    mode = selection.get("mode") if isinstance(selection, Mapping) else None
    if mode != "full":
        raise VerdictError(
            f"the report is of a {mode or 'run without a recorded selection'} run: only a full "
            "run (no -k/-m/--control/--family/--shard selection) can be attested"
        )
    if report.get("interrupted"):
        raise VerdictError("the run was interrupted: an unfinished run cannot be attested")
    if report.get("schema") != "readiness.report/v1":
        raise VerdictError(f"not a readiness report (schema {report.get('schema')!r})")


def build_statement(report: Mapping[str, Any], report_sha256: str, version: str) -> dict[str, Any]:
    """The verdict statement for a written report whose file has ``report_sha256``."""
    refuse_unattestable(report)
    checks = [c for c in report.get("checks", []) if isinstance(c, Mapping)]
    subjects = [*image_subjects(checks), Subject(REPORT_SUBJECT, f"sha256:{report_sha256}")]
    gate = dict(report.get("gate") or {})
    blocking = [
        {k: c.get(k) for k in ("control", "target", "severity", "outcome", "message")}
        for c in checks
        if c.get("blocking")
    ]
    predicate = {
        "verdict": "passed" if gate.get("passed") else "failed",
        "environment": report.get("environment", ""),
        "release": report.get("release", {}),
        "profile": {"name": report.get("profile", ""), "sha256": report.get("profile_sha256", "")},
        "gate": gate,
        "selection": report.get("selection"),
        "report": {"name": REPORT_SUBJECT, "sha256": report_sha256},
        "summary": report.get("summary", {}),
        "blocking": blocking[:_BLOCKING_LIMIT],
        "blocking_total": len(blocking),
        "run": report.get("run", {}),
        "started_at": report.get("started_at", ""),
        "finished_at": report.get("finished_at", ""),
        "readiness_version": version,
    }
    return {
        "_type": STATEMENT_V1,
        "subject": [s.as_dict() for s in subjects],
        "predicateType": PREDICATE_TYPE,
        "predicate": predicate,
    }


@dataclass(frozen=True, slots=True)
class Requirements:
    """What a deploy step demands of a verdict."""

    digest: str | None = None  # sha256:… of an image or of the report file
    environment: str | None = None
    max_age: dt.timedelta | None = None


def verdict_problems(
    statement: Mapping[str, Any], wanted: Requirements, now: dt.datetime
) -> list[str]:
    """Why a verified statement does not allow the deploy ([] when it does)."""
    if statement.get("predicateType") != PREDICATE_TYPE:
        return [f"predicate type is {statement.get('predicateType')!r}, not {PREDICATE_TYPE}"]
    predicate = statement.get("predicate")
    if not isinstance(predicate, Mapping):
        return ["the statement has no verdict predicate"]
    problems = []
    digests = {
        "sha256:" + str(s.get("digest", {}).get("sha256", ""))
        for s in statement.get("subject", [])
        if isinstance(s, Mapping) and isinstance(s.get("digest"), Mapping)
    }
    if wanted.digest and wanted.digest not in digests:
        problems.append(
            f"the verdict is about {', '.join(sorted(digests)) or 'nothing'}, not {wanted.digest}"
        )
    selection = predicate.get("selection")
    mode = selection.get("mode") if isinstance(selection, Mapping) else None
    if mode != "full":
        problems.append(f"the verdict is of a {mode or 'unknown'} run, not a full one")
    if predicate.get("verdict") != "passed":
        total = predicate.get("blocking_total", len(predicate.get("blocking") or []))
        problems.append(f"the gate did not pass ({total} blocking finding(s))")
    env = str(predicate.get("environment", ""))
    if wanted.environment is not None and env != wanted.environment:
        problems.append(f"the verdict is for environment {env!r}, not {wanted.environment!r}")
    if wanted.max_age is not None:
        finished = parse_time(str(predicate.get("finished_at", "")))
        if finished is None:
            problems.append("the verdict has no finish time, so its age is unknown")
        elif now - finished > wanted.max_age:
            problems.append(
                f"the verdict is from {finished.isoformat()}, older than {wanted.max_age}"
            )
    return problems


def parse_time(text: str) -> dt.datetime | None:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


_AGE = re.compile(r"^(\d+)([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_age(text: str) -> dt.timedelta:
    """``90m``, ``24h``, ``7d`` → a timedelta (ValueError with the valid forms otherwise)."""
    match = _AGE.match(text.strip())
    if not match:
        raise ValueError(f"{text!r} is not an age: use a number and s, m, h, d or w (e.g. 24h)")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds > 3650 * 86400:
        raise ValueError(f"{text!r} is more than ten years")
    return dt.timedelta(seconds=seconds)
