"""SBOM rules: presence and subject, schema validity, NTIA minimum elements, licences.

Pure functions over the raw CycloneDX JSON (an object model would fill in missing
timestamps and hide exactly what the NTIA check must see).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from readiness.findings import Finding
from readiness.sources.sbom import SbomDocument, SchemaIssue

NTIA_DOC = "https://www.ntia.gov/report/2021/minimum-elements-software-bill-materials-sbom"


def _is_map(value: object) -> bool:
    """A JSON object (a dict checked first: the ABC check costs more, thousands of times)."""
    return type(value) is dict or isinstance(value, Mapping)


def components_of(doc: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """Every component of the document, nested ones included (not the metadata one),
    depth first in document order. A list: a flat document (the common case) costs one
    pass over its components."""
    top = [c for c in doc.get("components") or [] if _is_map(c)]
    if not any(c.get("components") for c in top):
        return top
    found = []
    stack = top[::-1]
    while stack:
        comp = stack.pop()
        found.append(comp)
        nested = comp.get("components")
        if nested:
            stack.extend(c for c in reversed(nested) if _is_map(c))
    return found


def component_purls(doc: Mapping[str, Any]) -> list[str]:
    return [str(c.get("purl") or "") for c in components_of(doc)]


# -- presence and subject -----------------------------------------------------------------

_DIGEST_IN_TEXT = re.compile(r"sha256(?::|%3A)([0-9a-f]{64})", re.IGNORECASE)


def named_digests(doc: Mapping[str, Any]) -> set[str]:
    """Image digests the SBOM names for its subject (metadata.component)."""
    meta = doc.get("metadata") or {}
    comp = meta.get("component") if isinstance(meta, Mapping) else None
    if not isinstance(comp, Mapping):
        return set()
    found = set()
    for key in ("purl", "bom-ref", "version"):
        for match in _DIGEST_IN_TEXT.finditer(str(comp.get(key) or "")):
            found.add("sha256:" + match.group(1).lower())
    for h in comp.get("hashes") or []:
        if isinstance(h, Mapping) and str(h.get("alg", "")).upper() == "SHA-256":
            found.add("sha256:" + str(h.get("content", "")).lower())
    return found


def sbom_presence_findings(
    sboms: Sequence[SbomDocument],
    image_digests: set[str],
    required: bool,
    unreadable: Sequence[str] = (),
    what: str = "image",
) -> list[Finding]:
    if not sboms:
        if not required:
            return []
        found = (
            "none in the registry and none declared in the profile"
            if what == "image"
            else "none declared in the profile (files.sbom)"
        )
        if unreadable:
            found = "only unreadable ones: " + "; ".join(unreadable)
        where = (
            "attach it to the image digest (e.g. oras attach / cosign attest --type cyclonedx)"
            if what == "image"
            else "declare it under files.sbom of the artifact"
        )
        return [
            Finding(
                f"no usable SBOM attached to or declared for the {what}",
                expected="a CycloneDX or SPDX SBOM"
                + (" (OCI referrer, cosign .sbom/.att, or files.sbom)" if what == "image" else ""),
                found=found,
                fix=f"generate an SBOM at build time and {where}",
            )
        ]
    findings = []
    for sbom in sboms:
        if sbom.subject_digest is not None and sbom.subject_digest not in image_digests:
            findings.append(
                Finding(
                    f"SBOM {sbom.source} is attached to another {what}",
                    expected=f"subject {' or '.join(sorted(image_digests))}",
                    found=f"subject {sbom.subject_digest}",
                    fix=f"attach the SBOM generated for this exact {what} digest",
                )
            )
        named = named_digests(sbom.doc)
        if named and not named & image_digests:
            findings.append(
                Finding(
                    f"SBOM {sbom.source} describes another {what}",
                    expected=f"metadata.component naming {' or '.join(sorted(image_digests))}",
                    found=f"metadata.component names {', '.join(sorted(named))}",
                    fix=f"regenerate the SBOM from the released {what}",
                )
            )
    return findings


def schema_findings(sbom: SbomDocument, issues: Sequence[SchemaIssue]) -> list[Finding]:
    return [
        Finding(
            f"{sbom.source}: {issue.path}: {issue.message}",
            expected=(
                f"a valid {sbom.spec_version or 'SPDX'} document (spdx-tools validation)"
                if sbom.format == "SPDX"
                else f"valid against the CycloneDX {sbom.spec_version or '?'} JSON schema"
            ),
            found="schema violation",
            fix="fix the SBOM generator output (or upgrade the generator) so the document "
            "validates against its declared version",
        )
        for issue in issues
    ]


# -- NTIA minimum elements ----------------------------------------------------------------

COMPONENT_ELEMENTS = ("supplier", "name", "version", "unique_identifier", "dependencies")
DOCUMENT_ELEMENTS = ("author", "timestamp")


@dataclass(frozen=True, slots=True)
class ElementCoverage:
    element: str
    covered: int
    total: int
    missing_examples: tuple[str, ...]

    @property
    def share(self) -> float:
        """Covered / total; no data (0 components) is 0, never 100%."""
        return self.covered / self.total if self.total else 0.0


def _label(comp: Mapping[str, Any]) -> str:
    return str(comp.get("bom-ref") or comp.get("purl") or comp.get("name") or "?")[:120]


def ntia_coverage(doc: Mapping[str, Any], examples: int = 3) -> dict[str, ElementCoverage]:
    comps = components_of(doc)
    found = doc.get("metadata")
    meta: Mapping[str, Any] = found if isinstance(found, Mapping) else {}
    dep_refs: set[str] = set()
    for dep in doc.get("dependencies") or []:
        ref = dep.get("ref") if type(dep) is dict or isinstance(dep, Mapping) else None
        if ref:
            dep_refs.add(str(ref))
    missing: dict[str, list[Mapping[str, Any]]] = {e: [] for e in COMPONENT_ELEMENTS}
    counts = dict.fromkeys(COMPONENT_ELEMENTS, 0)

    def lacks(element: str, comp: Mapping[str, Any]) -> None:
        counts[element] += 1
        if len(missing[element]) < examples:
            missing[element].append(comp)

    for c in comps:  # one pass, every element, the tests inlined (thousands of components)
        get = c.get
        sup = get("supplier")
        if not (sup and _is_map(sup) and (sup.get("name") or sup.get("url"))) and not (
            get("publisher") or get("manufacturer")
        ):
            lacks("supplier", c)
        name = get("name")
        if not (name and str(name).strip()):
            lacks("name", c)
        version = get("version")
        if not (version and str(version).strip()):
            lacks("version", c)
        if not (get("purl") or get("cpe") or get("swid") or get("omniborId")):
            lacks("unique_identifier", c)
        if str(get("bom-ref") or "") not in dep_refs:
            lacks("dependencies", c)
    result: dict[str, ElementCoverage] = {
        element: ElementCoverage(
            element,
            len(comps) - counts[element],
            len(comps),
            tuple(_label(c) for c in missing[element]) if comps else ("no components",),
        )
        for element in COMPONENT_ELEMENTS
    }
    if comps and not dep_refs:
        result["dependencies"] = ElementCoverage(
            "dependencies", 0, len(comps), ("no dependency relationships in the document",)
        )
    root = meta.get("component") if isinstance(meta.get("component"), Mapping) else None
    if root is not None and comps:
        root_ref = str(root.get("bom-ref") or "")
        root_ok = root_ref in dep_refs
        dep = result["dependencies"]
        if not root_ok:
            result["dependencies"] = ElementCoverage(
                "dependencies",
                dep.covered,
                dep.total,
                (
                    f"metadata.component {root_ref or '(no bom-ref)'} has no dependency entry",
                    *dep.missing_examples,
                ),
            )
    has_author = bool(meta.get("authors") or meta.get("manufacturer") or meta.get("manufacture"))
    result["author"] = ElementCoverage(
        "author", int(has_author), 1, () if has_author else ("metadata.authors",)
    )
    has_time = bool(str(meta.get("timestamp") or "").strip())
    result["timestamp"] = ElementCoverage(
        "timestamp", int(has_time), 1, () if has_time else ("metadata.timestamp",)
    )
    return result


_NTIA_FIX = {
    "supplier": "set component.supplier (name/url) in the generator, or enrich the SBOM",
    "name": "every component needs a name",
    "version": "record the resolved version of every component",
    "unique_identifier": "emit a purl (or CPE/SWID) for every component",
    "dependencies": "emit the dependency graph: a dependencies entry for every bom-ref, "
    "including metadata.component",
    "author": "set metadata.authors (who made the SBOM data)",
    "timestamp": "set metadata.timestamp when the SBOM is generated",
}


def ntia_findings(
    source: str, coverage: Mapping[str, ElementCoverage], thresholds: Mapping[str, float]
) -> list[Finding]:
    findings = []
    for element, cov in coverage.items():
        need = thresholds.get(element, 1.0)
        root_missing = element == "dependencies" and any(
            e.startswith("metadata.component") for e in cov.missing_examples
        )
        if cov.share + 1e-9 >= need and not (root_missing and need > 0):
            continue
        examples = (
            f"; missing e.g. {', '.join(cov.missing_examples)}" if cov.missing_examples else ""
        )
        findings.append(
            Finding(
                f"{source}: NTIA element '{element}' covered for {cov.covered}/{cov.total} "
                f"({cov.share:.0%}){examples}",
                expected=f">= {need:.0%} coverage"
                + (
                    " and the primary component's dependencies" if element == "dependencies" else ""
                ),
                found=f"{cov.share:.0%}",
                fix=_NTIA_FIX[element],
            )
        )
    return findings


# -- licences -----------------------------------------------------------------------------

_TOKEN = re.compile(r"\(|\)|[^\s()]+")


def _parse_expression(text: str) -> Any:
    """SPDX expression -> nested ('AND'|'OR', [..]) / license id; WITH binds to its id."""
    tokens = _TOKEN.findall(text)
    pos = 0

    def primary() -> Any:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("unexpected end")
        tok = tokens[pos]
        pos += 1
        if tok == "(":
            node = disjunction()
            if pos >= len(tokens) or tokens[pos] != ")":
                raise ValueError("missing ')'")
            pos += 1
            return node
        if tok.upper() in ("AND", "OR", "WITH", ")"):
            raise ValueError(f"unexpected {tok!r}")
        if pos < len(tokens) and tokens[pos].upper() == "WITH":
            pos += 2
        return tok.removesuffix("+")

    def conjunction() -> Any:
        nonlocal pos
        parts = [primary()]
        while pos < len(tokens) and tokens[pos].upper() == "AND":
            pos += 1
            parts.append(primary())
        return parts[0] if len(parts) == 1 else ("AND", parts)

    def disjunction() -> Any:
        nonlocal pos
        parts = [conjunction()]
        while pos < len(tokens) and tokens[pos].upper() == "OR":
            pos += 1
            parts.append(conjunction())
        return parts[0] if len(parts) == 1 else ("OR", parts)

    node = disjunction()
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos]!r}")
    return node


def _denied(node: Any, deny: frozenset[str]) -> bool:
    if isinstance(node, str):
        return node in deny
    op, parts = node
    results = [_denied(p, deny) for p in parts]
    return any(results) if op == "AND" else all(results)


def _ids(node: Any) -> list[str]:
    if isinstance(node, str):
        return [node]
    return [i for p in node[1] for i in _ids(p)]


@dataclass(frozen=True, slots=True)
class LicenseReport:
    denied: tuple[tuple[str, str], ...]  # (component, licence text)
    unknown: tuple[tuple[str, str], ...]  # (component, reason)
    components: int


def _single_license_id(comp: Mapping[str, Any]) -> str | None:
    """The id when the component states exactly one licence, as ``{"license": {"id"}}``
    (what the general walk below would reduce to one id); None otherwise."""
    entries = comp.get("licenses")
    if type(entries) is not list or len(entries) != 1:
        return None
    entry = entries[0]
    if type(entry) is not dict or entry.get("expression"):
        return None
    lic = entry.get("license")
    if type(lic) is not dict or not lic.get("id"):
        return None
    return str(lic["id"])


def license_report(
    doc: Mapping[str, Any], deny: Sequence[str], known_ids: frozenset[str]
) -> LicenseReport:
    deny_set = frozenset(deny)
    denied: list[tuple[str, str]] = []
    unknown: list[tuple[Mapping[str, Any], str]] = []  # (component, reason)
    count = 0
    for comp in components_of(doc):
        count += 1
        lid = _single_license_id(comp)
        if lid is not None:  # the common case: exactly one {"license": {"id": ...}}
            if lid in deny_set:
                denied.append((_label(comp), lid))
            if lid not in known_ids and not lid.startswith("LicenseRef-"):
                unknown.append((comp, f"{lid!r} is not an SPDX licence id"))
            continue
        entries = [e for e in comp.get("licenses") or [] if _is_map(e)]
        if not entries:
            unknown.append((comp, "no licence stated"))
            continue
        alternatives: list[Any] = []
        for entry in entries:
            if entry.get("expression"):
                text = str(entry["expression"])
                try:
                    alternatives.append(_parse_expression(text))
                except ValueError as exc:
                    unknown.append((comp, f"unparsable expression {text!r}: {exc}"))
                continue
            lic = entry.get("license")
            if not _is_map(lic):
                continue
            if lic.get("id"):
                alternatives.append(str(lic["id"]))
            else:
                name = str(lic.get("name") or lic.get("url") or "?")
                unknown.append((comp, f"licence {name!r} is not an SPDX id"))
        if not alternatives:
            continue
        # Several `licenses` entries are a conjunction (all apply).
        node = alternatives[0] if len(alternatives) == 1 else ("AND", alternatives)
        if _denied(node, deny_set):
            denied.append((_label(comp), _render(node)))
        for lid in _ids(node):
            if lid not in known_ids and not lid.startswith("LicenseRef-"):
                unknown.append((comp, f"{lid!r} is not an SPDX licence id"))
    return LicenseReport(tuple(denied), tuple((_label(comp), why) for comp, why in unknown), count)


def _render(node: Any) -> str:
    if isinstance(node, str):
        return node
    op, parts = node
    return "(" + f" {op} ".join(_render(p) for p in parts) + ")"


def denied_license_findings(
    source: str, report: LicenseReport, deny: Sequence[str]
) -> list[Finding]:
    return [
        Finding(
            f"{source}: component {comp} is licensed {text}, which the licence policy denies",
            expected=f"no component under {', '.join(deny)}",
            found=text,
            fix="replace the component, obtain another licence, or record a waiver with legal "
            "approval",
        )
        for comp, text in report.denied
    ]


def unknown_license_findings(source: str, report: LicenseReport, show: int = 20) -> list[Finding]:
    if not report.unknown:
        return []
    listed = "; ".join(f"{c}: {why}" for c, why in report.unknown[:show])
    more = f" (and {len(report.unknown) - show} more)" if len(report.unknown) > show else ""
    return [
        Finding(
            f"{source}: {len(report.unknown)} licence(s) unknown: {listed}{more}",
            expected="an SPDX licence id or expression for every component",
            found=f"{len(report.unknown)} of {report.components} components without a "
            "recognised SPDX licence",
            fix="let the SBOM generator resolve licences to SPDX ids (or LicenseRef-*)",
        )
    ]
