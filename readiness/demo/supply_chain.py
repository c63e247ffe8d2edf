"""Demo component: a local OCI registry with release candidates of varying quality.

``shop/cart:1.4.0`` is signed keyless by the release workflow (a private Sigstore
instance, see :mod:`readiness.demo.sigstore_lab`) with SLSA provenance from the allowed
builder and a complete SBOM; ``shop/worker:3.2.1`` is signed with the release key
(cosign ``.sig`` / ``.att`` tags: provenance and an attested SBOM);
``shop/legacy:latest`` is unsigned, runs as root, has no labels and ships a vulnerable
SBOM (cosign ``.sbom`` tag); ``shop/side:2.0.0`` is signed by a fork's workflow.
``shop-cli-1.4.0.tar.gz`` is a release artifact outside any registry, signed keyless with
SLSA provenance, whose SBOM names a Log4Shell-affected log4j-core. Registry on the fixed
port 15000; trusted root, keys, SBOMs, the artifact and the vulnerability database
(OSV records imported as ``readiness vulndb import`` does) under ``<workdir>/supply_chain``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from readiness.demo import Component
from readiness.demo.oci_push import (
    CYCLONEDX,
    SIGSTORE_BUNDLE,
    Pusher,
    dsse_sign,
    push_cosign_attestations,
    push_cosign_sbom,
    push_cosign_signature,
    push_image,
    push_referrer,
    sbom_statement,
    slsa_v1_statement,
)
from readiness.demo.procs import ManagedProcess, require_binary, start_process
from readiness.demo.sigstore_lab import SigstoreLab
from readiness.sources.vulndb import VulnStore

ORDER = 60
PORT = 15000
BUILDER = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml@refs/tags/v2.0.0"
SOURCE = "https://github.com/example/shop"
OCI_LABELS = {
    "org.opencontainers.image.source": SOURCE,
    "org.opencontainers.image.revision": "8f70009fde0c94ade6ce2a054b94718c819126ec",
    "org.opencontainers.image.version": "1.4.0",
}


def start_registry(
    workdir: Path,
    port: int,
    *,
    tls: tuple[Path, Path] | None = None,
    htpasswd: Path | None = None,
    token: Mapping[str, str] | None = None,
    name: str = "registry",
) -> ManagedProcess:
    """Start the Debian ``docker-registry`` on 127.0.0.1:port with its own storage."""
    binary = require_binary("docker-registry", "docker-registry")
    workdir.mkdir(parents=True, exist_ok=True)
    http: dict[str, Any] = {"addr": f"127.0.0.1:{port}", "secret": "readiness-test-secret"}
    if tls is not None:
        http["tls"] = {"certificate": str(tls[0]), "key": str(tls[1])}
    config: dict[str, Any] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {
            "filesystem": {"rootdirectory": str(workdir / "data")},
            "delete": {"enabled": True},
        },
        "http": http,
    }
    if htpasswd is not None:
        config["auth"] = {"htpasswd": {"realm": "readiness-registry", "path": str(htpasswd)}}
    elif token is not None:
        config["auth"] = {"token": dict(token)}
    config_file = workdir / "config.yml"
    config_file.write_text(json.dumps(config))  # YAML is a superset of JSON
    scheme = "https" if tls else "http"
    ready = None if (htpasswd or token) else f"{scheme}://127.0.0.1:{port}/v2/"
    return start_process(
        name,
        [binary, "serve", str(config_file)],
        workdir,
        ready_url=ready,
        ready_port=port if ready is None else None,
        timeout=30,
    )


def write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> Path:
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    return path


def make_sbom(
    name: str,
    version: str,
    components: Sequence[tuple[str, str, str]],
    *,
    image_digest: str | None = None,
    spec: str = "1.5",
    complete: bool = True,
    licence: str = "MIT",
) -> dict[str, Any]:
    """A CycloneDX SBOM; components are (purl type/namespace/name, version, licence id)."""
    comps = []
    for purl_base, comp_version, lic in components:
        comp_name = purl_base.rsplit("/", 1)[-1]
        ref = f"pkg:{purl_base}@{comp_version}"
        comp: dict[str, Any] = {
            "type": "library",
            "bom-ref": ref,
            "name": comp_name,
            "version": comp_version,
            "purl": ref,
            "licenses": [{"license": {"id": lic}}] if lic else [],
        }
        if complete:
            comp["supplier"] = {"name": f"{comp_name} maintainers"}
        comps.append(comp)
    subject = (image_digest or "sha256:" + "0" * 64).replace(":", "%3A")
    root_ref = f"pkg:oci/{name.rsplit('/', 1)[-1]}@{subject}"
    root: dict[str, Any] = {
        "type": "container",
        "bom-ref": root_ref,
        "name": name,
        "version": version,
        "licenses": [{"license": {"id": licence}}],
    }
    if image_digest:
        root["purl"] = root_ref
    doc: dict[str, Any] = {
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "serialNumber": "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79",
        "version": 1,
        "metadata": {"component": root},
        "components": comps,
    }
    if complete:
        doc["metadata"]["timestamp"] = "2026-11-01T10:00:00Z"
        doc["metadata"]["authors"] = [{"name": "Release Engineering"}]
        doc["dependencies"] = [
            {"ref": root_ref, "dependsOn": [c["bom-ref"] for c in comps]},
            *({"ref": c["bom-ref"], "dependsOn": []} for c in comps),
        ]
    return doc


def osv_record(
    vuln_id: str,
    ecosystem: str,
    package: str,
    introduced: str,
    fixed: str,
    *,
    cvss: str | None = None,
    severity: str | None = None,
    summary: str = "",
    aliases: tuple[str, ...] = (),
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": vuln_id,
        "modified": "2026-10-01T00:00:00Z",
        "summary": summary or f"vulnerability in {package}",
        "affected": [
            {
                "package": {"ecosystem": ecosystem, "name": package},
                "ranges": [
                    {"type": "ECOSYSTEM", "events": [{"introduced": introduced}, {"fixed": fixed}]}
                ],
            }
        ],
    }
    if cvss:
        record["severity"] = [{"type": "CVSS_V3", "score": cvss}]
    if aliases:
        record["aliases"] = list(aliases)
    if severity:
        record["database_specific"] = {"severity": severity}
    return record


CRITICAL_VECTOR = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
LOW_VECTOR = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"

GOOD_COMPONENTS = (
    ("pypi/requests", "2.32.3", "Apache-2.0"),
    ("pypi/urllib3", "2.2.2", "MIT"),
    ("npm/lodash", "4.17.21", "MIT"),
)
BAD_COMPONENTS = (
    ("pypi/jinja2", "2.10", "BSD-3-Clause"),
    ("npm/lodash", "4.17.15", "MIT"),
    ("maven/org.apache.logging.log4j/log4j-core", "2.14.1", "Apache-2.0"),
    ("npm/mongo-agpl-thing", "1.0.0", "AGPL-3.0-only"),
)


def write_osv_db(directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    records = [
        osv_record(
            "GHSA-jfh8-c2jp-5v3q",
            "Maven",
            "org.apache.logging.log4j:log4j-core",
            "2.0-beta9",
            "2.15.0",
            cvss=CRITICAL_VECTOR,
            summary="Log4Shell",
            aliases=("CVE-2021-44228",),
        ),
        osv_record(
            "GHSA-p6mc-m468-83gw",
            "npm",
            "lodash",
            "0",
            "4.17.19",
            severity="HIGH",
            summary="Prototype pollution in lodash",
        ),
        osv_record(
            "GHSA-462w-v97r-4m45",
            "PyPI",
            "jinja2",
            "0",
            "2.11.3",
            cvss=LOW_VECTOR,
            summary="ReDoS in jinja2",
        ),
        osv_record("PYSEC-2099-1", "PyPI", "requests", "0", "2.31.0", severity="MODERATE"),
    ]
    for rec in records:
        (directory / f"{rec['id']}.json").write_text(json.dumps(rec, indent=1))
    return directory


ARTIFACT = "shop-cli-1.4.0.tar.gz"
ARTIFACT_COMPONENTS = (
    ("maven/org.apache.logging.log4j/log4j-core", "2.14.1", "Apache-2.0"),
    ("pypi/requests", "2.32.3", "Apache-2.0"),
)


def _tarball(name: str, text: str) -> bytes:
    """A small, byte-for-byte reproducible .tar.gz holding one file."""
    buffer = io.BytesIO()
    payload = text.encode()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = len(payload), 1764547200, 0o755
        tar.addfile(info, io.BytesIO(payload))
    return buffer.getvalue()


def write_artifact(out: Path, lab: SigstoreLab) -> str:
    """The release artifact, its keyless signature, provenance and SBOM; its digest."""
    folder = out / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    data = _tarball("shop-cli", "#!/bin/sh\necho shop-cli 1.4.0\n")
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    (folder / ARTIFACT).write_bytes(data)
    release_id = f"{RELEASE_WORKFLOW}@refs/tags/v1.4.0"
    (folder / f"{ARTIFACT}.sigstore.json").write_text(
        lab.sign_artifact(data, release_id, GITHUB_ISSUER)
    )
    statement = slsa_v1_statement(
        ARTIFACT, digest, builder_id=BUILDER, repository=SOURCE, ref="refs/tags/v1.4.0"
    )
    (folder / f"{ARTIFACT}.provenance.sigstore.json").write_text(
        lab.sign_statement(statement, release_id, GITHUB_ISSUER)
    )
    sbom = make_sbom("shop-cli", "1.4.0", ARTIFACT_COMPONENTS)
    sbom["metadata"]["component"]["purl"] = f"pkg:generic/shop-cli@1.4.0?checksum={digest}"
    (folder / "shop-cli-1.4.0.cdx.json").write_text(json.dumps(sbom))
    return digest


RELEASE_WORKFLOW = f"{SOURCE}/.github/workflows/release.yml"
RELEASE_IDENTITY_REGEX = (
    r"https://github\.com/example/shop/\.github/workflows/release\.yml@refs/tags/v.*"
)
FORK_WORKFLOW = "https://github.com/someone/shop-fork/.github/workflows/release.yml"
GITHUB_ISSUER = "https://token.actions.githubusercontent.com"
SLSA_V1 = "https://slsa.dev/provenance/v1"


def populate(
    base_url: str,
    out: Path,
    verify: bool | str = True,
    auth: tuple[str, str] | None = None,
    *,
    lab: SigstoreLab | None = None,
    release_key: ec.EllipticCurvePrivateKey | None = None,
) -> dict[str, Any]:
    """Push the demo images; write the trusted root, keys, SBOMs and OSV data under ``out``.

    shop/cart: keyless (Sigstore bundle) signature by the release workflow, SLSA v1
    provenance in a Sigstore DSSE bundle, complete SBOM. shop/worker: cosign key signature
    and key-signed provenance attestation (.sig/.att tags). shop/side: signed by a fork's
    workflow. shop/legacy: unsigned, root, `latest`, vulnerable SBOM.
    """
    out.mkdir(parents=True, exist_ok=True)
    host = base_url.split("://", 1)[1]
    pusher = Pusher(base_url, auth=auth, verify=verify)
    lab = lab or SigstoreLab()
    lab.write_trusted_root(out / "trusted_root.json")
    release_key = release_key or ec.generate_private_key(ec.SECP256R1())
    write_key(out / "release.pub", release_key)

    cart = push_image(pusher, "shop/cart", "1.4.0", labels=OCI_LABELS)
    release_id = f"{RELEASE_WORKFLOW}@refs/tags/v1.4.0"
    push_referrer(
        pusher,
        "shop/cart",
        cart,
        SIGSTORE_BUNDLE,
        lab.sign_digest(cart[0], release_id, GITHUB_ISSUER).encode(),
    )
    statement = slsa_v1_statement(
        f"{host}/shop/cart", cart[0], builder_id=BUILDER, repository=SOURCE, ref="refs/tags/v1.4.0"
    )
    push_referrer(
        pusher,
        "shop/cart",
        cart,
        SIGSTORE_BUNDLE,
        lab.sign_statement(statement, release_id, GITHUB_ISSUER).encode(),
        annotations={
            "dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": SLSA_V1,
        },
    )
    good_sbom = make_sbom("shop/cart", "1.4.0", GOOD_COMPONENTS, image_digest=cart[0])
    push_referrer(pusher, "shop/cart", cart, CYCLONEDX, json.dumps(good_sbom).encode())

    worker_labels = {**OCI_LABELS, "org.opencontainers.image.version": "3.2.1"}
    worker = push_image(pusher, "shop/worker", "3.2.1", labels=worker_labels)
    push_cosign_signature(pusher, "shop/worker", worker[0], release_key, f"{host}/shop/worker")
    worker_statement = slsa_v1_statement(
        f"{host}/shop/worker",
        worker[0],
        builder_id=BUILDER,
        repository=SOURCE,
        ref="refs/tags/v3.2.1",
    )
    worker_sbom = make_sbom("shop/worker", "3.2.1", GOOD_COMPONENTS, image_digest=worker[0])
    sbom_att = sbom_statement(f"{host}/shop/worker", worker[0], worker_sbom)
    push_cosign_attestations(
        pusher,
        "shop/worker",
        worker[0],
        [
            (SLSA_V1, dsse_sign(worker_statement, release_key)),
            ("https://cyclonedx.org/bom", dsse_sign(sbom_att, release_key)),
        ],
    )

    legacy = push_image(
        pusher, "shop/legacy", "latest", user="", env=("PATH=/usr/bin:/bin", "DB_PASSWORD=hunter2")
    )
    bad_sbom = make_sbom(
        "shop/legacy", "0.9", BAD_COMPONENTS, image_digest=legacy[0], complete=False
    )
    push_cosign_sbom(pusher, "shop/legacy", legacy[0], json.dumps(bad_sbom).encode())

    side = push_image(
        pusher,
        "shop/side",
        "2.0.0",
        labels={**OCI_LABELS, "org.opencontainers.image.version": "2.0.0"},
    )
    push_referrer(
        pusher,
        "shop/side",
        side,
        SIGSTORE_BUNDLE,
        lab.sign_digest(side[0], f"{FORK_WORKFLOW}@refs/tags/v2.0.0", GITHUB_ISSUER).encode(),
    )
    (out / "side.cdx.json").write_text(
        json.dumps(make_sbom("shop/side", "2.0.0", GOOD_COMPONENTS, image_digest=side[0]))
    )
    write_osv_db(out / "osv")
    VulnStore(out / "vulndb.sqlite").import_paths([out / "osv"], dt.datetime.now(dt.UTC))
    artifact = write_artifact(out, lab)
    return {
        "cart": cart[0],
        "legacy": legacy[0],
        "side": side[0],
        "worker": worker[0],
        "artifact": artifact,
    }


def start(workdir: Path) -> Component:
    home = workdir / "supply_chain"
    proc = start_registry(home / "registry", PORT)
    try:
        populate(f"http://127.0.0.1:{PORT}", home)
    except BaseException:
        proc.stop()
        raise
    return Component(
        "supply-chain registry",
        f"docker-registry on 127.0.0.1:{PORT} with signed, unsigned and foreign-signed images",
        proc.stop,
    )
