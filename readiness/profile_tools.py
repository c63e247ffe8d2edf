"""``readiness profile check|show|reference``: validate, explain and document profiles."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

import yaml
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from readiness.errors import ProfileError
from readiness.families import family_states
from readiness.profile import Profile, load_profile, load_raw
from readiness.profile.loader import Path_, RawProfile, bundled_profiles_dir, is_secret_field
from readiness.profile.problems import union_members
from readiness.redact import MASK, Redactor

# ------------------------------------------------------------------------------- check


def check(names: list[str], env: Mapping[str, str], cwd: Path) -> tuple[list[str], int]:
    """Every problem of every profile, one line each; the exit status (4 on any)."""
    lines: list[str] = []
    broken = 0
    for name in names:
        try:
            profile = load_profile(name, env=env, cwd=cwd)
        except ProfileError as exc:
            broken += 1
            lines.append(f"{name}: {len(exc.problems)} problem(s)")
            lines += [f"  {_problem_line(p)}" for p in exc.problems]
            continue
        running = [s.family for s in family_states(profile).values() if s.runs]
        lines.append(
            f"{name}: ok (environment {profile.environment}; families that run: "
            f"{', '.join(running) or 'none'})"
        )
    return lines, 4 if broken else 0


def _problem_line(p: ProfileError) -> str:
    where = f"{p.file}:{p.line}" if p.line is not None else p.file
    key = f" {p.key}:" if p.key else ""
    return f"{where}:{key} {p.reason}"


# -------------------------------------------------------------------------------- show


def show(name: str, env: Mapping[str, str], cwd: Path) -> str:
    """The resolved profile, secrets masked, each value with the file:line or env var it
    came from. Validates first: a broken profile raises ``ProfileError``."""
    profile = load_profile(name, env=env, cwd=cwd)
    _, raw = load_raw(name, env=env, cwd=cwd)
    redactor = Redactor(profile.secrets)
    chain = " <- ".join(_short(str(f), cwd) for f in reversed(raw.files))
    out = [f"# {profile.name}: {chain}", "# value  # where it came from (file:line, env VAR)"]
    out += _show_node(raw, raw.data, (), 0, redactor, cwd)
    return "\n".join(out) + "\n"


def _short(file: str, cwd: Path) -> str:
    path = Path(file)
    bundled = bundled_profiles_dir()
    if path.is_relative_to(bundled):
        return f"readiness:{path.relative_to(bundled)}"
    return str(path.relative_to(cwd)) if path.is_relative_to(cwd) else file


def _origin(raw: RawProfile, path: Path_, cwd: Path) -> str:
    file, line = raw.origins.get(path, ("", None))
    where = f"{_short(file, cwd)}:{line}" if file else ""
    env_vars = raw.env_vars.get(path)
    if env_vars:
        where += f" <- env {', '.join(env_vars)}"
    return where


def _scalar(raw: RawProfile, path: Path_, value: Any, redactor: Redactor) -> str:
    if isinstance(value, str) and value and (is_secret_field(path) or value in raw.secrets):
        return MASK
    text: str = yaml.safe_dump(value, default_flow_style=True, width=10000)
    text = text.strip().removesuffix("...").strip()
    return redactor.text(text)


def _show_node(
    raw: RawProfile, node: Any, path: Path_, depth: int, redactor: Redactor, cwd: Path
) -> Iterator[str]:
    pad = "  " * depth
    items = node.items() if isinstance(node, dict) else enumerate(node)
    for key, value in items:
        child = (*path, key)
        lead = f"{pad}{key}:" if isinstance(node, dict) else f"{pad}-"
        comment = f"  # {_origin(raw, child, cwd)}"
        if isinstance(value, dict | list) and value and not _is_scalar_list(value):
            yield f"{lead}{comment}"
            yield from _show_node(raw, value, child, depth + 1, redactor, cwd)
        elif isinstance(value, list):
            shown = [_scalar(raw, (*child, i), v, redactor) for i, v in enumerate(value)]
            yield f"{lead} [{', '.join(shown)}]{comment}"
        else:
            empty = "{}" if isinstance(value, dict) else _scalar(raw, child, value, redactor)
            yield f"{lead} {empty}{comment}"


def _is_scalar_list(value: Any) -> bool:
    return isinstance(value, list) and all(not isinstance(v, dict | list) for v in value)


# --------------------------------------------------------------------------- reference

REFERENCE_HEADER = """\
# Profile reference

Generated from the profile schema by `readiness profile reference`; do not edit by
hand (a test compares this file with the generated text). Defaults are those every
profile gets: the bundled `base` profile's values where it sets one (a profile without
`extends`, or with `extends: base`, gets them), else the schema's. `extends: none`
starts from the schema's defaults alone.

