"""Where a profile turns TLS verification off: listed in every report, never hidden.

The profile is walked as data, so every source that has ``verify_tls`` (Prometheus,
Alertmanager, registries, Kubernetes clusters, HTTP services, Grafana, Loki, Jaeger …)
is covered, including ones added later.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from readiness.redact import safe_url


def tls_unverified(profile: BaseModel) -> list[str]:
    """``"<profile key> (<url>)"`` for every source with ``verify_tls: false``."""
    found: list[str] = []
    stack: list[tuple[str, Any]] = [("", profile)]
    while stack:
        path, node = stack.pop()
        if isinstance(node, BaseModel):
            if getattr(node, "verify_tls", True) is False:
                url = getattr(node, "url", None) or getattr(node, "api_url", None) or ""
                found.append(f"{path} ({safe_url(str(url))})" if url else path)
            for name in reversed(type(node).model_fields):
                stack.append((f"{path}.{name}" if path else name, getattr(node, name)))
        elif isinstance(node, list | tuple):
            for i, item in reversed(list(enumerate(node))):
                label = getattr(item, "name", None) or i
                stack.append((f"{path}[{label}]", item))
        elif isinstance(node, dict):
            for key, item in reversed(list(node.items())):
                stack.append((f"{path}.{key}", item))
    return found
