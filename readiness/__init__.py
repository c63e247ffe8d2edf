"""readiness: a production-readiness and compliance gate written as pytest checks."""

from readiness.checking import Evidence, control, parametrize
from readiness.controls import Control, Severity
from readiness.errors import ProfileError, ReadinessError, SourceError
from readiness.findings import Finding, assert_no_findings
from readiness.profile import Profile, load_profile

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
