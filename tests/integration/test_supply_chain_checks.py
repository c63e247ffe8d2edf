"""The supply-chain checks end to end: plugin + real registry + JSON report."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from readiness.demo.procs import free_port
from tests.fixtures.supply_chain import RegistryWorld, profile_text, run_in, supply_chain_checks

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def outcomes(
    sc_registry_world: RegistryWorld, tmp_path_factory: pytest.TempPathFactory
) -> dict[tuple[str, str], dict[str, Any]]:
    expires = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    expired = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    dead = f"127.0.0.1:{free_port()}"
    images = (
        f"    - ref: {sc_registry_world.host}/shop/cart:1.4.0\n"
        f"    - ref: {sc_registry_world.host}/shop/worker:3.2.1\n"
        f"    - ref: {sc_registry_world.host}/shop/legacy:latest\n"
        f"    - ref: {sc_registry_world.host}/shop/side:2.0.0\n"
        f"      files:\n        sbom: {sc_registry_world.home}/side.cdx.json\n"
        f"    - ref: {sc_registry_world.host}/shop/broken:1.0\n"
        f"    - ref: {sc_registry_world.host}/shop/broken:1.0\n"
        f"      name: shop/broken:1.0@files\n"
        f"      files:\n"
        f"        sbom: {sc_registry_world.home}/missing.cdx.json\n"
        f"        provenance: [{sc_registry_world.home}/missing.intoto.jsonl]\n"
        f"        signature_bundles: [{sc_registry_world.home}/missing.sigstore.json]\n"
        f"    - ref: {sc_registry_world.host}/shop/multi:5.0\n"
        f"    - ref: {sc_registry_world.host}/shop/multi:5.0\n"
        f"      name: shop/multi:5.0@arm64\n"
        f"      platform: linux/arm64\n"
        f"    - ref: {dead}/shop/gone:1.0\n"
        f"      registry: dead\n"
    )
    extra = (
        f"waivers:\n"
        f"  - control: SC-VULNS\n    target: shop/legacy:latest/GHSA-p6mc-*\n"
        f"    reason: not reachable in our use\n    approver: sec-team\n    expires: {expires}\n"
        f"  - control: SC-LICENSES\n    target: shop/legacy:latest\n"
        f"    reason: legal review pending\n    approver: legal\n    expires: {expired}\n"
    )
    text = profile_text(sc_registry_world, extra=extra, images=images).replace(
        "  images:\n",
        f"    - name: dead\n      url: http://{dead}\n      retries: 0\n      timeout: 2\n"
        "  images:\n",
    )
    code, checks = run_in(tmp_path_factory.mktemp("sc-e2e"), text)
    assert code == 1
    return checks


@pytest.mark.parametrize(
    ("control", "target", "outcome"),
    [
        ("SC-SIGNATURE", "shop/cart:1.4.0", "passed"),
        ("SC-PROVENANCE", "shop/cart:1.4.0", "passed"),
        ("SC-SBOM-PRESENT", "shop/cart:1.4.0", "passed"),
        ("SC-SBOM-VALID", "shop/cart:1.4.0", "passed"),
        ("SC-SBOM-NTIA", "shop/cart:1.4.0", "passed"),
        ("SC-VULNS", "shop/cart:1.4.0", "passed"),
        ("SC-IMAGE-USER", "shop/cart:1.4.0", "passed"),
        ("SC-VERDICT", "shop/cart:1.4.0", "passed"),
        ("SC-SIGNATURE", "shop/worker:3.2.1", "passed"),
        ("SC-PROVENANCE", "shop/worker:3.2.1", "passed"),
        ("SC-VERDICT", "shop/worker:3.2.1", "passed"),
        ("SC-SIGNATURE", "shop/legacy:latest", "failed"),
        ("SC-PROVENANCE", "shop/legacy:latest", "failed"),
        ("SC-IMAGE-USER", "shop/legacy:latest", "failed"),
        ("SC-IMAGE-SECRETS", "shop/legacy:latest", "failed"),
        ("SC-IMAGE-TAG", "shop/legacy:latest", "warned"),
        ("SC-IMAGE-LABELS", "shop/legacy:latest", "warned"),
        ("SC-SBOM-NTIA", "shop/legacy:latest", "warned"),
        ("SC-LICENSES", "shop/legacy:latest", "failed"),
        ("SC-VULNS", "shop/legacy:latest/GHSA-jfh8-c2jp-5v3q", "failed"),
        ("SC-VULNS", "shop/legacy:latest/GHSA-p6mc-m468-83gw", "waived"),
        ("SC-VERDICT", "shop/legacy:latest", "failed"),
        ("SC-SIGNATURE", "shop/side:2.0.0", "failed"),
        ("SC-SBOM-PRESENT", "shop/side:2.0.0", "passed"),
        ("SC-SIGNATURE", "shop/broken:1.0", "failed"),
        ("SC-PROVENANCE", "shop/broken:1.0", "failed"),
        ("SC-SBOM-PRESENT", "shop/broken:1.0", "failed"),
        ("SC-SIGNATURE", "shop/multi:5.0", "passed"),  # the index digest is signed
        ("SC-SBOM-PRESENT", "shop/multi:5.0", "passed"),  # attached to the amd64 manifest
        ("SC-IMAGE-USER", "shop/multi:5.0", "passed"),
        ("SC-SIGNATURE", "shop/multi:5.0@arm64", "passed"),
        ("SC-IMAGE-USER", "shop/multi:5.0@arm64", "failed"),
        ("SC-SBOM-PRESENT", "shop/multi:5.0@arm64", "failed"),
        ("SC-SIGNATURE", "shop/gone:1.0", "error"),
        ("SC-VULNS", "shop/gone:1.0", "error"),
        ("SC-VERDICT", "shop/gone:1.0", "error"),
    ],
)
def test_outcome(
    outcomes: dict[tuple[str, str], dict[str, Any]], control: str, target: str, outcome: str
) -> None:
    check = outcomes.get((control, target))
    assert check is not None, f"no result for {control} {target}: {sorted(outcomes)}"
    assert check["outcome"] == outcome, check["message"]


def test_low_vulnerability_is_listed_but_not_a_target(
    outcomes: dict[tuple[str, str], dict[str, Any]],
) -> None:
    image_level = outcomes[("SC-VULNS", "shop/legacy:latest")]
    matched = {v["id"]: v for v in image_level["evidence"]["matched"]}
    assert matched["GHSA-462w-v97r-4m45"]["severity"] == "low"
    assert ("SC-VULNS", "shop/legacy:latest/GHSA-462w-v97r-4m45") not in outcomes
    assert image_level["evidence"]["database"]["records"] == 4


def test_wrong_identity_says_expected_and_found(
    outcomes: dict[tuple[str, str], dict[str, Any]],
) -> None:
    message = outcomes[("SC-SIGNATURE", "shop/side:2.0.0")]["message"]
    assert "is not an allowed signer" in message
    assert "expected: signed by ~/https://github\\.com/example/shop/" in message
    assert (
        "found:    https://github.com/someone/shop-fork/.github/workflows/release.yml@refs/tags/"
        "v2.0.0 (issuer https://token.actions.githubusercontent.com)" in message
    )


def test_keyless_evidence_names_identity(outcomes: dict[tuple[str, str], dict[str, Any]]) -> None:
    checks = outcomes[("SC-SIGNATURE", "shop/cart:1.4.0")]["evidence"]["verifications"]
    image = outcomes[("SC-SIGNATURE", "shop/cart:1.4.0")]["evidence"]["image"]
    assert image["tls_verified"] is False and image["registry"].startswith("http://127.0.0.1:")
    ok = [c for c in checks if c["ok"] and c["kind"] == "sigstore-bundle"]
    assert ok and ok[0]["identity"].endswith("release.yml@refs/tags/v1.4.0")


def test_expired_waiver_blocks_again(outcomes: dict[tuple[str, str], dict[str, Any]]) -> None:
    check = outcomes[("SC-LICENSES", "shop/legacy:latest")]
    assert "expired" in check["message"]
    verdict = outcomes[("SC-VERDICT", "shop/legacy:latest")]
    assert "SC-LICENSES" in verdict["message"] and "waiver expired" in verdict["message"]
    assert "SC-VULNS [shop/legacy:latest/GHSA-p6mc" not in verdict["message"]


def test_unreachable_registry_error_names_it(
    outcomes: dict[tuple[str, str], dict[str, Any]],
) -> None:
    message = outcomes[("SC-SIGNATURE", "shop/gone:1.0")]["message"]
    assert "registry dead" in message and "cannot reach" in message


def test_secret_value_never_reported(outcomes: dict[tuple[str, str], dict[str, Any]]) -> None:
    dumped = json.dumps(outcomes[("SC-IMAGE-SECRETS", "shop/legacy:latest")])
    assert "DB_PASSWORD" in dumped and "hunter2" not in dumped


def test_verdict_honours_waivers_through_the_plugin(
    sc_registry_world: RegistryWorld, pytester: pytest.Pytester
) -> None:
    expires = (dt.date.today() + dt.timedelta(days=10)).isoformat()
    images = (
        f"    - ref: {sc_registry_world.host}/shop/side:2.0.0\n"
        f"      files:\n        sbom: {sc_registry_world.home}/side.cdx.json\n"
    )
    extra = "waivers:\n" + "".join(
        f"  - control: {cid}\n    target: shop/side:2.0.0\n    reason: rotation\n"
        f"    approver: sec\n    expires: {expires}\n"
        for cid in ("SC-SIGNATURE", "SC-PROVENANCE")
    )
    pytester.makefile(".yaml", sc=profile_text(sc_registry_world, extra=extra, images=images))
    result = pytester.runpytest_subprocess(
        "--profile=sc.yaml", "-p", "no:cacheprovider", "-k", "supply_chain"
    )
    checks = supply_chain_checks(pytester.path)
    assert checks[("SC-SIGNATURE", "shop/side:2.0.0")]["outcome"] == "waived"
    assert checks[("SC-PROVENANCE", "shop/side:2.0.0")]["outcome"] == "waived"
    verdict = checks[("SC-VERDICT", "shop/side:2.0.0")]
    assert verdict["outcome"] == "passed", verdict["message"]
    statuses = {c["control"]: c["status"] for c in verdict["evidence"]["controls"]}
    assert statuses["SC-SIGNATURE"] == "waived" and statuses["SC-IMAGE-USER"] == "pass"
    assert result.ret == 0


def test_profile_without_images_skips_with_reasons(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", sc="extends: none\nenvironment: test\n")
    result = pytester.runpytest_subprocess(
        "--profile=sc.yaml", "-p", "no:cacheprovider", "-k", "supply_chain"
    )
    checks = supply_chain_checks(pytester.path)
    assert checks and {c["outcome"] for c in checks.values()} == {"skipped"}
    # The family has nothing to look at: every check carries its one reason.
    reason = "supply_chain: no registries, images, artifacts or docker in targets"
    assert {c["message"] for c in checks.values()} == {reason}
    assert f"readiness: family skipped: {reason}" in result.stdout.str()
    assert result.ret == 1 and "nothing was judged" in result.stdout.str()  # never a pass


def test_registry_without_images_or_artifacts_says_so(pytester: pytest.Pytester) -> None:
    pytester.makefile(
        ".yaml",
        sc="extends: none\nenvironment: test\ntargets:\n  registries:\n"
        "    - {name: r, url: 'https://registry.invalid'}\n",
    )
    result = pytester.runpytest_subprocess(
        "--profile=sc.yaml", "-p", "no:cacheprovider", "-k", "supply_chain"
    )
    checks = supply_chain_checks(pytester.path)
    assert "no image or artifact configured" in checks[("SC-SIGNATURE", "-")]["message"]
    assert "no container configured" in checks[("SC-CONTAINER-RUNTIME", "-")]["message"]
    assert result.ret == 1 and "nothing was judged" in result.stdout.str()  # never a pass


def test_corrupt_artefacts_get_the_reason(outcomes: dict[tuple[str, str], dict[str, Any]]) -> None:
    signature = outcomes[("SC-SIGNATURE", "shop/broken:1.0")]["message"]
    assert "invalid bundle: failed to load bundle" in signature
    provenance = outcomes[("SC-PROVENANCE", "shop/broken:1.0")]["message"]
    assert "not a DSSE envelope" in provenance
    sbom = outcomes[("SC-SBOM-PRESENT", "shop/broken:1.0")]["message"]
    assert "only unreadable ones" in sbom and "SBOM is not valid JSON" in sbom
    for message in (signature, provenance, sbom):
        assert "Traceback" not in message


def test_sbom_discovery_paths(outcomes: dict[tuple[str, str], dict[str, Any]]) -> None:
    """Referrer (cart), key-attested SBOM in .att (worker), cosign .sbom tag (legacy)."""

    def sources(target: str) -> list[str]:
        return [s["source"] for s in outcomes[("SC-SBOM-PRESENT", target)]["evidence"]["sboms"]]

    assert any("application/vnd.cyclonedx+json" in s for s in sources("shop/cart:1.4.0"))
    assert any(s.endswith(".att (attested SBOM)") for s in sources("shop/worker:3.2.1"))
    assert any(s.endswith(".sbom") for s in sources("shop/legacy:latest"))
    assert outcomes[("SC-SBOM-NTIA", "shop/worker:3.2.1")]["outcome"] == "passed"


def test_missing_declared_files_are_findings(
    outcomes: dict[tuple[str, str], dict[str, Any]],
) -> None:
    target = "shop/broken:1.0@files"
    for control in ("SC-SIGNATURE", "SC-PROVENANCE", "SC-SBOM-PRESENT"):
        assert outcomes[(control, target)]["outcome"] == "failed", control
    assert "cannot read bundle" in outcomes[("SC-SIGNATURE", target)]["message"]
    assert "cannot read provenance" in outcomes[("SC-PROVENANCE", target)]["message"]
    sbom = outcomes[("SC-SBOM-PRESENT", target)]
    assert "only unreadable ones" in sbom["message"] or "cannot read" in sbom["message"]
    problems = sbom["evidence"]["image"]["sbom_problems"]
    assert any("missing.cdx.json: cannot read the SBOM file" in p for p in problems), problems
