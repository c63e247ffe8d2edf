"""Controls of the SLO family: reliability promises judged from live Prometheus data."""

from readiness.controls.model import Control, Severity

_F = "slo"
_WORKBOOK = "Google SRE Workbook ch. 5 (Alerting on SLOs)"
_POLICY = "Google SRE Workbook ch. 2 (Implementing SLOs), error budget policy"

CONTROLS = (
    Control(
        "SLO-SPEC",
        "SLO specifications load",
        _F,
        Severity.HIGH,
        "An SLO that cannot be read is an SLO nobody checks; a release would go out "
        "against a promise the gate silently ignored.",
        "Fix the spec at the file and key named in the message (native, OpenSLO v1, "
        "Sloth prometheus/v1 or Pyrra format).",
        ("SOC 2 CC7.2", "OpenSLO v1 specification", "Sloth prometheus/v1 spec"),
    ),
    Control(
        "SLO-ATTAINMENT",
        "SLI attains the SLO target over its window",
        _F,
        Severity.HIGH,
        "The SLO is the reliability users were promised; below target they are already "
        "getting less than that.",
        "Find and stop what spends the budget (see the burn rates per window), then "
        "let the rolling window recover before shipping risk.",
        ("SOC 2 A1.1", "Google SRE Workbook ch. 2 (Implementing SLOs), error budget policy"),
    ),
    Control(
        "SLO-BUDGET",
        "Error budget policy allows this release",
        _F,
        Severity.CRITICAL,
        "The error budget policy decides who may ship: below the freeze threshold only "
        "fixes ship, below the emergency threshold everything but fixes stops, and an "
        "exhausted budget stops every release.",
        "Ship only fixes (release.kind: fix) while frozen; restore reliability before "
        "feature work; an exception needs an approved waiver.",
        (
            "SOC 2 CC8.1",
            "SOC 2 A1.1",
            "Google SRE Workbook ch. 2 (Implementing SLOs), error budget policy",
        ),
    ),
    Control(
        "SLO-BUDGET-LEVEL",
        "Error budget is above the freeze threshold",
        _F,
        Severity.LOW,
        "Even a fix release should know it ships into a frozen or emergency budget; "
        "the report says so for every release kind.",
        "Prioritise reliability work for the service until the budget recovers.",
        ("SOC 2 CC8.1", "Google SRE Workbook ch. 2 (Implementing SLOs), error budget policy"),
    ),
    Control(
        "SLO-BURN-RATE",
        "No paging burn-rate condition is true now",
        _F,
        Severity.CRITICAL,
        "A page-level burn (14.4x over 1h and 5m, or 6x over 6h and 30m) means an "
        "incident is spending days of budget per hour; releasing into it hides causes "
        "and adds risk.",
        "Hold the release, handle the incident until the short-window burn rate drops "
        "below the factor, then re-run the gate.",
        ("SOC 2 CC7.2", "Google SRE Workbook ch. 5 (Alerting on SLOs)"),
    ),
    Control(
        "SLO-BURN-TICKET",
        "No ticket burn-rate condition is true now",
        _F,
        Severity.MEDIUM,
        "A slow burn (3x over 1d and 2h, or 1x over 3d and 6h) exhausts the budget "
        "before the window ends if nobody acts.",
        "Open a ticket for the slow burn and fix its cause.",
        ("SOC 2 CC7.2", "Google SRE Workbook ch. 5 (Alerting on SLOs)"),
    ),
    Control(
        "SLO-POSTMORTEM",
        "Rapid burns have an attested post-mortem",
        _F,
        Severity.HIGH,
        "A rapid budget burn is an incident; the next release must not ship before its "
        "causes were analysed and the post-mortem recorded.",
        "Write the post-mortem and attest it in the profile under slo.postmortems with "
        "the SLO, a reference and the time it covers until.",
        ("NIST SP 800-53 IR-4", "SOC 2 CC7.5", "Google SRE Book ch. 15 (Postmortem Culture)"),
    ),
    Control(
        "SLO-ALERTS",
        "Burn-rate alerts cover every SLO",
        _F,
        Severity.HIGH,
        "Without multiwindow multi-burn-rate alerts the budget burns unnoticed until "
        "the gate, or the users, find out.",
        "Load page and ticket burn-rate alerting rules for the SLO (generate them with "
        "Sloth or Pyrra, or copy the rule in the message), each with a severity label "
        "and a runbook_url annotation.",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "Google SRE Workbook ch. 5 (Alerting on SLOs)"),
    ),
    Control(
        "SLO-DATA",
        "SLI data covers the SLO window",
        _F,
        Severity.HIGH,
        "Attainment computed over a window with gaps or beyond retention is a guess; a "
        "window with no data proves nothing.",
        "Keep Prometheus retention at least as long as the SLO window and find why the "
        "SLI series have gaps (scrape failures, renamed metrics).",
        ("SOC 2 CC7.2", "Google SRE Workbook ch. 2 (Implementing SLOs), error budget policy"),
    ),
)
