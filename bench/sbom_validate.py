"""SBOM judging speed: readiness (jsonschema-rs + NTIA + licences + OSV matching) versus
cyclonedx-python-lib's JsonStrictValidator alone, on a synthetic CycloneDX 1.5 SBOM.

    python bench/sbom_validate.py                 # 5,000 components, strict run capped at 150 s
    python bench/sbom_validate.py --components 1000 --strict-timeout 600

Verdicts are compared on a valid and an invalid document of the same size when the strict
validator finishes; when it is capped, the printed ratio is a lower bound.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from readiness.demo.supply_chain import CRITICAL_VECTOR, make_sbom, osv_record
from readiness.profile.supply_chain import DEFAULT_NTIA
from readiness.rules.supply_chain_sbom import (
    component_purls,
    license_report,
    ntia_coverage,
    ntia_findings,
)
from readiness.rules.supply_chain_vulns import OsvDatabase, match_components, parse_osv_record
from readiness.sources.sbom import parse_sbom, schema_issues, spdx_license_ids


def synthetic(n: int) -> dict[str, Any]:
    comps = [
        (f"npm/pkg-{i}", f"1.{i % 50}.{i % 7}", "MIT" if i % 3 else "Apache-2.0") for i in range(n)
    ]
    doc = make_sbom("bench/app", "1.0.0", comps, image_digest="sha256:" + "a" * 64)
    for i, comp in enumerate(doc["components"]):
        comp["supplier"] = {"name": f"vendor {i}", "url": [f"https://vendor{i}.example.com/about"]}
        comp["externalReferences"] = [{"type": "website", "url": f"https://example.com/pkg-{i}"}]
    return doc


def osv_db(n: int) -> OsvDatabase:
    db = OsvDatabase()
    for i in range(0, n, 4):
        db.add(
            parse_osv_record(
                osv_record(
                    f"GHSA-bench-{i}", "npm", f"pkg-{i}", "0", "1.25.0", cvss=CRITICAL_VECTOR
                )
            )
        )
    return db


def ours(text: str, db: OsvDatabase) -> tuple[bool, int]:
    sbom = parse_sbom(text.encode(), "bench.cdx.json")
    issues = schema_issues(sbom)
    ntia_findings(sbom.source, ntia_coverage(sbom.doc), DEFAULT_NTIA)
    license_report(sbom.doc, ["AGPL-3.0-only"], spdx_license_ids())
    result = match_components(component_purls(sbom.doc), db)
    return not issues, len(result.vulns)


def _strict(text: str, queue: Any) -> None:
    from cyclonedx.schema import SchemaVersion
    from cyclonedx.validation.json import JsonStrictValidator

    start = time.perf_counter()
    error = JsonStrictValidator(SchemaVersion.V1_5).validate_str(text)
    queue.put((error is None, time.perf_counter() - start))


def strict(text: str, timeout: float) -> tuple[bool | None, float]:
    """The strict validator in a child process, killed after ``timeout`` seconds."""
    queue: Any = mp.get_context("fork").Queue()
    proc = mp.get_context("fork").Process(target=_strict, args=(text, queue))
    start = time.perf_counter()
    proc.start()
    proc.join(timeout)
    if proc.is_alive():
        proc.kill()
        proc.join()
        return None, time.perf_counter() - start
    valid, took = queue.get()
    return bool(valid), float(took)


def documents(n: int) -> tuple[str, str]:
    """A valid SBOM of ``n`` components and an invalid copy (bad enum, bad serial)."""
    doc = synthetic(n)
    valid_text = json.dumps(doc)
    bad = json.loads(valid_text)
    bad["components"][n // 2]["type"] = "not-a-type"
    bad["serialNumber"] = "urn:uuid:broken"
    return valid_text, json.dumps(bad)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--strict-timeout", type=float, default=150.0)
    parser.add_argument(
        "--verdict-components",
        type=int,
        default=200,
        help="size of the documents on which both validators run to the end",
    )
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    # 1. identical verdicts, both validators run to completion on a smaller pair
    small_valid, small_invalid = documents(args.verdict_components)
    small_db = osv_db(args.verdict_components)
    for label, text in (("valid", small_valid), ("invalid", small_invalid)):
        mine, _ = ours(text, small_db)
        theirs, took = strict(text, args.strict_timeout * 4)
        assert theirs is not None, "strict validator did not finish on the verdict document"
        assert mine == theirs, f"verdicts differ on the {label} document"
        print(
            f"verdict check, {args.verdict_components} components, {label} document: "
            f"both say valid={mine} (strict {took:.1f} s)"
        )

    # 2. speed at full size
    valid_text, invalid_text = documents(args.components)
    db = osv_db(args.components)
    ours(valid_text, db)  # build validators once, as a run does
    times = []
    for _ in range(args.repeat):
        start = time.perf_counter()
        verdict_valid, vulns = ours(valid_text, db)
        times.append(time.perf_counter() - start)
    verdict_invalid, _ = ours(invalid_text, db)
    median = statistics.median(times)
    print(
        f"SBOM: CycloneDX 1.5, {args.components} components, {len(valid_text) / 1e6:.1f} MB; "
        f"OSV records: {db.records}; vulnerabilities matched: {vulns}"
    )
    print(
        f"readiness (schema + NTIA + licences + OSV): median {median:.3f} s over {args.repeat} runs"
    )
    strict_invalid, t_invalid = strict(invalid_text, args.strict_timeout)
    assert strict_invalid is not None and strict_invalid == verdict_invalid
    print(f"invalid document: both reject (strict stops at its first error: {t_invalid:.1f} s)")
    strict_valid, strict_time = strict(valid_text, args.strict_timeout)
    if strict_valid is None:
        print(
            f"JsonStrictValidator alone, valid document: not finished after "
            f"{strict_time:.0f} s (capped)"
        )
        print(f"ratio: >= {strict_time / median:.0f}x (lower bound)")
    else:
        assert strict_valid == verdict_valid, "verdicts differ on the valid document"
        print(f"JsonStrictValidator alone, valid document: {strict_time:.1f} s, both say valid")
        print(f"ratio: {strict_time / median:.0f}x")


if __name__ == "__main__":
    main()
