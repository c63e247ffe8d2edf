"""`pytest --profile=P --attest-key K`: the verdict of a full run is signed after its reports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from readiness.verdict.attest import DSSE_NAME, STATEMENT_NAME
from readiness.verdict.envelope import verify_attestation
from tests.plugin.test_plugin import profile_text, run


def _key(path: Path) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP256R1())
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return key


def test_full_run_is_attested_and_the_envelope_names_the_report(pytester: pytest.Pytester) -> None:
    key = _key(pytester.path / "verdict.pem")
    result = run(pytester, profile_text(), "--attest-key", "verdict.pem")
    assert result.ret == 1  # the gate failed; its verdict is still attested, as failed
    result.stdout.fnmatch_lines(["*verdict attestation written to*"])
    reports = pytester.path / "reports"
    verified = verify_attestation(
        (reports / DSSE_NAME).read_bytes(), "verdict", keys={"k": key.public_key()}
    )
    predicate = verified.statement["predicate"]
    assert predicate["verdict"] == "failed" and predicate["selection"]["mode"] == "full"
    import hashlib

    report_sha = hashlib.sha256((reports / "readiness-report.json").read_bytes()).hexdigest()
    assert {"name": "readiness-report.json", "digest": {"sha256": report_sha}} in (
        verified.statement["subject"]
    )
    assert json.loads((reports / STATEMENT_NAME).read_text()) == verified.statement


def test_partial_run_is_not_attested(pytester: pytest.Pytester) -> None:
    _key(pytester.path / "verdict.pem")
    assert run(pytester, profile_text(), "--attest-key", "verdict.pem").ret == 1
    assert (pytester.path / "reports" / DSSE_NAME).exists()
    result = run(pytester, profile_text(), "--attest-key", "verdict.pem", "-k", "cart")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*verdict NOT attested*only a full run*"])
    # The previous full run's attestation is gone with its report.
    assert not (pytester.path / "reports" / DSSE_NAME).exists()
    assert not (pytester.path / "reports" / STATEMENT_NAME).exists()
