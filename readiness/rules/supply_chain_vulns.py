"""Vulnerability matching: SBOM purls against OSV records, with per-ecosystem versions.

Pure: the OSV database is built by :mod:`readiness.sources.osv` and handed in. Version
ranges follow the OSV schema (``introduced`` / ``fixed`` / ``last_affected`` / ``limit``
events, ``SEMVER`` and ``ECOSYSTEM`` ranges, explicit ``versions`` lists); versions are
compared with the ``univers`` class of the ecosystem (PyPI = PEP 440, Maven, npm semver,
Debian, Go, …).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, NamedTuple
from urllib.parse import unquote

from cvss import CVSS2, CVSS3, CVSS4  # type: ignore[import-untyped]
from univers.version_range import RANGE_CLASS_BY_SCHEMES
from univers.versions import SemverVersion, Version

from readiness.controls.model import Severity
from readiness.findings import Finding

# purl type -> OSV ecosystem
PURL_ECOSYSTEM: dict[str, str] = {
    "npm": "npm",
    "pypi": "PyPI",
    "maven": "Maven",
    "golang": "Go",
    "cargo": "crates.io",
    "gem": "RubyGems",
    "nuget": "NuGet",
    "composer": "Packagist",
    "hex": "Hex",
    "pub": "Pub",
    "apk": "Alpine",
    "hackage": "Hackage",
}
# OSV ecosystem -> univers version scheme
ECOSYSTEM_SCHEME: dict[str, str] = {
    "npm": "npm",
    "PyPI": "pypi",
    "Maven": "maven",
    "Go": "golang",
    "crates.io": "cargo",
    "RubyGems": "gem",
    "NuGet": "nuget",
    "Packagist": "composer",
    "Hex": "hex",
    "Pub": "cargo",
    "Alpine": "apk",
    "Debian": "deb",
    "Ubuntu": "deb",
}
GHSA_LABELS = {
    "CRITICAL": Severity.CRITICAL,
    "HIGH": Severity.HIGH,
    "MODERATE": Severity.MEDIUM,
    "MEDIUM": Severity.MEDIUM,
    "LOW": Severity.LOW,
}


# The parsed OSV types are named tuples: immutable, hashable, and cheap to build by the
# thousand when the store hands over the records of an SBOM's packages.


class OsvRange(NamedTuple):
    type: str
    events: tuple[tuple[str, str], ...]  # (kind, version) in record order


class OsvAffected(NamedTuple):
    ecosystem: str
    name: str
    ranges: tuple[OsvRange, ...]
    versions: frozenset[str]
    severity_label: str = ""


class OsvRecord(NamedTuple):
    id: str
    summary: str
    aliases: tuple[str, ...]
    affected: tuple[OsvAffected, ...]
    cvss_vectors: tuple[str, ...]
    severity_label: str
    withdrawn: bool = False


@dataclass
class OsvDatabase:
    by_package: dict[tuple[str, str], list[tuple[OsvRecord, OsvAffected]]] = field(
        default_factory=lambda: defaultdict(list)
    )
    records: int = 0
    problems: list[str] = field(default_factory=list)

    def database_for(self, keys: Iterable[tuple[str, str]]) -> OsvDatabase:
        """The records for ``keys``: all of them, already in memory."""
        return self

    def add_entries(
        self, record: OsvRecord, entries: Iterable[tuple[tuple[str, str], OsvAffected]]
    ) -> None:
        """Add a record whose affected entries come with their (ecosystem, name) keys."""
        self.records += 1
        for key, affected in entries:
            self.by_package[key].append((record, affected))

    def add(self, record: OsvRecord) -> None:
        if record.withdrawn:
            return
        self.records += 1
        for affected in record.affected:
            key = (
                base_ecosystem(affected.ecosystem),
                normalize_name(affected.ecosystem, affected.name),
            )
            self.by_package[key].append((record, affected))


def base_ecosystem(ecosystem: str) -> str:
    """``Debian:12`` -> ``Debian``."""
    return ecosystem.split(":", 1)[0]


def normalize_name(ecosystem: str, name: str) -> str:
    eco = base_ecosystem(ecosystem)
    if eco == "PyPI":
        return re.sub(r"[-_.]+", "-", name).lower()
    if eco in ("npm", "crates.io", "Packagist", "Hex", "Pub"):
        return name.lower()
    return name


def parse_osv_record(raw: Mapping[str, Any]) -> OsvRecord:
    affected = []
    for entry in raw.get("affected") or []:
        if not isinstance(entry, Mapping):
            continue
        package = entry.get("package") or {}
        ecosystem = str(package.get("ecosystem", ""))
        name = str(package.get("name", ""))
        purl = package.get("purl")
        if (not ecosystem or not name) and isinstance(purl, str):
            key = purl_key(purl)
            if key:
                ecosystem, name = key
        ranges = tuple(
            OsvRange(
                str(r.get("type", "")),
                tuple(
                    (str(kind), str(value))
                    for ev in (r.get("events") or [])
                    if isinstance(ev, Mapping)
                    for kind, value in ev.items()
                ),
            )
            for r in (entry.get("ranges") or [])
            if isinstance(r, Mapping)
        )
        label = ""
        for extra in (entry.get("ecosystem_specific"), entry.get("database_specific")):
            if isinstance(extra, Mapping) and isinstance(extra.get("severity"), str):
                label = extra["severity"]
        affected.append(
            OsvAffected(
                ecosystem,
                name,
                ranges,
                frozenset(str(v) for v in entry.get("versions") or []),
                label,
            )
        )
    vectors = tuple(
        str(s.get("score", ""))
        for s in raw.get("severity") or []
        if isinstance(s, Mapping) and str(s.get("type", "")).startswith("CVSS")
    )
    db_specific = raw.get("database_specific")
    label = ""
    if isinstance(db_specific, Mapping) and isinstance(db_specific.get("severity"), str):
        label = db_specific["severity"]
    return OsvRecord(
        id=str(raw["id"]),
        summary=str(raw.get("summary") or raw.get("details") or "")[:200],
        aliases=tuple(str(a) for a in raw.get("aliases") or []),
        affected=tuple(affected),
        cvss_vectors=vectors,
        severity_label=label,
        withdrawn=bool(raw.get("withdrawn")),
    )


_PLAIN_PURL = re.compile(r"pkg:([a-z][a-z0-9.+-]*)/((?:[^/@?#%]+/)*)([^/@?#%]+)@([^/@?#%]+)")
"""A purl with a lower-case type, a version, and no qualifiers, subpath, percent-escapes
or empty segments: the general rules below split it into exactly these groups."""


def split_purl(purl: str) -> tuple[str, str, str, str] | None:
    """(type, namespace, name, version) of a package URL, per the purl spec's parsing
    rules (scheme, type, namespace segments, name, ``@version``; qualifiers and subpath
    dropped); None when it is not one. One regular expression match for the common
    form, a few string operations otherwise."""
    plain = _PLAIN_PURL.fullmatch(purl)
    if plain is not None:
        kind, namespace, name, version = plain.groups()
        return kind, namespace[:-1], name, version
    scheme, sep, rest = purl.partition(":")
    if not sep or scheme.lower() != "pkg":
        return None
    rest = rest.split("#", 1)[0].split("?", 1)[0].strip("/")
    kind, sep, path = rest.partition("/")
    if not sep or not kind:
        return None
    version = ""
    if "@" in path:
        path, _, version = path.rpartition("@")
    segments = [seg for seg in path.split("/") if seg]
    if not segments:
        return None
    if "%" in path or "%" in version:
        segments = [unquote(seg) for seg in segments]
        version = unquote(version)
    return kind.lower(), "/".join(segments[:-1]), segments[-1], version


@functools.lru_cache(maxsize=65536)
def keyed_purl(purl: str) -> tuple[tuple[str, str] | None, str]:
    """(:func:`purl_key`, version) of a purl, memoized: the database lookup and the
    matching both need every purl of the SBOM."""
    parts = split_purl(purl)
    return (None, "") if parts is None else (key_of(parts), parts[3])


def purl_key(purl: str) -> tuple[str, str] | None:
    """(OSV ecosystem, package name) of a purl, or None for types OSV does not cover."""
    return keyed_purl(purl)[0]


def key_of(parts: tuple[str, str, str, str]) -> tuple[str, str] | None:
    """(OSV ecosystem, package name) of a split purl (see :func:`split_purl`)."""
    kind, namespace, name, _ = parts
    if kind == "deb":
        distro = (namespace or "debian").lower()
        return ("Ubuntu" if distro == "ubuntu" else "Debian"), name
    ecosystem = PURL_ECOSYSTEM.get(kind)
    if ecosystem is None:
        return None
    if kind == "maven":
        name = f"{namespace}:{name}" if namespace else name
    elif kind in ("npm", "golang", "composer") and namespace:
        name = f"{namespace}/{name}"
    return ecosystem, normalize_name(ecosystem, name)


@functools.lru_cache(maxsize=65536)
def parse_version(scheme: str, text: str) -> Version | None:
    cls: Any = RANGE_CLASS_BY_SCHEMES[scheme].version_class if scheme != "semver" else SemverVersion
    candidate = text[1:] if scheme in ("golang", "semver") and text.startswith("v") else text
    try:
        parsed: Version = cls(candidate)
        return parsed
    except Exception:  # univers raises several types for unparsable versions
        return None


_EVENT_ORDER = {"introduced": 0, "last_affected": 1, "fixed": 2}

CompiledRange = tuple[tuple[Version, ...], tuple[tuple[Version | None, str], ...]]
"""An OSV range ready to evaluate: its ``limit`` versions, and its events as (version or
None for ``introduced: 0``, kind) sorted by version."""


@functools.lru_cache(maxsize=16384)
def compile_range(rng: OsvRange, scheme: str) -> CompiledRange | None:
    """The range's bounds parsed once with the ecosystem's version class and sorted
    (records and packages share ranges); None when a bound cannot be parsed."""
    events: list[tuple[Version | None, str]] = []
    limits: list[Version] = []
    for kind, value in rng.events:
        if kind == "introduced" and value == "0":
            events.append((None, kind))
            continue
        parsed = parse_version(scheme, value)
        if parsed is None:
            return None
        if kind == "limit":
            limits.append(parsed)
        elif kind in _EVENT_ORDER:
            events.append((parsed, kind))
    if len(events) > 1:
        events.sort(
            key=lambda e: (e[0] is not None, e[0] if e[0] is not None else 0, _EVENT_ORDER[e[1]])
        )
    return tuple(limits), tuple(events)


def _in_range(version: Version, compiled: CompiledRange) -> bool:
    """Whether ``version`` falls in the OSV range.

    The OSV evaluation: sort the events by version, walk them, ``introduced`` at or below
    the version opens an affected interval, ``fixed`` at or below (``last_affected``
    below) closes it; ``limit`` caps the whole range.
    """
    limits, events = compiled
    if any(version >= limit for limit in limits):
        return False
    affected = False
    for bound, kind in events:
        if kind == "introduced":
            if bound is None or version >= bound:
                affected = True
        elif kind == "fixed":
            if bound is not None and version >= bound:
                affected = False
        elif bound is not None and version > bound:
            affected = False
    return affected


def _schemes(affected: OsvAffected) -> Iterator[tuple[OsvRange, str]]:
    """Each comparable range of the entry with its version scheme ("" when the ecosystem
    has none)."""
    scheme = ECOSYSTEM_SCHEME.get(base_ecosystem(affected.ecosystem), "")
    for rng in affected.ranges:
        if rng.type != "GIT":
            yield rng, "semver" if rng.type == "SEMVER" else scheme


def affects(affected: OsvAffected, version_text: str) -> bool | None:
    """True/False, or None when the version cannot be compared in this ecosystem."""
    if version_text in affected.versions:
        return True
    undecided = False
    for rng, scheme in _schemes(affected):
        if not scheme:
            undecided = True
            continue
        version = parse_version(scheme, version_text)
        compiled = compile_range(rng, scheme) if version is not None else None
        if version is None or compiled is None:
            undecided = True
            continue
        if _in_range(version, compiled):
            return True
    return None if undecided else False


def first_fixed(affected: OsvAffected, version_text: str) -> str | None:
    """The lowest ``fixed`` version above ``version_text`` in the record's ranges."""
    best: tuple[Version, str] | None = None
    for rng, scheme in _schemes(affected):
        if not scheme:
            continue
        current = parse_version(scheme, version_text)
        if current is None:
            continue
        for kind, value in rng.events:
            fixed = parse_version(scheme, value) if kind == "fixed" else None
            if fixed is not None and fixed > current and (best is None or fixed < best[0]):
                best = (fixed, value)
    return best[1] if best else None


