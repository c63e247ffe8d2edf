"""On-call and escalation judged on the Alertmanager routing tree the alerting family reads."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from readiness.findings import Finding
from readiness.rules.alerting_model import AlertmanagerConfig, Receiver, Route
from readiness.rules.alerting_routes import referenced_receivers, route_alert


def integration_keys(receiver: Receiver) -> tuple[str, ...]:
    """The receiver's integrations as configuration keys (``pagerduty_configs``, ...)."""
    return tuple(sorted({f"{name}_configs" for name in receiver.integrations}))


def receivers_for(route: Route, labels: Mapping[str, str]) -> list[str]:
    """The receivers an alert with ``labels`` reaches, as Alertmanager routes it."""
    return [match.receiver for match in route_alert(route, labels)]


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
        and set(integration_keys(config.receivers[name])) & set(paging_integrations)
    ]
    if paging:
        return []
    found = ", ".join(
        f"{name} ({', '.join(integration_keys(config.receivers[name])) or 'no integration'})"
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
    referenced = referenced_receivers(config.route)
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
