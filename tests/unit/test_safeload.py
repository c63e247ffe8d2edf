"""Hostile YAML and JSON end as one clear error naming the file, never a hang or a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from readiness import safeload
from readiness.safeload import SafeLoadError


def _laughs(levels: int = 9) -> str:
    text = "a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
    previous = "a"
    for name in "bcdefghijk"[: levels - 1]:
        text += f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]\n"
        previous = name
    return text


@pytest.mark.parametrize(
    ("text", "reason", "line"),
    [
        (_laughs(), "alias bomb", 1),
        ("a: " + "[" * 50_000 + "]" * 50_000, "nested deeper than 100 levels", 1),
        ("a: &x [1, *x]\n", "an alias refers to a node that contains it", 1),
        ("x: 1\nobj: !!python/object:os.system {cmd: id}\n", "!!python/object:os.system", 2),
        ("x: !!python/name:os.system\n", "is not allowed", 1),
        ("waivers:\n  - expires: 2026-13-45\n", "not a valid date", 2),
        ("a: [\n", "invalid YAML", 2),
    ],
)
def test_hostile_yaml_is_refused_quickly_naming_file_and_line(
    text: str, reason: str, line: int | None
) -> None:
    started = time.monotonic()
    with pytest.raises(SafeLoadError) as caught:
        safeload.load_yaml(text, "evil.yaml")
    assert time.monotonic() - started < 5
    assert reason in caught.value.reason
    assert caught.value.line == line
    assert str(caught.value).startswith("evil.yaml")


def test_aliases_within_limits_still_load() -> None:
    assert safeload.load_yaml("base: &b {x: 1}\nuse: *b\n", "ok.yaml") == {
        "base": {"x": 1},
        "use": {"x": 1},
    }


def test_image_aliased_a_billion_times_in_a_manifest_stream_is_refused() -> None:
    text = "kind: Pod\n" + _laughs(10).replace("a: &a", "img: &a")
    with pytest.raises(SafeLoadError, match="alias bomb"):
        list(safeload.load_yaml_all(text, "pod.yaml"))


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"[" * 100_000 + b"]" * 100_000, "nested deeper than 100 levels"),
        (b'{"bomFormat": "CycloneDX", "components": [1, 2', "truncated JSON"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00", "binary file"),
        (b'{"name": "caf\xe9"}', "not UTF-8"),
        (b'{"a": 1} trailing', "not valid JSON"),
    ],
)
def test_hostile_json_is_refused_naming_the_file(data: bytes, reason: str) -> None:
    with pytest.raises(SafeLoadError) as caught:
        safeload.load_json(data, "sbom.json")
    assert reason in caught.value.reason
    assert caught.value.source == "sbom.json"


def test_file_over_the_cap_is_refused_without_reading_it_whole(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"#" * (2 * safeload.MIB))
    with pytest.raises(SafeLoadError, match="larger than the 1 MiB limit"):
        safeload.read_text(big, limits=safeload.Limits(max_bytes=safeload.MIB))


def test_directory_and_missing_file_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(SafeLoadError, match="is a directory"):
        safeload.read_text(tmp_path)
    with pytest.raises(SafeLoadError, match="cannot be read"):
        safeload.read_text(tmp_path / "nope.yaml")