@functools.lru_cache(maxsize=4096)
def cvss_score(vector: str) -> float | None:
    """The base score of a CVSS v2/v3/v4 vector (memoized: databases repeat vectors)."""
    try:
        if vector.startswith("CVSS:4"):
            return float(CVSS4(vector).base_score)
        if vector.startswith("CVSS:3"):
            return float(CVSS3(vector).base_score)
        return float(CVSS2(vector).base_score)
    except Exception:  # the cvss package raises its own error types for bad vectors
        return None


def severity_of_score(score: float) -> Severity:
    if score >= 9.0:
        return Severity.CRITICAL
    if score >= 7.0:
        return Severity.HIGH
    if score >= 4.0:
        return Severity.MEDIUM
    if score > 0.0:
        return Severity.LOW
    return Severity.INFO


@dataclass(frozen=True, slots=True)
class VulnMatch:
    id: str
    aliases: tuple[str, ...]
    summary: str
    score: float | None
    severity: Severity | None
    components: tuple[str, ...]  # "purl" strings (with version)
    fixed: tuple[str, ...] = ()  # "purl -> first fixed version" where the record names one

    def describe(self) -> str:
        sev = self.severity.label if self.severity is not None else "unknown severity"
        score = f", CVSS {self.score:.1f}" if self.score is not None else ""
        aliases = f" aka {', '.join(self.aliases[:3])}" if self.aliases else ""
        return f"{self.id}{aliases} ({sev}{score})"

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "aliases": list(self.aliases),
            "summary": self.summary,
            "score": self.score,
            "severity": self.severity.label if self.severity is not None else None,
            "components": list(self.components),
            "fixed": list(self.fixed),
        }


