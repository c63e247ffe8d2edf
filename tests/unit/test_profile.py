"""Profile loading: extends, ${VAR}, schema errors naming file, line and key."""

from __future__ import annotations

import datetime as dt
import textwrap
from pathlib import Path

import pytest

from readiness.errors import ProfileError
from readiness.profile import bundled_profiles_dir, load_profile

TODAY = dt.date(2026, 11, 24)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return path


def load(path: Path, env: dict[str, str] | None = None):
    return load_profile(str(path), env=env or {}, today=TODAY)


def test_extends_merges_maps_and_replaces_lists(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.yaml",
        """\
        environment: base
        gate: {fail_on: high, max_waiver_days: 30}
        release: {kind: feature, services: [a, b]}
        """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """\
        extends: base.yaml
        environment: prod
        gate: {fail_on: critical}
        release: {services: [c]}
        """,
    )
    profile = load(child)
    assert profile.environment == "prod"
    assert profile.gate.fail_on == "critical"
    assert profile.gate.max_waiver_days == 30  # merged from the base map
    assert profile.release.services == ["c"]  # lists replace
    assert profile.name == "child"
    assert len(profile.sha256) == 64


def test_env_substitution_with_default_and_secret_tracking(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """\
        environment: ${ENVNAME:-staging}
        release: {version: "${VERSION}"}
        """,
    )
    profile = load(path, {"VERSION": "1.2.3"})
    assert profile.environment == "staging"
    assert profile.release.version == "1.2.3"
    assert profile.secrets == frozenset()


def test_missing_env_variable_names_key_and_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """\
        environment: prod
        release:
          version: ${RELEASE_VERSION}
        """,
    )
    with pytest.raises(ProfileError) as exc:
        load(path)
    assert exc.value.line == 3
    assert exc.value.key == "release.version"
    assert "RELEASE_VERSION is not set" in str(exc.value)
    assert str(path) in str(exc.value)


@pytest.mark.parametrize(
    ("text", "line", "key", "words"),
    [
        ("environment: p\ngate:\n  fail_onn: high\n", 3, "gate.fail_onn", "unknown key"),
        ("environment: p\ngate:\n  fail_on: severe\n", 3, "gate.fail_on", "severe"),
        ("gate: {fail_on: high}\n", None, "environment", "required key is missing"),
        (
            "environment: p\nwaivers:\n  - control: HTTP-HEALTH\n    reason: r\n",
            3,
            "waivers[0].approver",
            "missing",
        ),
        (
            "environment: p\ncontrols:\n  NOPE-1: {enabled: false, reason: r}\n",
            3,
            "controls.NOPE-1",
            "unknown control",
        ),
        (
            "environment: p\ncontrols:\n  HTTP-HEALTH: {enabled: false}\n",
            3,
            "controls.HTTP-HEALTH",
            "needs a reason",
        ),
        (
            "environment: p\noperations:\n  runbooks:\n    timeout: 3\n",
            4,
            "operations.runbooks.timeout",
            "set alerting.runbooks.timeout instead",
        ),
        ("environment: p\nenvironment: q\n", 2, "environment", "twice"),
        ("environment: [unclosed\n", 2, "", "invalid YAML"),
        ("- a\n- b\n", 1, "", "mapping"),
    ],
)
def test_broken_profiles_name_file_line_and_key(
    tmp_path: Path, text: str, line: int | None, key: str, words: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    with pytest.raises(ProfileError) as exc:
        load(path)
    err = exc.value
    assert err.file == str(path)
    if line is not None:
        assert err.line == line
    assert err.key == key
    assert words in str(err)


def test_error_in_base_profile_names_the_base_file(tmp_path: Path) -> None:
    base = write(tmp_path, "base.yaml", "environment: b\nreport:\n  dirr: x\n")
    child = write(tmp_path, "child.yaml", "extends: base\nenvironment: c\n")
    with pytest.raises(ProfileError) as exc:
        load(child)
    assert exc.value.file == str(base)
    assert exc.value.line == 3


def test_extends_cycle_and_missing_parent(tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", "extends: b.yaml\nenvironment: a\n")
    b = write(tmp_path, "b.yaml", "extends: a.yaml\nenvironment: b\n")
    with pytest.raises(ProfileError, match="cycle"):
        load(b)
    c = write(tmp_path, "c.yaml", "extends: nowhere.yaml\nenvironment: c\n")
    with pytest.raises(ProfileError, match="does not exist") as exc:
        load(c)
    assert exc.value.line == 1 and exc.value.key == "extends"


def test_waiver_expiry_limit(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "p.yaml",
        """\
        environment: p
        gate: {max_waiver_days: 30}
        waivers:
          - {control: HTTP-HEALTH, target: "*", reason: r, approver: a, expires: 2027-06-01}
        """,
    )
    with pytest.raises(ProfileError, match="more than 30 days ahead") as exc:
        load(path)
    assert exc.value.key == "waivers[0].expires"
    assert exc.value.line == 4


def test_secrets_from_credential_fields_are_tracked(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "environment: p\ndescription: ${DESC}\n")
    profile = load(path, {"DESC": "not-a-secret"})
    assert profile.secrets == frozenset()


def test_unknown_profile_name_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="no profile named 'nope'"):
        load_profile("nope", env={}, cwd=tmp_path)


@pytest.mark.parametrize("name", ["base", "production", "staging", "demo"])
def test_bundled_profiles_load(name: str) -> None:
    assert (bundled_profiles_dir() / f"{name}.yaml").is_file()
    profile = load_profile(name, env={}, cwd=bundled_profiles_dir().parent)
    assert profile.environment


def test_values_in_credential_fields_become_secrets(tmp_path: Path) -> None:
    from readiness.profile.loader import read_profile

    path = write(
        tmp_path,
        "p.yaml",
        """\
        targets:
          prometheus:
            url: ${PROM_URL}
            auth: {basic: {username: svc, password: "${PROM_PASSWORD}"}}
            bearer_token: "Bearer ${TOKEN:-fallback-token}"
        """,
    )
    raw = read_profile(path, {"PROM_URL": "http://127.0.0.1:9090", "PROM_PASSWORD": "pw-123"})
    assert raw.secrets == {"pw-123", "fallback-token"}
    assert raw.data["targets"]["prometheus"]["url"] == "http://127.0.0.1:9090"
