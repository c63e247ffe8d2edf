"""Supply-chain checks: signatures, provenance, SBOMs, vulnerabilities, image configuration.

Parametrized per image (id = the image's target id, e.g. ``shop/cart:1.4.0``); SC-VULNS
also per vulnerability (``shop/cart:1.4.0/GHSA-…``) so that a waiver with an expiry can
accept one vulnerability of one image.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from readiness import Evidence, assert_no_findings, control, parametrize
from readiness.checking import profile_of
from readiness.errors import SourceError
from readiness.profile.model import Profile
from readiness.profile.supply_chain import Image
from readiness.rules.supply_chain import (
    IMAGE_CONTROLS,
    blocking_vulns,
    control_findings,
    judge_control,
    verdict_findings,
    verdict_table,
    vuln_threshold,
)
from readiness.rules.supply_chain_image import ContainerInfo, container_findings
from readiness.rules.supply_chain_sbom import ntia_coverage
from readiness.rules.supply_chain_vulns import MatchResult, VulnMatch, vuln_findings
from readiness.sources.osv import load_osv_database
from readiness.sources.supply_chain import ImageEvidence, SupplyChainCollector

_COLLECTOR = pytest.StashKey[SupplyChainCollector]()


def collector(config: pytest.Config) -> SupplyChainCollector:
    if _COLLECTOR not in config.stash:
        config.stash[_COLLECTOR] = SupplyChainCollector(profile_of(config))
    return config.stash[_COLLECTOR]


@dataclass(frozen=True)
class VulnItem:
    image: Image
    vuln: VulnMatch | None = None
    result: MatchResult | None = None
    error: SourceError | None = None


def _vuln_items(config: pytest.Config, profile: Profile) -> Iterator[tuple[str, VulnItem]]:
    osv = profile.supply_chain.vulnerabilities.osv_db
    assert osv is not None
    coll = collector(config)
    coll.prefetch()
    for image in profile.targets.images:
        try:
            result = coll.vulnerabilities(image, load_osv_database(osv))
        except SourceError as exc:
            yield image.target_id, VulnItem(image, error=exc)
            continue
        yield image.target_id, VulnItem(image, result=result)
        for vuln in blocking_vulns(result, profile):
            yield f"{image.target_id}/{vuln.id}", VulnItem(image, vuln=vuln, result=result)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    parametrize(metafunc, "image", ((i.target_id, i) for i in profile.targets.images))
    if "vuln" in metafunc.fixturenames:
        if not profile.targets.images:
            parametrize(metafunc, "vuln", [])
        elif profile.supply_chain.vulnerabilities.osv_db is None:
            reason = "no OSV database: set supply_chain.vulnerabilities.osv_db"
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


@pytest.fixture
def image_evidence(image: Image, pytestconfig: pytest.Config, evidence: Evidence) -> ImageEvidence:
    coll = collector(pytestconfig)
    coll.prefetch()  # every image at once, concurrently; then served from the cache
    ev = coll.image(image)
    evidence.add(image=ev.summary())
    return ev


def _check(control_id: str, ev: ImageEvidence, profile: Profile) -> None:
    __tracebackhide__ = True
    assert_no_findings(control_findings(control_id, ev, profile))


@control("SC-SIGNATURE")
def test_signature(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    evidence.add(verifications=[c.as_dict() for c in image_evidence.checks])
    _check("SC-SIGNATURE", image_evidence, profile)


@control("SC-PROVENANCE")
def test_provenance(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    evidence.add(attestations=[c.as_dict() for c in image_evidence.checks if c.statement])
    _check("SC-PROVENANCE", image_evidence, profile)


@control("SC-SBOM-PRESENT")
def test_sbom_present(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    evidence.add(
        sboms=[
            {"source": s.source, "spec": s.spec_version, "subject": s.subject_digest}
            for s in image_evidence.sboms
        ]
    )
    _check("SC-SBOM-PRESENT", image_evidence, profile)


def _needs_sbom(image_evidence: ImageEvidence, to: str) -> None:
    if not image_evidence.sboms:
        pytest.skip(f"no SBOM to {to} (see SC-SBOM-PRESENT)")


@control("SC-SBOM-VALID")
def test_sbom_valid(image_evidence: ImageEvidence, profile: Profile) -> None:
    _needs_sbom(image_evidence, "validate")
    _check("SC-SBOM-VALID", image_evidence, profile)


@control("SC-SBOM-NTIA")
def test_sbom_ntia(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    _needs_sbom(image_evidence, "assess")
    evidence.add(
        ntia={
            s.source: {k: round(v.share, 4) for k, v in ntia_coverage(s.doc).items()}
            for s in image_evidence.sboms
        },
        thresholds=dict(profile.supply_chain.sbom.ntia),
    )
    _check("SC-SBOM-NTIA", image_evidence, profile)


@control("SC-LICENSES")
def test_licenses(image_evidence: ImageEvidence, profile: Profile, evidence: Evidence) -> None:
    _needs_sbom(image_evidence, "assess")
    evidence.add(deny=list(profile.supply_chain.sbom.deny_licenses))
    _check("SC-LICENSES", image_evidence, profile)


@control("SC-LICENSES-UNKNOWN")
def test_licenses_known(image_evidence: ImageEvidence, profile: Profile) -> None:
    _needs_sbom(image_evidence, "assess")
    _check("SC-LICENSES-UNKNOWN", image_evidence, profile)


@control("SC-VULNS")
def test_vulnerabilities(vuln: VulnItem, profile: Profile, evidence: Evidence) -> None:
    if vuln.error is not None:
        raise vuln.error
    assert vuln.result is not None
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
    osv = profile.supply_chain.vulnerabilities.osv_db
    if osv is not None:
        db = load_osv_database(osv)
        evidence.add(osv_db=osv, osv_records=db.records, osv_problems=db.problems[:20])
    if result.components == 0:
        pytest.fail(
            "no SBOM components to match: vulnerabilities cannot be assessed\n"
            "  expected: an SBOM with components (see SC-SBOM-PRESENT)\n"
            "  found:    none",
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
        raise container
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
    image: Image, pytestconfig: pytest.Config, profile: Profile, evidence: Evidence
) -> None:
    coll = collector(pytestconfig)
    ev = coll.image(image)
    today = dt.date.today()
    statuses = [
        judge_control(cid, image.target_id, control_findings(cid, ev, profile), profile, today)
        for cid in IMAGE_CONTROLS
    ]
    osv = profile.supply_chain.vulnerabilities.osv_db
    if osv is not None:
        result = coll.vulnerabilities(image, load_osv_database(osv))
        for vuln in blocking_vulns(result, profile):
            target = f"{image.target_id}/{vuln.id}"
            statuses.append(
                judge_control(
                    "SC-VULNS", target, vuln_findings(vuln, vuln_threshold(profile)), profile, today
                )
            )
    evidence.add(image=ev.summary(), controls=[s.as_dict() for s in statuses])
    evidence.attach_html(verdict_table(statuses))
    assert_no_findings(verdict_findings(image.target_id, statuses))