def record_severity(
    record: OsvRecord, affected: OsvAffected
) -> tuple[float | None, Severity | None]:
    scores = [s for s in (cvss_score(v) for v in record.cvss_vectors) if s is not None]
    if scores:
        best = max(scores)
        return best, severity_of_score(best)
    for label in (affected.severity_label, record.severity_label):
        sev = GHSA_LABELS.get(label.upper())
        if sev is not None:
            return None, sev
    return None, None


@dataclass(frozen=True, slots=True)
class MatchResult:
    vulns: tuple[VulnMatch, ...]
    components: int
    with_purl: int
    uncomparable: tuple[str, ...]  # purls whose versions could not be compared


def match_components(purls: Iterable[str], db: OsvDatabase) -> MatchResult:
    found: dict[str, tuple[OsvRecord, OsvAffected, list[str], list[str]]] = {}
    total = with_purl = 0
    uncomparable: list[str] = []
    for purl in purls:
        total += 1
        if not purl:
            continue
        with_purl += 1
        key, version = keyed_purl(purl)
        if key is None:
            continue
        candidates = db.by_package.get(key)
        if not candidates or not version:
            continue
        for record, affected in candidates:
            verdict = affects(affected, version)
            if verdict is None:
                uncomparable.append(purl)
            if not verdict:
                continue
            entry = found.get(record.id)
            if entry is None:
                entry = found[record.id] = (record, affected, [], [])
            if purl not in entry[2]:
                entry[2].append(purl)
                fix = first_fixed(affected, version)
                if fix is not None:
                    entry[3].append(f"{purl} -> {fix}")
    vulns = []
    for vid, (record, first, matched, fixes) in sorted(found.items()):
        score, sev = record_severity(record, first)
        vulns.append(
            VulnMatch(vid, record.aliases, record.summary, score, sev, tuple(matched), tuple(fixes))
        )
    return MatchResult(
        tuple(merge_aliases(vulns)), total, with_purl, tuple(sorted(set(uncomparable)))
    )


