"""CI-ARTIFACT-BUILT-BY-PIPELINE (pure): what an attestation must state."""

from __future__ import annotations

from readiness.rules.ci_artifacts import BuildClaim, ExpectedBuild, mismatches

DIGEST = "sha256:" + "ab" * 32
SHA = "8f70009fde0c94ade6ce2a054b94718c819126ec"
GHES = ExpectedBuild("shop", "github acme/shop", "acme/shop", SHA, ".github/workflows/release.yml")


def claim(**changes: object) -> BuildClaim:
    fields: dict[str, object] = {
        "source": "github attestation 1 of acme/shop",
        "predicate_type": "https://slsa.dev/provenance/v1",
        "subjects": (DIGEST,),
        "repository": "https://ghe.example.com/Acme/shop",
        "commit": SHA.upper(),
        "workflow": ".github/workflows/release.yml",
        "run": "https://ghe.example.com/acme/shop/actions/runs/7/attempts/1",
    }
    return BuildClaim(**(fields | changes))  # type: ignore[arg-type]


def test_a_matching_provenance_on_any_host_passes() -> None:
    assert mismatches(claim(), DIGEST, GHES) == []
    assert mismatches(claim(repository="git+https://ghe.example.com/acme/shop.git@refs/tags/v1"),
                      DIGEST, GHES) == []  # fmt: skip


def test_each_difference_is_named() -> None:
    assert mismatches(
        claim(run="https://ghe.example.com/fork/shop/actions/runs/7"), DIGEST, GHES
    ) == ["run https://ghe.example.com/fork/shop/actions/runs/7 belongs to another repository"]
    assert mismatches(claim(subjects=("sha256:" + "cd" * 32,)), DIGEST, GHES) == [
        f"its subjects do not include {DIGEST}"
    ]
    assert mismatches(claim(repository=None, commit=None, workflow=None), DIGEST, GHES) == [
        "it names no source repository",
        "it names no source commit",
        "it names no workflow",
    ]
    gitlab = ExpectedBuild("pay", "pipeline 6 of gitlab project g/p", jobs=frozenset({"6"}))
    assert mismatches(BuildClaim("gitlab attestation 1", "https://slsa.dev/provenance/v1",
                                 job=None), DIGEST, gitlab) == ["it names no CI job"]  # fmt: skip
