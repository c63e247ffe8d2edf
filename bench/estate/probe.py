"""`estate.py probe`: the same checks run naively (one request per check, one after the other)
and concurrently (bounded thread pool, one LIST per namespace, one batched PromQL query);
prints wall times, their ratio and whether both found exactly the inventory's expected flaws."""

import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests

ENDPOINTS = ("health", "ready", "metrics")
SERVICE_FLAWS = {"no_hsts", "health_500", "slow"}  # visible from the three endpoints
WORKLOAD_FLAWS = {
    "no_probes",
    "no_limits",
    "no_run_as_non_root",
    "latest_tag",
}  # visible in the Deployment
AVAILABILITY = (
    '1 - sum by (service) (increase(http_requests_total{{{sel},code=~"5.."}}[30d])) / '
    "sum by (service) (increase(http_requests_total{{{sel}}}[30d]))"
)


class Client:
    """One requests.Session per thread; the CA goes per request (REQUESTS_CA_BUNDLE overrides a
    Session's verify); counts requests and the slowest one."""

    def __init__(self, inv):
        self.ca, self.local, self.lock = inv["ca"], threading.local(), threading.Lock()
        self.k8s = {"Authorization": f"Bearer {inv['kubernetes']['token']}"}
        self.requests, self.slowest = 0, 0.0

    def get(self, url, **kw):
        self.local.s = getattr(self.local, "s", None) or requests.Session()
        t = time.perf_counter()
        r = self.local.s.get(url, verify=self.ca, timeout=60, **kw)
        with self.lock:
            self.requests, self.slowest = (
                self.requests + 1,
                max(self.slowest, time.perf_counter() - t),
            )
        return r


def service_findings(svc, endpoint, r):
    bad = {
        "health_500" if endpoint == "health" else f"{endpoint}_failed": r.status_code != 200,
        "no_hsts": "Strict-Transport-Security" not in r.headers,
        "slow": r.elapsed.total_seconds() > 1,
    }
    return {(svc["name"], flaw) for flaw, yes in bad.items() if yes}


def deployment_findings(d):
    spec, key, f = (
        d["spec"]["template"]["spec"],
        f"{d['metadata']['namespace']}/{d['metadata']['name']}",
        set(),
    )
    for c in spec["containers"]:
        checks = {
            "no_probes": c.get("livenessProbe") and c.get("readinessProbe"),
            "no_limits": c.get("resources", {}).get("limits"),
            "no_run_as_non_root": c.get("securityContext", {}).get("runAsNonRoot")
            or spec.get("securityContext", {}).get("runAsNonRoot"),
            "latest_tag": ":" in c["image"].rsplit("/", 1)[-1]
            and not c["image"].endswith(":latest"),
        }
        f |= {(key, flaw) for flaw, ok in checks.items() if not ok}
    return f


def slo_findings(r):
    return {
        (m["metric"]["service"], round(float(m["value"][1]), 9)) for m in r.json()["data"]["result"]
    }


def sequential(c, inv):
    f, k8s, prom = set(), inv["kubernetes"]["url"], inv["prometheus"]["url"]
    for s in inv["services"]:
        for e in ENDPOINTS:
            f |= service_findings(s, e, c.get(s[e]))
    for w in inv["kubernetes"]["workloads"]:
        url = f"{k8s}/apis/apps/v1/namespaces/{w['namespace']}/deployments/{w['name']}"
        f |= deployment_findings(c.get(url, headers=c.k8s).json())
    for slo in inv["slos"]:
        f |= slo_findings(
            c.get(
                f"{prom}/api/v1/query",
                params={
                    "query": AVAILABILITY.format(sel=f'service="{slo["service"]}"'),
                    "time": slo["query_time"],
                },
            )
        )
    return f | {(u, "runbook_404") for u in runbook_urls(inv) if c.get(u).status_code != 200}


def concurrent(c, inv, workers):
    k8s, prom = inv["kubernetes"]["url"], inv["prometheus"]["url"]

    def list_namespace(ns, f=frozenset(), cont=None):
        while True:
            body = c.get(
                f"{k8s}/apis/apps/v1/namespaces/{ns}/deployments",
                headers=c.k8s,
                params={"limit": 500, **({"continue": cont} if cont else {})},
            ).json()
            f = f.union(*map(deployment_findings, body["items"]))
            if not (cont := body["metadata"].get("continue")):
                return f

    def slos():
        sel = 'service=~"{}"'.format("|".join(s["service"] for s in inv["slos"]))
        return slo_findings(
            c.get(
                f"{prom}/api/v1/query",
                params={
                    "query": AVAILABILITY.format(sel=sel),
                    "time": inv["prometheus"]["history"]["end"],
                },
            )
        )

    with ThreadPoolExecutor(
        workers
    ) as ex:  # longest first: LISTs and the query, then the many GETs
        futures = [ex.submit(list_namespace, ns) for ns in inv["kubernetes"]["namespaces"]]
        futures += [ex.submit(slos)] if inv["slos"] else []
        futures += [
            ex.submit(lambda s, e: service_findings(s, e, c.get(s[e])), s, e)
            for s in inv["services"]
            for e in ENDPOINTS
        ]
        futures += [
            ex.submit(lambda u: {(u, "runbook_404")} if c.get(u).status_code != 200 else set(), u)
            for u in runbook_urls(inv)
        ]
        return set().union(*(fu.result() for fu in futures))


def runbook_urls(inv):
    return sorted({r["runbook_url"] for r in inv["rules"] if r["runbook_url"]})


def expected(inv):
    return (
        {(s["name"], f) for s in inv["services"] for f in s["flaws"] if f in SERVICE_FLAWS}
        | {
            (f"{w['namespace']}/{w['name']}", f)
            for w in inv["kubernetes"]["workloads"]
            for f in w["flaws"]
            if f in WORKLOAD_FLAWS
        }
        | {(s["service"], round(s["availability"], 9)) for s in inv["slos"]}
        | {(r["runbook_url"], "runbook_404") for r in inv["rules"] if "runbook_404" in r["flaws"]}
    )


def main(out, workers=32):
    inv = json.loads((out / "inventory.json").read_text())
    want, report = expected(inv), {}
    for mode, run in (
        ("concurrent", lambda c: concurrent(c, inv, workers)),
        ("sequential", lambda c: sequential(c, inv)),
    ):
        c, t = Client(inv), time.perf_counter()
        found = run(c)
        report[mode] = {
            "wall_s": round(time.perf_counter() - t, 3),
            "requests": c.requests,
            "slowest_request_s": round(c.slowest, 3),
            "findings": len(found),
            "matches_inventory": found == want,
        }
        if found != want:
            report[mode].update(
                unexpected=sorted(map(str, found - want))[:10],
                missed=sorted(map(str, want - found))[:10],
            )
        print(json.dumps({mode: report[mode]}), flush=True)
    report.update(
        ratio=round(report["sequential"]["wall_s"] / report["concurrent"]["wall_s"], 1),
        workers=workers,
        latency_ms=inv["latency_ms"],
        sizes=inv["sizes"],
    )
    print(json.dumps(report, indent=1))