def is_blocking(
    vuln: VulnMatch, fail_on: Severity, cvss_threshold: float | None, unknown_blocks: bool
) -> bool:
    if cvss_threshold is not None and vuln.score is not None:
        return vuln.score >= cvss_threshold
    if vuln.severity is None:
        return unknown_blocks
    return vuln.severity >= fail_on


def vuln_findings(vuln: VulnMatch, threshold: str) -> list[Finding]:
    fixed_hint = (
        f"upgrade {'; '.join(vuln.fixed)} and regenerate the SBOM"
        if vuln.fixed
        else "upgrade the affected components to a fixed version and regenerate the SBOM"
    )
    return [
        Finding(
            f"{vuln.describe()} affects {', '.join(vuln.components)}"
            + (f": {vuln.summary}" if vuln.summary else ""),
            expected=f"no vulnerability at or above {threshold}",
            found=vuln.describe(),
            fix=f"{fixed_hint}, or accept it with a waiver (control SC-VULNS, target "
            f"'<target>/{vuln.id}' or an alias) that names an approver and an expiry",
        )
    ]


@dataclass(frozen=True, slots=True)
class VulnDbStatus:
    """What the gate and ``readiness vulndb status`` know about a store."""

    path: str
    exists: bool
    imported_at: dt.datetime | None = None
    records: int = 0
    withdrawn: int = 0
    ecosystems: tuple[tuple[str, int], ...] = ()
    newest_modified: str = ""
    imports: int = 0

    def age_days(self, now: dt.datetime) -> float | None:
        if self.imported_at is None:
            return None
        return (now - self.imported_at).total_seconds() / 86400

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        age = self.age_days(now)
        return {
            "path": self.path,
            "exists": self.exists,
            "imported_at": self.imported_at.isoformat() if self.imported_at else None,
            "age_days": round(age, 2) if age is not None else None,
            "records": self.records,
            "withdrawn": self.withdrawn,
            "ecosystems": dict(self.ecosystems),
            "newest_modified": self.newest_modified,
            "imports": self.imports,
        }


