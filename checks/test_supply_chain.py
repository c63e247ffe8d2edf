"""Supply-chain checks: signatures, provenance, SBOMs, vulnerabilities, image configuration.

Parametrized per image and per artifact (id = the target id, e.g. ``shop/cart:1.4.0`` or
``cart-1.4.0.tar.gz``) with one shared rule set; the SC-IMAGE-* checks per image only.
SC-VULNS also per vulnerability (``shop/cart:1.4.0/GHSA-…``, or the alias a waiver
names) so that a waiver with an expiry can accept one vulnerability of one target.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from readiness import Evidence, assert_no_findings, clock, control, parametrize
from readiness.checking import profile_of
from readiness.errors import SourceError, raise_fresh
from readiness.findings import Finding
from readiness.profile.model import Profile
from readiness.profile.supply_chain import Image
from readiness.rules.supply_chain import (
    IMAGE_CONTROLS,
    IMAGE_ONLY_CONTROLS,
    blocking_vulns,
    control_findings,
    judge_control,
    verdict_findings,
    verdict_table,
    vuln_threshold,
)
from readiness.rules.supply_chain_image import ContainerInfo, container_findings
from readiness.rules.supply_chain_sbom import ntia_coverage
from readiness.rules.supply_chain_verdict import prior_verdict_findings
from readiness.rules.supply_chain_vulns import (
    MatchResult,
    VulnMatch,
    database_findings,
    vuln_findings,
    waiver_id,
)
from readiness.sources.supply_chain import (
    ImageEvidence,
    Subject,
    SubjectEvidence,
    SupplyChainCollector,
    prior_verdict_verifier,
)
from readiness.verdict.attest import decide
from readiness.verdict.oci import attestation_blobs
from readiness.verdict.statement import Requirements, VerdictError, parse_age

_COLLECTOR = pytest.StashKey[SupplyChainCollector]()


def collector(config: pytest.Config) -> SupplyChainCollector:
    if _COLLECTOR not in config.stash:
        config.stash[_COLLECTOR] = SupplyChainCollector(profile_of(config))
    return config.stash[_COLLECTOR]


@dataclass(frozen=True)
class VulnItem:
    subject: Subject
    vuln: VulnMatch | None = None
    result: MatchResult | None = None
    error: SourceError | None = None
    unusable: tuple[Finding, ...] = ()
    """Why the vulnerability database cannot answer (absent, empty, stale)."""


def _database_problems(config: pytest.Config, profile: Profile) -> list[Finding]:
    policy = profile.supply_chain.vulnerabilities
    _, status = collector(config).vuln_database()
    configured = policy.database or policy.osv_db
    now = clock.now()
    return database_findings(configured, status, policy.max_age_days, now)


def _vuln_items(config: pytest.Config, profile: Profile) -> Iterator[tuple[str, VulnItem]]:
    coll = collector(config)
    coll.prefetch()
    try:
        source, _ = coll.vuln_database()
        problems = tuple(_database_problems(config, profile))
    except SourceError as exc:
        source, problems = None, ()
        for subject in coll.subjects():
            yield subject.target_id, VulnItem(subject, error=exc)
        return
    patterns = [w.target for w in profile.waivers if w.control == "SC-VULNS"]
    for subject in coll.subjects():
        if problems or source is None:
            yield subject.target_id, VulnItem(subject, unusable=problems)
            continue
        try:
            result = coll.vulnerabilities(subject, source)
        except SourceError as exc:
            yield subject.target_id, VulnItem(subject, error=exc)
            continue
        yield subject.target_id, VulnItem(subject, result=result)
        for vuln in blocking_vulns(result, profile):
            name = waiver_id(vuln, subject.target_id, patterns)
            yield f"{subject.target_id}/{name}", VulnItem(subject, vuln=vuln, result=result)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    subjects = [*profile.targets.images, *profile.targets.artifacts]
    parametrize(metafunc, "image", ((i.target_id, i) for i in profile.targets.images))
    if subjects or "subject" not in metafunc.fixturenames:
        parametrize(metafunc, "subject", ((s.target_id, s) for s in subjects))
    else:
        reason = "no image or artifact configured in the profile (targets.images, .artifacts)"
        metafunc.parametrize(
            "subject", [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=["-"]
        )
    if "vuln" in metafunc.fixturenames:
        policy = profile.supply_chain.vulnerabilities
        if not subjects:
            parametrize(metafunc, "vuln", [])
        elif policy.if_missing == "skip" and (reasons := _skip_reasons(metafunc.config, profile)):
            reason = f"{reasons} (supply_chain.vulnerabilities.if_missing: skip)"
            metafunc.parametrize(
                "vuln", [pytest.param(None, marks=pytest.mark.skip(reason=reason))], ids=["-"]
            )
        else:
            parametrize(metafunc, "vuln", _vuln_items(metafunc.config, profile))
    if "container" in metafunc.fixturenames:
        daemon = profile.targets.docker
        if daemon is None:
            parametrize(metafunc, "container", [])
        else:
            from readiness.sources.docker_daemon import running_containers

            try:
                items: list[tuple[str, ContainerInfo | SourceError]] = [
                    (c.name, c) for c in running_containers(daemon)
                ]
            except SourceError as exc:
                items = [(daemon.url, exc)]
            parametrize(metafunc, "container", items)


def _skip_reasons(config: pytest.Config, profile: Profile) -> str:
    try:
        return "; ".join(f.message for f in _database_problems(config, profile))
    except SourceError:
        return ""  # a broken database is an error, never a skip


@pytest.fixture
def subject_evidence(
    subject: Subject, pytestconfig: pytest.Config, evidence: Evidence
) -> SubjectEvidence:
    coll = collector(pytestconfig)
    coll.prefetch()  # every target at once, concurrently; then served from the cache
    ev = coll.evidence(subject)
    evidence.add(**{ev.kind: ev.summary()})
    return ev


@pytest.fixture
def image_evidence(image: Image, pytestconfig: pytest.Config, evidence: Evidence) -> ImageEvidence:
    coll = collector(pytestconfig)
    coll.prefetch()  # every image at once, concurrently; then served from the cache
    ev = coll.image(image)
    evidence.add(image=ev.summary())
    return ev


def _check(control_id: str, ev: SubjectEvidence, profile: Profile) -> None:
    __tracebackhide__ = True
    assert_no_findings(control_findings(control_id, ev, profile))


@control("SC-SIGNATURE")
def test_signature(subject_evidence: SubjectEvidence, profile: Profile, evidence: Evidence) -> None:
    evidence.add(verifications=[c.as_dict() for c in subject_evidence.checks])
    _check("SC-SIGNATURE", subject_evidence, profile)


@control("SC-PROVENANCE")
def test_provenance(
    subject_evidence: SubjectEvidence, profile: Profile, evidence: Evidence
) -> None:
    evidence.add(attestations=[c.as_dict() for c in subject_evidence.checks if c.statement])
    _check("SC-PROVENANCE", subject_evidence, profile)


@control("SC-SBOM-PRESENT")
def test_sbom_present(
    subject_evidence: SubjectEvidence, profile: Profile, evidence: Evidence
) -> None:
    evidence.add(
        sboms=[
            {"source": s.source, "spec": s.spec_version, "subject": s.subject_digest}
            for s in subject_evidence.sboms
        ]
    )
    _check("SC-SBOM-PRESENT", subject_evidence, profile)


def _needs_sbom(subject_evidence: SubjectEvidence, to: str) -> None:
    if not subject_evidence.sboms:
        pytest.skip(f"no SBOM to {to} (see SC-SBOM-PRESENT)")


@control("SC-SBOM-VALID")
def test_sbom_valid(subject_evidence: SubjectEvidence, profile: Profile) -> None:
    _needs_sbom(subject_evidence, "validate")
    _check("SC-SBOM-VALID", subject_evidence, profile)


@control("SC-SBOM-NTIA")
def test_sbom_ntia(subject_evidence: SubjectEvidence, profile: Profile, evidence: Evidence) -> None:
    _needs_sbom(subject_evidence, "assess")
    evidence.add(
        ntia={
            s.source: {k: round(v.share, 4) for k, v in ntia_coverage(s.doc).items()}
            for s in subject_evidence.sboms
        },
        thresholds=dict(profile.supply_chain.sbom.ntia),
    )
    _check("SC-SBOM-NTIA", subject_evidence, profile)


@control("SC-LICENSES")
def test_licenses(subject_evidence: SubjectEvidence, profile: Profile, evidence: Evidence) -> None:
    _needs_sbom(subject_evidence, "assess")
    evidence.add(deny=list(profile.supply_chain.sbom.deny_licenses))
    _check("SC-LICENSES", subject_evidence, profile)


@control("SC-LICENSES-UNKNOWN")
def test_licenses_known(subject_evidence: SubjectEvidence, profile: Profile) -> None:
    _needs_sbom(subject_evidence, "assess")
    _check("SC-LICENSES-UNKNOWN", subject_evidence, profile)


@control("SC-VULNS")
def test_vulnerabilities(
    vuln: VulnItem, profile: Profile, evidence: Evidence, pytestconfig: pytest.Config
) -> None:
    if vuln.error is not None:
        raise_fresh(vuln.error)
    coll = collector(pytestconfig)
    _, status = coll.vuln_database()
    if status is not None:
        evidence.add(database=status.as_dict(clock.now()))
    if vuln.unusable:
        assert_no_findings(vuln.unusable)
    assert vuln.result is not None  # _vuln_items sets one of error, unusable and result
    if vuln.vuln is not None:
        evidence.add(vulnerability=vuln.vuln.as_dict())
        assert_no_findings(vuln_findings(vuln.vuln, vuln_threshold(profile)))
        return
    result = vuln.result
    evidence.add(
        components=result.components,
        with_purl=result.with_purl,
        matched=[v.as_dict() for v in result.vulns],
        uncomparable=list(result.uncomparable[:50]),
        threshold=vuln_threshold(profile),
        blocking=[v.id for v in blocking_vulns(result, profile)],
    )
    if result.components == 0:
        pytest.fail(
            "no SBOM components to match: vulnerabilities cannot be assessed\n"
            "  expected: an SBOM with components (see SC-SBOM-PRESENT)\n"
            "  found:    none\n"
            "  fix:      attach or declare an SBOM that lists the release's components",
            pytrace=False,
        )


@control("SC-IMAGE-USER")
def test_image_user(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    evidence.add(user=image_evidence.config.user)
    _check("SC-IMAGE-USER", image_evidence, profile)


@control("SC-IMAGE-TAG")
def test_image_tag(image_evidence: ImageEvidence, profile: Profile) -> None:
    _check("SC-IMAGE-TAG", image_evidence, profile)


@control("SC-IMAGE-LABELS")
def test_image_labels(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    evidence.add(labels=dict(image_evidence.config.labels))
    _check("SC-IMAGE-LABELS", image_evidence, profile)


@control("SC-IMAGE-SECRETS")
def test_image_secrets(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    evidence.add(env_names=[e.partition("=")[0] for e in image_evidence.config.env])
    _check("SC-IMAGE-SECRETS", image_evidence, profile)


@control("SC-CONTAINER-RUNTIME")
def test_container_runtime(
    container: ContainerInfo | SourceError, profile: Profile, evidence: Evidence
) -> None:
    if isinstance(container, SourceError):
        raise_fresh(container)
    evidence.add(
        container=container.name,
        image=container.image,
        user=container.user,
        privileged=container.privileged,
        memory=container.memory,
    )
    assert_no_findings(
        container_findings(container, profile.supply_chain.image.require_memory_limit)
    )


@control("SC-VERDICT")
def test_verdict(
    subject: Subject, pytestconfig: pytest.Config, profile: Profile, evidence: Evidence
) -> None:
    coll = collector(pytestconfig)
    ev = coll.evidence(subject)
    today = clock.today()
    target = subject.target_id
    statuses = [
        judge_control(cid, target, control_findings(cid, ev, profile), profile, today)
        for cid in IMAGE_CONTROLS
        if ev.kind == "image" or cid not in IMAGE_ONLY_CONTROLS
    ]
    source, _ = coll.vuln_database()
    problems = _database_problems(pytestconfig, profile)
    if problems and profile.supply_chain.vulnerabilities.if_missing == "fail":
        statuses.append(judge_control("SC-VULNS", target, problems, profile, today))
    elif source is not None and not problems:
        result = coll.vulnerabilities(subject, source)
        patterns = [w.target for w in profile.waivers if w.control == "SC-VULNS"]
        for vuln in blocking_vulns(result, profile):
            statuses.append(
                judge_control(
                    "SC-VULNS",
                    f"{target}/{waiver_id(vuln, target, patterns)}",
                    vuln_findings(vuln, vuln_threshold(profile)),
                    profile,
                    today,
                )
            )
    evidence.add(**{ev.kind: ev.summary()}, controls=[s.as_dict() for s in statuses])
    evidence.attach_html(verdict_table(statuses))
    assert_no_findings(verdict_findings(target, statuses))


@control("SC-PRIOR-VERDICT")
def test_prior_verdict(
    image: Image, pytestconfig: pytest.Config, profile: Profile, evidence: Evidence
) -> None:
    policy = profile.supply_chain.prior_verdict
    if policy is None:
        pytest.skip("no earlier stage required (supply_chain.prior_verdict not configured)")
    coll = collector(pytestconfig)
    digest = coll.image(image).digest
    client, ref = coll.registry_client(image)
    verify = prior_verdict_verifier(policy, coll.trust())
    max_age = parse_age(policy.max_age)
    wanted = Requirements(digest, policy.environment, max_age)
    try:
        decision = decide(
            attestation_blobs(client, ref.repository, digest),
            wanted,
            clock.now(),
            verify,
        )
    except VerdictError as exc:
        raise SourceError(client.name, str(exc)) from None
    accepted = decision.accepted
    evidence.add(
        digest=digest,
        environment=policy.environment,
        max_age=policy.max_age,
        signer=accepted.signer if accepted else None,
        verdict_finished_at=accepted.statement["predicate"].get("finished_at")
        if accepted
        else None,
        refused=decision.refusals if accepted is None else [],
    )
    assert_no_findings(
        prior_verdict_findings(decision, image.target_id, digest, policy.environment, max_age)
    )
