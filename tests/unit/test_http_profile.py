"""The HTTP sections of the profile: services, shorthands, defaults and errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from readiness.errors import ProfileError
from readiness.profile import load_profile
from readiness.profile.http import HttpPolicy, HttpTargets, Service

REPO = Path(__file__).resolve().parents[2]


def service(**fields: Any) -> Service:
    return Service.model_validate({"name": "shop", "url": "https://shop.example", **fields})


def test_minimal_service_and_defaults() -> None:
    s = service()
    assert (s.host, s.port, s.is_https) == ("shop.example", 443, True)
    assert s.health is None and s.metrics is None and s.private_paths == []
    policy = HttpPolicy()
    assert s.min_tls_version(policy) == "1.2"
    assert s.expiry_days(policy) == (30, 14)
    assert s.latency_plan(policy) == ("/", 20, 500.0)
    assert policy.hsts.min_max_age == 31536000


def test_shorthands_and_overrides() -> None:
    s = service(
        url="http://10.0.0.5:8080/",
        health="/healthz",
        metrics="/internal/metrics",
        tls={"required": False, "min_version": "1.3", "expiry_fail_days": 3},
        latency={"requests": 5},
    )
    assert s.url == "http://10.0.0.5:8080" and s.port == 8080 and not s.is_https
    assert s.health is not None and s.health.path == "/healthz"
    assert s.metrics is not None and s.metrics.path == "/internal/metrics"
    policy = HttpPolicy()
    assert s.min_tls_version(policy) == "1.3"
    assert s.expiry_days(policy) == (30, 3)
    assert s.latency_plan(policy) == ("/healthz", 5, 500.0)


def test_private_metrics_join_the_private_paths() -> None:
    s = service(private_paths=["/admin"], metrics={"private": True})
    assert s.all_private_paths() == ["/admin", "/metrics"]
    assert service(metrics={"private": False}).all_private_paths() == []


def test_default_credentials_known_products_and_explicit() -> None:
    s = service(
        default_credentials=[
            {"product": "grafana"},
            {"path": "/login", "username": "root", "password": "root"},
        ]
    )
    assert [c.probes() for c in s.default_credentials] == [
        [("/api/org", "admin", "admin")],
        [("/login", "root", "root")],
    ]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"url": "shop.example"}, "is not an absolute http(s) URL"),
        ({"url": "ftp://shop.example"}, "is not an absolute http(s) URL"),
        ({"url": "https://shop.example/?a=1"}, "without query"),
        ({"http_url": "https://shop.example"}, "is not an absolute http:// URL"),
        ({"health": "healthz"}, "must start with '/'"),
        ({"private_paths": ["admin"]}, "must start with '/'"),
        ({"default_credentials": [{"product": "nope"}]}, "unknown product 'nope'"),
        ({"default_credentials": [{"path": "/x", "username": "a"}]}, "give product, or all"),
        (
            {"default_credentials": [{"product": "grafana", "username": "a"}]},
            "not both",
        ),
        ({"tls": {"min_version": "1.1"}}, "min_version"),
        ({"tls": {"ciphers": {"policy": "old"}}}, "policy"),
        ({"tls": {"ciphers": {"policy": "modern", "allowed": []}}}, "not both"),
        ({"tls": {"ciphers": {"allowed": ["aes128-sha"]}}}, "not an OpenSSL cipher suite name"),
        ({"latency": {"requests": 0}}, "requests"),
        ({"helth": "/healthz"}, "helth"),
        ({"health": {"path": "/h", "jsn": {}}}, "jsn"),
    ],
)
def test_invalid_service(fields: dict[str, Any], error: str) -> None:
    with pytest.raises(ValidationError, match=error.replace("(", r"\(").replace(")", r"\)")):
        service(**fields)


def test_duplicate_service_names() -> None:
    with pytest.raises(ValidationError, match="appears twice"):
        HttpTargets.model_validate(
            {"services": [{"name": "a", "url": "https://a"}, {"name": "a", "url": "https://b"}]}
        )


def test_cipher_policies() -> None:
    policy = HttpPolicy()
    name, allowed = service().cipher_policy(policy)
    assert name == "intermediate" and "ECDHE-RSA-AES128-GCM-SHA256" in allowed
    assert len(allowed) == 9 and not any("CBC" in s or s.endswith("-SHA") for s in allowed)
    assert service(tls={"ciphers": {"policy": "modern"}}).cipher_policy(policy) == ("modern", ())
    custom = service(tls={"ciphers": {"allowed": ["ECDHE-RSA-AES256-GCM-SHA384"]}})
    assert custom.cipher_policy(policy) == ("custom", ("ECDHE-RSA-AES256-GCM-SHA384",))
    estate = HttpPolicy.model_validate({"tls": {"ciphers": {"policy": "modern"}}})
    assert service().cipher_policy(estate) == ("modern", ())


def test_policy_warn_before_fail() -> None:
    with pytest.raises(ValidationError, match="expiry_warn_days must be at least"):
        HttpPolicy.model_validate({"tls": {"expiry_warn_days": 7, "expiry_fail_days": 14}})


def test_a_typo_in_a_profile_names_file_line_and_key(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "environment: t\n"
        "targets:\n"
        "  services:\n"
        "    - name: shop\n"
        "      url: https://shop.example\n"
        "      helth: /healthz\n"
    )
    with pytest.raises(ProfileError) as info:
        load_profile(str(path), env={})
    text = str(info.value)
    assert str(path) in text and "helth" in text, text


def test_auth_from_environment_is_a_secret(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "environment": "t",
                "targets": {
                    "services": [
                        {
                            "name": "shop",
                            "url": "https://shop.example",
                            "auth": {"bearer_token": "${SHOP_TOKEN}"},
                        }
                    ]
                },
            }
        )
    )
    profile = load_profile(str(path), env={"SHOP_TOKEN": "tok-123"})
    (svc,) = profile.targets.services
    assert svc.auth is not None and svc.auth.bearer_token == "tok-123"
    assert "tok-123" in profile.secrets


@pytest.mark.parametrize("name", ["base", "staging", "production", "demo"])
def test_shipped_profiles_load(name: str) -> None:
    profile = load_profile(name, env={}, cwd=REPO)
    assert profile.http.tls.expiry_fail_days <= profile.http.tls.expiry_warn_days


def test_shipped_thresholds() -> None:
    base = load_profile("base", env={}, cwd=REPO)
    staging = load_profile("staging", env={}, cwd=REPO)
    assert (base.http.tls.expiry_warn_days, base.http.tls.expiry_fail_days) == (30, 14)
    assert base.http.hsts.min_max_age == 31536000
    assert staging.http.latency.p95_ms > base.http.latency.p95_ms
    production = load_profile("production", env={}, cwd=REPO)
    assert production.targets.services, "production.yaml shows a services example"
    demo = load_profile("demo", env={}, cwd=REPO)
    assert {s.name for s in demo.targets.services} >= {"storefront", "admin-console"}
