"""Attest a written report, and find and verify verdicts for a report or an image (I/O)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from readiness.report.json_report import readiness_version
from readiness.verdict.envelope import Verified, sign_with_key, verify_attestation
from readiness.verdict.statement import (
    BUNDLE_NAME,
    DSSE_NAME,
    STATEMENT_NAME,
    Requirements,
    VerdictError,
    build_statement,
    verdict_problems,
)

MAX_REPORT = 256 * 1024 * 1024
MAX_ATTESTATION = 16 * 1024 * 1024


def read_capped(path: Path, cap: int, what: str) -> bytes:
    try:
        size = path.stat().st_size
        if size > cap:
            raise VerdictError(f"{what} {path} is {size} bytes, over the {cap} byte limit")
        return path.read_bytes()
    except OSError as exc:
        raise VerdictError(f"cannot read {what} {path}: {exc.strerror or exc}") from None


def load_report(path: Path) -> tuple[dict[str, Any], str]:
    """The report and the sha256 of its file."""
    data = read_capped(path, MAX_REPORT, "report")
    try:
        report = json.loads(data)
    except ValueError as exc:
        raise VerdictError(f"{path} is not JSON: {exc}") from None
    if not isinstance(report, dict):
        raise VerdictError(f"{path} is not a readiness report")
    return report, hashlib.sha256(data).hexdigest()


@dataclass(frozen=True, slots=True)
class Attested:
    envelope: Path
    statement: dict[str, Any]


def attest_report(
    report_path: Path,
    *,
    key: ec.EllipticCurvePrivateKey | None = None,
    keyless: Callable[[Mapping[str, Any]], bytes] | None = None,
    out_dir: Path | None = None,
) -> Attested:
    """Sign the verdict of a written report; the envelope is written beside it."""
    report, sha = load_report(report_path)
    statement = build_statement(report, sha, readiness_version())
    if (key is None) == (keyless is None):
        raise VerdictError("attest with exactly one of a key (--attest-key) or keyless Sigstore")
    if key is not None:
        data, name = sign_with_key(statement, key), DSSE_NAME
    else:
        assert keyless is not None  # narrowed above: exactly one is given
        data, name = keyless(statement), BUNDLE_NAME
    target_dir = out_dir or report_path.parent
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / name
    tmp = path.with_name(f".{name}.tmp")
    tmp.write_bytes(data)
    tmp.replace(path)
    (target_dir / STATEMENT_NAME).write_text(json.dumps(statement, indent=2) + "\n")
    return Attested(path, statement)


@dataclass
class Decision:
    """The outcome of ``verify-verdict``: accepted when one candidate passes every demand."""

    accepted: Verified | None = None
    refusals: list[str] = field(default_factory=list)


def decide(
    candidates: Iterator[tuple[str, bytes]],
    wanted: Requirements,
    now: dt.datetime,
    verify: Callable[[bytes, str], Verified],
) -> Decision:
    decision = Decision()
    for source, data in candidates:
        try:
            verified = verify(data, source)
        except VerdictError as exc:
            decision.refusals.append(str(exc))
            continue
        problems = verdict_problems(verified.statement, wanted, now)
        if problems:
            decision.refusals.append(
                f"{source} (signed by {verified.signer}): " + "; ".join(problems)
            )
            continue
        decision.accepted = verified
        return decision
    if not decision.refusals:
        decision.refusals.append("no verdict attestation found")
    return decision


def report_candidates(report_path: Path, attestation: Path | None) -> Iterator[tuple[str, bytes]]:
    paths = (
        [attestation]
        if attestation
        else [
            report_path.parent / DSSE_NAME,
            report_path.parent / BUNDLE_NAME,
        ]
    )
    for path in paths:
        if path.exists():
            yield str(path), read_capped(path, MAX_ATTESTATION, "attestation")
        elif attestation is not None:
            raise VerdictError(f"attestation file {path} does not exist")


def key_verifier(
    keys: Mapping[str, Any], verifier: Any, identities: Any
) -> Callable[[bytes, str], Verified]:
    def verify(data: bytes, source: str) -> Verified:
        return verify_attestation(data, source, keys=keys, verifier=verifier, identities=identities)

    return verify
