"""Keyless verdicts: the stock `sigstore` signer against the private Sigstore instance
served on 127.0.0.1 (Fulcio and Rekor endpoints), verified offline with its trusted root."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest

from readiness.cli import main
from readiness.demo.sigstore_services import SigstoreServices
from readiness.verdict.attest import BUNDLE_NAME
from tests.unit.test_verdict import IDENTITY, ISSUER, report, write_report

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def sigstore() -> Iterator[SigstoreServices]:
    with SigstoreServices() as services:
        yield services


def _trust_files(services: SigstoreServices, tmp: Path) -> tuple[Path, Path]:
    config, root = tmp / "trust_config.json", tmp / "trusted_root.json"
    config.write_text(json.dumps(services.client_trust_config()))
    root.write_text(json.dumps(services.lab.trusted_root()))
    return config, root


def test_keyless_attest_and_verify(
    sigstore: SigstoreServices, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, root = _trust_files(sigstore, tmp_path)
    path, _ = write_report(tmp_path, report())
    token = sigstore.token(IDENTITY, ISSUER)
    assert (
        main(["attest", str(path), "--trust-config", str(config), "--identity-token", token]) == 0
    )
    bundle = json.loads((tmp_path / BUNDLE_NAME).read_text())
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert bundle["verificationMaterial"]["tlogEntries"][0]["kindVersion"]["kind"] == "dsse"
    capsys.readouterr()
    verify = ["verify-verdict", str(path), "--trusted-root", str(root), "--issuer", ISSUER]
    assert main([*verify, "--identity", IDENTITY]) == 0
    assert "ACCEPTED" in capsys.readouterr().out
    # Signed by someone else, or by the right identity from another issuer: refused.
    assert (
        main([*verify[:-2], "--issuer", "https://accounts.google.com", "--identity", IDENTITY]) == 1
    )
    assert (
        main(
            [
                *verify,
                "--identity",
                "https://github.com/evil/fork/.github/workflows/x.yml@refs/heads/main",
            ]
        )
        == 1
    )
    assert capsys.readouterr().out.count("not an allowed signer") == 2


def test_keyless_needs_a_valid_token(
    sigstore: SigstoreServices, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config, _ = _trust_files(sigstore, tmp_path)
    path, _ = write_report(tmp_path, report())
    claims = jwt.decode(sigstore.token(IDENTITY, ISSUER), options={"verify_signature": False})
    forged = jwt.encode(claims, b"another instance's token key, 32 bytes+", algorithm="HS256")
    assert (
        main(["attest", str(path), "--trust-config", str(config), "--identity-token", forged]) == 1
    )
    assert "readiness attest:" in capsys.readouterr().err
    assert not (tmp_path / BUNDLE_NAME).exists()
