"""Runbook reachability: concurrent vs one-at-a-time fetches, in the same run.

500 alerting rules, each with its own runbook URL on a local HTTP server that answers
after 50 ms. Both strategies go through the real code path (rule set -> URLs ->
RunbookProber -> findings); the sequential one uses a single worker.

    python bench/alerting.py [--rules 500] [--delay 0.05] [--workers 32]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from readiness.demo.alerting import SideServer
from readiness.rules.alerting import runbook_findings, runbook_urls
from readiness.rules.alerting_model import Rule, RuleGroup, RuleSet
from readiness.sources.runbooks import RunbookProber


def ruleset(n: int, base: str) -> RuleSet:
    rules = tuple(
        Rule(
            "alerting",
            f"Alert{i}",
            f'up{{job="job{i}"}} == 0',
            "bench",
            "bench.yml",
            i + 1,
            300,
            labels={"severity": "warning"},
            annotations={
                "summary": "s",
                "description": "d",
                "runbook_url": f"{base}/runbooks/alert-{i}",
            },
        )
        for i in range(n)
    )
    return RuleSet("bench.yml", (RuleGroup("bench", "bench.yml", rules),))


def check(rs: RuleSet, workers: int) -> tuple[float, int]:
    prober = RunbookProber(timeout=10, max_workers=workers)
    start = time.perf_counter()
    statuses = prober.probe(runbook_urls(rs))
    findings = runbook_findings(rs, statuses)
    elapsed = time.perf_counter() - start
    if findings or prober.fetches != len(rs.alerts):
        raise SystemExit(f"unexpected: {len(findings)} findings, {prober.fetches} fetches")
    return elapsed, prober.fetches


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rules", type=int, default=500)
    parser.add_argument("--delay", type=float, default=0.05)
    parser.add_argument("--workers", type=int, default=32)
    parser.add_argument("--repeat", type=int, default=3, help="concurrent runs (median)")
    args = parser.parse_args(argv)
    server = SideServer(delay=args.delay)
    try:
        rs = ruleset(args.rules, server.url)
        concurrent = [check(rs, args.workers)[0] for _ in range(args.repeat)]
        sequential, fetches = check(rs, 1)
    finally:
        server.stop()
    best = statistics.median(concurrent)
    print(f"{args.rules} runbooks, server delay {args.delay * 1000:.0f} ms, {fetches} fetches each")
    print(f"one at a time:          {sequential:7.3f} s")
    print(f"concurrent ({args.workers} workers): {best:7.3f} s (median of {args.repeat})")
    print(f"ratio:                  {sequential / best:7.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
