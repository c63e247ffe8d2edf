"""SPDX 2.x SBOMs (JSON and tag-value) read with the maintained ``spdx-tools`` library.

The parsed document is validated by ``spdx-tools`` itself and mapped onto the shape of a
CycloneDX document (components, ``metadata``, ``dependencies``), so the NTIA, licence,
subject and vulnerability rules judge both formats the same way:

- the packages the document DESCRIBES are its subject (``metadata.component``), the
  others its components; supplier, version, purl/CPE (external references), licence
  (declared, else concluded) and SHA-256 checksums carry over;
- creators (``Creator:`` Person, Organization or Tool) are the SBOM's authors, as the
  SPDX NTIA conformance checker counts them; ``Created`` is the timestamp;
- dependency relationships (DEPENDS_ON, CONTAINS and their inverses, *_DEPENDENCY_OF)
  become ``dependencies`` entries: every package on either side of one is covered.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Iterable
from typing import Any

from ply import yacc  # type: ignore[import-untyped]
from spdx_tools.spdx.model.actor import Actor
from spdx_tools.spdx.model.checksum import ChecksumAlgorithm
from spdx_tools.spdx.model.document import Document
from spdx_tools.spdx.model.package import ExternalPackageRefCategory, Package
from spdx_tools.spdx.model.relationship import RelationshipType
from spdx_tools.spdx.parser.error import SPDXParsingError
from spdx_tools.spdx.parser.jsonlikedict.json_like_dict_parser import JsonLikeDictParser
from spdx_tools.spdx.parser.logger import Logger
from spdx_tools.spdx.parser.tagvalue.lexer import SPDXLexer
from spdx_tools.spdx.parser.tagvalue.parser import Parser
from spdx_tools.spdx.validation.document_validator import validate_full_spdx_document

from readiness.errors import SourceError

FORWARD = frozenset({RelationshipType.DEPENDS_ON, RelationshipType.CONTAINS})
BACKWARD = frozenset(
    {
        RelationshipType.DEPENDENCY_OF,
        RelationshipType.CONTAINED_BY,
        RelationshipType.BUILD_DEPENDENCY_OF,
        RelationshipType.DEV_DEPENDENCY_OF,
        RelationshipType.OPTIONAL_DEPENDENCY_OF,
        RelationshipType.PROVIDED_DEPENDENCY_OF,
        RelationshipType.RUNTIME_DEPENDENCY_OF,
        RelationshipType.TEST_DEPENDENCY_OF,
    }
)
_TAG_VALUE_LOCK = threading.Lock()


@functools.lru_cache(maxsize=1)
def _tag_value_parser() -> Parser:
    """The ply parser, built once (building its LALR tables takes seconds)."""
    return Parser(  # type: ignore[no-untyped-call]
        write_tables=False, debug=False, errorlog=yacc.NullLogger()
    )


def _reset(parser: Parser) -> Parser:
    """The cached parser with the per-document state its ``__init__`` sets, fresh.

    ``Parser.parse`` consumes that state; its grammar tables are what is worth keeping.
    """
    parser.logger = Logger()  # type: ignore[no-untyped-call]
    parser.current_element = {"logger": Logger()}  # type: ignore[no-untyped-call]
    parser.creation_info = {"logger": Logger()}  # type: ignore[no-untyped-call]
    parser.elements_built = {}
    parser.lex = SPDXLexer()  # type: ignore[no-untyped-call]
    parser.lex.build(reflags=re.UNICODE)  # type: ignore[no-untyped-call]
    return parser


def looks_like_tag_value(data: bytes) -> bool:
    return b"SPDXVersion:" in data[:4096]


def parse_spdx(data: bytes | dict[str, Any], source: str) -> Document:
    """An SPDX document from JSON (already decoded) or tag-value bytes."""
    try:
        if isinstance(data, dict):
            parsed: Document = JsonLikeDictParser().parse(data)  # type: ignore[no-untyped-call]
            return parsed
        text = data.decode("utf-8-sig")
        with _TAG_VALUE_LOCK:  # a ply parser is not re-entrant
            parsed = _reset(_tag_value_parser()).parse(text)  # type: ignore[no-untyped-call,unused-ignore]
            return parsed
    except SPDXParsingError as exc:
        errors: list[str] = exc.get_messages()  # type: ignore[no-untyped-call]
        messages = "; ".join(str(m) for m in errors[:5])
        raise SourceError(source, f"SPDX document does not parse: {messages[:600]}") from None
    except (UnicodeDecodeError, ValueError, TypeError, AttributeError) as exc:
        raise SourceError(source, f"SPDX document does not parse: {exc}") from None


def spdx_issues(document: Document) -> list[tuple[str, str]]:
    """(where, message) of every ``spdx-tools`` validation message."""
    out = []
    for msg in validate_full_spdx_document(document):
        ctx = msg.context
        where = (ctx.spdx_id or (ctx.element_type.name if ctx.element_type else "")) or "/"
        out.append((str(where), str(msg.validation_message)))
    return out


def _purl(package: Package) -> str:
    for ref in package.external_references:
        if ref.category == ExternalPackageRefCategory.PACKAGE_MANAGER and ref.reference_type in (
            "purl",
            "purl-type",
        ):
            return ref.locator
    return ""


def _cpe(package: Package) -> str:
    for ref in package.external_references:
        if ref.reference_type in ("cpe22Type", "cpe23Type"):
            return ref.locator
    return ""


def _licence(package: Package) -> list[dict[str, Any]]:
    for value in (package.license_declared, package.license_concluded):
        text = str(value) if value is not None else ""
        if text and text not in ("NOASSERTION", "NONE"):
            return [{"expression": text}]
    return []


def _component(package: Package) -> dict[str, Any]:
    comp: dict[str, Any] = {
        "type": "library",
        "bom-ref": package.spdx_id,
        "name": package.name,
        "version": package.version or "",
        "licenses": _licence(package),
    }
    if isinstance(package.supplier, Actor):
        comp["supplier"] = {"name": package.supplier.name}
    if purl := _purl(package):
        comp["purl"] = purl
    if cpe := _cpe(package):
        comp["cpe"] = cpe
    hashes = [
        {"alg": "SHA-256", "content": c.value}
        for c in package.checksums
        if c.algorithm == ChecksumAlgorithm.SHA256
    ]
    if hashes:
        comp["hashes"] = hashes
    return comp


def _edges(document: Document) -> Iterable[tuple[str, str]]:
    for rel in document.relationships:
        target = str(rel.related_spdx_element_id)
        source = rel.spdx_element_id
        if rel.relationship_type in FORWARD:
            yield source, target
        elif rel.relationship_type in BACKWARD:
            yield target, source


def as_cyclonedx_shape(document: Document) -> dict[str, Any]:
    """The SPDX document in the shape the SBOM rules read (see the module docstring)."""
    packages = {p.spdx_id: p for p in document.packages}
    info = document.creation_info
    described = [
        str(r.related_spdx_element_id)
        for r in document.relationships
        if r.relationship_type == RelationshipType.DESCRIBES and r.spdx_element_id == info.spdx_id
    ] + [
        r.spdx_element_id
        for r in document.relationships
        if r.relationship_type == RelationshipType.DESCRIBED_BY
        and str(r.related_spdx_element_id) == info.spdx_id
    ]
    root_id = next((d for d in described if d in packages), None)
    depends: dict[str, list[str]] = {}
    for source, target in _edges(document):
        depends.setdefault(source, [])
        if target in packages:
            depends[source].append(target)
            depends.setdefault(target, [])
    meta: dict[str, Any] = {
        "timestamp": info.created.isoformat() if info.created else "",
        "authors": [{"name": a.name} for a in info.creators],
    }
    if root_id is not None:
        meta["component"] = _component(packages[root_id])
    doc: dict[str, Any] = {
        "bomFormat": "SPDX",
        "specVersion": info.spdx_version,
        "metadata": meta,
        "components": [_component(p) for pid, p in packages.items() if pid != root_id],
    }
    if depends:
        doc["dependencies"] = [{"ref": ref, "dependsOn": deps} for ref, deps in depends.items()]
    return doc
