"""Hostile YAML and JSON end as one clear error naming the file, never a hang or a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml

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


def _shape(node: yaml.Node) -> object:
    """A node tree as plain data: tag, value, quoting and line of every node (a plain
    scalar's style is "" from the C parser, None from the pure one)."""
    if isinstance(node, yaml.ScalarNode):
        return (node.tag, node.value, node.style or None, node.start_mark.line)
    children = node.value
    if isinstance(node, yaml.MappingNode):
        children = [(_shape(k), _shape(v)) for k, v in children]
    else:
        children = [_shape(c) for c in children]
    return (node.tag, node.start_mark.line, children)


@pytest.mark.parametrize(
    "path",
    [
        Path(__file__).parents[2] / "profiles" / "base.yaml",
        Path(__file__).parents[2] / "profiles" / "demo.yaml",
        Path(__file__).parents[2] / "profiles" / "demo-k8s" / "catalog.yaml",
    ],
    ids=lambda p: p.name,
)
def test_trees_composed_by_the_c_parser_are_the_pure_parsers(path: Path) -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML is built without libyaml here")
    text = path.read_text()
    ours = safeload.compose_all(text, path.name)
    pure = [n for n in yaml.compose_all(text, Loader=yaml.SafeLoader) if n is not None]
    assert len(ours) == len(pure) >= 1
    assert [_shape(n) for n in ours] == [_shape(n) for n in pure]
    assert [type(n.start_mark).__module__ for n in ours] != [
        type(n.start_mark).__module__ for n in pure
    ]  # the C parser composed them (its marks are its own type)
