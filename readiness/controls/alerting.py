"""Controls of the alerting family: Prometheus rules and targets, Alertmanager routing."""

from readiness.controls.model import Control, Severity

_F = "alerting"
_SRE = "Google SRE Book ch. 6 (Monitoring Distributed Systems)"
_WB = "Google SRE Workbook ch. 5 (Alerting on SLOs)"

CONTROLS = (
    Control(
        "ALERT-REQUIRED",
        "Required alerts exist",
        _F,
        Severity.HIGH,
        "A release must not go out when the alert that would page someone about its failure "
        "(service down, error rate, latency, saturation, SLO burn) does not exist. The "
        "base profile pins the production-readiness checklist's alerting thresholds: "
        "database connection pool above 90 % (db-pool-saturation), database connection "
        "errors (db-connection-errors) and p95 latency above 1 s (high-latency); a rule "
        "with a later threshold does not meet them.",
        "Add an alerting rule that meets the requirement: the expression watches the named "
        "metric with the threshold, `for` and severity the profile states.",
        (
            "Production-readiness checklist: alerting",
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
            "Google SRE Workbook ch. 5 (Alerting on SLOs)",
        ),
    ),
    Control(
        "ALERT-RULES-VALID",
        "Rule files load",
        _F,
        Severity.HIGH,
        "Prometheus refuses a whole rule file when one rule has a broken expression or "
        "template; every alert in it is then silently missing.",
        "Fix the reported file and line; `promtool check rules FILE` must succeed in CI.",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "promtool check rules"),
    ),
    Control(
        "ALERT-SEVERITY",
        "Alerts carry an allowed severity",
        _F,
        Severity.HIGH,
        "Alertmanager routes by severity; an alert without one (or with an unknown one, or "
        "one condition defined twice with different severities) goes to the wrong people or "
        "nowhere.",
        "Give every alerting rule a `severity` label from the allowed set; keep one severity "
        "per condition.",
        (
            "SOC 2 CC7.3",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
    Control(
        "ALERT-ANNOTATIONS",
        "Alerts explain themselves",
        _F,
        Severity.MEDIUM,
        "The on-call engineer reads the notification first: without a summary and a "
        "description they start an incident blind.",
        "Add `summary` and `description` annotations (and any the profile requires), using "
        "$labels and $value to say what is affected and how badly.",
        (
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
    Control(
        "ALERT-RUNBOOK",
        "Alerts link a reachable runbook",
        _F,
        Severity.MEDIUM,
        "A page without a runbook costs minutes of an outage; a dead runbook link costs more.",
        "Add a `runbook_url` annotation to every alert, pointing at a page that answers.",
        (
            "SOC 2 CC7.4",
            "NIST SP 800-53 IR-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
            "pint alerts/annotation",
        ),
    ),
    Control(
        "ALERT-FOR",
        "Non-critical alerts wait before notifying",
        _F,
        Severity.LOW,
        "Warnings without `for` notify on every blip and train people to ignore alerts.",
        "Set `for:` at or above the profile's minimum on non-critical alerts.",
        (
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
    Control(
        "ALERT-SERIES",
        "Rule expressions read existing series",
        _F,
        Severity.MEDIUM,
        "An alert on a metric that does not exist (renamed, wrong label, exporter not "
        "scraped) can never fire.",
        "Fix the metric or label names, or scrape the exporter; use absent() for deliberate "
        "absence checks.",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "pint promql/series"),
    ),
    Control(
        "PROM-RULE-HEALTH",
        "Rules evaluate without errors",
        _F,
        Severity.HIGH,
        "A rule whose evaluation fails never fires; Prometheus only logs the error.",
        "Fix the expressions reported with health != ok (see lastError), e.g. label "
        "collisions or invalid regexes.",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "Prometheus /api/v1/rules"),
    ),
    Control(
        "PROM-TARGETS",
        "Scrape targets are up",
        _F,
        Severity.HIGH,
        "A target that is down blinds every alert that reads its metrics.",
        "Bring the target back or fix its scrape configuration; remove targets that no "
        "longer exist.",
        (
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
    Control(
        "PROM-SERVICE-TARGET",
        "Every service and declared exporter is scraped",
        _F,
        Severity.HIGH,
        "A service Prometheus does not scrape has no alerts at all, whatever the rules say.",
        "Add a scrape job for the service (job name or `service` label as the profile "
        "matches them) and for every declared exporter (node-exporter, cAdvisor).",
        (
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
    Control(
        "PROM-CARDINALITY",
        "Series count below the limit",
        _F,
        Severity.MEDIUM,
        "Unbounded label values exhaust Prometheus memory and take alerting down with it.",
        "Drop or aggregate high-cardinality labels (metric_relabel_configs); the largest "
        "metrics are listed as evidence.",
        ("SOC 2 A1.1", "Prometheus /api/v1/status/tsdb"),
    ),
    Control(
        "PROM-RETENTION",
        "Retention covers the SLO windows",
        _F,
        Severity.MEDIUM,
        "Error budgets over 28-30 days cannot be computed from 15 days of data.",
        "Set --storage.tsdb.retention.time to at least the longest SLO window.",
        ("SOC 2 CC7.2", "Google SRE Workbook ch. 5 (Alerting on SLOs)"),
    ),
    Control(
        "AM-CONFIG",
        "Alertmanager runs with a loaded configuration",
        _F,
        Severity.HIGH,
        "Without a loaded configuration no notification leaves Alertmanager.",
        "Fix the configuration (`amtool check-config`) and reload Alertmanager.",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "amtool check-config"),
    ),
    Control(
        "AM-ROUTING",
        "Each severity reaches a real integration",
        _F,
        Severity.HIGH,
        "A critical alert routed to a receiver without integration pages nobody.",
        "Route each severity (as `amtool config routes test` shows) to a receiver with an "
        "integration: critical to paging (PagerDuty, Opsgenie, webhook), warning to chat or "
        "email.",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "amtool config routes test"),
    ),
    Control(
        "AM-ESCALATION",
        "Escalation levels exist",
        _F,
        Severity.MEDIUM,
        "An escalation policy is only real when its receivers exist, notify someone and are "
        "used by a route.",
        "Define each escalation receiver with an integration and route to it.",
        (
            "SOC 2 CC7.4",
            "NIST SP 800-53 IR-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
    Control(
        "ALERT-FIRING",
        "No blocking alert firing for the released services",
        _F,
        Severity.CRITICAL,
        "Releasing into an ongoing incident hides its cause and makes it worse.",
        "Resolve the firing critical alerts first; silenced alerts are listed, not counted.",
        (
            "SOC 2 CC7.2",
            "SOC 2 CC7.3",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
    Control(
        "AM-SILENCES",
        "No long-running silences",
        _F,
        Severity.LOW,
        "A silence lasting weeks hides new incidents behind an old one.",
        "Shorten or expire long silences and fix what they hide.",
        (
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Google SRE Book ch. 6 (Monitoring Distributed Systems)",
        ),
    ),
)
