"""SBOM documents: format detection, parsing at the edge and fast schema validation.

CycloneDX JSON and SPDX 2.x (JSON or tag-value, via :mod:`readiness.sources.spdx`) are
told apart by their content, not by configuration.

Validation uses ``jsonschema-rs`` with the schemas that ``cyclonedx-python-lib`` ships
(same verdicts as its ``JsonStrictValidator``, orders of magnitude faster). One compiled
validator per spec version, built on first use and reused.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson

from readiness import safeload
from readiness.errors import SourceError
from readiness.heap import long_lived
from readiness.sources.spdx import as_cyclonedx_shape, looks_like_tag_value, parse_spdx, spdx_issues

MAX_SBOM_BYTES = 256 * 1024 * 1024
SBOM_LIMITS = safeload.Limits(max_bytes=MAX_SBOM_BYTES)
MAX_SCHEMA_ERRORS = 50


@dataclass(frozen=True, slots=True)
class SbomDocument:
    """A parsed SBOM and where it came from.

    ``doc`` is CycloneDX JSON, or an SPDX document in the same shape (``format`` SPDX,
    the ``spdx-tools`` document in ``native``).
    """

    source: str
    doc: dict[str, Any]
    size: int
    subject_digest: str | None = None
    """The image digest the document is attached to (registry referrers, attestations)."""
    format: str = "CycloneDX"
    native: Any = None

    @property
    def spec_version(self) -> str:
        return str(self.doc.get("specVersion", ""))


@dataclass(frozen=True, slots=True)
class SchemaIssue:
    path: str
    message: str


def _spdx(
    data: bytes | dict[str, Any], source: str, size: int, subject_digest: str | None
) -> SbomDocument:
    document = parse_spdx(data, source)
    shaped = as_cyclonedx_shape(document)
    return SbomDocument(source, shaped, size, subject_digest, "SPDX", document)


_BRACKETS = bytes.maketrans(b"{}", b"[]")
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))


def _nesting(data: bytes, limit: int) -> int:
    """How deeply the arrays and objects of a syntactically valid JSON text nest, counted
    up to ``limit + 1``: the quotes and brackets kept (escapes first dropped), string
    contents dropped, then one pass per level removing the innermost ``[]`` pairs. A few
    passes of C string operations instead of a walk over every value."""
    if b"\\" in data:
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    marks = data.translate(_BRACKETS, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in marks:
        marks = b"".join(marks.split(b'"')[0::2])
    depth = 0
    while marks and depth <= limit:
        marks = marks.replace(b"[]", b"")
        depth += 1
    return depth


def _load_json(data: bytes, source: str) -> Any:
    """``safeload.load_json`` with :data:`SBOM_LIMITS`, faster on the common case.

    UTF-8 JSON within the depth limit is parsed by orjson (the tree is built as
    :func:`~readiness.heap.long_lived` data). Anything orjson refuses (a BOM, NaN,
    huge integers, lone surrogates, bad syntax) and anything nested too deeply goes
    through ``safeload.load_json``, so values and error messages are exactly the standard
    library's.
    """
    try:
        with long_lived():
            doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return safeload.load_json(data, source, SBOM_LIMITS)
    if _nesting(data, SBOM_LIMITS.max_depth) > SBOM_LIMITS.max_depth:
        return safeload.load_json(data, source, SBOM_LIMITS)
    return doc


def parse_sbom(data: bytes, source: str, subject_digest: str | None = None) -> SbomDocument:
    """Parse CycloneDX JSON or SPDX (JSON, tag-value); SourceError with the reason otherwise."""
    if len(data) > MAX_SBOM_BYTES:
        raise SourceError(source, f"SBOM larger than {MAX_SBOM_BYTES} bytes")
    if data.lstrip()[:1] != b"{" and looks_like_tag_value(data):
        return _spdx(data, source, len(data), subject_digest)
    try:
        doc = _load_json(data, source)
    except safeload.SafeLoadError as exc:
        raise SourceError(source, f"SBOM is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise SourceError(source, "SBOM is not a JSON object")
    if "spdxVersion" in doc:
        return _spdx(doc, source, len(data), subject_digest)
    if doc.get("bomFormat") != "CycloneDX":
        raise SourceError(
            source,
            f"neither CycloneDX (bomFormat {doc.get('bomFormat')!r}) nor SPDX (no "
            "spdxVersion); readiness reads CycloneDX JSON and SPDX JSON or tag-value",
        )
    return SbomDocument(source, doc, len(data), subject_digest)


def read_sbom_file(path: str) -> SbomDocument:
    try:
        data = safeload.read_bytes(Path(path), limits=SBOM_LIMITS)
    except safeload.SafeLoadError as exc:
        raise SourceError(path, f"cannot read the SBOM file {exc}") from None
    return parse_sbom(data, path)


@functools.lru_cache(maxsize=1)
def _schema_store() -> tuple[dict[str, Any], Any]:
    import cyclonedx.schema._res as res

    root = Path(res.__file__).parent
    schemas = {p.name: json.loads(p.read_text()) for p in sorted(root.glob("*.schema.json"))}
    pairs: dict[str, Any] = {}
    for name, schema in schemas.items():
        for key in {schema.get("$id", name), f"http://cyclonedx.org/schema/{name}", name}:
            pairs[key] = schema
    return schemas, jsonschema_rs.Registry(list(pairs.items()))


def supported_spec_versions() -> list[str]:
    schemas, _ = _schema_store()
    return sorted(
        n.removeprefix("bom-").removesuffix(".SNAPSHOT.schema.json")
        for n in schemas
        if n.startswith("bom-") and "strict" not in n
    )


@functools.lru_cache(maxsize=16)
def _validator(spec_version: str) -> Any:
    schemas, registry = _schema_store()
    schema = schemas.get(f"bom-{spec_version}.SNAPSHOT.schema.json")
    if schema is None:
        return None
    return jsonschema_rs.validator_for(schema, registry=registry, validate_formats=True)


def schema_issues(sbom: SbomDocument, limit: int = MAX_SCHEMA_ERRORS) -> list[SchemaIssue]:
    """Schema violations of ``sbom`` against the JSON schema of its ``specVersion``
    (CycloneDX), or the ``spdx-tools`` validation messages (SPDX)."""
    if sbom.format == "SPDX":
        return [SchemaIssue(where, message[:300]) for where, message in spdx_issues(sbom.native)][
            :limit
        ]
    version = sbom.spec_version
    validator = _validator(version)
    if validator is None:
        return [
            SchemaIssue(
                "/specVersion",
                f"unsupported CycloneDX spec version {version!r} "
                f"(known: {', '.join(supported_spec_versions())})",
            )
        ]
    if validator.is_valid(sbom.doc):  # no error objects built on the common path
        return []
    issues = []
    for error in validator.iter_errors(sbom.doc):
        path = "/" + "/".join(str(p) for p in error.instance_path)
        issues.append(SchemaIssue(path, str(error.message)[:300]))
        if len(issues) >= limit:
            break
    return issues


@functools.lru_cache(maxsize=1)
def spdx_license_ids() -> frozenset[str]:
    """The SPDX licence ids the CycloneDX schemas know."""
    schemas, _ = _schema_store()
    enum = schemas["spdx.SNAPSHOT.schema.json"].get("enum", [])
    return frozenset(str(x) for x in enum)
