"""Estate scale: the whole gate over a synthetic estate vs a purpose-built probe, same run.

    flock /work/bench.lock python bench/estate.py [--workloads 500,2000,10000]
        [--services 200] [--namespaces 20] [--slos 50] [--rules 500]
        [--latency-ms 50] [--slow-ms 1500] [--sequential-at 2000] [--granularity group]
        [--latency-requests N]

For each Kubernetes size it starts the estate of ``bench/estate/`` (HTTPS services with
injected latency, a Kubernetes API, a runbook site, real Prometheus and Alertmanager;
copied from the project's shared lab, see bench/estate/README.md), then runs, one after
the other on the same machine:

- **probe (concurrent)**: the lab's purpose-built reader (``bench/estate/probe.py``: 32
  threads, one paginated LIST per namespace, one batched PromQL query, every service
  endpoint and runbook URL once) - the baseline;
- **probe (sequential)**: the same checks one request at a time (only at
  ``--sequential-at`` workloads: it takes minutes);
- **gate**: ``pytest --profile=<the estate's profile>`` in a fresh process, HTML, JSON
  and JUnit reports on; wall time and peak RSS (``wait4``).

Then it checks that every flaw the probe finds is also found by the gate (a failed or
warned check of the matching control on the matching target) and prints one JSON line
per size with the ratios. Only 127.0.0.1 is contacted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
LAB = HERE / "estate"
sys.path.insert(0, str(LAB))

import probe  # noqa: E402  (the lab's probe, beside its estate)
import to_profile  # noqa: E402

#: probe flaw -> the gate's control that must find it (on the same target)
SERVICE_CONTROLS = {"no_hsts": "HTTP-HSTS", "health_500": "HTTP-HEALTH", "slow": "HTTP-LATENCY"}
WORKLOAD_CONTROLS = {
    "no_probes": "K8S-PROBES",
    "no_limits": "K8S-RESOURCES",
    "no_run_as_non_root": "K8S-SECURITY-CONTEXT",
    "latest_tag": "K8S-IMAGE-TAG",
}
FOUND = ("failed", "warned", "waived")


def estate(out: Path, args: argparse.Namespace, workloads: int) -> dict[str, Any]:
    cmd = [sys.executable, str(LAB / "estate.py"), "up", "--out", str(out)]
    sizes = {
        "services": args.services,
        "workloads": workloads,
        "namespaces": args.namespaces,
        "slos": args.slos,
        "rules": args.rules,
        "latency-ms": args.latency_ms,
        "slow-ms": args.slow_ms,
    }
    for flag, value in sizes.items():
        cmd += [f"--{flag}", str(value)]
    subprocess.run(cmd, check=True, capture_output=True)
    inv: dict[str, Any] = json.loads((out / "inventory.json").read_text())
    return inv


def down(out: Path) -> None:
    subprocess.run(
        [sys.executable, str(LAB / "estate.py"), "down", "--out", str(out)],
        check=False,
        capture_output=True,
    )


def run_probe(inv: dict[str, Any], mode: str) -> dict[str, Any]:
    client = probe.Client(inv)
    started = time.perf_counter()
    found = (
        probe.concurrent(client, inv, 32) if mode == "concurrent" else probe.sequential(client, inv)
    )
    return {
        "wall_s": round(time.perf_counter() - started, 2),
        "requests": client.requests,
        "found": found,
        "matches_inventory": found == probe.expected(inv),
    }


def run_gate(profile: Path, report_dir: Path, extra: list[str]) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        f"--profile={profile}",
        f"--report-dir={report_dir}",
        "-q",
        "-p",
        "no:cacheprovider",
        "--tb=no",
        "--no-header",
        *extra,
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(
        cmd, cwd=report_dir.parent, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output = proc.stdout.read() if proc.stdout else b""
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    report = json.loads((report_dir / "readiness-report.json").read_text())
    return {
        "wall_s": round(wall, 2),
        "exit": os.waitstatus_to_exitcode(status),
        "peak_rss_mib": round(usage.ru_maxrss / 1024),
        "checks": len(report["checks"]),
        "summary": report["summary"],
        "collection": report.get("collection"),
        "kubernetes_read": _kubernetes_read(report),
        "report": report,
        "tail": output.decode(errors="replace").strip().splitlines()[-1:],
    }


def _kubernetes_read(report: dict[str, Any]) -> dict[str, Any] | None:
    """The cluster read (LISTs, objects, seconds) as a Kubernetes check's evidence says."""
    for c in report["checks"]:
        evidence = c.get("evidence") or {}
        if c["family"] == "kubernetes" and "collect_seconds" in evidence:
            keys = ("list_requests", "objects", "collect_seconds")
            return {k: evidence.get(k) for k in keys}
    return None


