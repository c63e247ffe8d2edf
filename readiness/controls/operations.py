"""Controls of the operations family: the production-readiness checklist.

Items an API or a file can show are checked automatically; the rest are covered by
manual attestations in the profile (``attestations:``), which expire.
"""

from readiness.controls.model import Control, Severity

_F = "operations"
_ATTEST = (
    "Or attest it in the profile under `attestations:` (control, status, explanation, "
    "attested_by, date, frequency or expires) and re-attest before it expires."
)

CONTROLS = (
    Control(
        "OPS-RUNBOOKS",
        "Runbooks exist for every alert and common incident type",
        _F,
        Severity.HIGH,
        "An on-call engineer paged at night needs written steps for the alert in front of "
        "them; incidents handled from memory take longer and go wrong more often.",
        "Add a runbook file named after each alert (e.g. runbooks/HighErrorRate.md) and each "
        "incident type of operations.runbooks.incident_types to the runbook directory.",
        (
            "NIST SP 800-53 IR-8",
            "SOC 2 CC7.4",
            "Google SRE Book ch. 11",
            "Production-readiness checklist: runbooks",
        ),
    ),
    Control(
        "OPS-RUNBOOK-LINKS",
        "Every alert's runbook link resolves",
        _F,
        Severity.MEDIUM,
        "A runbook_url that 404s or points at a missing file fails the engineer exactly "
        "when they need it.",
        "Give every alerting rule a runbook_url annotation that resolves (an HTTP URL that "
        "answers 2xx, or a path to a file in the runbook directory).",
        ("NIST SP 800-53 IR-8", "SOC 2 CC7.4", "Prometheus alerting best practices"),
    ),
    Control(
        "OPS-ONCALL",
        "Critical alerts page an on-call rotation",
        _F,
        Severity.CRITICAL,
        "A critical alert that lands in a mailbox nobody watches is no alert at all.",
        "Route alerts with the critical labels (operations.oncall.critical_labels) to an "
        "Alertmanager receiver with a paging integration (PagerDuty, Opsgenie, VictorOps "
        "or a paging webhook). " + _ATTEST,
        ("NIST SP 800-53 IR-4", "SOC 2 CC7.4", "Google SRE Book ch. 11"),
    ),
    Control(
        "OPS-ESCALATION",
        "Escalation path defined",
        _F,
        Severity.HIGH,
        "When the on-call engineer does not acknowledge, the page must move up a known "
        "chain (on-call engineer, tech lead, engineering manager, CTO).",
        "Declare one Alertmanager receiver per level of operations.escalation.levels, each "
        "with an integration and reached by a route.",
        ("SOC 2 CC7.4", "NIST SP 800-53 IR-4", "PagerDuty incident response: escalation policies"),
    ),
    Control(
        "OPS-ROLLBACK",
        "Rollback procedure documented",
        _F,
        Severity.HIGH,
        "A bad release must be undone in minutes by whoever is on call, following written "
        "steps with the exact command.",
        "Write the rollback document (operations.rollback.document) and name the command "
        "in it (operations.rollback.command_pattern, e.g. `kubectl rollout undo`).",
        (
            "NIST SP 800-53 CM-3",
            "NIST SP 800-53 CP-10",
            "SOC 2 CC8.1",
            "Production-readiness checklist: rollback",
        ),
    ),
    Control(
        "OPS-ROLLBACK-REVISIONS",
        "Workloads keep a previous revision to roll back to",
        _F,
        Severity.HIGH,
        "`kubectl rollout undo` needs an older ReplicaSet; revisionHistoryLimit: 0 or a "
        "first-ever rollout leaves nothing to return to.",
        "Keep spec.revisionHistoryLimit > 0 on every Deployment and make sure a previous "
        "revision exists before relying on rollback.",
        ("NIST SP 800-53 CP-10", "SOC 2 CC8.1", "Kubernetes docs: Deployment revision history"),
    ),
    Control(
        "OPS-BACKUP-FRESHNESS",
        "Newest backup is recent",
        _F,
        Severity.CRITICAL,
        "A backup older than its schedule means the job stopped; the data written since "
        "is unprotected.",
        "Fix the backup job so it runs every operations.backups.frequency_hours and records "
        "its success (a timestamped file or the last-success timestamp metric).",
        ("NIST SP 800-53 CP-9", "SOC 2 A1.2", "NIST SP 800-34 contingency planning"),
    ),
    Control(
        "OPS-BACKUP-RETENTION",
        "Backups cover the retention period without gaps",
        _F,
        Severity.HIGH,
        "Corruption is often noticed days later; restoring needs backups reaching back the "
        "whole retention period, with none missing on the way.",
        "Keep backups for operations.backups.retention_days and investigate the missing runs.",
        ("NIST SP 800-53 CP-9", "SOC 2 A1.2", "NIST SP 800-34 contingency planning"),
    ),
    Control(
        "OPS-BACKUP-SIZE",
        "Backup sizes do not suddenly collapse",
        _F,
        Severity.HIGH,
        "A backup much smaller than the previous ones is usually empty or truncated while "
        "the job still reports success.",
        "Inspect the newest backup; fix the dump (credentials, filters, disk full) and take "
        "a new one. Adjust operations.backups.size_collapse_ratio only for a known cleanup.",
        (
            "NIST SP 800-53 CP-9",
            "SOC 2 A1.2",
            "Production-readiness checklist: backups",
        ),
    ),
    Control(
        "OPS-RESTORE-DRILL",
        "Restore drill done within its frequency",
        _F,
        Severity.HIGH,
        "A backup never restored is a hope, not a backup.",
        "Restore a backup into a scratch environment, verify the data, and attest control "
        "OPS-RESTORE-DRILL with the date (within operations.backups.restore_drill_days).",
        ("NIST SP 800-53 CP-4", "NIST SP 800-53 CP-9(1)", "SOC 2 A1.3", "Google SRE Book ch. 26"),
    ),
    Control(
        "OPS-DR-OFFSITE-BACKUP",
        "Backups are copied to a second location",
        _F,
        Severity.HIGH,
        "Backups kept only beside the data are lost with the region, account or site they "
        "live in; the practices ask for offsite backups, and a copy is only useful if it "
        "is as recent as the backup schedule. The copy's bucket is listed (ListObjectsV2, "
        "read-only): its newest object must be younger than the backup's frequency plus "
        "grace and the bucket in a region other than the primary backups'.",
        "Replicate every backup set to an S3-compatible bucket in another region (S3 "
        "Cross-Region Replication, rclone, the backup tool's second target) and declare it "
        "under targets.backups[].offsite with the primary's region.",
        (
            "NIST SP 800-53 CP-6",
            "NIST SP 800-53 CP-9",
            "SOC 2 A1.2",
            "Offsite backups (production-readiness checklist)",
        ),
    ),
    Control(
        "OPS-DR-RTO-RPO",
        "Recovery objectives declared and backups within the RPO",
        _F,
        Severity.HIGH,
        "Recovery time objectives say how long a service may be down and recovery point "
        "objectives how much data it may lose; without them no backup schedule or drill "
        "can be judged. A backup scheduled less often than the RPO, or a stretch without "
        "backups longer than it, loses more data than the service owner agreed.",
        "Agree RTO and RPO with each service owner, declare them in "
        "operations.dr.objectives with the backups holding the service's data, and back "
        "up at least once per RPO.",
        (
            "NIST SP 800-53 CP-2",
            "NIST SP 800-53 CP-9",
            "SOC 2 A1.2",
            "Recovery time objectives (production-readiness checklist)",
            "Google SRE Book ch. 26",
        ),
    ),
    Control(
        "OPS-DR-DRILL",
        "Last restore drill met the RTO",
        _F,
        Severity.HIGH,
        "Test disaster recovery procedures: only a timed restore shows that the service "
        "can be brought back within its recovery time objective; a drill older than its "
        "frequency no longer shows it for today's data volume and tooling.",
        "Run a restore drill per service, time it from outage to service restored, and "
        "attest OPS-DR-DRILL (target: the service) with its date and "
        "measured_rto_minutes, within operations.backups.restore_drill_days.",
        (
            "NIST SP 800-53 CP-4",
            "NIST SP 800-53 CP-10",
            "SOC 2 A1.3",
            "Test disaster recovery procedures (production-readiness checklist)",
            "Google SRE Book ch. 26",
        ),
    ),
    Control(
        "OPS-MONITORING",
        "Monitoring and alerting set up",
        _F,
        Severity.CRITICAL,
        "Without alerting rules evaluated and sent to an Alertmanager, failures are found by "
        "users.",
        "Load alerting rules into Prometheus and configure it to send to an Alertmanager. "
        + _ATTEST,
        ("NIST SP 800-53 SI-4", "SOC 2 CC7.2", "Google SRE Book ch. 6"),
    ),
    Control(
        "OPS-LOGGING",
        "Logs of every service arrive in Loki",
        _F,
        Severity.HIGH,
        "Incidents are diagnosed from logs; a service whose logs are missing is operated blind.",
        "Ship each service's logs to Loki with the service label "
        "(operations.logging.service_label) and check the agent (Promtail, Alloy, the "
        "OpenTelemetry collector) is running.",
        (
            "NIST SP 800-53 AU-12",
            "SOC 2 CC7.2",
            "Production-readiness checklist: logging",
        ),
    ),
    Control(
        "OPS-LOG-RETENTION",
        "Log retention long enough",
        _F,
        Severity.MEDIUM,
        "Investigations and audits reach back weeks; logs deleted after days leave no trail.",
        "Enable the Loki compactor retention and set limits_config.retention_period to at "
        "least operations.logging.retention_days.",
        (
            "NIST SP 800-53 AU-11",
            "SOC 2 CC7.2",
            "Production-readiness checklist: logging",
        ),
    ),
    Control(
        "OPS-LOG-STRUCTURED",
        "Logs are structured (JSON)",
        _F,
        Severity.LOW,
        "Structured lines can be filtered and aggregated by field; free text cannot.",
        "Log JSON objects, one per line (e.g. structlog, logback JSON encoder, zap).",
        (
            "NIST SP 800-53 AU-3",
            "Production-readiness checklist: structured logging",
        ),
    ),
    Control(
        "OPS-TRACING",
        "Traces of every service arrive in Jaeger",
        _F,
        Severity.MEDIUM,
        "Distributed traces show where a slow or failing request spent its time.",
        "Instrument the service with OpenTelemetry and export to the collector; check the "
        "service appears in Jaeger with traces from the last "
        "operations.tracing.lookback_minutes.",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "OpenTelemetry specification"),
    ),
    Control(
        "OPS-OTEL-COLLECTOR",
        "OpenTelemetry collector healthy",
        _F,
        Severity.MEDIUM,
        "Every signal flows through the collector; when it is down, traces and metrics "
        "stop silently.",
        "Enable the collector's health_check extension and fix the collector until it "
        "answers 'Server available'.",
        (
            "SOC 2 CC7.2",
            "OpenTelemetry Collector: health_check extension",
        ),
    ),
    Control(
        "OPS-GRAFANA",
        "Grafana healthy with healthy datasources",
        _F,
        Severity.MEDIUM,
        "Dashboards are the first thing opened in an incident; a broken datasource shows "
        "empty panels.",
        "Fix Grafana's database and each datasource whose health check fails.",
        (
            "SOC 2 CC7.2",
            "Production-readiness checklist: dashboards",
        ),
    ),
    Control(
        "OPS-DASHBOARDS",
        "Required dashboards present",
        _F,
        Severity.MEDIUM,
        "Teams agree on a few dashboards (SLO & golden signals, DORA) everyone can find.",
        "Provision the dashboards of operations.grafana.required_dashboards (by uid or "
        "title), e.g. as code with Grafana provisioning.",
        (
            "SOC 2 CC7.2",
            "NIST SP 800-53 SI-4",
            "Production-readiness checklist: dashboards",
        ),
    ),
    Control(
        "OPS-GRAFANA-AUTH",
        "Grafana rejects default and anonymous admin access",
        _F,
        Severity.CRITICAL,
        "Grafana holds datasource credentials; admin/admin or anonymous admin hands them out.",
        "Change the admin password (GF_SECURITY_ADMIN_PASSWORD) and set "
        "auth.anonymous.enabled=false or org_role=Viewer.",
        ("OWASP ASVS 4.0.3 V2.5.4", "NIST SP 800-53 IA-5", "SOC 2 CC6.1", "CIS Controls 4.7"),
    ),
    Control(
        "OPS-GRACEFUL-SHUTDOWN",
        "Graceful shutdown implemented",
        _F,
        Severity.HIGH,
        "On SIGTERM a service must stop taking traffic and finish requests in flight, or "
        "every deploy drops requests.",
        "Handle SIGTERM, give pods terminationGracePeriodSeconds >= "
        "operations.shutdown.min_grace_seconds (and a preStop hook if required). " + _ATTEST,
        ("NIST SP 800-53 CM-6", "SOC 2 CC8.1", "Kubernetes docs: pod termination"),
    ),
    Control(
        "OPS-ENV-VALIDATION",
        "Environment variables validated at start",
        _F,
        Severity.MEDIUM,
        "A missing or malformed setting should stop the service at start, not fail the "
        "first request in production.",
        "Validate configuration at start (e.g. pydantic-settings, envconfig) and exit on "
        "error. " + _ATTEST,
        ("NIST SP 800-53 CM-6", "The Twelve-Factor App: config"),
    ),
    Control(
        "OPS-CICD",
        "CI/CD pipeline tested",
        _F,
        Severity.HIGH,
        "Releases that do not go through a tested pipeline reach production unverified.",
        "Keep the pipeline definition in the repository (operations.cicd.pipeline_files) "
        "and exercise it, including the deploy step. " + _ATTEST,
        ("NIST SP 800-53 SA-11", "SOC 2 CC8.1", "DORA: continuous delivery"),
    ),
    Control(
        "OPS-HEALTHCHECKS",
        "Health-check endpoints working",
        _F,
        Severity.HIGH,
        "Orchestrators and load balancers act on health endpoints; one that does not "
        "answer takes the service out or leaves a dead one in.",
        "Serve a health endpoint on every service (targets.services) that answers 2xx. " + _ATTEST,
        (
            "SOC 2 CC7.2",
            "Production-readiness checklist: health checks",
        ),
    ),
    Control(
        "OPS-POSTMORTEM-TEMPLATE",
        "Post-mortem template exists",
        _F,
        Severity.LOW,
        "Blameless post-mortems with the same sections every time turn incidents into "
        "lasting fixes.",
        "Commit a post-mortem template (operations.postmortem.template) with the sections "
        "of operations.postmortem.required_sections. " + _ATTEST,
        ("NIST SP 800-53 IR-4", "SOC 2 CC7.5", "Google SRE Book ch. 15"),
    ),
)
