"""HTTP-TLS-CIPHERS' cost against the TLS probes every HTTPS service already gets.

Starts N HTTPS services (readiness' demo server, test CA) in a child process: most serve
Mozilla "intermediate" TLS 1.2 suites, every tenth accepts every suite OpenSSL has (the
demo's legacy console). Then, in this process, with the HTTP source's own bounded
concurrency and a fresh source per measurement:

* baseline: the TLS probes HTTP-TLS-VERSION/CHAIN/HOSTNAME/EXPIRY read (the certificate
  and version, one handshake per protocol below TLS 1.2);
* scan: HTTP-TLS-CIPHERS' scan (offer everything outside the policy, drop what the
  server picks, until it refuses);
* per suite: one handshake per offerable suite outside the policy (what a scan without
  the refusal short cut would cost), for comparison.

Prints connections (TLS handshakes and requests) and wall time of each, and the ratio to
the baseline.

    flock /work/bench.lock python bench/tls_ciphers.py [--services 200] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from readiness.profile.http import (  # noqa: E402
    INTERMEDIATE_TLS12_CIPHERS,
    HttpPolicy,
    Service,
)
from readiness.sources.http import HttpSource  # noqa: E402
from readiness.sources.tls_ciphers import offer  # noqa: E402


def serve(count: int, out: Path) -> None:
    """Child process: start the services, print their ports, serve until stdin closes."""
    from readiness.demo.http import SiteSpec, serve_https
    from readiness.demo.tls import issue, make_ca

    ca = make_ca(out / "ca")
    cert = issue(ca, out, "site")
    servers = [
        serve_https(f"s{i}", 0, cert, SiteSpec("s", "", None, allow_tls10=i % 10 == 9))
        for i in range(count)
    ]
    print(json.dumps({"ca": str(ca.cert_file), "ports": [s.server_address[1] for s in servers]}))
    sys.stdout.flush()
    sys.stdin.read()


def per_suite(source: HttpSource, service: Service, suites: tuple[str, ...]) -> int:
    accepted = 0
    for suite in suites:
        try:
            source._handshake(service, offer((suite,)), service.host).close()
            accepted += 1
        except (ssl.SSLError, OSError):
            pass
    return accepted


def measure(services: list[Service], what: str) -> tuple[float, int]:
    source = HttpSource(HttpPolicy())
    allowed = INTERMEDIATE_TLS12_CIPHERS
    offered = source._suites.outside(allowed)
    jobs = {
        "baseline": [
            job
            for s in services
            for job in (
                lambda s=s: source.tls(s),
                lambda s=s: source.legacy_handshakes(s, "1.2"),
            )
        ],
        "scan": [lambda s=s: source.tls12_ciphers(s, allowed) for s in services],
        "per suite": [lambda s=s: per_suite(source, s, offered) for s in services],
    }[what]
    start = time.perf_counter()
    source.prefetch(jobs)
    return time.perf_counter() - start, source.stats.handshakes + source.stats.requests


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--services", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--serve", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, Path(args.out))
        return
    with tempfile.TemporaryDirectory() as tmp:
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(args.services), "--out", tmp],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert child.stdout is not None
            started = json.loads(child.stdout.readline())
            services = [
                Service(name=f"s{i}", url=f"https://127.0.0.1:{port}", ca_file=started["ca"])
                for i, port in enumerate(started["ports"])
            ]
            results: dict[str, list[tuple[float, int]]] = {}
            for _ in range(args.repeat):
                for what in ("baseline", "scan", "per suite"):
                    results.setdefault(what, []).append(measure(services, what))
        finally:
            if child.stdin is not None:
                child.stdin.close()
            child.wait(timeout=30)
    base = statistics.median(t for t, _ in results["baseline"])
    for what, runs in results.items():
        seconds = statistics.median(t for t, _ in runs)
        print(
            json.dumps(
                {
                    "measured": what,
                    "services": args.services,
                    "connections": runs[0][1],
                    "seconds": round(seconds, 3),
                    "ratio_to_baseline": round(seconds / base, 2),
                }
            )
        )


if __name__ == "__main__":
    main()
