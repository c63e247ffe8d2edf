"""Signed verdict attestations: statement, key and Sigstore signing, and the deploy check."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from nacl.secret import SecretBox

from readiness.cli import main
from readiness.rules.supply_chain_signing import verify_dsse_envelope
from readiness.verdict.attest import DSSE_NAME, attest_report, decide, key_verifier
from readiness.verdict.attest import report_candidates as candidates_of
from readiness.verdict.envelope import sign_with_key, verify_attestation
from readiness.verdict.keys import load_signing_key, public_pem
from readiness.verdict.statement import (
    PREDICATE_TYPE,
    Requirements,
    VerdictError,
    build_statement,
    parse_age,
    repository_of,
    verdict_problems,
)

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)
IMAGE_DIGEST = "sha256:" + "ab" * 32
IDENTITY = "https://github.com/acme/shop/.github/workflows/release.yml@refs/heads/main"
ISSUER = "https://token.actions.githubusercontent.com"


def report(**over: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "schema": "readiness.report/v1",
        "profile": "production",
        "profile_sha256": "f" * 64,
        "environment": "production",
        "release": {"kind": "feature", "version": "1.4.0", "services": ["shop"]},
        "started_at": "2026-12-07T11:00:00Z",
        "finished_at": "2026-12-07T11:05:00Z",
        "run": {"id": "r1", "commit": "c0ffee", "ci": "", "user": "u", "host": "h"},
        "gate": {"fail_on": "high", "passed": True, "state": "passed"},
        "selection": {"mode": "full", "selected": 3, "total": 3},
        "summary": {"passed": 3, "failed": 0},
        "checks": [
            {
                "control": "SC-SIGNATURE",
                "target": "shop/app",
                "outcome": "passed",
                "blocking": False,
                "evidence": {"image": {"ref": "reg:5000/shop/app:1.4.0", "digest": IMAGE_DIGEST}},
            }
        ],
        "interrupted": False,
    }
    base.update(over)
    return base


def write_report(tmp_path: Path, data: dict[str, Any]) -> tuple[Path, str]:
    path = tmp_path / "readiness-report.json"
    raw = json.dumps(data).encode()
    path.write_bytes(raw)
    return path, "sha256:" + hashlib.sha256(raw).hexdigest()


def cosign_key_file(key: ec.EllipticCurvePrivateKey, password: str) -> bytes:
    """A key in the layout `cosign generate-key-pair` writes (scrypt + NaCl secretbox)."""
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    salt, nonce = os.urandom(32), os.urandom(24)
    secret = hashlib.scrypt(password.encode(), salt=salt, n=32768, r=8, p=1, dklen=32, maxmem=2**26)
    envelope = {
        "kdf": {
            "name": "scrypt",
            "params": {"N": 32768, "r": 8, "p": 1},
            "salt": base64.b64encode(salt).decode(),
        },
        "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
        "ciphertext": base64.b64encode(SecretBox(secret).encrypt(der, nonce).ciphertext).decode(),
    }
    body = base64.b64encode(json.dumps(envelope).encode()).decode()
    return (
        "-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
        + "\n".join(body[i : i + 64] for i in range(0, len(body), 64))
        + "\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n"
    ).encode()


# -- the statement ------------------------------------------------------------------------


def test_statement_names_the_images_and_the_report_file() -> None:
    st = build_statement(report(), "1" * 64, "9.9")
    assert st["_type"] == "https://in-toto.io/Statement/v1"
    assert st["predicateType"] == PREDICATE_TYPE
    assert st["subject"] == [
        {"name": "reg:5000/shop/app", "digest": {"sha256": "ab" * 32}},
        {"name": "readiness-report.json", "digest": {"sha256": "1" * 64}},
    ]
    pred = st["predicate"]
    assert pred["verdict"] == "passed"
    assert pred["profile"] == {"name": "production", "sha256": "f" * 64}
    assert pred["selection"]["mode"] == "full"
    assert pred["readiness_version"] == "9.9"


@pytest.mark.parametrize(
    ("over", "why"),
    [
        ({"selection": {"mode": "partial", "selected": 1, "total": 3}}, "partial"),
        ({"selection": None}, "without a recorded selection"),
        ({"interrupted": True}, "interrupted"),
        ({"schema": "something/else"}, "not a readiness report"),
    ],
)
def test_only_full_finished_runs_can_be_attested(over: dict[str, Any], why: str) -> None:
    with pytest.raises(VerdictError, match=why):
        build_statement(report(**over), "1" * 64, "9.9")


def test_a_failing_run_is_attested_as_failed_with_its_blocking_findings() -> None:
    failing = report(
        gate={"fail_on": "high", "passed": False, "state": "failed"},
        checks=[
            {
                "control": "K8S-PROBES",
                "target": "shop/Deployment/cart",
                "severity": "high",
                "outcome": "failed",
                "blocking": True,
                "message": "no readinessProbe",
            }
        ],
    )
    pred = build_statement(failing, "1" * 64, "9.9")["predicate"]
    assert pred["verdict"] == "failed"
    assert pred["blocking"][0]["control"] == "K8S-PROBES"
    assert pred["blocking_total"] == 1


@pytest.mark.parametrize(
    ("ref", "repo"),
    [
        ("reg:5000/shop/app:1.0", "reg:5000/shop/app"),
        ("reg:5000/shop/app@sha256:" + "a" * 64, "reg:5000/shop/app"),
        ("ghcr.io/acme/app:1.0@sha256:" + "a" * 64, "ghcr.io/acme/app"),
        ("reg:5000/app", "reg:5000/app"),
    ],
)
def test_repository_of(ref: str, repo: str) -> None:
    assert repository_of(ref) == repo


# -- what a deploy step demands ----------------------------------------------------------------


def statement(**over: Any) -> dict[str, Any]:
    return build_statement(report(**over), "1" * 64, "9.9")


@pytest.mark.parametrize(
    ("st", "wanted", "problem"),
    [
        (statement(), Requirements(IMAGE_DIGEST, "production", dt.timedelta(hours=24)), None),
        (statement(), Requirements("sha256:" + "cd" * 32), "not sha256:cdcd"),
        (statement(), Requirements(environment="staging"), "not 'staging'"),
        (statement(), Requirements(max_age=dt.timedelta(minutes=30)), "older than 0:30:00"),
        (statement(gate={"passed": False}), Requirements(), "did not pass"),
    ],
)
def test_verdict_problems(st: dict[str, Any], wanted: Requirements, problem: str | None) -> None:
    problems = verdict_problems(st, wanted, NOW)
    if problem is None:
        assert problems == []
    else:
        assert any(problem in p for p in problems), problems


def test_a_partial_statement_is_refused_even_if_signed() -> None:
    st = statement()
    st["predicate"]["selection"] = {"mode": "partial"}
    assert "not a full one" in verdict_problems(st, Requirements(), NOW)[0]


@pytest.mark.parametrize(("text", "seconds"), [("90m", 5400), ("24h", 86400), ("7d", 604800)])
def test_parse_age(text: str, seconds: int) -> None:
    assert parse_age(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "24", "1y", "-1h", "99999999d"])
def test_parse_age_refuses(text: str) -> None:
    with pytest.raises(ValueError):
        parse_age(text)


# -- keys and envelopes ---------------------------------------------------------------------


def test_key_signed_envelope_verifies_like_a_cosign_attestation() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    envelope = sign_with_key(statement(), key)
    # The supply-chain family's DSSE verifier (the one that reads `cosign attest --key`) agrees.
    check = verify_dsse_envelope(envelope, "verdict", {"cosign.pub": key.public_key()})
    assert check.ok and check.statement == statement()
    verified = verify_attestation(envelope, "verdict", keys={"cosign.pub": key.public_key()})
    assert verified.signer == "key cosign.pub"


def test_tampered_or_wrongly_signed_envelopes_are_refused() -> None:
    key, other = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    envelope = json.loads(sign_with_key(statement(), key))
    body = json.loads(base64.b64decode(envelope["payload"]))
    body["predicate"]["verdict"] = "passed-honest"
    tampered = {**envelope, "payload": base64.b64encode(json.dumps(body).encode()).decode()}
    with pytest.raises(VerdictError, match="does not verify"):
        verify_attestation(json.dumps(tampered).encode(), "t", keys={"k": key.public_key()})
    with pytest.raises(VerdictError, match="does not verify"):
        verify_attestation(json.dumps(envelope).encode(), "t", keys={"k": other.public_key()})
    with pytest.raises(VerdictError, match="give --key"):
        verify_attestation(json.dumps(envelope).encode(), "t")


def test_cosign_key_files_load_with_their_password(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path = tmp_path / "cosign.key"
    path.write_bytes(cosign_key_file(key, "s3cret-pass"))
    loaded = load_signing_key(path, "s3cret-pass")
    assert loaded.private_numbers() == key.private_numbers()
    with pytest.raises(VerdictError, match="wrong password"):
        load_signing_key(path, "nope-nope")


def test_pem_keys_load_and_other_curves_are_refused(tmp_path: Path) -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    pem = tmp_path / "p256.pem"
    pem.write_bytes(
        p256.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"pw-123456"),
        )
    )
    assert load_signing_key(pem, "pw-123456").private_numbers() == p256.private_numbers()
    with pytest.raises(VerdictError, match="encrypted"):
        load_signing_key(pem, None)
    p384 = tmp_path / "p384.pem"
    p384.write_bytes(
        ec.generate_private_key(ec.SECP384R1()).private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    with pytest.raises(VerdictError, match="P-256"):
        load_signing_key(p384, None)
    junk = tmp_path / "junk.key"
    junk.write_text("hello")
    with pytest.raises(VerdictError, match="not a private key"):
        load_signing_key(junk, None)


# -- attest a written report, then verify it as a deploy step would ----------------------------


def test_attest_then_verify_a_report_file(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    path, digest = write_report(tmp_path, report())
    attested = attest_report(path, key=key)
    assert attested.envelope.name == DSSE_NAME
    verify = key_verifier({"k": key.public_key()}, None, [])
    wanted = Requirements(digest, "production", dt.timedelta(days=3650))
    decision = decide(candidates_of(path, None), wanted, NOW, verify)
    assert decision.accepted is not None, decision.refusals
    # The report edited after signing no longer matches the signed digest.
    path.write_bytes(path.read_bytes().replace(b"production", b"productiom"))
    changed = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
    decision = decide(candidates_of(path, None), Requirements(changed), NOW, verify)
    assert decision.accepted is None and "not " + changed in decision.refusals[0]


def test_cli_verify_verdict_accepts_and_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "cosign.key").write_bytes(cosign_key_file(key, "pass-word-1"))
    (tmp_path / "cosign.pub").write_bytes(public_pem(key))
    path, _ = write_report(tmp_path, report(finished_at=dt.datetime.now(dt.UTC).isoformat()))
    monkeypatch.setenv("COSIGN_PASSWORD", "pass-word-1")
    assert main(["attest", str(path), "--key", str(tmp_path / "cosign.key")]) == 0
    pub = str(tmp_path / "cosign.pub")
    assert (
        main(
            [
                "verify-verdict",
                str(path),
                "--key",
                pub,
                "--environment",
                "production",
                "--max-age",
                "1h",
            ]
        )
        == 0
    )
    assert "ACCEPTED" in capsys.readouterr().out
    assert main(["verify-verdict", str(path), "--key", pub, "--environment", "staging"]) == 1
    assert "not 'staging'" in capsys.readouterr().out
    other = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "other.pub").write_bytes(public_pem(other))
    assert main(["verify-verdict", str(path), "--key", str(tmp_path / "other.pub")]) == 1
    assert "does not verify" in capsys.readouterr().out


def test_cli_refuses_to_attest_a_partial_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    path, _ = write_report(tmp_path, report(selection={"mode": "partial"}))
    assert main(["attest", str(path), "--key", str(tmp_path / "k.pem")]) == 1
    assert "only a full run" in capsys.readouterr().err
    assert not (tmp_path / DSSE_NAME).exists()
