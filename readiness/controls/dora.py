"""Controls of the DORA family (the recorder itself lives in readiness.dora)."""

from readiness.controls.model import Control, Severity

_F = "dora"

CONTROLS = (
    Control(
        "DORA-OPEN-INCIDENT",
        "No declared incident is open on a released service",
        _F,
        Severity.HIGH,
        "Shipping features into a service during an open incident mixes new changes into "
        "the failure being fixed, lengthens time to restore and hides which change caused "
        "what.",
        "Resolve the incident first (readiness dora incident resolve ID), or ship the "
        "remedy as a fix release (release.kind: fix).",
        (
            "SOC 2 CC7.4",
            "SOC 2 CC7.5",
            "NIST SP 800-53 IR-4",
            "DORA: time to restore service",
            "Google SRE Book ch. 14 (managing incidents)",
        ),
    ),
)