IMPORT_FIX = (
    "import OSV data: `readiness vulndb import <Ecosystem>/all.zip … --db PATH` (OSV's "
    "per-ecosystem exports), and name PATH in supply_chain.vulnerabilities.database"
)


def database_findings(
    configured: str | None, status: VulnDbStatus | None, max_age_days: float, now: dt.datetime
) -> list[Finding]:
    """Why the vulnerability database cannot be trusted to answer, if it cannot."""
    if configured is None or status is None:
        return [
            Finding(
                "no vulnerability database configured: known vulnerabilities were not looked for",
                expected="supply_chain.vulnerabilities.database naming an imported OSV database",
                found="none configured",
                fix=IMPORT_FIX,
            )
        ]
    if not status.exists:
        return [
            Finding(
                f"vulnerability database {status.path} does not exist",
                expected="a database written by `readiness vulndb import`",
                found="no such file",
                fix=IMPORT_FIX,
            )
        ]
    if status.records == 0:
        return [
            Finding(
                f"vulnerability database {status.path} holds no records",
                expected="OSV records for the ecosystems of the release",
                found="0 records",
                fix=IMPORT_FIX,
            )
        ]
    age = status.age_days(now)
    if age is None or age > max_age_days:
        when = status.imported_at.isoformat() if status.imported_at else "never"
        return [
            Finding(
                f"vulnerability database {status.path} is stale: last import {when}"
                + (f" ({age:.1f} days ago)" if age is not None else ""),
                expected=f"an import within the last {max_age_days:g} days "
                "(supply_chain.vulnerabilities.max_age_days)",
                found=f"{age:.1f} days old" if age is not None else "no import recorded",
                fix="re-import the current OSV exports (`readiness vulndb import …`), e.g. "
                "daily in the pipeline that runs the gate",
            )
        ]
    return []


