"""Synthetic request counters as OpenMetrics text for
`promtool tsdb create-blocks-from openmetrics FILE DATA_DIR`: `write_backfill` copied
unchanged from the verified Prometheus lab helper of the same name (its CLI left out).

Series: <metric>_total{service=S, code="200"|"500"}, one sample every `step`
seconds over `days` days ending at `end` (default: now, rounded down to step).
Counters are deterministic: each step adds rps*step requests, of which a fraction
`error_ratio` are 500s, except inside incidents (AGO, DURATION, RATIO): starting AGO
seconds before `end` and lasting DURATION seconds. Returns exact totals.
"""

import math
import time


def write_backfill(
    path,
    services=("checkout",),
    days=30,
    step=60,
    end=None,
    rps=10.0,
    error_ratio=0.0005,
    incidents=(),
    metric="http_requests",
):
    end = int(time.time() if end is None else end) // step * step
    start = end - days * 86400
    windows = [(end - ago, end - ago + dur, ratio) for ago, dur, ratio in incidents]
    ratios = []  # error ratio applied to the step ending at each sample
    for i in range(days * 86400 // step + 1):
        ts = start + i * step
        ratio = error_ratio
        for lo, hi, r in windows:
            if lo < ts <= hi:
                ratio = r
        ratios.append(ratio if i else 0.0)
    per_step = rps * step
    totals = {}
    with open(path, "w") as f:
        f.write(f"# HELP {metric} Synthetic HTTP requests.\n# TYPE {metric} counter\n")
        for svc in services:
            for code in ("200", "500"):
                acc, lines = 0.0, []
                for i, ratio in enumerate(ratios):
                    if i:
                        acc += per_step * (ratio if code == "500" else 1 - ratio)
                    lines.append(
                        f'{metric}_total{{service="{svc}",code="{code}"}} '
                        f"{math.floor(acc + 1e-9)} {start + i * step}\n"
                    )
                f.write("".join(lines))
                totals[(svc, code)] = math.floor(acc + 1e-9)
        f.write("# EOF\n")
    errors = sum(v for (s, c), v in totals.items() if c == "500")
    requests = sum(totals.values())
    return {
        "start": start,
        "end": end,
        "series": 2 * len(services),
        "samples": 2 * len(services) * len(ratios),
        "requests": requests,
        "errors": errors,
        "availability": 1 - errors / requests if requests else None,
    }
