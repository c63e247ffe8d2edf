"""Broken or hostile profiles, rule files and manifests: a clear error naming the file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from readiness.errors import ProfileError, SourceError
from readiness.profile import load_profile
from readiness.sources.manifests import parse_documents
from readiness.sources.rulefiles import load_rule_file, parse_rule_text

TODAY = dt.date(2026, 11, 24)


def _load(path: Path, env: dict[str, str] | None = None) -> None:
    load_profile(str(path), env=env or {}, today=TODAY)


@pytest.mark.parametrize(
    ("content", "line", "words"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", None, "binary file"),
        (b"environment: caf\xe9\n", 1, "not UTF-8"),
        (b"environment: prod\nreport: !!python/object:os.system {dir: x}\n", 2, "!!python/object"),
        (b"environment: prod\nhttp: {timeout: .inf}\n", 2, "finite number"),
        (
            b"environment: prod\nwaivers:\n- {control: HTTP-TLS, reason: r, approver: '',"
            b" expires: 2026-12-01}\n",
            3,
            "must not be empty",
        ),
        (
            b"environment: prod\nwaivers:\n- {control: HTTP-TLS, reason: r, approver: a,"
            b" expires: 2026-13-45}\n",
            3,
            "not a valid date",
        ),
        (b"environment: prod\nx: " + b"[" * 5000 + b"]" * 5000 + b"\n", 2, "nested deeper"),
    ],
)
def test_hostile_profile_is_a_profile_error_naming_file_and_line(
    tmp_path: Path, content: bytes, line: int | None, words: str
) -> None:
    path = tmp_path / "evil.yaml"
    path.write_bytes(content)
    with pytest.raises(ProfileError) as caught:
        _load(path)
    assert caught.value.file == str(path)
    assert caught.value.line == line
    assert words in str(caught.value)


def test_short_credential_is_refused_and_not_echoed(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "environment: prod\ntargets:\n  prometheus:\n    url: http://127.0.0.1:9\n"
        "    auth: {bearer_token: '${TOKEN}'}\n"
    )
    with pytest.raises(ProfileError) as caught:
        _load(path, {"TOKEN": "abc12"})
    assert "too short" in str(caught.value)
    assert "abc12" not in str(caught.value)
    assert caught.value.key.endswith("bearer_token")


def test_deployment_given_as_a_rule_file_is_a_problem_not_a_pass() -> None:
    text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: shop}\nspec: {}\n"
    problems = parse_rule_text(text, "deploy.yaml").problems
    assert [p.message for p in problems] == [
        "the file holds no rule groups, only Deployment: "
        "not a Prometheus rule file or PrometheusRule"
    ]


def test_empty_groups_list_is_still_a_valid_rule_file() -> None:
    assert parse_rule_text("groups: []\n", "empty.yaml").problems == ()


def test_binary_rule_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "rules.yml"
    path.write_bytes(b"\x00\x01\x02groups")
    with pytest.raises(SourceError, match=r"rules\.yml.*binary file"):
        load_rule_file(path)


def test_manifest_alias_bomb_names_file_and_document() -> None:
    text = "kind: Service\nmetadata: {name: a}\n---\nkind: Pod\na: &a [x, x, x, x, x, x, x, x]\n"
    for name in "bcdefgh":
        text += f"{name}: &{name} [" + ", ".join(["*" + chr(ord(name) - 1)] * 8) + "]\n"
    with pytest.raises(SourceError, match=r"a\.yaml document 1 line .*alias bomb"):
        list(parse_documents("manifests", "a.yaml", text))


def test_binary_slo_spec_is_an_error_of_that_file_only(tmp_path: Path) -> None:
    from readiness.sources.slo_specs import SpecError, load_file

    path = tmp_path / "checkout-slo.yaml"
    path.write_bytes(b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03binary")
    with pytest.raises(SpecError) as caught:
        load_file(path)
    assert "checkout-slo.yaml" in str(caught.value)
    assert "binary file" in str(caught.value)


def test_deeply_nested_sbom_names_the_file(tmp_path: Path) -> None:
    from readiness.sources.sbom import read_sbom_file

    path = tmp_path / "app.cdx.json"
    path.write_bytes(b'{"bomFormat": "CycloneDX", "x": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
    with pytest.raises(SourceError) as caught:
        read_sbom_file(str(path))
    assert str(path) in str(caught.value)
    assert "nested deeper than 100 levels" in str(caught.value)


def test_binary_provenance_names_the_file(tmp_path: Path) -> None:
    from readiness.sources.supply_chain import _json_items

    path = tmp_path / "app.intoto.jsonl"
    path.write_bytes(b"\x00\x01\x02\x03 not json")
    with pytest.raises(SourceError) as caught:
        _json_items(str(path))
    assert str(path) in str(caught.value)
    assert "binary file" in str(caught.value)
