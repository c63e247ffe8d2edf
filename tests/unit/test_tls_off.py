"""Every source with TLS verification off is named, whatever family it belongs to."""

from __future__ import annotations

from readiness.profile.model import Profile
from readiness.tls_off import tls_unverified


def test_every_source_with_verification_off_is_listed_with_a_safe_url() -> None:
    profile = Profile.model_validate(
        {
            "environment": "prod",
            "targets": {
                "prometheus": {"url": "https://u:pw-secret1@prom:9090", "verify_tls": False},
                "alertmanager": {"url": "https://am:9093"},
                "services": [
                    {"name": "shop", "url": "https://shop.example", "verify_tls": False},
                    {"name": "cart", "url": "https://cart.example"},
                ],
                "kubernetes": [
                    {"name": "c1", "api_url": "https://k:6443", "verify_tls": False},
                ],
            },
        }
    )
    assert tls_unverified(profile) == [
        "targets.kubernetes[c1] (https://k:6443)",
        "targets.prometheus (https://***@prom:9090)",
        "targets.services[shop] (https://shop.example)",
    ]


def test_nothing_listed_when_verification_is_on_everywhere() -> None:
    assert tls_unverified(Profile.model_validate({"environment": "prod"})) == []
