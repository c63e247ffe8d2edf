"""``readiness init``: a commented starter profile from what it is given and what it sees.

Services are probed read-only (GET, through the HTTP family's own source) to pick the
health, readiness and metrics paths that answer. Everything not given is left out, with
a comment showing how to add it, so the first run judges only what was asked for.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from urllib.parse import urlsplit

import yaml

from readiness.errors import SourceError
from readiness.profile.http import HttpPolicy, Service
from readiness.sources.http import Fetch, HttpSource

HEALTH_PATHS = ("/healthz", "/health", "/livez", "/-/healthy", "/api/health", "/actuator/health")
READY_PATHS = ("/readyz", "/ready", "/-/ready", "/health/ready", "/actuator/health/readiness")
METRICS_PATHS = ("/metrics", "/actuator/prometheus")
PROBE_TIMEOUT = 5.0


@dataclass(frozen=True, slots=True)
class Request:
    """What the user gave ``readiness init``."""

    environment: str = "production"
    services: tuple[tuple[str, str], ...] = ()  # (name, url)
    ca_file: str | None = None
    prometheus: str | None = None
    alertmanager: str | None = None
    kubeconfig: str | None = None
    context: str | None = None
    manifests: tuple[str, ...] = ()
    registry: str | None = None
    images: tuple[str, ...] = ()


@dataclass(slots=True)
class ServiceFindings:
    """The paths that answered, and notes for the comments above the service."""

    health: str | None = None
    ready: str | None = None
    metrics: str | None = None
    notes: list[str] = field(default_factory=list)


def parse_service(value: str) -> tuple[str, str]:
    """``NAME=URL`` (or a bare URL, named after its host)."""
    name, sep, url = value.partition("=")
    if not sep:
        name, url = (urlsplit(value).hostname or "service").split(".")[0], value
    url = url.rstrip("/")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"--service {value!r}: give NAME=URL with an http(s):// URL")
    if not name.strip():
        raise ValueError(f"--service {value!r}: the NAME before '=' must not be empty")
    return name.strip(), url


def probe_service(name: str, url: str, ca_file: str | None) -> ServiceFindings:
    """GET the well-known paths once each, concurrently, and keep those that answer 2xx."""
    service = Service(name=name, url=url, ca_file=ca_file, timeout=PROBE_TIMEOUT)
    source = HttpSource(HttpPolicy())
    paths = ("/", *HEALTH_PATHS, *READY_PATHS, *METRICS_PATHS)
    source.prefetch(partial(_get, source, service, p) for p in paths)
    answers = {p: _get(source, service, p) for p in paths}
    fetched = {p: f for p, f in answers.items() if isinstance(f, Fetch)}
    found = ServiceFindings()
    found.health = _first_ok(fetched, HEALTH_PATHS)
    found.ready = _first_ok(fetched, READY_PATHS)
    found.metrics = _first_ok(fetched, METRICS_PATHS, _is_exposition)
    root = answers["/"]
    if isinstance(root, SourceError) or root.timed_out:
        why = root.reason if isinstance(root, SourceError) else "no answer in time"
        found.notes.append(f"{url} did not answer ({why}): check the URL, then run init again")
    elif found.health is None and root.status is not None and 200 <= root.status < 300:
        found.health = "/"
        found.notes.append(
            f"none of {', '.join(HEALTH_PATHS)} answered 2xx; / did: point health at your "
            "real health endpoint"
        )
    guarded = [p for p in METRICS_PATHS if p in fetched and fetched[p].status in (401, 403)]
    if found.metrics is None and guarded:
        found.notes.append(
            f"{guarded[0]} asks for credentials: add metrics: {{path: {guarded[0]}, private: "
            "true} and auth: {bearer_token: ${METRICS_TOKEN}}"
        )
    if url.startswith("http://"):
        found.notes.append(
            "plain HTTP: HTTP-TLS-CHAIN fails until it is served over HTTPS; a service that "
            "is plain HTTP by design takes tls: {required: false}"
        )
    unverified = next((f for f in fetched.values() if f.tls_verified is False), None)
    if unverified is not None and ca_file is None:
        found.notes.append(
            f"its certificate did not verify ({unverified.tls_note or 'untrusted'}): give "
            "ca_file: /path/to/ca.pem (or readiness init --ca-file)"
        )
    return found


def _get(source: HttpSource, service: Service, path: str) -> Fetch | SourceError:
    try:
        return source.fetch(service, path)
    except SourceError as exc:  # unreachable: a note in the profile, not a crash
        return exc


def _first_ok(
    fetched: dict[str, Fetch],
    paths: Sequence[str],
    accept: Callable[[Fetch], bool] = lambda _: True,
) -> str | None:
    for path in paths:
        f = fetched.get(path)
        if f is not None and f.status is not None and 200 <= f.status < 300 and accept(f):
            return path
    return None


def _is_exposition(f: Fetch) -> bool:
    head = f.body[:65536]
    return b"# TYPE " in head or b"# HELP " in head


def _flow(value: object) -> str:
    text: str = yaml.safe_dump(value, default_flow_style=True, width=1000, sort_keys=False)
    return text.strip().removesuffix("...").strip()


def render(request: Request, probes: dict[str, ServiceFindings]) -> str:
    """The starter profile: YAML with comments; every part given is filled in."""
    out = [
        "# Starter profile written by `readiness init`. Check it with",
        "#   readiness profile check THIS_FILE",
        "# and run the gate with `pytest --profile=THIS_FILE` (exit 0 = ship).",
        "# Sections not given below are left out on purpose: a family without targets is",
        "# skipped with one line, never failed. `readiness profile reference` lists every key.",
        "extends: base              # the bundled practices (thresholds, required alerts, ...)",
        f"environment: {_flow(request.environment)}",
        "",
        "targets:",
    ]
    out += _services(request, probes)
    out += _alerting(request)
    out += _kubernetes(request)
    out += _supply_chain(request)
    out += [
        "",
        "# Operations checklist (runbooks, on-call, backups, attestations): runs once the profile",
        "# asks for it, e.g. with attestations: or",
        "# families: {operations: {enabled: true}}",
    ]
    return "\n".join(out) + "\n"


def _services(request: Request, probes: dict[str, ServiceFindings]) -> list[str]:
    if not request.services:
        return [
            "  # HTTP endpoints: readiness init --service NAME=URL probes them, or add",
            "  # services:",
            "  #   - {name: web, url: https://web.example.com, health: /healthz, ready: /readyz}",
            "  services: []",
        ]
    out = ["  services:"]
    for name, url in request.services:
        found = probes[name]
        for note in found.notes:
            out += textwrap.wrap(note, 88, initial_indent="    # ", subsequent_indent="    #   ")
        out.append(f"    - name: {_flow(name)}")
        out.append(f"      url: {_flow(url)}")
        if request.ca_file and url.startswith("https://"):
            out.append(f"      ca_file: {_flow(request.ca_file)}")
        for key, path, hint in (
            ("health", found.health, "/healthz"),
            ("ready", found.ready, "/readyz"),
            ("metrics", found.metrics, "/metrics"),
        ):
            if path is not None:
                out.append(f"      {key}: {path}")
            else:
                out.append(f"      # {key}: {hint}          # none answered 2xx when probed")
    return out


def _alerting(request: Request) -> list[str]:
    out = [""]
    if request.prometheus:
        out.append(f"  prometheus: {{url: {_flow(request.prometheus)}}}")
    else:
        out.append(
            "  # prometheus: {url: http://prometheus:9090}      # alerting rules, targets, SLOs"
        )
    if request.alertmanager:
        out.append(f"  alertmanager: {{url: {_flow(request.alertmanager)}}}")
    else:
        out.append("  # alertmanager: {url: http://alertmanager:9093}  # routing, silences")
    return out


def _kubernetes(request: Request) -> list[str]:
    out = [""]
    if request.kubeconfig or request.context:
        cluster: dict[str, str] = {"name": request.context or "cluster"}
        if request.kubeconfig:
            cluster["kubeconfig"] = request.kubeconfig
        if request.context:
            cluster["context"] = request.context
        out += ["  kubernetes:", f"    - {_flow(cluster)}"]
    else:
        out.append(
            "  # kubernetes: [{name: prod, kubeconfig: ~/.kube/config, context: prod}]  # live"
        )
    if request.manifests:
        out += [
            "  manifests:",
            f"    - {_flow({'name': 'manifests', 'paths': list(request.manifests)})}",
        ]
    else:
        out.append("  # manifests: [{name: release, paths: [deploy/k8s]}]   # or manifest files")
    return out


def _supply_chain(request: Request) -> list[str]:
    out = [""]
    if request.registry:
        out += ["  registries:", f"    - {_flow({'name': 'registry', 'url': request.registry})}"]
    else:
        out.append("  # registries: [{name: ghcr, url: https://ghcr.io}]")
    if request.images:
        out.append("  images:")
        for ref in request.images:
            image: dict[str, str] = {"ref": ref}
            if request.registry:
                image["registry"] = "registry"
            out.append(f"    - {_flow(image)}")
    else:
        out.append(
            "  # images: [{ref: ghcr.io/acme/web:1.4.0, registry: ghcr}]  # signatures, SBOMs"
        )
    return out


def starter_profile(request: Request) -> str:
    probes = {name: probe_service(name, url, request.ca_file) for name, url in request.services}
    return render(request, probes)
