"""Per-image supply-chain assessment and the combined release verdict (pure)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from readiness.controls import Severity, get_control
from readiness.findings import Finding
from readiness.gate import matching_waiver
from readiness.judging import effective_severity
from readiness.profile.model import Profile
from readiness.rules.supply_chain_image import (
    label_findings,
    secret_env_findings,
    tag_findings,
    user_findings,
)
from readiness.rules.supply_chain_sbom import (
    denied_license_findings,
    license_report,
    ntia_coverage,
    ntia_findings,
    sbom_presence_findings,
    schema_findings,
    unknown_license_findings,
)
from readiness.rules.supply_chain_signing import provenance_findings, signature_findings
from readiness.rules.supply_chain_vulns import MatchResult, VulnMatch, is_blocking
from readiness.sources.sbom import schema_issues, spdx_license_ids
from readiness.sources.supply_chain import ImageEvidence, SubjectEvidence


def vuln_threshold(profile: Profile) -> str:
    policy = profile.supply_chain.vulnerabilities
    if policy.cvss_threshold is not None:
        return f"CVSS {policy.cvss_threshold:.1f}"
    return f"severity {policy.fail_on}"


def blocking_vulns(result: MatchResult, profile: Profile) -> list[VulnMatch]:
    policy = profile.supply_chain.vulnerabilities
    fail_on = Severity.parse(policy.fail_on)
    return [
        v
        for v in result.vulns
        if is_blocking(v, fail_on, policy.cvss_threshold, policy.unknown_severity_blocks)
    ]


def control_findings(control_id: str, ev: SubjectEvidence, profile: Profile) -> list[Finding]:
    """Findings of one per-target control (every control but SC-VULNS and SC-VERDICT).

    Images and artifacts share the signature, provenance, SBOM and licence rules; the
    SC-IMAGE-* controls apply to images only (none for an artifact).
    """
    sc = profile.supply_chain
    if control_id == "SC-SIGNATURE":
        return signature_findings(
            ev.checks, ev.digests, sc.signature.identities, sc.signature.required, ev.kind
        )
    if control_id == "SC-PROVENANCE":
        return provenance_findings(ev.checks, ev.digests, sc.provenance, ev.kind)
    if control_id == "SC-SBOM-PRESENT":
        return sbom_presence_findings(
            ev.sboms, ev.digests, sc.sbom.required, ev.sbom_problems, ev.kind
        )
    if control_id == "SC-SBOM-VALID":
        return [f for s in ev.sboms for f in schema_findings(s, schema_issues(s))]
    if control_id == "SC-SBOM-NTIA":
        return [
            f for s in ev.sboms for f in ntia_findings(s.source, ntia_coverage(s.doc), sc.sbom.ntia)
        ]
    if control_id == "SC-LICENSES":
        return [
            f
            for s in ev.sboms
            for f in denied_license_findings(
                s.source,
                license_report(s.doc, sc.sbom.deny_licenses, spdx_license_ids()),
                sc.sbom.deny_licenses,
            )
        ]
    if control_id == "SC-LICENSES-UNKNOWN":
        if not sc.sbom.warn_unknown_licenses:
            return []
        return [
            f
            for s in ev.sboms
            for f in unknown_license_findings(
                s.source, license_report(s.doc, sc.sbom.deny_licenses, spdx_license_ids())
            )
        ]
    if not isinstance(ev, ImageEvidence):
        return [] if control_id in IMAGE_ONLY_CONTROLS else _unknown(control_id)
    if control_id == "SC-IMAGE-USER":
        return user_findings(ev.config.user) if sc.image.forbid_root else []
    if control_id == "SC-IMAGE-TAG":
        if not sc.image.forbid_latest and not sc.image.require_digest_pin:
            return []
        return tag_findings(ev.ref.tag, ev.ref.digest, sc.image.require_digest_pin)
    if control_id == "SC-IMAGE-LABELS":
        return label_findings(ev.config.labels, sc.image.required_labels)
    if control_id == "SC-IMAGE-SECRETS":
        return secret_env_findings(ev.config.env, sc.image.secret_env_patterns)
    return _unknown(control_id)


def _unknown(control_id: str) -> list[Finding]:
    raise KeyError(control_id)


IMAGE_ONLY_CONTROLS = frozenset(
    {"SC-IMAGE-USER", "SC-IMAGE-TAG", "SC-IMAGE-LABELS", "SC-IMAGE-SECRETS"}
)


IMAGE_CONTROLS: tuple[str, ...] = (
    "SC-SIGNATURE",
    "SC-PROVENANCE",
    "SC-SBOM-PRESENT",
    "SC-SBOM-VALID",
    "SC-SBOM-NTIA",
    "SC-LICENSES",
    "SC-LICENSES-UNKNOWN",
    "SC-IMAGE-USER",
    "SC-IMAGE-TAG",
    "SC-IMAGE-LABELS",
    "SC-IMAGE-SECRETS",
)


@dataclass(frozen=True, slots=True)
class ControlStatus:
    control: str
    target: str
    status: str  # pass | blocking | warning | waived | expired-waiver | disabled
    findings: int
    note: str = ""

    def as_dict(self) -> dict[str, object]:
        return {
            "control": self.control,
            "target": self.target,
            "status": self.status,
            "findings": self.findings,
            "note": self.note,
        }


def judge_control(
    control_id: str, target: str, findings: Sequence[Finding], profile: Profile, today: dt.date
) -> ControlStatus:
    setting = profile.controls.get(control_id)
    if setting is not None and not setting.enabled:
        return ControlStatus(control_id, target, "disabled", len(findings))
    if not findings:
        return ControlStatus(control_id, target, "pass", 0)
    severity = effective_severity(profile, get_control(control_id))
    waiver = matching_waiver(profile.waivers, control_id, target)
    if waiver is not None:
        if waiver.expires >= today:
            return ControlStatus(
                control_id,
                target,
                "waived",
                len(findings),
                f"waived until {waiver.expires} by {waiver.approver}",
            )
        expired = f"waiver expired on {waiver.expires}"
    else:
        expired = ""
    blocking = severity >= Severity.parse(profile.gate.fail_on)
    status = "blocking" if blocking else "warning"
    if expired:
        status = "expired-waiver" if blocking else "warning"
    return ControlStatus(
        control_id, target, status, len(findings), expired or findings[0].message[:160]
    )


def verdict_findings(target: str, statuses: Sequence[ControlStatus]) -> list[Finding]:
    blocking = [s for s in statuses if s.status in ("blocking", "expired-waiver")]
    if not blocking:
        return []
    listed = "".join(f"\n  - {s.control} [{s.target}]: {s.note}" for s in blocking)
    return [
        Finding(
            f"{target} may not ship: {len(blocking)} blocking control(s){listed}",
            expected="every blocking supply-chain control passes or is waived",
            found=", ".join(sorted({s.control for s in blocking})),
            fix="fix each listed control (see its own result for details), or record an "
            "approved waiver with an expiry",
        )
    ]


def _first_line(text: str, limit: int = 160) -> str:
    line = text.splitlines()[0] if text else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


_STATUS_COLOUR = {
    "pass": "#1a7f37",
    "waived": "#6e7781",
    "disabled": "#6e7781",
    "warning": "#9a6700",
    "blocking": "#cf222e",
    "expired-waiver": "#cf222e",
}


def verdict_table(statuses: Sequence[ControlStatus]) -> str:
    """An HTML table of the per-control statuses behind one target's verdict."""
    rows = "".join(
        f"<tr><td>{escape(s.control)}</td><td>{escape(s.target)}</td>"
        f'<td style="color:{_STATUS_COLOUR.get(s.status, "inherit")}">{escape(s.status)}</td>'
        f"<td>{escape(s.note)}</td></tr>"
        for s in statuses
    )
    return (
        '<table class="readiness-verdict"><thead><tr><th>control</th><th>target</th>'
        f"<th>status</th><th>note</th></tr></thead><tbody>{rows}</tbody></table>"
    )
