"""Synthetic SLI history with known ground truth, backfilled into a real Prometheus.

Writes per-minute request counters (``http_requests_total{service, code}``) as OpenMetrics
for ``promtool tsdb create-blocks-from openmetrics``, and computes the expected error
ratios from the very samples it wrote (independently of Prometheus). Shared by the demo
and the tests.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from readiness.demo import promstack
from readiness.demo.procs import ManagedProcess, require_binary

METRIC = "http_requests"
STEP = 60
START_VALUE = 1_000_000.0  # counters far from zero: rate() extrapolation never clips at 0


@dataclass(frozen=True, slots=True)
class Incident:
    ago: int  # seconds before the end when it starts
    duration: int  # seconds
    error_ratio: float


@dataclass(frozen=True, slots=True)
class ServiceHistory:
    service: str
    error_ratio: float = 0.0002
    rps: float = 10.0
    incidents: tuple[Incident, ...] = ()
    gaps: tuple[tuple[int, int], ...] = ()  # (ago, duration): no samples at all

    def ratio_at(self, ago: int) -> float:
        for i in self.incidents:
            if i.ago - i.duration < ago <= i.ago:
                return i.error_ratio
        return self.error_ratio

    def missing_at(self, ago: int) -> bool:
        return any(g_ago - g_dur < ago <= g_ago for g_ago, g_dur in self.gaps)


@dataclass
class Samples:
    """The counters written for one service: (timestamp, good, bad) per minute."""

    service: str
    points: list[tuple[int, float, float]] = field(default_factory=list)

    def error_ratio(self, end: int, window: int) -> float | None:
        """Bad / all events over the closed range [end - window, end], as rate() sees it."""
        inside = [p for p in self.points if end - window <= p[0] <= end]
        if len(inside) < 2:
            return None
        (_, g0, b0), (_, g1, b1) = inside[0], inside[-1]
        total = (g1 - g0) + (b1 - b0)
        return None if total <= 0 else (b1 - b0) / total


def generate(services: Sequence[ServiceHistory], end: int, days: int = 30) -> list[Samples]:
    end -= end % STEP
    start = end - days * 86400
    out = []
    for svc in services:
        samples = Samples(svc.service)
        good = bad = START_VALUE
        per_step = svc.rps * STEP
        for ts in range(start, end + 1, STEP):
            ago = end - ts
            ratio = svc.ratio_at(ago)
            bad += per_step * ratio
            good += per_step * (1 - ratio)
            if not svc.missing_at(ago):
                samples.points.append((ts, good, bad))
        out.append(samples)
    return out


def write_openmetrics(path: Path, samples: Sequence[Samples]) -> None:
    with path.open("w", encoding="ascii") as fh:
        fh.write(f"# TYPE {METRIC} counter\n")
        for s in samples:
            for code, idx in (("200", 1), ("500", 2)):
                labels = f'{{service="{s.service}",code="{code}"}}'
                fh.writelines(f"{METRIC}_total{labels} {p[idx]:.6f} {p[0]}\n" for p in s.points)
        fh.write("# EOF\n")


def backfill(om_file: Path, data_dir: Path) -> None:
    promtool = require_binary("promtool", "prometheus")
    data_dir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.run(
        [
            promtool,
            "tsdb",
            "create-blocks-from",
            "openmetrics",
            "--quiet",
            "--max-block-duration=744h",
            str(om_file),
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"promtool backfill failed: {proc.stderr.strip() or proc.stdout}")


def load_history(workdir: Path, services: Sequence[ServiceHistory], end: int) -> list[Samples]:
    """Generate the history of ``services`` up to ``end`` and backfill it into ``workdir/data``."""
    samples = generate(services, end)
    om = workdir / "history.om"
    write_openmetrics(om, samples)
    backfill(om, workdir / "data")
    om.unlink()
    return samples


def start_prometheus(
    workdir: Path,
    port: int,
    rules: Sequence[dict[str, object]] = (),
    retention: str = "400d",
) -> ManagedProcess:
    """Prometheus on 127.0.0.1:port over ``workdir/data`` with ``rules`` loaded."""
    rules_dir = workdir / "rules"
    rules_dir.mkdir(parents=True, exist_ok=True)
    (rules_dir / "slo.yml").write_text(
        yaml.safe_dump(
            {"groups": [{"name": "slo-burn-rate", "rules": list(rules)}]}, sort_keys=False
        )
    )
    return promstack.start_prometheus(workdir, port, interval="15s", retention=retention)


HOUR = 3600
DAY = 86400


def scenarios() -> list[ServiceHistory]:
    """Services with known fates against a 99.9 % / 30 d objective.

    healthy 20 % of the budget spent; freeze ~80 %; emergency ~95 %; exhausted 150 %;
    burning: a 5 % error ratio for the last 2 hours (page condition true now); gappy:
    six days without samples; stale: no samples for the last four days.
    """
    return [
        ServiceHistory("healthy", 0.0002),
        ServiceHistory("freeze", 0.0002, incidents=(Incident(10 * DAY, DAY, 0.0182),)),
        ServiceHistory("emergency", 0.0002, incidents=(Incident(12 * DAY, DAY, 0.0227),)),
        ServiceHistory("exhausted", 0.0015),
        ServiceHistory("burning", 0.0001, incidents=(Incident(2 * HOUR, 2 * HOUR, 0.05),)),
        ServiceHistory("gappy", 0.0002, gaps=((20 * DAY, 6 * DAY),)),
        ServiceHistory("stale", 0.0002, gaps=((4 * DAY, 4 * DAY),)),
    ]


def native_slo(service: str, target: float = 99.9, window: str = "30d") -> dict[str, object]:
    """A native profile `slos:` entry for one generated service."""
    sel = f'service="{service}"'
    return {
        "service": service,
        "objectives": [
            {
                "name": "availability",
                "target": target,
                "window": window,
                "sli": {
                    "error": f'sum(rate({METRIC}_total{{{sel},code=~"5.."}}[{{{{.window}}}}]))',
                    "total": f"sum(rate({METRIC}_total{{{sel}}}[{{{{.window}}}}]))",
                },
            }
        ],
    }
