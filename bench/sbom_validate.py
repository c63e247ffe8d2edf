"""SBOM judging speed and verdicts: readiness (schema validation + NTIA + licences + OSV
match against the imported vulnerability database) versus the validators users run:

- ``cdx-ev validate`` (cyclonedx-editor-validator: jsonschema-rs, the same engine, plus
  its licence-expression checks), validate only;
- cyclonedx-python-lib's ``JsonStrictValidator`` with jsonschema's format checkers
  installed (``jsonschema[format]``: without rfc3987 it does not check ``iri-reference``
  and calls an SBOM with an invalid URL valid).

Both baselines live in the bench's own venv (created on first use, or ``--venv``):

    python -m venv bench/.venv-cdx-ev
    bench/.venv-cdx-ev/bin/pip install cyclonedx-editor-validator "jsonschema[format]"

    python bench/sbom_validate.py                  # 5,000 components, 5 paired rounds
    python bench/sbom_validate.py --components 1000 --strict-timeout 600

Speed is CPU time (``time.process_time``) of the work itself in each process, measured in
paired rounds (ours, then cdx-ev on the same document) in one run; the goal is
readiness' full judgement at or below cdx-ev's validation alone.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from readiness.demo.supply_chain import CRITICAL_VECTOR, make_sbom, osv_record  # noqa: E402
from readiness.profile.supply_chain import DEFAULT_NTIA  # noqa: E402
from readiness.rules.supply_chain_sbom import (  # noqa: E402
    component_purls,
    license_report,
    ntia_coverage,
    ntia_findings,
)
from readiness.rules.supply_chain_vulns import (  # noqa: E402
    compile_range,
    cvss_score,
    keyed_purl,
    match_components,
    parse_version,
    purl_key,
)
from readiness.sources.sbom import parse_sbom, schema_issues, spdx_license_ids  # noqa: E402
from readiness.sources.vulndb import VulnStore  # noqa: E402

BASELINES = Path(__file__).with_name("_cdx_baselines.py")
CORPUS = REPO / "tests" / "data" / "supply_chain"
BASELINE_PACKAGES = ("cyclonedx-editor-validator", "jsonschema[format]")


def baseline_python(venv_dir: Path) -> Path:
    python = venv_dir / "bin" / "python"
    if not python.exists():
        print(f"creating the baseline venv {venv_dir} ({', '.join(BASELINE_PACKAGES)})")
        venv.create(venv_dir, with_pip=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", *BASELINE_PACKAGES], check=True)
    return python


def synthetic(n: int) -> dict[str, Any]:
    comps = [
        (f"npm/pkg-{i}", f"1.{i % 50}.{i % 7}", "MIT" if i % 3 else "Apache-2.0") for i in range(n)
    ]
    doc = make_sbom("bench/app", "1.0.0", comps, image_digest="sha256:" + "a" * 64)
    for i, comp in enumerate(doc["components"]):
        comp["supplier"] = {"name": f"vendor {i}", "url": [f"https://vendor{i}.example.com/about"]}
        comp["externalReferences"] = [{"type": "website", "url": f"https://example.com/pkg-{i}"}]
    return doc


def documents(n: int, out: Path) -> dict[str, Path]:
    """Synthetic documents of ``n`` components (valid, two invalid) and the real corpus."""
    valid = synthetic(n)
    bad = json.loads(json.dumps(valid))
    bad["components"][n // 2]["type"] = "not-a-type"
    bad["serialNumber"] = "urn:uuid:broken"
    bad_iri = json.loads(json.dumps(valid))
    bad_iri["components"][n // 3]["externalReferences"][0]["url"] = "https://example.com/a b"
    docs = {}
    for name, doc in (("valid", valid), ("invalid-enum", bad), ("invalid-iri", bad_iri)):
        path = out / f"synthetic-{n}-{name}.cdx.json"
        path.write_text(json.dumps(doc))
        docs[path.name] = path
    for path in sorted((CORPUS / "sbom").rglob("*.json")):
        if "spdx" not in path.name and "/schema/" not in str(path):
            docs[str(path.relative_to(CORPUS / "sbom"))] = path
    return docs


def vuln_store(n: int, out: Path) -> VulnStore:
    """The imported database: the real Go export, Log4Shell and one record per 4 packages."""
    records = out / "records"
    records.mkdir()
    for i in range(0, n, 4):
        rec = osv_record(f"GHSA-bench-{i}", "npm", f"pkg-{i}", "0", "1.25.0", cvss=CRITICAL_VECTOR)
        (records / f"GHSA-bench-{i}.json").write_text(json.dumps(rec))
    store = VulnStore(out / "vulndb.sqlite")
    advisories = CORPUS / "osv" / "github-advisory-database"
    store.import_paths(
        [CORPUS / "osv/export/Go/all.zip", *advisories.rglob("*.json"), records],
        dt.datetime.now(dt.UTC),
    )
    return store


DATA_CACHES = (parse_version, compile_range, cvss_score, keyed_purl)
"""readiness' memo caches of parsed versions, ranges, CVSS scores and purls: emptied before each
judgement, so every round judges the SBOM as a fresh gate run does (only the compiled
schema validators stay warm, as cdx-ev's do)."""


def ours(path: Path, store: VulnStore) -> tuple[bool, int, float]:
    """readiness' judgement of one SBOM: (valid, vulnerabilities matched, CPU seconds)."""
    for cache in DATA_CACHES:
        cache.cache_clear()
    start = time.process_time()
    sbom = parse_sbom(path.read_bytes(), path.name)
    issues = schema_issues(sbom)
    ntia_findings(sbom.source, ntia_coverage(sbom.doc), DEFAULT_NTIA)
    license_report(sbom.doc, ["AGPL-3.0-only"], spdx_license_ids())
    purls = component_purls(sbom.doc)
    keys = [k for k in map(purl_key, dict.fromkeys(purls)) if k is not None]
    result = match_components(purls, store.database_for(keys))
    return not issues, len(result.vulns), time.process_time() - start


def validate_only(path: Path) -> float:
    """CPU seconds of readiness' schema validation alone (parse + jsonschema-rs)."""
    start = time.process_time()
    schema_issues(parse_sbom(path.read_bytes(), path.name))
    return time.process_time() - start


class CdxEv:
    """cdx-ev in one long-lived process of the baseline venv (its validators warm)."""

    def __init__(self, python: Path):
        self.proc = subprocess.Popen(
            [str(python), str(BASELINES), "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def validate(self, path: Path) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(f"{path}\n")
        self.proc.stdin.flush()
        answer: dict[str, Any] = json.loads(self.proc.stdout.readline())
        return answer

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        self.proc.wait(timeout=30)


def strict(python: Path, path: Path, timeout: float) -> dict[str, Any] | None:
    try:
        done = subprocess.run(
            [str(python), str(BASELINES), "strict", str(path)],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=True,
        )
    except subprocess.TimeoutExpired:
        return None
    answer: dict[str, Any] = json.loads(done.stdout)
    return answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--strict-timeout", type=float, default=300.0)
    parser.add_argument("--venv", type=Path, default=Path(__file__).with_name(".venv-cdx-ev"))
    args = parser.parse_args()

    python = baseline_python(args.venv)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        docs = documents(args.components, out)
        store = vuln_store(args.components, out)
        cdxev = CdxEv(python)
        try:
            print(f"{'document':<72} {'readiness':>9} {'cdx-ev':>7} {'strict':>7}")
            agree = total = 0
            for name, path in docs.items():
                mine = ours(path, store)[0]
                theirs = cdxev.validate(path)["valid"]
                answer = strict(python, path, args.strict_timeout)
                verdicts = [mine, theirs] + ([answer["valid"]] if answer else [])
                total += 1
                agree += len(set(verdicts)) == 1
                shown = "capped" if answer is None else str(answer["valid"])
                print(f"{name[-72:]:<72} {mine!s:>9} {theirs!s:>7} {shown:>7}")
            print(f"verdict agreement: {agree}/{total} documents (strict: where it finished)")

            valid = docs[f"synthetic-{args.components}-valid.cdx.json"]
            ours(valid, store)  # validators built once per run, as in a gate run
            cdxev.validate(valid)
            mine_cpu, theirs_cpu, validate_cpu = [], [], []
            for _ in range(args.repeat):  # paired rounds
                _, vulns, cpu = ours(valid, store)
                mine_cpu.append(cpu)
                validate_cpu.append(validate_only(valid))
                theirs_cpu.append(cdxev.validate(valid)["cpu"])
        finally:
            cdxev.close()
        strict_valid = strict(python, valid, args.strict_timeout)
        size_mb = valid.stat().st_size / 1e6
    mine_median, theirs_median = statistics.median(mine_cpu), statistics.median(theirs_cpu)
    print(
        f"SBOM: CycloneDX 1.5, {args.components} components, {size_mb:.1f} MB;"
        f" vulnerabilities matched: {vulns}"
    )
    print(
        f"readiness validate + NTIA + licences + OSV match: median CPU {mine_median:.3f} s "
        f"({args.repeat} paired rounds)"
    )
    print(f"cdx-ev validate only:                            median CPU {theirs_median:.3f} s")
    print(f"ratio readiness / cdx-ev: {mine_median / theirs_median:.2f}x (goal <= 1.00x)")
    validate_median = statistics.median(validate_cpu)
    print(
        f"readiness validate only: median CPU {validate_median:.3f} s, "
        f"{validate_median / theirs_median:.2f}x cdx-ev"
    )
    if strict_valid is None:
        print(
            f"JsonStrictValidator (+format checkers): not finished in {args.strict_timeout:.0f} s"
        )
    else:
        print(
            f"JsonStrictValidator (+format checkers): CPU {strict_valid['cpu']:.1f} s, "
            f"ratio {strict_valid['cpu'] / mine_median:.0f}x slower than readiness"
        )


if __name__ == "__main__":
    main()
