"""targets.artifacts: profile validation, target ids without query strings, size caps."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from readiness.errors import SourceError
from readiness.profile.supply_chain import Artifact, Image, SupplyChainTargets
from readiness.sources.artifacts import read_artifact

WHEEL = (
    Path(__file__).resolve().parents[1]
    / "data/supply_chain/sigstore/sigstore-python/test/assets/bundle_v3_github.whl"
)


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({}, "exactly one of path or url"),
        ({"path": "a.whl", "url": "https://h/a.whl"}, "exactly one of path or url"),
        ({"url": "http://h/a.whl"}, "must be https"),
        ({"url": "https://user:pw@h/a.whl"}, "must not carry credentials"),
    ],
)
def test_artifact_needs_one_https_location(fields: dict[str, str], error: str) -> None:
    with pytest.raises(ValidationError, match=error):
        Artifact.model_validate(fields)


def test_target_id_is_the_name_or_the_file_name_without_query() -> None:
    assert Artifact(path="dist/app-1.0.tar.gz").target_id == "app-1.0.tar.gz"
    url = Artifact(url="https://dl.example.com/app/1.0/app.bin?X-Amz-Signature=secret")
    assert url.target_id == "app.bin" and "secret" not in url.location
    assert Artifact(name="app", path="x").target_id == "app"


def test_images_and_artifacts_need_unique_names() -> None:
    with pytest.raises(ValidationError, match="used twice: app"):
        SupplyChainTargets(
            images=[Image(ref="r:5000/team/app", name="app")],
            artifacts=[Artifact(name="app", path="x")],
        )


def test_local_artifact_digest_and_size_cap() -> None:
    read = read_artifact(Artifact(path=str(WHEEL)))
    assert read.size == WHEEL.stat().st_size and read.digest.startswith("sha256:")
    with pytest.raises(SourceError, match="larger than max_bytes"):
        read_artifact(Artifact(path=str(WHEEL), max_bytes=1024))
    with pytest.raises(SourceError, match="cannot read artifact"):
        read_artifact(Artifact(path=str(WHEEL) + ".missing"))
