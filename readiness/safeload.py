"""One safe way to read YAML and JSON input: bounded in size, depth and alias expansion.

Profiles, rule files, manifests, SLO specs, SBOMs and provenance all come through here,
so a hostile or broken file ends as one clear error naming the file (and the line, for
YAML) instead of a hang, an out-of-memory kill or a RecursionError:

* files larger than the cap, binary files and text that is not UTF-8 are refused;
* YAML nesting is measured from the parser's events before any tree is built (the
  composer recurses), aliases are counted, and the composed graph is measured as if every
  alias were expanded (billion laughs) and checked for self-reference;
* ``!!python/...`` tags are refused, never ignored;
* JSON is checked for depth after reading (and a RecursionError becomes the same error).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from readiness.errors import ReadinessError

MIB = 1024 * 1024
MAX_BYTES = 64 * MIB
MAX_DEPTH = 100
MAX_ALIASES = 10_000
MAX_EXPANSION = 1_000_000  # nodes an alias may add when expanded, over the whole file

# The C parser (when built) scans events and composes trees fast (a profile's bundled
# parent: ~15x); a document it refuses is read again by the pure parser, whose messages
# and marks the rest of readiness reports.
_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_PYTHON_TAG = "tag:yaml.org,2002:python/"


class SafeLoadError(ReadinessError):
    """A file that cannot be read safely; names the file and, when known, the line."""

    def __init__(self, source: str, reason: str, line: int | None = None, problem: str = ""):
        self.source = source
        self.line = line
        self.reason = reason
        self.problem = problem  # the YAML parser's own words, for a syntax error
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {reason}")


@dataclass(frozen=True, slots=True)
class Limits:
    max_bytes: int = MAX_BYTES
    max_depth: int = MAX_DEPTH
    max_aliases: int = MAX_ALIASES
    max_expansion: int = MAX_EXPANSION


DEFAULT = Limits()


# --------------------------------------------------------------------------- bytes


def read_bytes(path: Path, source: str | None = None, limits: Limits = DEFAULT) -> bytes:
    """The file's bytes, refusing files over the cap (read no further than the cap)."""
    from readiness import snapshot

    name = source or str(path)
    key = (str(path), str(limits.max_bytes))
    return snapshot.through("file", name, key, lambda: _read_bytes(path, name, limits))


def _read_bytes(path: Path, name: str, limits: Limits) -> bytes:
    try:
        with path.open("rb") as fh:
            data = fh.read(limits.max_bytes + 1)
    except IsADirectoryError:
        raise SafeLoadError(name, "is a directory, not a file") from None
    except OSError as exc:
        raise SafeLoadError(name, f"cannot be read: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:
        raise SafeLoadError(name, f"is larger than the {limits.max_bytes // MIB} MiB limit")
    return data


def decode(data: bytes, source: str) -> str:
    """UTF-8 text (a BOM allowed); binary data and other encodings are refused."""
    if b"\x00" in data[:8192]:
        raise SafeLoadError(source, "is a binary file, not text (YAML or JSON expected)")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise SafeLoadError(
            source,
            f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8",
            line,
        ) from None


def read_text(path: Path, source: str | None = None, limits: Limits = DEFAULT) -> str:
    name = source or str(path)
    return decode(read_bytes(path, name, limits), name)


# ---------------------------------------------------------------------------- YAML


def _yaml_error(source: str, exc: yaml.YAMLError) -> SafeLoadError:
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    line = mark.line + 1 if mark else None
    return SafeLoadError(source, f"invalid YAML: {problem}", line, problem)


def _event_line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


_TIMESTAMP = next(  # YAML's own pattern for implicit timestamps
    regexp
    for tag, regexp in yaml.resolver.Resolver.yaml_implicit_resolvers["2"]
    if tag.endswith(":timestamp")
)
_SCALARS = yaml.SafeLoader("")


def _check_plain_scalar(event: yaml.ScalarEvent, source: str) -> None:
    """A plain scalar that looks like a date must be one (``2026-13-45`` is refused)."""
    if not _TIMESTAMP.match(event.value):
        return
    node = yaml.ScalarNode("tag:yaml.org,2002:timestamp", event.value)
    try:
        _SCALARS.construct_yaml_timestamp(node)
    except ValueError as exc:
        raise SafeLoadError(
            source,
            f"{event.value!r} is not a valid date ({exc}); write YYYY-MM-DD",
            _event_line(event),
        ) from None


def _within(count: int, limit: int, problem: str, source: str, event: yaml.Event) -> None:
    if count > limit:
        raise SafeLoadError(source, problem.format(limit), _event_line(event))


def _check_events(text: str, source: str, limits: Limits) -> None:
    """Depth, alias count and python tags, from the event stream (no recursion)."""
    depth = 0
    aliases = 0
    try:
        for event in yaml.parse(text, Loader=_Loader):
            tag = getattr(event, "tag", None)
            if isinstance(tag, str) and tag.startswith(_PYTHON_TAG):
                raise SafeLoadError(
                    source,
                    f"the tag !!{tag.removeprefix('tag:yaml.org,2002:')} is not allowed "
                    "(only plain YAML data is read)",
                    _event_line(event),
                )
            if isinstance(event, yaml.ScalarEvent) and event.implicit[0]:
                _check_plain_scalar(event, source)
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                _within(depth, limits.max_depth, "nested deeper than {} levels", source, event)
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
            elif isinstance(event, yaml.AliasEvent):
                aliases += 1
                _within(aliases, limits.max_aliases, "uses more than {} aliases", source, event)
    except yaml.YAMLError:
        return  # a syntax error: composing below reports it, in the pure parser's words


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node, source: str, limits: Limits) -> None:
    """Refuse self-referencing aliases and graphs that expand past the limit."""
    unique: set[int] = set()
    size: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size[id(c)] for c in _children(node))
            continue
        if key in size:
            continue
        if key in on_path:
            raise SafeLoadError(
                source, "an alias refers to a node that contains it", node.start_mark.line + 1
            )
        unique.add(key)
        on_path.add(key)
        stack.append((node, True))
        for child in _children(node):
            if id(child) in on_path:
                raise SafeLoadError(
                    source,
                    "an alias refers to a node that contains it",
                    child.start_mark.line + 1,
                )
            if id(child) not in size:
                stack.append((child, False))
    if size[id(root)] - len(unique) > limits.max_expansion:
        raise SafeLoadError(
            source,
            f"aliases expand to more than {limits.max_expansion} extra values "
            "(an alias bomb); write the values out or use fewer nested aliases",
            root.start_mark.line + 1,
        )


