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
            "NIST SP 800-53 IR-5",
            "DORA: time to restore service",
            "Google SRE Book ch. 14 (managing incidents)",
        ),
    ),
    Control(
        "DORA-STAGING-FIRST",
        "The release version passed a full staging gate before production",
        _F,
        Severity.HIGH,
        "The practices deploy to staging before production. The DORA store records every "
        "gate run with its release version, so whether the same version passed a full "
        "(not partial) gate in staging, and how recently, is known without any external "
        "system; a version that never passed there reaches production untried.",
        "Run the full gate against staging with the same release.version and fix what it "
        "finds; dora.staging_first sets the staging environment and the window "
        "(within_days).",
        (
            "NIST SP 800-53 CM-3",
            "NIST SP 800-53 CM-4(1)",
            "NIST SP 800-53 SA-11",
            "SOC 2 CC8.1",
            "DORA: change failure rate",
        ),
    ),
    Control(
        "DORA-POSTMORTEM",
        "Major incidents have a post-mortem within days of resolution",
        _F,
        Severity.MEDIUM,
        "The practices ask for post-mortems for major incidents. Written within days, "
        "while memory and logs are fresh, a post-mortem turns the incident into action "
        "items; an overdue one usually never gets written, and the same failure returns. "
        "The DORA store records when each incident was resolved and when its post-mortem "
        "was linked, so overdue ones are known without another system.",
        "Write the post-mortem and link it: readiness dora incident postmortem ID URL "
        "(or resolve with --postmortem URL). dora.postmortems sets the severities "
        "(default: the blocking levels, SEV1 and SEV2) and due_days (default 7).",
        (
            "NIST SP 800-53 IR-4",
            "NIST SP 800-61 r2 3.4.1 (lessons learned)",
            "SOC 2 CC7.5",
            "Google SRE Book ch. 15 (postmortem culture)",
        ),
    ),
)
