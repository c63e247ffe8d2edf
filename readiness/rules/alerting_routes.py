"""Alertmanager routing, as ``amtool config routes test`` does it. Pure.

:func:`parse_config` turns the loaded configuration (``/api/v2/status`` ->
``config.original``) into typed routes and receivers; :func:`route_alert` walks the route
tree with an alert's labels (matchers, legacy ``match``/``match_re``, ``continue``,
inherited receivers and ``group_by``) and returns every route that takes the alert.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from readiness.rules.alerting_model import AlertmanagerConfig, AmMatcher, Receiver, Route

_MATCHER = re.compile(r"^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$", re.S)
_OPS: tuple[str, ...] = ("=", "!=", "=~", "!~")


class ConfigShapeError(ValueError):
    """The Alertmanager configuration does not have the shape Alertmanager accepts."""


def parse_matchers(text: str) -> list[AmMatcher]:
    """``severity="critical"``, ``{a=~"x|y", b!=c}`` -> matchers (Alertmanager's syntax)."""
    body = text.strip()
    if body.startswith("{") and body.endswith("}"):
        body = body[1:-1]
    out: list[AmMatcher] = []
    for part in _split_commas(body):
        if not part.strip():
            continue
        m = _MATCHER.match(part)
        if m is None:
            raise ConfigShapeError(f"bad matcher format: {part.strip()!r}")
        name, op, raw = m.group(1), m.group(2), m.group(3)
        value = _unquote(raw)
        if op in ("=~", "!~"):
            try:
                re.compile(value)
            except re.error as exc:
                raise ConfigShapeError(
                    f"invalid regex in matcher {part.strip()!r}: {exc}"
                ) from None
        out.append(AmMatcher(name, cast("Any", op), value))
    return out


def _split_commas(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for ch in text:
        if escaped:
            escaped = False
        elif ch == "\\" and quoted:
            escaped = True
        elif ch == '"':
            quoted = not quoted
        elif ch == "," and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == '"' and raw[-1] == '"':
        inner = raw[1:-1]
        return re.sub(r"\\(.)", lambda m: {"n": "\n"}.get(m.group(1), m.group(1)), inner)
    return raw


def matcher_accepts(matcher: AmMatcher, labels: Mapping[str, str]) -> bool:
    value = labels.get(matcher.name, "")
    if matcher.op == "=":
        return value == matcher.value
    if matcher.op == "!=":
        return value != matcher.value
    hit = re.fullmatch(f"(?:{matcher.value})", value, re.S) is not None
    return hit if matcher.op == "=~" else not hit


def parse_config(data: Any) -> AlertmanagerConfig:
    if not isinstance(data, Mapping):
        raise ConfigShapeError("the configuration is not a mapping")
    route = data.get("route")
    if not isinstance(route, Mapping):
        raise ConfigShapeError("no top-level route")
    receivers: dict[str, Receiver] = {}
    for entry in data.get("receivers") or []:
        if not isinstance(entry, Mapping) or not entry.get("name"):
            raise ConfigShapeError(f"receiver without a name: {entry!r}")
        integrations = tuple(
            key.removesuffix("_configs")
            for key, value in entry.items()
            for _ in (value if key.endswith("_configs") and isinstance(value, list) else [])
        )
        receivers[str(entry["name"])] = Receiver(str(entry["name"]), integrations)
    root = _route(route, parent_receiver=None, parent_group_by=None, depth=0)
    if root.receiver is None:
        raise ConfigShapeError("the root route has no receiver")
    return AlertmanagerConfig(root, receivers, len(data.get("inhibit_rules") or []))


def _route(
    raw: Mapping[str, Any],
    parent_receiver: str | None,
    parent_group_by: tuple[str, ...] | None,
    depth: int,
) -> Route:
    if depth > 50:
        raise ConfigShapeError("route tree nested deeper than 50 levels")
    matchers: list[AmMatcher] = []
    for entry in raw.get("matchers") or []:
        matchers.extend(parse_matchers(str(entry)))
    for name, value in (raw.get("match") or {}).items():
        matchers.append(AmMatcher(str(name), "=", str(value)))
    for name, value in (raw.get("match_re") or {}).items():
        matchers.append(AmMatcher(str(name), "=~", str(value)))
    receiver = raw.get("receiver") or parent_receiver
    group_by_raw = raw.get("group_by")
    group_by = tuple(str(g) for g in group_by_raw) if group_by_raw is not None else parent_group_by
    children = tuple(
        _route(child, receiver, group_by, depth + 1)
        for child in raw.get("routes") or []
        if isinstance(child, Mapping)
    )
    return Route(
        receiver=None if receiver is None else str(receiver),
        matchers=tuple(matchers),
        continue_=bool(raw.get("continue", False)),
        group_by=group_by,
        routes=children,
        mute_time_intervals=tuple(str(x) for x in raw.get("mute_time_intervals") or []),
        active_time_intervals=tuple(str(x) for x in raw.get("active_time_intervals") or []),
    )


@dataclass(frozen=True, slots=True)
class RouteMatch:
    """A route that takes the alert, with the path of routes leading to it."""

    path: tuple[Route, ...]

    @property
    def route(self) -> Route:
        return self.path[-1]

    @property
    def receiver(self) -> str:
        return self.route.receiver or ""

    def describe(self) -> str:
        steps = " -> ".join(r.describe() for r in self.path[1:]) or "default route"
        group_by = ",".join(self.route.group_by or ()) or "-"
        return f"{steps}: receiver {self.receiver!r} (group_by: {group_by})"


def route_alert(root: Route, labels: Mapping[str, str]) -> list[RouteMatch]:
    """Every route the alert ends at, in order, like Alertmanager's dispatcher."""
    return _match(root, labels, (root,)) or []


def _match(
    route: Route, labels: Mapping[str, str], path: tuple[Route, ...]
) -> list[RouteMatch] | None:
    if not all(matcher_accepts(m, labels) for m in route.matchers):
        return None
    found: list[RouteMatch] = []
    for child in route.routes:
        matches = _match(child, labels, (*path, child))
        if matches:
            found.extend(matches)
            if not child.continue_:
                break
    if not found:
        found.append(RouteMatch(path))
    return found


def referenced_receivers(root: Route) -> set[str]:
    names = {root.receiver} if root.receiver else set()
    for child in root.routes:
        names |= referenced_receivers(child)
    return names


def receivers_without_integration(config: AlertmanagerConfig) -> Sequence[str]:
    return sorted(n for n, r in config.receivers.items() if not r.integrations)
