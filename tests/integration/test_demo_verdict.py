"""The demo's verdict, signed and attached to a demo image: a deploy step refuses it."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from readiness.verdict.keys import public_pem
from tests.integration.test_demo import DEMO_PORTS, listening, run

pytestmark = pytest.mark.integration

IMAGE = "127.0.0.1:15000/shop/cart:1.4.0"


def test_demo_verdict_is_signed_pushed_and_refused_because_it_failed(tmp_path: Path) -> None:
    busy = [p for p in DEMO_PORTS if listening(p)]
    assert not busy, f"demo ports in use before the test: {busy} (a demo still up?)"
    key = ec.generate_private_key(ec.SECP256R1())
    (tmp_path / "gate.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "gate.pub").write_bytes(public_pem(key))
    demo_dir = tmp_path / "demo"
    up = run(["readiness.cli", "demo", "up"], tmp_path, demo_dir)
    try:
        assert up.returncode == 0, up.stdout + up.stderr
        gate = run(
            [
                "pytest",
                "--profile=demo",
                "-p",
                "no:cacheprovider",
                "-q",
                "--tb=no",
                "--attest-key",
                "gate.key",
                "--attest-push",
                IMAGE,
            ],
            tmp_path,
            demo_dir,
        )
        assert gate.returncode == 1, gate.stdout[-3000:]  # the demo's flaws block the gate
        assert f"verdict attached to {IMAGE}" in gate.stdout, gate.stdout[-3000:]
        verify = run(
            [
                "readiness.cli",
                "verify-verdict",
                IMAGE,
                "--key",
                "gate.pub",
                "--plain-http",
                "--environment",
                "demo",
            ],
            tmp_path,
            demo_dir,
        )
        assert verify.returncode == 1, verify.stdout + verify.stderr
        assert "REFUSED" in verify.stdout and "the gate did not pass" in verify.stdout
        report = run(
            [
                "readiness.cli",
                "verify-verdict",
                "reports/readiness-report.json",
                "--key",
                "gate.pub",
            ],
            tmp_path,
            demo_dir,
        )
        assert report.returncode == 1 and "did not pass" in report.stdout
    finally:
        down = run(["readiness.cli", "demo", "down"], tmp_path, demo_dir)
    assert down.returncode == 0
