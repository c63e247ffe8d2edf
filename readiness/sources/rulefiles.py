"""Prometheus rule files and Kubernetes ``PrometheusRule`` manifests -> typed rules.

Both formats end up as the :class:`RuleSet` the live ``/api/v1/rules`` gives, so the same
rules judge files and servers. Every value keeps its line: a structural problem is
reported as ``file:line group 'g' rule 'r': message``, as promtool does.
"""

from __future__ import annotations

import glob
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import yaml

from readiness import safeload, snapshot
from readiness.errors import SourceError
from readiness.rules.alerting_model import (
    Rule,
    RuleGroup,
    RuleKind,
    RuleProblem,
    RuleSet,
    parse_duration,
)

_GROUP_KEYS = frozenset({"name", "interval", "limit", "rules", "query_offset"})
_RULE_KEYS = frozenset(
    {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"}
)
_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_RULE_SUFFIXES = (".yml", ".yaml")
_SCALARS = yaml.SafeLoader("")


def expand(patterns: Iterable[str], base: Path) -> list[tuple[str, list[Path]]]:
    """Each pattern (file, directory or glob) with the rule files it names, sorted."""
    patterns = list(patterns)
    key = ("rule files", tuple(patterns), str(base))
    return snapshot.through("listing", "rule files", key, lambda: _expand(patterns, base))


def _expand(patterns: Iterable[str], base: Path) -> list[tuple[str, list[Path]]]:
    out: list[tuple[str, list[Path]]] = []
    for pattern in patterns:
        path = Path(pattern)
        full = path if path.is_absolute() else base / path
        if full.is_dir():
            files = sorted(p for p in full.rglob("*") if p.is_file() and p.suffix in _RULE_SUFFIXES)
        elif glob.has_magic(str(full)):
            files = sorted(Path(p) for p in glob.glob(str(full), recursive=True))
            files = [p for p in files if p.is_file()]
        else:
            files = [full] if full.exists() else []
        out.append((pattern, files))
    return out


def load_rule_file(path: Path, display: str | None = None) -> RuleSet:
    """Read one rule file or manifest; problems are collected, never raised.

    Raises SourceError only when the file cannot be read at all.
    """
    name = display or str(path)
    try:
        text = safeload.read_text(path, name)
    except safeload.SafeLoadError as exc:
        raise SourceError(name, f"cannot read rule file: {exc.reason}") from None
    return parse_rule_text(text, name)


def parse_rule_text(text: str, source: str) -> RuleSet:
    """Parse rule YAML (plain rule file, PrometheusRule manifest, or a List of them)."""
    problems: list[RuleProblem] = []
    groups: list[RuleGroup] = []
    try:
        docs = safeload.compose_all(text, source)
    except safeload.SafeLoadError as exc:
        problems.append(RuleProblem(source, exc.reason, exc.line))
        return RuleSet(source, (), tuple(problems))
    if not docs:
        problems.append(RuleProblem(source, "the file holds no rule groups", 1))
    lists = 0
    for doc in docs:
        for groups_node in _group_lists(doc, source, problems):
            lists += 1
            groups.extend(_parse_groups(groups_node, source, problems))
    if docs and not lists and not problems:  # e.g. a Deployment given as a rule file
        problems.append(
            RuleProblem(
                source,
                f"the file holds no rule groups, only {_kinds(docs)}: "
                "not a Prometheus rule file or PrometheusRule",
                1,
            )
        )
    return RuleSet(source, tuple(groups), tuple(problems))


def _kinds(docs: list[yaml.Node]) -> str:
    kinds = []
    for doc in docs:
        kind = (_mapping(doc) or {}).get("kind")
        kinds.append(str(_scalar(kind)) if isinstance(kind, yaml.ScalarNode) else "other data")
    return ", ".join(sorted(set(kinds)))


def _line(node: yaml.Node) -> int:
    return int(node.start_mark.line) + 1


def _mapping(node: yaml.Node) -> dict[str, yaml.Node] | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    out: dict[str, yaml.Node] = {}
    for key, value in node.value:
        out[str(key.value)] = value
    return out


def _scalar(node: yaml.Node) -> Any:
    """The plain Python value of a scalar node (strings, numbers, booleans)."""
    return _SCALARS.construct_object(node, deep=True)


def _group_lists(doc: yaml.Node, source: str, problems: list[RuleProblem]) -> Iterator[yaml.Node]:
    top = _mapping(doc)
    if top is None:
        problems.append(RuleProblem(source, "expected a mapping with 'groups'", _line(doc)))
        return
    kind_node = top.get("kind")
    kind = _scalar(kind_node) if isinstance(kind_node, yaml.ScalarNode) else None
    if kind == "List":
        for item in _seq(top.get("items")):
            yield from _group_lists(item, source, problems)
        return
    if kind == "PrometheusRule":
        spec = _mapping(top["spec"]) if "spec" in top else None
        if spec is None or "groups" not in spec:
            problems.append(RuleProblem(source, "PrometheusRule without spec.groups", _line(doc)))
            return
        yield spec["groups"]
        return
    if kind is not None:
        return  # another Kubernetes object in a manifest bundle: not ours
    unknown = sorted(set(top) - {"groups"})
    for key in unknown:
        problems.append(
            RuleProblem(
                source,
                f"field {key} not found in type rulefmt.RuleGroups",
                _line(top[key]),
            )
        )
    if "groups" not in top:
        if not unknown:
            problems.append(RuleProblem(source, "no 'groups' key", _line(doc)))
        return
    yield top["groups"]


def _seq(node: yaml.Node | None) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _parse_groups(node: yaml.Node, source: str, problems: list[RuleProblem]) -> list[RuleGroup]:
    if isinstance(node, yaml.ScalarNode) and _scalar(node) is None:
        return []
    if not isinstance(node, yaml.SequenceNode):
        problems.append(RuleProblem(source, "'groups' must be a list", _line(node)))
        return []
    seen: set[str] = set()
    groups: list[RuleGroup] = []
    for gnode in node.value:
        group = _parse_group(gnode, source, problems)
        if group is None:
            continue
        if group.name in seen:
            problems.append(
                RuleProblem(
                    source, f"groupname: {group.name!r} is repeated in the same file", group.line
                )
            )
        seen.add(group.name)
        groups.append(group)
    return groups


def _parse_group(node: yaml.Node, source: str, problems: list[RuleProblem]) -> RuleGroup | None:
    fields = _mapping(node)
    if fields is None:
        problems.append(RuleProblem(source, "a group must be a mapping", _line(node)))
        return None
    line = _line(node)
    name_node = fields.get("name")
    name = str(_scalar(name_node) or "") if isinstance(name_node, yaml.ScalarNode) else ""
    for key in sorted(set(fields) - _GROUP_KEYS):
        problems.append(
            RuleProblem(
                source, f"field {key} not found in type rulefmt.RuleGroup", _line(fields[key]), name
            )
        )
    if not name:
        problems.append(RuleProblem(source, "group name must not be empty", line))
    interval = 0.0
    if "interval" in fields:
        try:
            interval = parse_duration(_scalar(fields["interval"]))
        except ValueError as exc:
            problems.append(RuleProblem(source, str(exc), _line(fields["interval"]), name))
    rules_node = fields.get("rules")
    rules: list[Rule] = []
    if (
        rules_node is not None
        and not isinstance(rules_node, yaml.SequenceNode)
        and not (isinstance(rules_node, yaml.ScalarNode) and _scalar(rules_node) is None)
    ):
        problems.append(RuleProblem(source, "'rules' must be a list", _line(rules_node), name))
    for index, rnode in enumerate(_seq(rules_node), start=1):
        rule = _parse_rule(rnode, source, name, index, problems)
        if rule is not None:
            rules.append(rule)
    return RuleGroup(name, source, tuple(rules), interval, line)


def _str_map(
    node: yaml.Node | None,
    what: str,
    source: str,
    group: str,
    rule: str,
    problems: list[RuleProblem],
) -> dict[str, str]:
    if node is None:
        return {}
    fields = _mapping(node)
    if fields is None:
        if isinstance(node, yaml.ScalarNode) and _scalar(node) is None:
            return {}
        problems.append(RuleProblem(source, f"{what} must be a mapping", _line(node), group, rule))
        return {}
    out: dict[str, str] = {}
    for key, value in fields.items():
        if not _LABEL_NAME.match(key) or (what == "labels" and key == "__name__"):
            problems.append(
                RuleProblem(source, f"invalid {what[:-1]} name: {key}", _line(value), group, rule)
            )
        raw = _scalar(value) if isinstance(value, yaml.ScalarNode) else None
        if raw is None and not isinstance(value, yaml.ScalarNode):
            problems.append(
                RuleProblem(source, f"{what} {key!r} must be a string", _line(value), group, rule)
            )
            continue
        out[key] = "" if raw is None else str(raw)
    return out


def _parse_rule(
    node: yaml.Node, source: str, group: str, index: int, problems: list[RuleProblem]
) -> Rule | None:
    fields = _mapping(node)
    line = _line(node)
    if fields is None:
        problems.append(RuleProblem(source, f"rule {index} must be a mapping", line, group))
        return None
    alert = fields.get("alert")
    record = fields.get("record")
    name_node = alert if alert is not None else record
    name = str(_scalar(name_node)) if isinstance(name_node, yaml.ScalarNode) else f"#{index}"
    for key in sorted(set(fields) - _RULE_KEYS):
        problems.append(
            RuleProblem(
                source,
                f"field {key} not found in type rulefmt.Rule",
                _line(fields[key]),
                group,
                name,
            )
        )
    if alert is not None and record is not None:
        problems.append(
            RuleProblem(source, "only one of 'record' and 'alert' must be set", line, group, name)
        )
        return None
    if alert is None and record is None:
        problems.append(
            RuleProblem(source, "one of 'record' or 'alert' must be set", line, group, name)
        )
        return None
    expr_node = fields.get("expr")
    expr = ""
    if isinstance(expr_node, yaml.ScalarNode) and _scalar(expr_node) is not None:
        expr = str(_scalar(expr_node)).strip()
    if not expr:
        problems.append(
            RuleProblem(
                source, "field 'expr' must be set in rule", _line(expr_node or node), group, name
            )
        )
        return None
    kind: RuleKind = "alerting" if alert is not None else "recording"
    if not name or name == "None":
        problems.append(RuleProblem(source, f"{kind} rule name must not be empty", line, group))
        return None
    if kind == "recording" and not _METRIC_NAME.match(name):
        problems.append(
            RuleProblem(source, f"invalid recording rule name: {name}", line, group, name)
        )
    durations: dict[str, float] = {}
    for key in ("for", "keep_firing_for"):
        if key not in fields:
            continue
        if kind == "recording":
            problems.append(
                RuleProblem(
                    source,
                    f"invalid field '{key}' in recording rule",
                    _line(fields[key]),
                    group,
                    name,
                )
            )
            continue
        try:
            durations[key] = parse_duration(_scalar(fields[key]))
        except ValueError as exc:
            problems.append(RuleProblem(source, str(exc), _line(fields[key]), group, name))
    labels = _str_map(fields.get("labels"), "labels", source, group, name, problems)
    annotations = _str_map(fields.get("annotations"), "annotations", source, group, name, problems)
    if kind == "recording" and annotations:
        problems.append(
            RuleProblem(source, "invalid field 'annotations' in recording rule", line, group, name)
        )
    return Rule(
        kind=kind,
        name=name,
        expr=expr,
        group=group,
        source=source,
        line=line,
        for_seconds=durations.get("for", 0.0),
        keep_firing_for_seconds=durations.get("keep_firing_for", 0.0),
        labels=labels,
        annotations=annotations,
    )