def missed_by_gate(inv: dict[str, Any], found: set[Any], report: dict[str, Any]) -> list[str]:
    """Probe findings the gate did not report as failed/warned on the same target."""
    bad: dict[str, set[str]] = {}
    messages: list[str] = []
    for c in report["checks"]:
        if c["outcome"] in FOUND:
            bad.setdefault(c["control"], set()).add(c["target"])
            messages.append(c["message"])
    slo_measured = {
        c["evidence"].get("slo", "").split("/")[0]: c["evidence"].get("sli_measurement")
        for c in report["checks"]
        if c["control"] == "SLO-ATTAINMENT" and c["outcome"] != "error"
    }
    text = "\n".join(messages)
    missed = []
    for key, flaw in sorted(found, key=str):
        if flaw in SERVICE_CONTROLS:
            ok = key in bad.get(SERVICE_CONTROLS[flaw], set())
        elif flaw in WORKLOAD_CONTROLS:
            ns, name = key.split("/")
            ok = f"{ns}/Deployment/{name}" in bad.get(WORKLOAD_CONTROLS[flaw], set())
        elif flaw == "runbook_404":
            ok = key in text
        else:  # (service, availability): the gate measured the same SLI
            measured = slo_measured.get(key)
            ok = measured is not None and abs(float(measured) - float(flaw)) < 1e-6
        if not ok:
            missed.append(f"{key}: {flaw}")
    return missed


def one_size(args: argparse.Namespace, workloads: int, root: Path) -> dict[str, Any]:
    out = root / f"estate-{workloads}"
    out.mkdir()
    try:
        inv = estate(out, args, workloads)
        profile = out / "estate-profile.yaml"
        base = to_profile.base_profile(None)
        built = to_profile.build(inv, base, args.latency_requests)
        if args.granularity:
            built["granularity"] = {"kubernetes": args.granularity, "http": args.granularity}
        profile.write_text(json.dumps(built))
        concurrent = run_probe(inv, "concurrent")
        sequential = run_probe(inv, "sequential") if workloads == args.sequential_at else None
        (out / "run").mkdir(exist_ok=True)
        gate = run_gate(profile, out / "run" / "reports", args.pytest_args)
        missed = missed_by_gate(inv, concurrent["found"], gate["report"])
    finally:
        down(out)
    result: dict[str, Any] = {
        "workloads": workloads,
        "sizes": inv["sizes"],
        "probe_concurrent_s": concurrent["wall_s"],
        "probe_matches_inventory": concurrent["matches_inventory"],
        "gate_s": gate["wall_s"],
        "gate_vs_probe": round(gate["wall_s"] / concurrent["wall_s"], 2),
        "gate_exit": gate["exit"],
        "gate_checks": gate["checks"],
        "gate_summary": gate["summary"],
        "gate_peak_rss_mib": gate["peak_rss_mib"],
        "collection_phase": gate["collection"],
        "kubernetes_read": gate["kubernetes_read"],
        "probe_flaws": len(concurrent["found"]),
        "missed_by_gate": missed,
    }
    if sequential is not None:
        result["probe_sequential_s"] = sequential["wall_s"]
        result["sequential_vs_gate"] = round(sequential["wall_s"] / gate["wall_s"], 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="500,2000,10000", help="sizes, comma-separated")
    for flag, default in (
        ("services", 200),
        ("namespaces", 20),
        ("slos", 50),
        ("rules", 500),
        ("latency-ms", 50),
        ("slow-ms", 1500),
        ("sequential-at", 2000),
    ):
        parser.add_argument(f"--{flag}", type=int, default=default)
    parser.add_argument("--granularity", choices=["target", "group"], default=None)
    parser.add_argument(
        "--latency-requests",
        type=int,
        default=None,
        help="HTTP-LATENCY samples per service (default: base.yaml's)",
    )
    parser.add_argument("pytest_args", nargs="*", help="extra pytest arguments for the gate")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="readiness-estate-") as tmp:
        for workloads in (int(w) for w in args.workloads.split(",")):
            print(json.dumps(one_size(args, workloads, Path(tmp))), flush=True)


if __name__ == "__main__":
    main()
