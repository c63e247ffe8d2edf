"""On-call and escalation from an Alertmanager configuration (parsed, then judged)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from readiness.findings import Finding

_MATCHER = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*(.*?)\s*$")


class ConfigShapeError(ValueError):
    """The Alertmanager configuration does not have the expected shape."""


@dataclass(frozen=True, slots=True)
class Matcher:
    label: str
    op: str  # =, !=, =~, !~
    value: str

    def matches(self, labels: Mapping[str, str]) -> bool:
        actual = labels.get(self.label, "")
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        hit = re.fullmatch(self.value, actual) is not None
        return hit if self.op == "=~" else not hit

    def __str__(self) -> str:
        return f'{self.label}{self.op}"{self.value}"'


@dataclass(frozen=True, slots=True)
class Route:
    receiver: str
    matchers: tuple[Matcher, ...] = ()
    continue_: bool = False
    routes: tuple[Route, ...] = ()


@dataclass(frozen=True, slots=True)
class Receiver:
    name: str
    integrations: tuple[str, ...]  # e.g. ("pagerduty_configs",)


@dataclass(frozen=True, slots=True)
class AlertmanagerConfig:
    route: Route
    receivers: Mapping[str, Receiver]

    def referenced_receivers(self) -> set[str]:
        names: set[str] = set()
        stack = [self.route]
        while stack:
            route = stack.pop()
            names.add(route.receiver)
            stack.extend(route.routes)
        return names


def parse_matcher(text: str) -> Matcher:
    match = _MATCHER.match(text)
    if match is None:
        raise ConfigShapeError(f"cannot read matcher {text!r}")
    label, op, value = match.groups()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"')
    return Matcher(label, op, value)


def _route(data: Any, parent_receiver: str, path: str) -> Route:
    if not isinstance(data, dict):
        raise ConfigShapeError(f"{path} is not a mapping")
    receiver = str(data.get("receiver") or parent_receiver)
    matchers: list[Matcher] = [parse_matcher(str(m)) for m in data.get("matchers") or ()]
    matchers += [Matcher(str(k), "=", str(v)) for k, v in (data.get("match") or {}).items()]
    matchers += [Matcher(str(k), "=~", str(v)) for k, v in (data.get("match_re") or {}).items()]
    children = tuple(
        _route(child, receiver, f"{path}.routes[{i}]")
        for i, child in enumerate(data.get("routes") or ())
    )
    return Route(receiver, tuple(matchers), bool(data.get("continue", False)), children)


def parse_config(data: Any) -> AlertmanagerConfig:
    """An Alertmanager configuration (as YAML data) in the few terms these rules need."""
    if not isinstance(data, dict) or not isinstance(data.get("route"), dict):
        raise ConfigShapeError("configuration has no route")
    receivers: dict[str, Receiver] = {}
    for entry in data.get("receivers") or ():
        if not isinstance(entry, dict) or "name" not in entry:
            raise ConfigShapeError(f"receiver without a name: {entry!r}")
        integrations = tuple(sorted(k for k, v in entry.items() if k.endswith("_configs") and v))
        receivers[str(entry["name"])] = Receiver(str(entry["name"]), integrations)
    return AlertmanagerConfig(_route(data["route"], "", "route"), receivers)


def receivers_for(route: Route, labels: Mapping[str, str]) -> list[str]:
    """The receivers an alert with ``labels`` reaches, as Alertmanager routes it."""
    if not all(m.matches(labels) for m in route.matchers):
        return []
    reached: list[str] = []
    for child in route.routes:
        hit = receivers_for(child, labels)
        if hit:
            reached += hit
            if not child.continue_:
                break
    return reached or [route.receiver]


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items())) + "}"


def paging_findings(
    config: AlertmanagerConfig,
    critical_labels: Mapping[str, str],
    paging_integrations: Sequence[str],
) -> list[Finding]:
    reached = receivers_for(config.route, critical_labels)
    paging = [
        name
        for name in reached
        if name in config.receivers
        and set(config.receivers[name].integrations) & set(paging_integrations)
    ]
    if paging:
        return []
    found = ", ".join(
        f"{name} ({', '.join(config.receivers[name].integrations) or 'no integration'})"
        if name in config.receivers
        else f"{name} (not declared)"
        for name in reached
    )
    return [
        Finding(
            f"critical alerts {_labels(critical_labels)} reach no paging integration",
            expected=f"a receiver with one of {', '.join(paging_integrations)}",
            found=f"routed to {found}",
            fix="add a route for the critical labels to a receiver with a paging "
            "integration (e.g. pagerduty_configs) before any catch-all route",
        )
    ]


def escalation_findings(config: AlertmanagerConfig, levels: Sequence[str]) -> list[Finding]:
    findings: list[Finding] = []
    referenced = config.referenced_receivers()
    for number, level in enumerate(levels, start=1):
        receiver = config.receivers.get(level)
        if receiver is None:
            findings.append(
                Finding(
                    f"escalation level {number} {level!r} has no receiver",
                    expected=f"an Alertmanager receiver named {level!r}",
                    found=f"receivers: {', '.join(sorted(config.receivers)) or 'none'}",
                    fix=f"declare receiver {level!r} with the contact of that level",
                )
            )
            continue
        if not receiver.integrations:
            findings.append(
                Finding(
                    f"escalation level {number} {level!r} has no integration",
                    expected="at least one *_configs entry (pagerduty, email, webhook, ...)",
                    found="a receiver that notifies nobody",
                    fix=f"give receiver {level!r} the contact of that level",
                )
            )
        if level not in referenced:
            findings.append(
                Finding(
                    f"escalation level {number} {level!r} is not reached by any route",
                    expected=f"a route with receiver {level!r}",
                    found=f"routes reach: {', '.join(sorted(referenced))}",
                    fix=f"add a route (e.g. matching an escalation label) to {level!r}",
                )
            )
    return findings