def _alias_groups(vulns: Iterable[VulnMatch]) -> list[list[VulnMatch]]:
    """Matches that name each other (CVE <-> GHSA <-> PYSEC …) grouped together
    (union-find over the names, linear in the number of names)."""
    items = list(vulns)
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, vuln in enumerate(items):
        for name in (vuln.id, *vuln.aliases):
            if name in owner:
                parent[root(i)] = root(owner[name])
            else:
                owner[name] = i
    groups: dict[int, list[VulnMatch]] = {}
    for i, vuln in enumerate(items):
        groups.setdefault(root(i), []).append(vuln)
    return list(groups.values())


_ID_PREFERENCE = ("GHSA-", "CVE-")


def _primary(group: Sequence[VulnMatch]) -> VulnMatch:
    def rank(v: VulnMatch) -> tuple[int, str]:
        pref = next((n for n, p in enumerate(_ID_PREFERENCE) if v.id.startswith(p)), 9)
        return pref, v.id

    return min(group, key=rank)


def _merged_form(vuln: VulnMatch) -> bool:
    """Whether merging a group of this one match alone would rebuild it unchanged: its
    aliases sorted, distinct and without its own id; no component or fix repeated."""
    aliases = vuln.aliases
    return (
        vuln.id not in aliases
        and list(aliases) == sorted(set(aliases))
        and len(set(vuln.components)) == len(vuln.components)
        and len(set(vuln.fixed)) == len(vuln.fixed)
    )


def merge_aliases(vulns: Iterable[VulnMatch]) -> list[VulnMatch]:
    """One match per vulnerability: records that are aliases of each other merged.

    The primary id is a GHSA id if there is one (else a CVE, else the smallest id); the
    others become aliases; severity and score are the highest of the group.
    """
    merged = []
    for group in _alias_groups(vulns):
        if len(group) == 1 and _merged_form(group[0]):
            merged.append(group[0])
            continue
        first = _primary(group)
        names = sorted({n for v in group for n in (v.id, *v.aliases)} - {first.id})
        scores = [v.score for v in group if v.score is not None]
        sevs = [v.severity for v in group if v.severity is not None]
        merged.append(
            VulnMatch(
                first.id,
                tuple(names),
                first.summary or next((v.summary for v in group if v.summary), ""),
                max(scores) if scores else None,
                max(sevs) if sevs else None,
                tuple(dict.fromkeys(c for v in group for c in v.components)),
                tuple(dict.fromkeys(f for v in group for f in v.fixed)),
            )
        )
    return sorted(merged, key=lambda v: v.id)


def waiver_id(vuln: VulnMatch, target: str, patterns: Iterable[str]) -> str:
    """The id a per-vulnerability result is reported under: the one a waiver names.

    A waiver may name any alias (``shop/cart/CVE-2021-44228`` waives the GHSA record of
    Log4Shell); without such a waiver the primary id is used.
    """
    for name in (vuln.id, *vuln.aliases):
        if any(fnmatchcase(f"{target}/{name}", p) for p in patterns):
            return name
    return vuln.id
