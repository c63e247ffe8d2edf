"""readiness: a production-readiness and compliance gate written as pytest checks.

The names below load on first use, so importing one module of the package (a rule, the
YAML reader, the CLI) does not build the profile schema.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from readiness.checking import Evidence, control, parametrize
    from readiness.controls import Control, Severity
    from readiness.errors import ProfileError, ReadinessError, SourceError
    from readiness.findings import Finding, assert_no_findings
    from readiness.profile import Profile, load_profile

_HOMES = {
    "Control": "readiness.controls",
    "Evidence": "readiness.checking",
    "Finding": "readiness.findings",
    "Profile": "readiness.profile",
    "ProfileError": "readiness.errors",
    "ReadinessError": "readiness.errors",
    "Severity": "readiness.controls",
    "SourceError": "readiness.errors",
    "assert_no_findings": "readiness.findings",
    "control": "readiness.checking",
    "load_profile": "readiness.profile",
    "parametrize": "readiness.checking",
}

__all__ = [
    "Control",
    "Evidence",
    "Finding",
    "Profile",
    "ProfileError",
    "ReadinessError",
    "Severity",
    "SourceError",
    "assert_no_findings",
    "control",
    "load_profile",
    "parametrize",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:  # a submodule (``from readiness import clock``) is imported as usual
        raise AttributeError(f"module 'readiness' has no attribute {name!r}")
    value = getattr(import_module(home), name)
    globals()[name] = value
    return value
