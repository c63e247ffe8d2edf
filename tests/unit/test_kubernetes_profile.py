"""The kubernetes profile sections: defaults, validation, secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.errors import ProfileError
from readiness.profile import load_profile


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text("environment: test\n" + text)
    return path


def test_defaults_without_a_section(tmp_path: Path) -> None:
    profile = load_profile(str(write(tmp_path, "")), env={})
    assert profile.targets.kubernetes == [] and profile.targets.manifests == []
    assert profile.kubernetes.min_replicas == 2
    assert profile.kubernetes.required_labels == [
        "app.kubernetes.io/name",
        "app.kubernetes.io/version",
    ]


def test_cluster_and_manifests(tmp_path: Path) -> None:
    profile = load_profile(
        str(
            write(
                tmp_path,
                """
targets:
  kubernetes:
    - name: prod
      api_url: https://127.0.0.1:6443
      token: ${K8S_TOKEN}
      namespaces: [shop, payments]
    - name: kc
      kubeconfig: ~/.kube/config
      context: prod-admin
  manifests:
    - name: repo
      paths: [deploy/]
kubernetes:
  min_replicas: 3
  scalable: [checkout, "shop/*"]
  allowed_registries: [ghcr.io/acme]
""",
            )
        ),
        env={"K8S_TOKEN": "abc123secret"},
    )
    prod, kc = profile.targets.kubernetes
    assert prod.token == "abc123secret" and prod.namespaces == ["shop", "payments"]
    assert kc.context == "prod-admin"
    assert "abc123secret" in profile.secrets
    assert profile.kubernetes.scalable == ["checkout", "shop/*"]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        (
            "targets:\n  kubernetes:\n    - name: a\n      api_url: https://x\n"
            "      in_cluster: true\n",
            "targets.kubernetes[0]",
        ),
        ("targets:\n  kubernetes:\n    - name: a\n      token: t\n", "targets.kubernetes[0]"),
        ("targets:\n  manifests:\n    - name: a\n      paths: []\n", "targets.manifests[0].paths"),
        ("kubernetes:\n  min_replica: 2\n", "kubernetes.min_replica"),
        ("kubernetes:\n  target_version: '2.0'\n", "kubernetes.target_version"),
        (
            "targets:\n  manifests:\n    - {name: a, paths: [x]}\n  kubernetes:\n    - {name: a}\n",
            "targets",
        ),
    ],
)
def test_invalid_sections_name_the_key(tmp_path: Path, text: str, key: str) -> None:
    with pytest.raises(ProfileError) as err:
        load_profile(str(write(tmp_path, text)), env={})
    assert err.value.key.startswith(key), err.value