def compose_all(text: str, source: str, limits: Limits = DEFAULT) -> list[yaml.Node]:
    """Every document's node tree (marks kept), checked; ``None`` documents dropped."""
    if len(text) > limits.max_bytes:
        raise SafeLoadError(source, f"is larger than the {limits.max_bytes // MIB} MiB limit")
    _check_events(text, source, limits)
    try:
        nodes = [n for n in yaml.compose_all(text, Loader=_Loader) if n is not None]
    except yaml.YAMLError:
        try:
            nodes = [n for n in yaml.compose_all(text, Loader=yaml.SafeLoader) if n is not None]
        except yaml.YAMLError as exc:
            raise _yaml_error(source, exc) from None
    for node in nodes:
        _check_expansion(node, source, limits)
    return nodes


def compose(text: str, source: str, limits: Limits = DEFAULT) -> yaml.Node | None:
    """The single document's node tree, or None for an empty file."""
    nodes = compose_all(text, source, limits)
    if len(nodes) > 1:
        raise SafeLoadError(source, "holds more than one YAML document; one is expected")
    return nodes[0] if nodes else None


def construct(node: yaml.Node) -> Any:
    """Plain Python data from a checked node tree."""
    loader = yaml.SafeLoader("")
    return loader.construct_document(node)


def load_yaml_all(text: str, source: str, limits: Limits = DEFAULT) -> Iterator[Any]:
    for node in compose_all(text, source, limits):
        yield construct(node)


def load_yaml(text: str, source: str, limits: Limits = DEFAULT) -> Any:
    node = compose(text, source, limits)
    return None if node is None else construct(node)


# ---------------------------------------------------------------------------- JSON


def _json_depth_ok(value: Any, max_depth: int) -> bool:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > max_depth:
            return False
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return True


def load_json(data: bytes | str, source: str, limits: Limits = DEFAULT) -> Any:
    """JSON from bytes or text; size, encoding, syntax and depth errors name the file."""
    if len(data) > limits.max_bytes:
        raise SafeLoadError(source, f"is larger than the {limits.max_bytes // MIB} MiB limit")
    text = decode(data, source) if isinstance(data, bytes) else data
    try:
        value = json.loads(text)
    except RecursionError:
        raise SafeLoadError(source, f"JSON nested deeper than {limits.max_depth} levels") from None
    except json.JSONDecodeError as exc:
        cut = exc.pos >= len(text.rstrip())
        reason = "truncated JSON (it ends mid-document)" if cut else f"not valid JSON: {exc.msg}"
        raise SafeLoadError(source, reason, exc.lineno) from None
    if not _json_depth_ok(value, limits.max_depth):
        raise SafeLoadError(source, f"JSON nested deeper than {limits.max_depth} levels")
    return value
