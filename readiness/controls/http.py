"""Controls of the HTTP endpoints family."""

from readiness.controls.model import Control, Severity

_F = "http"

CONTROLS = (
    Control(
        "HTTP-HEALTH",
        "Health endpoint answers",
        _F,
        Severity.CRITICAL,
        "Load balancers and orchestrators route traffic by the health endpoint; a service "
        "without one cannot be operated safely.",
        "Serve a health endpoint (e.g. /healthz) that answers 2xx within its timeout, "
        "with a JSON status when the profile expects one.",
        ("Google SRE Book ch. 22",),
    ),
)
