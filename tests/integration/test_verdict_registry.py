"""Verdicts attached to images in a real OCI registry (docker-registry on 127.0.0.1)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from readiness.cli import main
from readiness.demo.oci_push import Pusher, push_image
from readiness.verdict.attest import attest_report
from readiness.verdict.keys import public_pem
from tests.fixtures.supply_chain import RegistryWorld, profile_text, run_in
from tests.unit.test_verdict import report

pytestmark = pytest.mark.integration


def _release(world: RegistryWorld, tag: str) -> tuple[str, str]:
    """Push a fresh image (its own repository, so other tests' images keep their referrers)."""
    digest, _ = push_image(Pusher(world.url, verify=False), "verdict/app", tag)
    return f"{world.host}/verdict/app:{tag}", digest


def _signed_report(
    tmp: Path, ref: str, digest: str, key: ec.EllipticCurvePrivateKey, **over: object
) -> Path:
    checks = [
        {
            "control": "SC-SIGNATURE",
            "target": "verdict/app",
            "outcome": "passed",
            "blocking": False,
            "evidence": {"image": {"ref": ref, "digest": digest}},
        }
    ]
    data = report(checks=checks, finished_at=dt.datetime.now(dt.UTC).isoformat(), **over)
    path = tmp / "readiness-report.json"
    path.write_text(json.dumps(data))
    return attest_report(path, key=key).envelope


def test_push_then_verify_from_the_registry(
    sc_registry_world: RegistryWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pub = tmp_path / "cosign.pub"
    pub.write_bytes(public_pem(key))
    ref, digest = _release(sc_registry_world, "1.0")
    envelope = _signed_report(tmp_path, ref, digest, key)
    report_path = str(envelope.parent / "readiness-report.json")
    assert main(["attest", report_path, "--key", str(tmp_path / "missing.key")]) == 1
    capsys.readouterr()
    from readiness.verdict.oci import push_verdict

    push_verdict(ref, envelope, plain_http=True)
    args = ["verify-verdict", ref, "--key", str(pub), "--plain-http"]
    assert main([*args, "--environment", "production", "--max-age", "1h"]) == 0
    out = capsys.readouterr().out
    assert "ACCEPTED" in out and digest in out
    # Another image of the same repository has no verdict.
    other, _ = _release(sc_registry_world, "2.0")
    assert main(["verify-verdict", other, "--key", str(pub), "--plain-http"]) == 1
    assert "no verdict attestation found" in capsys.readouterr().out


def test_a_failing_verdict_in_the_registry_is_refused(
    sc_registry_world: RegistryWorld, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pub = tmp_path / "cosign.pub"
    pub.write_bytes(public_pem(key))
    ref, digest = _release(sc_registry_world, "3.0")
    envelope = _signed_report(tmp_path, ref, digest, key, gate={"passed": False, "state": "failed"})
    from readiness.verdict.oci import push_verdict

    push_verdict(ref, envelope, plain_http=True)
    assert main(["verify-verdict", ref, "--key", str(pub), "--plain-http"]) == 1
    assert "did not pass" in capsys.readouterr().out


# -- SC-PRIOR-VERDICT: production requires the staging gate's verdict on the same digest ------


def _prior_profile(world: RegistryWorld, ref: str, pub: Path, environment: str) -> str:
    return profile_text(world, images=f"    - ref: {ref}\n") + (
        f"  prior_verdict:\n    environment: {environment}\n    max_age: 1h\n"
        f"    public_keys: [{pub}]\n"
    )


def _prior_outcome(tmp: Path, profile: str) -> dict[str, Any]:
    tmp.mkdir()
    _, checks = run_in(tmp, profile)
    found = [c for (control, _), c in checks.items() if control == "SC-PRIOR-VERDICT"]
    assert len(found) == 1, checks.keys()
    return found[0]


def test_prior_stage_verdict_is_required_for_the_same_digest(
    sc_registry_world: RegistryWorld, tmp_path: Path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pub = tmp_path / "staging.pub"
    pub.write_bytes(public_pem(key))
    ref, digest = _release(sc_registry_world, "4.0")
    profile = _prior_profile(sc_registry_world, ref, pub, "staging")
    missing = _prior_outcome(tmp_path / "before", profile)
    assert missing["outcome"] == "failed"
    assert "no verdict attestation found" in missing["message"]
    # The staging gate passes on this digest and attaches its signed verdict.
    from readiness.verdict.oci import push_verdict

    staging = tmp_path / "staging"
    staging.mkdir()
    push_verdict(
        ref, _signed_report(staging, ref, digest, key, environment="staging"), plain_http=True
    )
    passed = _prior_outcome(tmp_path / "after", profile)
    assert passed["outcome"] == "passed", passed["message"]
    assert passed["evidence"]["signer"] == "key staging.pub"
    # A verdict of another environment, or from a key the profile does not trust, does not count.
    other = _prior_outcome(tmp_path / "qa", _prior_profile(sc_registry_world, ref, pub, "qa"))
    assert other["outcome"] == "failed" and "not 'qa'" in other["message"]
    stranger = tmp_path / "stranger.pub"
    stranger.write_bytes(public_pem(ec.generate_private_key(ec.SECP256R1())))
    wrong_key = _prior_outcome(
        tmp_path / "wrong", _prior_profile(sc_registry_world, ref, stranger, "staging")
    )
    assert wrong_key["outcome"] == "failed" and "does not verify" in wrong_key["message"]
