"""Compliance frameworks and the requirements controls evidence.

A control's ``references`` are plain strings. One that starts with a framework's prefix
(``"NIST SP 800-53 SC-8"``) names a requirement of that framework; any other reference
(``"Google SRE Book ch. 6"``) is the seed practice the control came from. Requirement
titles are kept here so reports can say what each id means, and so a typo in a
control's reference is caught by the tests rather than shown to an auditor.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache

from readiness.controls.model import Control

PRACTICE = "practice"


@dataclass(frozen=True, slots=True)
class Framework:
    key: str  # what `readiness controls --framework` takes
    name: str
    prefix: str  # how a control's reference names one of its requirements
    url: str
    requirements: Mapping[str, str]  # id -> title, for the ids controls reference


@dataclass(frozen=True, slots=True)
class Requirement:
    framework: str  # Framework.key, or PRACTICE
    id: str
    title: str

    @property
    def label(self) -> str:
        return self.id if self.framework == PRACTICE else f"{self.framework} {self.id}"


FRAMEWORKS: dict[str, Framework] = {
    f.key: f
    for f in (
        Framework(
            "slsa",
            "SLSA v1.0 build track",
            "SLSA v1.0 ",
            "https://slsa.dev/spec/v1.0/levels",
            {
                "Build L1": "Provenance exists",
                "Build L2": "Hosted build platform, signed provenance",
                "Build L3": "Hardened builds",
            },
        ),
        Framework(
            "ssdf",
            "NIST SP 800-218 SSDF v1.1",
            "NIST SSDF ",
            "https://csrc.nist.gov/pubs/sp/800/218/final",
            {
                "PS.2.1": "Make software integrity verification information available to "
                "software acquirers",
                "PS.3.2": "Collect, safeguard, maintain, and share provenance data for all "
                "components of each software release (e.g., in an SBOM)",
                "PW.4.4": "Verify that acquired third-party software components comply with "
                "the organization's requirements throughout their life cycles",
                "PW.7.2": "Review and/or analyze human-readable code to identify "
                "vulnerabilities and verify compliance with security requirements",
                "PW.8.2": "Scope the testing, design the tests, perform the testing, and "
                "document the results",
                "RV.1.1": "Gather information on potential vulnerabilities in the software "
                "and the third-party components it uses",
            },
        ),
        Framework(
            "nist-800-53",
            "NIST SP 800-53 rev5",
            "NIST SP 800-53 ",
            "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
            {
                "AC-3": "Access Enforcement",
                "AC-4": "Information Flow Enforcement",
                "AC-6": "Least Privilege",
                "AU-3": "Content of Audit Records",
                "AU-11": "Audit Record Retention",
                "AU-12": "Audit Record Generation",
                "CM-2": "Baseline Configuration",
                "CM-3": "Configuration Change Control",
                "CM-3(2)": "Configuration Change Control | Testing, Validation, and "
                "Documentation of Changes",
                "CM-4(1)": "Impact Analyses | Separate Test Environments",
                "CM-6": "Configuration Settings",
                "CM-7": "Least Functionality",
                "CM-7(5)": "Least Functionality | Authorized Software — Allow-by-exception",
                "CM-8": "System Component Inventory",
                "CM-10": "Software Usage Restrictions",
                "CM-14": "Signed Components",
                "CP-2": "Contingency Plan",
                "CP-4": "Contingency Plan Testing",
                "CP-6": "Alternate Storage Site",
                "CP-9": "System Backup",
                "CP-9(1)": "System Backup | Testing for Reliability and Integrity",
                "CP-10": "System Recovery and Reconstitution",
                "IA-5": "Authenticator Management",
                "IA-5(7)": "Authenticator Management | No Embedded Unencrypted Static "
                "Authenticators",
                "IR-4": "Incident Handling",
                "IR-5": "Incident Monitoring",
                "IR-8": "Incident Response Plan",
                "RA-5": "Vulnerability Monitoring and Scanning",
                "SA-11": "Developer Testing and Evaluation",
                "SA-22": "Unsupported System Components",
                "SC-5(2)": "Denial-of-Service Protection | Capacity, Bandwidth, and Redundancy",
                "SC-6": "Resource Availability",
                "SC-7": "Boundary Protection",
                "SC-8": "Transmission Confidentiality and Integrity",
                "SC-8(1)": "Transmission Confidentiality and Integrity | Cryptographic Protection",
                "SC-13": "Cryptographic Protection",
                "SC-17": "Public Key Infrastructure Certificates",
                "SC-36": "Distributed Processing and Storage",
                "SC-39": "Process Isolation",
                "SI-2": "Flaw Remediation",
                "SI-4": "System Monitoring",
                "SI-7": "Software, Firmware, and Information Integrity",
                "SI-7(15)": "Software, Firmware, and Information Integrity | Code Authentication",
                "SR-3": "Supply Chain Controls and Processes",
                "SR-4": "Provenance",
            },
        ),
        Framework(
            "cis-k8s",
            "CIS Kubernetes Benchmark v1.8 (section 5, policies)",
            "CIS Kubernetes Benchmark ",
            "https://www.cisecurity.org/benchmark/kubernetes",
            {
                "5.1.1": "Ensure that the cluster-admin role is only used where required",
                "5.1.3": "Minimize wildcard use in Roles and ClusterRoles",
                "5.1.6": "Ensure that Service Account Tokens are only mounted where necessary",
                "5.2.2": "Minimize the admission of privileged containers",
                "5.2.3": "Minimize the admission of containers wishing to share the host "
                "process ID namespace",
                "5.2.4": "Minimize the admission of containers wishing to share the host IPC "
                "namespace",
                "5.2.5": "Minimize the admission of containers wishing to share the host "
                "network namespace",
                "5.2.6": "Minimize the admission of containers with allowPrivilegeEscalation",
                "5.2.7": "Minimize the admission of root containers",
                "5.2.9": "Minimize the admission of containers with added capabilities",
                "5.2.12": "Minimize the admission of HostPath volumes",
                "5.2.13": "Minimize the admission of containers which use HostPorts",
                "5.3.2": "Ensure that all Namespaces have NetworkPolicies defined",
                "5.4.1": "Prefer using Secrets as files over Secrets as environment variables",
                "5.5.1": "Configure Image Provenance using ImagePolicyWebhook admission controller",
                "5.7.3": "Apply SecurityContext to your Pods and Containers",
            },
        ),
        Framework(
            "asvs",
            "OWASP ASVS 4.0.3",
            "OWASP ASVS 4.0.3 ",
            "https://owasp.org/www-project-application-security-verification-standard/",
            {
                "V2.5.4": "Shared or default accounts are not present",
                "V4.1.1": "Access control rules are enforced on a trusted service layer",
                "V9.1.1": "TLS is used for all client connectivity, without fallback to "
                "insecure or unencrypted communications",
                "V9.1.2": "Only the latest recommended cipher suites are enabled, the "
                "strongest preferred",
                "V9.1.3": "Only the latest recommended TLS versions (1.2 and 1.3) are enabled",
                "V9.2.1": "Connections use trusted TLS certificates",
                "V14.4.3": "A Content Security Policy response header is in place",
                "V14.4.4": "Responses carry X-Content-Type-Options: nosniff",
                "V14.4.5": "A Strict-Transport-Security header is included on all responses",
                "V14.4.6": "A suitable Referrer-Policy header is included",
                "V14.4.7": "Content cannot be embedded in a third-party site by default "
                "(frame-ancestors / X-Frame-Options)",
            },
        ),
        Framework(
            "soc2",
            "SOC 2 Trust Services Criteria (2017, rev. 2022)",
            "SOC 2 ",
            "https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022",
            {
                "CC6.1": "Logical access security software, infrastructure and architectures",
                "CC6.3": "Access is authorized, modified or removed by role and least privilege",
                "CC6.7": "Transmission of information is restricted and protected",
                "CC7.1": "Detection and monitoring procedures identify configuration changes "
                "and newly discovered vulnerabilities",
                "CC7.2": "System components are monitored for anomalies",
                "CC7.3": "Security events are evaluated",
                "CC7.4": "Identified security incidents are responded to",
                "CC7.5": "Activities to recover from identified security incidents",
                "CC8.1": "Changes are authorized, designed, tested, approved and implemented",
                "A1.1": "Processing capacity is maintained, monitored and evaluated",
                "A1.2": "Environmental protections, backup processes and recovery infrastructure",
                "A1.3": "Recovery plan procedures are tested",
            },
        ),
    )
}

FRAMEWORK_KEYS: tuple[str, ...] = (*FRAMEWORKS, PRACTICE)


def parse_reference(reference: str) -> Requirement:
    """The framework requirement a reference names, or the seed practice it cites."""
    for fw in FRAMEWORKS.values():
        if reference.startswith(fw.prefix):
            rid = reference.removeprefix(fw.prefix)
            return Requirement(fw.key, rid, fw.requirements.get(rid, ""))
    return Requirement(PRACTICE, reference, reference)


@cache  # asked once per check by every report format
def requirements_of(control: Control) -> tuple[Requirement, ...]:
    return tuple(parse_reference(r) for r in control.references)


def controls_for(
    framework: str, controls: Iterable[Control]
) -> list[tuple[Requirement, list[Control]]]:
    """Each requirement of ``framework`` that controls evidence, with those controls."""
    by_req: dict[str, tuple[Requirement, list[Control]]] = {}
    for ctl in controls:
        for req in requirements_of(ctl):
            if req.framework == framework:
                by_req.setdefault(req.id, (req, []))[1].append(ctl)
    order = list(FRAMEWORKS[framework].requirements) if framework in FRAMEWORKS else []
    return sorted(
        by_req.values(),
        key=lambda item: (
            order.index(item[0].id) if item[0].id in order else len(order),
            item[0].id,
        ),
    )
