"""Profile discovery: bundled profiles by name, implicit base, ``extends: none``, the
``--profile NAME`` search order, and every problem of a broken profile listed."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from readiness.errors import ProfileError
from readiness.profile import bundled_profiles_dir, load_profile, resolve_profile_path

BASE_ALERTS = {
    "service-down",
    "high-error-rate",
    "high-latency",
    "cpu-high",
    "memory-high",
    "disk-high",
    "db-pool-saturation",
    "db-connection-errors",
}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize("parent", ["base", "base.yaml", "readiness:base", "readiness:base.yaml"])
def test_extends_names_the_bundled_base_from_any_directory(tmp_path: Path, parent: str) -> None:
    path = write(tmp_path / "profiles" / "mine.yaml", f"extends: {parent}\nenvironment: mine\n")
    profile = load_profile(str(path), env={})
    assert set(profile.alerting.required_alerts) == BASE_ALERTS
    assert profile.environment == "mine"


def test_extends_names_other_bundled_profiles(tmp_path: Path) -> None:
    path = write(tmp_path / "mine.yaml", "extends: production\nenvironment: mine\n")
    profile = load_profile(str(path), env={})
    assert profile.supply_chain.image.require_digest_pin  # production's setting
    assert set(profile.alerting.required_alerts) == BASE_ALERTS  # and base's, under it


def test_a_file_next_to_the_profile_wins_over_the_bundled_one(tmp_path: Path) -> None:
    write(tmp_path / "base.yaml", "extends: none\nenvironment: team\ngate: {fail_on: medium}\n")
    child = write(tmp_path / "child.yaml", "extends: base\nenvironment: c\n")
    assert load_profile(str(child), env={}).gate.fail_on == "medium"
    # ... and readiness:base always means the bundled one.
    write(child, "extends: readiness:base\nenvironment: c\n")
    assert load_profile(str(child), env={}).gate.fail_on == "high"


def test_a_profile_named_base_extending_base_means_the_bundled_one(tmp_path: Path) -> None:
    path = write(tmp_path / "profiles" / "base.yaml", "extends: base\nenvironment: ours\n")
    profile = load_profile("base", env={}, cwd=tmp_path)
    assert profile.path == str(path)
    assert set(profile.alerting.required_alerts) == BASE_ALERTS


def test_relative_file_paths_resolve_against_the_extending_file(tmp_path: Path) -> None:
    write(tmp_path / "shared" / "team.yaml", "environment: team\ngate: {fail_on: critical}\n")
    child = write(tmp_path / "svc" / "p.yaml", "extends: ../shared/team.yaml\n")
    profile = load_profile(str(child), env={}, cwd=tmp_path / "elsewhere")
    assert profile.gate.fail_on == "critical"
    assert profile.environment == "team"


def test_without_extends_the_base_practices_apply(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", "environment: mine\n")
    profile = load_profile(str(path), env={})
    assert set(profile.alerting.required_alerts) == BASE_ALERTS
    assert profile.alerting.routing["critical"].integrations == [
        "pagerduty",
        "opsgenie",
        "victorops",
        "webhook",
    ]
    assert profile.description == ""  # base's identity is not inherited


def test_extends_none_starts_from_the_schema(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", "extends: none\nenvironment: mine\n")
    assert load_profile(str(path), env={}).alerting.required_alerts == {}


def test_an_unknown_parent_lists_what_exists(tmp_path: Path) -> None:
    path = write(tmp_path / "p.yaml", "environment: p\nextends: prodution\n")
    with pytest.raises(ProfileError) as exc:
        load_profile(str(path), env={})
    assert exc.value.line == 2 and exc.value.key == "extends"
    assert "base, demo, production, staging" in str(exc.value)


def test_search_order_for_a_profile_name(tmp_path: Path) -> None:
    env_dir, pyproject_dir = tmp_path / "env-profiles", tmp_path / "ops" / "profiles"
    write(tmp_path / "pyproject.toml", '[tool.readiness]\nprofile_path = ["ops/profiles"]\n')
    env = {"READINESS_PROFILE_PATH": f"{tmp_path / 'nowhere'}:{env_dir}"}
    cwd = tmp_path / "sub"  # the nearest pyproject.toml is found from a subdirectory
    cwd.mkdir()
    assert (
        resolve_profile_path("production", cwd, env) == bundled_profiles_dir() / "production.yaml"
    )
    in_pyproject = write(pyproject_dir / "production.yaml", "environment: p\n")
    assert resolve_profile_path("production", cwd, env) == in_pyproject
    in_env = write(env_dir / "production.yaml", "environment: p\n")
    assert resolve_profile_path("production", cwd, env) == in_env
    local = write(cwd / "profiles" / "production.yaml", "environment: p\n")
    assert resolve_profile_path("production", cwd, env) == local
    assert (
        resolve_profile_path("readiness:production", cwd, env)
        == bundled_profiles_dir() / "production.yaml"
    )
    with pytest.raises(ProfileError, match=r"no profile named 'nope'.*bundled: base, demo"):
        resolve_profile_path("nope", cwd, env)


def test_every_problem_is_listed_with_file_line_key_and_valid_values(tmp_path: Path) -> None:
    path = write(
        tmp_path / "p.yaml",
        """\
        environment: p
        gate:
          fail_on: severe
          max_waiver_dayz: 10
        targets:
          services:
            - {name: web, url: "http://127.0.0.1:1", helth: /}
        controls:
          HTTP-HEALT: {enabled: false, reason: typo}
        release: {version: "${NOT_SET_A}-${NOT_SET_B}"}
        """,
    )
    with pytest.raises(ProfileError) as exc:
        load_profile(str(path), env={})
    text = str(exc.value)
    assert len(exc.value.problems) == 2  # environment problems are reported before the schema
    assert "NOT_SET_A" in text and "NOT_SET_B" in text
    write(path, path.read_text().replace("${NOT_SET_A}-${NOT_SET_B}", "1.0"))
    with pytest.raises(ProfileError) as exc:
        load_profile(str(path), env={})
    problems = {p.key: p for p in exc.value.problems}
    assert set(problems) == {
        "gate.fail_on",
        "gate.max_waiver_dayz",
        "targets.services[0].helth",
        "controls.HTTP-HEALT",
    }
    assert problems["gate.fail_on"].line == 3
    assert "'critical', 'high', 'medium', 'low' or 'info'" in problems["gate.fail_on"].reason
    assert "valid keys here: " in problems["gate.max_waiver_dayz"].reason
    assert "max_waiver_days" in problems["gate.max_waiver_dayz"].reason
    assert "health" in problems["targets.services[0].helth"].reason
    assert "did you mean HTTP-HEALTH" in problems["controls.HTTP-HEALT"].reason
    assert "and 3 more" not in str(exc.value)
    for problem in exc.value.problems:
        assert f"{path}:{problem.line}, key '{problem.key}'" in str(exc.value)
