"""The registry source against the real Debian docker-registry (plain, and TLS + basic auth)."""

from __future__ import annotations

import json

import pytest

from readiness.demo.oci_push import Pusher, push_image, push_index
from readiness.errors import SourceError
from readiness.profile.common import Auth, BasicAuth, Endpoint
from readiness.sources.registry import ImageRef, RegistryClient, pick_platform, sha256_digest
from tests.fixtures.supply_chain import RegistryWorld, SecureRegistry, TokenRegistry

pytestmark = pytest.mark.integration


def client(url: str, **kw: object) -> RegistryClient:
    return RegistryClient("registry test", Endpoint(url=url, retries=0, timeout=5, **kw))  # type: ignore[arg-type]


def signed_in(registry: SecureRegistry, password: str | None = None) -> RegistryClient:
    """A client trusting the registry's CA, with its user's (or the given) password."""
    basic = BasicAuth(username=registry.username, password=password or registry.password)
    return client(registry.url, ca_file=str(registry.ca_file), auth=Auth(basic=basic))


def test_tag_resolves_to_the_pushed_digest(sc_registry_world: RegistryWorld) -> None:
    reg = client(sc_registry_world.url)
    manifest = reg.manifest("shop/cart", "1.4.0")
    assert manifest is not None
    assert manifest.digest == sc_registry_world.digests["cart"]
    assert not manifest.is_index
    config = json.loads(reg.blob("shop/cart", manifest.body["config"]["digest"]))
    assert config["config"]["User"] == "10001"


def test_missing_tag_is_none_not_an_error(sc_registry_world: RegistryWorld) -> None:
    assert client(sc_registry_world.url).manifest("shop/cart", "9.9.9") is None


def test_referrers_fall_back_to_the_tag_schema(sc_registry_world: RegistryWorld) -> None:
    digest = sc_registry_world.digests["cart"]
    referrers, how = client(sc_registry_world.url).referrers("shop/cart", digest)
    assert how == "tag-schema"  # distribution 2.8 answers 404 on the referrers API
    assert sorted(r.artifact_type for r in referrers) == [
        "application/vnd.cyclonedx+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
        "application/vnd.dev.sigstore.bundle.v0.3+json",
    ]
    dsse = [r for r in referrers if "dev.sigstore.bundle.predicateType" in r.annotations]
    assert (
        dsse[0].annotations["dev.sigstore.bundle.predicateType"] == "https://slsa.dev/provenance/v1"
    )


def test_cosign_tags_are_found(sc_registry_world: RegistryWorld) -> None:
    reg = client(sc_registry_world.url)
    digest = sc_registry_world.digests["worker"]
    sig = reg.cosign_tag("shop/worker", digest, "sig")
    att = reg.cosign_tag("shop/worker", digest, "att")
    assert sig is not None and att is not None
    assert reg.cosign_tag("shop/worker", digest, "sbom") is None
    layer = sig.descriptors("layers")[0]
    payload = json.loads(reg.blob("shop/worker", layer["digest"]))
    assert payload["critical"]["image"]["docker-manifest-digest"] == digest


def test_index_picks_the_platform(sc_registry_world: RegistryWorld) -> None:
    pusher = Pusher(sc_registry_world.url, verify=False)
    amd = push_image(pusher, "multi/app", "amd", labels={"arch": "amd64"})
    arm = push_image(pusher, "multi/app", "arm", labels={"arch": "arm64"})
    index_digest, _ = push_index(
        pusher, "multi/app", "1.0", {"linux/amd64": amd, "linux/arm64": arm}
    )
    reg = client(sc_registry_world.url)
    index = reg.manifest("multi/app", "1.0")
    assert index is not None and index.is_index and index.digest == index_digest
    entry = pick_platform(index, "linux/arm64")
    assert entry is not None and entry["digest"] == arm[0]
    assert pick_platform(index, "linux/s390x") is None


def test_blob_digest_is_checked(sc_registry_world: RegistryWorld) -> None:
    reg = client(sc_registry_world.url)
    with pytest.raises(SourceError, match="HTTP 404"):
        reg.blob("shop/cart", sha256_digest(b"never pushed"))


def test_unreachable_registry_names_the_target() -> None:
    from readiness.demo.procs import free_port

    reg = client(f"http://127.0.0.1:{free_port()}")
    with pytest.raises(SourceError) as err:
        reg.manifest("shop/cart", "1.0")
    assert "registry test" in str(err.value) and "cannot reach" in str(err.value)


def test_tls_basic_auth_with_the_ca(sc_secure_registry: SecureRegistry) -> None:
    reg = signed_in(sc_secure_registry)
    manifest = reg.manifest("secure/app", "3.1.0")
    assert manifest is not None and manifest.digest == sc_secure_registry.digest


def test_tls_wrong_password_is_refused(sc_secure_registry: SecureRegistry) -> None:
    reg = signed_in(sc_secure_registry, password="wrong")
    with pytest.raises(SourceError, match="refused our credentials"):
        reg.manifest("secure/app", "3.1.0")


def test_tls_without_the_ca_fails_verification(sc_secure_registry: SecureRegistry) -> None:
    reg = client(sc_secure_registry.url)
    with pytest.raises(SourceError, match="TLS error"):
        reg.manifest("secure/app", "3.1.0")


def test_image_ref_parsing() -> None:
    ref = ImageRef.parse("127.0.0.1:5000/team/app:1.2@sha256:" + "a" * 64)
    assert (ref.host, ref.repository, ref.tag) == ("127.0.0.1:5000", "team/app", "1.2")
    assert ref.reference == "sha256:" + "a" * 64
    assert ImageRef.parse("reg:5000/app").reference == "latest"
    with pytest.raises(ValueError, match="malformed digest"):
        ImageRef.parse("reg/app@sha256:xyz")


def test_bearer_token_flow(sc_token_registry: TokenRegistry) -> None:
    reg = signed_in(sc_token_registry)
    before = sc_token_registry.issuer.requests
    manifest = reg.manifest("token/app", "2.0.0")
    assert manifest is not None and manifest.digest == sc_token_registry.digest
    assert reg.manifest("token/app", "2.0.0") is not None
    assert sc_token_registry.issuer.requests == before + 1  # the token is reused per scope


def test_bearer_token_bad_credentials(sc_token_registry: TokenRegistry) -> None:
    reg = signed_in(sc_token_registry, password="nope")
    with pytest.raises(SourceError, match=r"token service .* refused our credentials"):
        reg.manifest("token/app", "2.0.0")


def test_bearer_token_anonymous_gets_no_access(sc_token_registry: TokenRegistry) -> None:
    reg = client(sc_token_registry.url, ca_file=str(sc_token_registry.ca_file))
    with pytest.raises(SourceError, match="refused our credentials"):
        reg.manifest("token/app", "2.0.0")