Profile-level keys: `extends` (a file next to the profile, a bundled profile name such
as `base`, `readiness:NAME` for a bundled one, or `none`), and the sections below.
Values may use `${VAR}` and `${VAR:-default}`.
"""


def reference() -> str:
    """Markdown: every section and key of the schema, with type, default and meaning."""
    base_file = bundled_profiles_dir() / "base.yaml"
    base = load_profile(str(base_file), env={})
    notes = {**_yaml_comments(base_file.read_text(encoding="utf-8")), **_comments(Profile)}
    own = list(inspect.get_annotations(Profile))
    fields = sorted(
        Profile.model_fields.items(),
        key=lambda kv: (own.index(kv[0]) if kv[0] in own else len(own), kv[0]),
    )
    out = [REFERENCE_HEADER]
    for name, info in fields:
        out += ["", f"## `{info.alias or name}`", ""]
        doc = _doc(info.annotation)
        if doc:
            out += [doc, ""]
        out += ["| key | type | default | meaning |", "|---|---|---|---|"]
        out += list(_rows(name, info, getattr(base, name), notes))
        example = _example(base, name)
        if example:
            out += ["", "```yaml", example, "```"]
    return "\n".join(out) + "\n"


def _rows(key: str, info: FieldInfo, default: Any, notes: dict[str, str]) -> Iterator[str]:
    annotation = info.annotation
    meaning = notes.get(key) or (info.description or "").replace("|", "\\|")
    yield f"| `{key}` | {_type_name(annotation)} | {_default(info, default)} | {meaning} |"
    model = _single_model(annotation)
    if model is None:
        return
    origin = get_origin(_unoptional(annotation))
    prefix = f"{key}[]" if origin is list else f"{key}.NAME" if origin is dict else key
    comments = _comments(model)
    for child_name, child in model.model_fields.items():
        child_key = f"{prefix}.{child.alias or child_name}"
        child_default = getattr(default, child_name, None) if origin is None else None
        child_notes = {**notes}
        if child_name in comments:
            child_notes[child_key] = comments[child_name]
        yield from _rows(child_key, child, child_default, child_notes)


def _default(info: FieldInfo, value: Any) -> str:
    if info.is_required():
        return "required"
    if isinstance(value, BaseModel):
        return "see below"
    if value is None:
        value = info.get_default(call_default_factory=True)
    if isinstance(value, BaseModel):
        return "see below"
    if isinstance(value, dict) and value and any(isinstance(v, BaseModel) for v in value.values()):
        return f"{len(value)} entries (see the example)"
    text = yaml.safe_dump(_plain(value), default_flow_style=True, width=10000)
    text = text.strip().removesuffix("...").strip()
    return f"`{text}`".replace("|", "\\|") if len(text) < 90 else "(long: see the example)"


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


#: Examples of the sections the bundled base leaves empty. Each is validated against the
#: schema when the reference is generated, so a stale one fails (it cannot drift).
EXAMPLES: dict[str, Any] = {
    "environment": "production",
    "description": "Release gate of the shop's production services.",
    "release": {"kind": "feature", "version": "1.4.0", "services": ["checkout"]},
    "targets": {
        "services": [
            {
                "name": "checkout",
                "url": "https://checkout.example.com",
                "ca_file": "/etc/ssl/private-ca.pem",
                "health": "/healthz",
                "ready": "/readyz",
                "metrics": {"path": "/metrics", "private": True},
                "auth": {"bearer_token": "${CHECKOUT_METRICS_TOKEN}"},
            }
        ],
        "prometheus": {"url": "https://prometheus.example.com"},
        "alertmanager": {"url": "https://alertmanager.example.com"},
        "rule_files": ["deploy/prometheus/*.yaml"],
        "kubernetes": [{"name": "prod", "kubeconfig": "~/.kube/config", "context": "prod"}],
        "manifests": [{"name": "release", "paths": ["deploy/k8s"]}],
        "registries": [{"name": "ghcr", "url": "https://ghcr.io"}],
        "images": [{"ref": "ghcr.io/acme/checkout:1.4.0", "registry": "ghcr"}],
        "backups": [{"name": "orders-db", "directory": "/backups/orders", "pattern": "*.sql.gz"}],
    },
    "families": {
        "operations": {"enabled": True},
        "supply_chain": {"enabled": False, "reason": "images are gated by the platform team"},
    },
    "controls": {
        "HTTP-LATENCY": {"severity": "medium", "reason": "batch API: latency is advisory"},
        "K8S-HPA": {"enabled": False, "reason": "fixed-size workloads"},
    },
    "waivers": [
        {
            "control": "HTTP-HSTS",
            "target": "legacy-*",
            "reason": "HSTS breaks the legacy client until its migration",
            "approver": "jane.doe",
            "expires": "2026-12-31",
        }
    ],
    "attestations": [
        {
            "control": "OPS-ENV-VALIDATION",
            "status": "passed",
            "explanation": "settings validated with pydantic-settings at start",
            "attested_by": "maria.lopez@example.com",
            "date": "2026-11-02",
            "frequency": "1y",
        }
    ],
    "slos": [
        {
            "service": "checkout",
            "objectives": [
                {
                    "name": "availability",
                    "target": 99.9,
                    "window": "30d",
                    "sli": {
                        "error": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))',
                        "total": "sum(rate(http_requests_total[{{.window}}]))",
                    },
                }
            ],
        }
    ],
    "slo_files": ["slo/*.yaml"],
}


def _example(base: Profile, name: str) -> str:
    value = _plain(getattr(base, name))
    if name in EXAMPLES:
        value = EXAMPLES[name]
        # Validated with the rest of a minimal profile: a stale example fails here.
        Profile.model_validate({"environment": "example", name: value})
    if value in ({}, [], None, ""):
        return ""
    dumped: str = yaml.safe_dump({name: value}, sort_keys=False, width=100)
    return dumped.rstrip()


def _type_name(annotation: Any) -> str:
    members = union_members(annotation)
    names = []
    for m in members:
        origin = get_origin(m)
        if origin is Literal:
            names.append("one of " + ", ".join(f"`{v}`" for v in get_args(m)))
        elif origin is list:
            names.append(f"list of {_type_name(get_args(m)[0])}")
        elif origin is dict:
            names.append(f"map of {_type_name(get_args(m)[1])}")
        elif m is type(None):
            names.append("null")
        elif isinstance(m, type) and issubclass(m, BaseModel):
            names.append("map")
        else:
            names.append(getattr(m, "__name__", str(m)))
    return " or ".join(names)


def _unoptional(annotation: Any) -> Any:
    members = [m for m in union_members(annotation) if m is not type(None)]
    return members[0] if len(members) == 1 else annotation


def _single_model(annotation: Any) -> type[BaseModel] | None:
    inner = _unoptional(annotation)
    origin = get_origin(inner)
    if origin is list:
        inner = get_args(inner)[0]
    elif origin is dict:
        inner = get_args(inner)[1]
    inner = _unoptional(inner)
    return inner if isinstance(inner, type) and issubclass(inner, BaseModel) else None


def _doc(annotation: Any) -> str:
    model = _single_model(annotation)
    doc = model.__dict__.get("__doc__") if model is not None else None
    return " ".join(doc.split()) if isinstance(doc, str) else ""


_YAML_KEY = re.compile(r"^(?P<pad> *)(?P<key>[\w.-]+):(?P<rest>.*)$")


def _yaml_comments(text: str) -> dict[str, str]:
    """``key: value  # comment`` lines of a YAML file, by dotted key (the base's notes)."""
    found: dict[str, str] = {}
    stack: list[tuple[int, str]] = []
    for line in text.splitlines():
        match = _YAML_KEY.match(line)
        if not match:
            continue
        pad = len(match.group("pad"))
        while stack and stack[-1][0] >= pad:
            stack.pop()
        stack.append((pad, match.group("key")))
        rest = match.group("rest")
        if " #" in rest and rest.count("'") % 2 == 0 and rest.count('"') % 2 == 0:
            comment = rest.split(" #", 1)[1].strip()
            found[".".join(k for _, k in stack)] = comment.replace("|", "\\|")
    return found


_FIELD = re.compile(r"^\s+(\w+)\s*:[^=]*(?:=.*?)?(?:#\s*(?P<inline>[^:].*))?$")


def _comments(model: type[BaseModel]) -> dict[str, str]:
    """Each field's ``#:`` comment above it, or its trailing ``# ...`` comment."""
    found: dict[str, str] = {}
    for cls in reversed(model.__mro__):
        if not (isinstance(cls, type) and issubclass(cls, BaseModel)) or cls is BaseModel:
            continue
        try:
            lines = inspect.getsource(cls).splitlines()
        except (OSError, TypeError):
            continue
        above: list[str] = []
        for line in lines:
            stripped = line.strip()
            if stripped.startswith("#:"):
                above.append(stripped[2:].strip())
                continue
            match = _FIELD.match(line)
            if match and match.group(1) in inspect.get_annotations(cls):
                text = " ".join(above) or (match.group("inline") or "").strip()
                if text:
                    found[match.group(1)] = text.replace("|", "\\|")
            above = []
    return found


def reference_path(root: Path) -> Path:
    return root / "docs" / "profile-reference.md"


__all__ = ["check", "reference", "reference_path", "show"]
