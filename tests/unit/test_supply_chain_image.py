"""Image configuration rules, container rules, verdict judging and profile parsing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from readiness.findings import Finding
from readiness.profile.model import Profile
from readiness.profile.supply_chain import SignerIdentity, SupplyChainTargets
from readiness.rules.supply_chain import judge_control, verdict_findings
from readiness.rules.supply_chain_image import (
    ContainerInfo,
    container_findings,
    is_root_user,
    label_findings,
    secret_env_findings,
    tag_findings,
)
from readiness.sources.docker_daemon import container_info


@pytest.mark.parametrize(
    ("user", "root"),
    [
        ("", True),
        ("root", True),
        ("0", True),
        ("0:0", True),
        ("root:wheel", True),
        ("10001", False),
        ("app", False),
        ("10001:10001", False),
        ("nobody", False),
    ],
)
def test_root_users(user: str, root: bool) -> None:
    assert is_root_user(user) is root


@pytest.mark.parametrize(
    ("tag", "digest", "pin", "count"),
    [
        ("latest", None, False, 1),
        (None, None, False, 1),
        ("1.4.0", None, False, 0),
        ("1.4.0", None, True, 1),
        ("latest", "sha256:" + "a" * 64, True, 0),
    ],
)
def test_tags(tag: str | None, digest: str | None, pin: bool, count: int) -> None:
    assert len(tag_findings(tag, digest, pin)) == count


def test_labels() -> None:
    required = ["org.opencontainers.image.source", "org.opencontainers.image.revision"]
    findings = label_findings({"org.opencontainers.image.source": "x"}, required)
    assert findings[0].message.endswith("org.opencontainers.image.revision")
    assert label_findings(dict.fromkeys(required, "x"), required) == []


def test_secret_env_names_only() -> None:
    patterns = [r"(?i)(password|secret|token|api[_-]?key)"]
    env = [
        "PATH=/bin",
        "DB_PASSWORD=hunter2",
        "API_KEY=abc123",
        "TOKEN_FILE=/run/secrets/t",
        "SECRET_PATH=/etc/x",
        "GITHUB_TOKEN=${GITHUB_TOKEN}",
        "EMPTY_SECRET=",
    ]
    findings = secret_env_findings(env, patterns)
    assert len(findings) == 1
    rendered = findings[0].render()
    assert "DB_PASSWORD" in rendered and "API_KEY" in rendered
    assert "hunter2" not in rendered and "abc123" not in rendered
    assert "TOKEN_FILE" not in rendered and "GITHUB_TOKEN" not in rendered


def test_container_rules_from_inspect_attrs() -> None:
    attrs: dict[str, Any] = {
        "Name": "/cart-1",
        "Image": "sha256:abc",
        "Config": {"Image": "reg/shop/cart:1.4.0", "User": ""},
        "HostConfig": {"Privileged": True, "Memory": 0},
    }
    info = container_info(attrs)
    assert info == ContainerInfo("cart-1", "reg/shop/cart:1.4.0", "sha256:abc", "", True, 0)
    messages = [f.message for f in container_findings(info, True)]
    assert messages == [
        "container cart-1 runs as root",
        "container cart-1 is privileged",
        "container cart-1 has no memory limit",
    ]
    ok = ContainerInfo("c", "i", "d", "10001", False, 512 * 2**20)
    assert container_findings(ok, True) == []


def profile(**extra: Any) -> Profile:
    return Profile.model_validate({"environment": "t", **extra})


def test_judge_control_waivers() -> None:
    today = dt.date(2026, 11, 24)
    waiver = {"control": "SC-VULNS", "target": "app:1/GHSA-*", "reason": "r", "approver": "a"}
    p = profile(waivers=[{**waiver, "expires": "2026-12-01"}])
    f = [Finding("x")]
    assert judge_control("SC-VULNS", "app:1/GHSA-1", f, p, today).status == "waived"
    assert judge_control("SC-VULNS", "app:2/GHSA-1", f, p, today).status == "blocking"
    assert judge_control("SC-VULNS", "app:1/GHSA-1", [], p, today).status == "pass"
    expired = profile(waivers=[{**waiver, "expires": "2026-11-01"}])
    status = judge_control("SC-VULNS", "app:1/GHSA-1", f, expired, today)
    assert status.status == "expired-waiver" and "expired" in status.note
    assert judge_control("SC-IMAGE-LABELS", "app:1", f, p, today).status == "warning"
    disabled = profile(controls={"SC-VULNS": {"enabled": False, "reason": "no SBOMs yet"}})
    assert judge_control("SC-VULNS", "app:1", f, disabled, today).status == "disabled"
    verdict = verdict_findings(
        "app:1", [judge_control("SC-VULNS", "app:1/GHSA-1", f, expired, today)]
    )
    assert "SC-VULNS [app:1/GHSA-1]" in verdict[0].message


def test_profile_defaults_and_parsing() -> None:
    p = profile()
    assert p.targets.images == [] and p.supply_chain.signature.trusted_root == "production"
    p = profile(
        targets={
            "registries": [{"name": "r", "url": "http://127.0.0.1:5000"}],
            "images": [{"ref": "127.0.0.1:5000/team/app:1.0", "registry": "r"}],
        },
        supply_chain={"sbom": {"ntia": {"supplier": 0.5}}},
    )
    assert p.targets.images[0].target_id == "team/app:1.0"
    assert p.supply_chain.sbom.ntia["supplier"] == 0.5 and p.supply_chain.sbom.ntia["name"] == 1.0


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"images": [{"ref": "app:1.0"}]}, "registry host and repository"),
        ({"images": [{"ref": "h/app:1", "registry": "nope"}]}, "not in targets.registries"),
    ],
)
def test_bad_targets(data: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        SupplyChainTargets.model_validate(data)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"issuer": "i"}, "exactly one of identity or identity_regex"),
        ({"identity": "a", "identity_regex": "b", "issuer": "i"}, "exactly one"),
        ({"identity_regex": "(", "issuer": "i"}, "does not compile"),
    ],
)
def test_bad_identities(data: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        SignerIdentity.model_validate(data)


def test_bad_ntia_thresholds() -> None:
    with pytest.raises(ValidationError, match="unknown NTIA element"):
        profile(supply_chain={"sbom": {"ntia": {"suplier": 0.5}}})
    with pytest.raises(ValidationError, match="share between 0 and 1"):
        profile(supply_chain={"sbom": {"ntia": {"supplier": 80}}})


def test_verdict_table_escapes() -> None:
    from readiness.rules.supply_chain import ControlStatus, verdict_table

    html = verdict_table([ControlStatus("SC-VULNS", "a/<b>", "blocking", 1, "x & y")])
    assert "a/&lt;b&gt;" in html and "x &amp; y" in html and "#cf222e" in html
