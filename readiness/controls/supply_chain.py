"""Controls of the supply_chain family: signatures, provenance, SBOMs, vulnerabilities, images."""

from readiness.controls.model import Control, Severity

_F = "supply_chain"

CONTROLS = (
    Control(
        "SC-SIGNATURE",
        "Image signed by the expected identity",
        _F,
        Severity.CRITICAL,
        "Only a signature by the release identity proves the image is the one the pipeline "
        "built; an unsigned or foreign-signed image may have been pushed by anyone.",
        "Sign the image digest in the release pipeline (cosign sign, keyless with the CI "
        "workflow identity or with the release key) and list that identity/key in "
        "supply_chain.signature.",
        (
            "NIST SSDF PS.2.1",
            "NIST SP 800-53 CM-14",
            "NIST SP 800-53 SI-7(15)",
            "Sigstore policy-controller",
        ),
    ),
    Control(
        "SC-PROVENANCE",
        "SLSA provenance from the allowed builder and source",
        _F,
        Severity.HIGH,
        "Provenance shows which builder produced the image from which source and ref; "
        "without it a compromised workstation build is indistinguishable from CI.",
        "Generate signed SLSA provenance in CI for the image digest, from an allowed "
        "builder, the product repository and the release ref.",
        (
            "SLSA v1.0 Build L1",
            "SLSA v1.0 Build L2",
            "NIST SSDF PS.3.2",
            "NIST SP 800-53 SR-4",
            "slsa-verifier",
        ),
    ),
    Control(
        "SC-SBOM-PRESENT",
        "SBOM attached to the image",
        _F,
        Severity.HIGH,
        "Incident response needs to know what is inside every released image.",
        "Generate a CycloneDX SBOM at build time and attach it to the image digest "
        "(OCI referrer or cosign attestation), or declare it in the profile.",
        (
            "NIST SSDF PS.3.2",
            "NIST SP 800-53 CM-8",
            "NIST SP 800-53 SR-4",
            "NTIA SBOM minimum elements",
            "EO 14028",
        ),
    ),
    Control(
        "SC-SBOM-VALID",
        "SBOM is schema-valid",
        _F,
        Severity.MEDIUM,
        "Tools downstream reject or misread SBOMs that break the CycloneDX schema.",
        "Fix or upgrade the SBOM generator so the output validates against its specVersion.",
        ("NIST SSDF PS.3.2", "CycloneDX specification"),
    ),
    Control(
        "SC-SBOM-NTIA",
        "SBOM has the NTIA minimum elements",
        _F,
        Severity.MEDIUM,
        "Supplier, name, version, unique identifier, dependency relationships, author and "
        "timestamp are what makes an SBOM usable for vulnerability and licence management.",
        "Configure the generator to emit suppliers, purls, the dependency graph, "
        "metadata.authors and metadata.timestamp.",
        (
            "NIST SSDF PS.3.2",
            "NIST SP 800-53 CM-8",
            "NIST SP 800-53 SR-4",
            "NTIA SBOM minimum elements (2021)",
            "sbomqs",
        ),
    ),
    Control(
        "SC-LICENSES",
        "No component under a denied licence",
        _F,
        Severity.HIGH,
        "Shipping a component under a denied licence creates legal obligations the "
        "organisation has decided not to take.",
        "Replace the component or get legal approval (waiver).",
        ("NIST SP 800-53 CM-10", "NIST SSDF PW.4.4", "OpenChain ISO/IEC 5230"),
    ),
    Control(
        "SC-LICENSES-UNKNOWN",
        "Every component has a known SPDX licence",
        _F,
        Severity.LOW,
        "A component whose licence is unknown cannot be cleared by the licence policy.",
        "Let the SBOM generator resolve licences to SPDX ids or LicenseRef-*.",
        ("NIST SP 800-53 CM-10", "NIST SSDF PS.3.2", "SPDX licence list"),
    ),
    Control(
        "SC-VULNS",
        "No known vulnerability at or above the threshold",
        _F,
        Severity.HIGH,
        "A known, exploitable vulnerability in a shipped component is the most common "
        "supply-chain incident.",
        "Upgrade the affected component to a fixed version, rebuild and regenerate the "
        "SBOM, or accept the vulnerability with a waiver on '<image>/<vuln id>' that has "
        "an approver and an expiry.",
        (
            "NIST SSDF RV.1.1",
            "NIST SSDF PW.4.4",
            "NIST SP 800-53 RA-5",
            "NIST SP 800-53 SI-2",
            "SOC 2 CC7.1",
            "OSV",
        ),
    ),
    Control(
        "SC-IMAGE-USER",
        "Image runs as a non-root user",
        _F,
        Severity.HIGH,
        "A process running as root in a container turns a container escape or a writable "
        "host mount into host compromise.",
        "Set a numeric non-root USER in the Dockerfile (e.g. USER 10001).",
        ("NIST SP 800-53 AC-6", "CIS Docker Benchmark 4.1"),
    ),
    Control(
        "SC-IMAGE-TAG",
        "Image referenced by an immutable version",
        _F,
        Severity.MEDIUM,
        "'latest' (or no tag) changes under the release: what was checked is not what runs.",
        "Reference the image by a version tag and, better, by its digest.",
        ("NIST SP 800-53 CM-2", "SOC 2 CC8.1", "CIS Docker Benchmark 5.27"),
    ),
    Control(
        "SC-IMAGE-LABELS",
        "Image carries the required OCI labels",
        _F,
        Severity.LOW,
        "source, revision and version labels tie a running image back to its code.",
        "Set org.opencontainers.image.* labels at build time (docker build --label or "
        "docker/metadata-action).",
        ("NIST SP 800-53 CM-8", "OCI image spec annotations"),
    ),
    Control(
        "SC-IMAGE-SECRETS",
        "No secret-looking values in the image environment",
        _F,
        Severity.HIGH,
        "ENV values are baked into every layer and readable by anyone who can pull the image.",
        "Remove the value from the Dockerfile ENV; inject secrets at run time from a "
        "secret store, then rotate the exposed one.",
        ("NIST SP 800-53 IA-5(7)", "CIS Docker Benchmark 4.10"),
    ),
    Control(
        "SC-CONTAINER-RUNTIME",
        "Running containers are non-root, unprivileged, memory-limited",
        _F,
        Severity.HIGH,
        "What the daemon actually runs must match the image policy.",
        "Run with a non-root user, without --privileged and with --memory set.",
        ("NIST SP 800-53 AC-6", "NIST SP 800-53 CM-7", "CIS Docker Benchmark 5.4, 5.10"),
    ),
    Control(
        "SC-PRIOR-VERDICT",
        "The image passed an earlier stage's full gate",
        _F,
        Severity.HIGH,
        "Promotion, not rebuild: what ships to production is the digest that already passed "
        "the staging gate, proved by that gate's signed verdict.",
        "Run the earlier stage's gate with --attest (and --attest-push) on this digest, or "
        "promote the digest that passed it instead of a new build.",
        (
            "SLSA v1.0 Build L2",
            "NIST SSDF PS.2.1",
            "NIST SP 800-53 CM-3",
            "NIST SP 800-53 CM-4(1)",
            "SOC 2 CC8.1",
            "Continuous Delivery (Humble, Farley) ch. 5: only build your binaries once",
        ),
    ),
    Control(
        "SC-VERDICT",
        "Release verdict per image",
        _F,
        Severity.CRITICAL,
        "One answer per image for the release manager: may it ship?",
        "Fix (or waive with approval) every blocking supply-chain finding listed for the image.",
        (
            "NIST SP 800-53 SR-3",
            "SOC 2 CC8.1",
            "Binary Authorization for Borg (Google whitepaper)",
        ),
    ),
)
