"""The Kubernetes sources of a profile, read once, and the check targets they yield.

A target is a :class:`Case`: a workload (`ns/Kind/name`), a Service, a namespace or a
whole source. A source that could not be read (or a kind it could not list) yields a
case named after it whose checks end as *error*. Each source's relations are indexed
once (:class:`KubeIndex`). Cases and sources have one-line reprs: pytest prints the
arguments of a check that errs, and must never spell out a cluster's inventory.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from readiness import clock
from readiness.errors import SourceError
from readiness.profile.kubernetes import KubeCluster, ManifestSet
from readiness.profile.model import Profile
from readiness.rules.kubernetes import namespaces_with_workloads
from readiness.rules.kubernetes_delivery import DeliveryIndex, named
from readiness.rules.kubernetes_delivery_model import Canary, Rollout
from readiness.rules.kubernetes_index import KubeIndex
from readiness.rules.kubernetes_model import (
    WORKLOAD_KINDS,
    Hpa,
    Inventory,
    Pdb,
    Ref,
    Service,
    Workload,
    hide_source_errors,
)
from readiness.sources.manifests import load_manifests
from readiness.sources.run import gather, run_context

__tracebackhide__ = hide_source_errors  # a source's error needs no traceback


@dataclass(frozen=True, repr=False)
class KubeSource:
    name: str
    live: bool
    now: dt.datetime
    loaded: Inventory | None = None
    error: SourceError | None = None
    stats: dict[str, Any] = field(default_factory=dict)
    index: KubeIndex | None = field(default=None, compare=False)
    delivery: DeliveryIndex | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        if self.loaded is not None and self.index is None:
            object.__setattr__(self, "index", KubeIndex(self.loaded))
        if self.loaded is not None and self.delivery is None:
            object.__setattr__(self, "delivery", DeliveryIndex(self.loaded))

    def __repr__(self) -> str:
        state = "error" if self.error is not None else repr(self.loaded)
        return f"KubeSource({self.name!r}, {state})"

    @property
    def inventory(self) -> Inventory:
        if self.error is not None:
            raise SourceError(self.error.target, self.error.reason) from None
        assert self.loaded is not None
        return self.loaded

    @property
    def related(self) -> KubeIndex:
        """The source's relation index (raises the source's error when it was not read)."""
        _ = self.inventory
        assert self.index is not None
        return self.index

    def describe(self) -> dict[str, Any]:
        about: dict[str, Any] = {"source": self.name, "live": self.live, **self.stats}
        if self.loaded is not None and self.loaded.ignored:
            about["ignored_kinds"] = self.loaded.ignored
        if self.loaded is not None and self.loaded.absent_crds:
            about["absent_crds"] = list(self.loaded.absent_crds)
        return about


@dataclass(frozen=True, repr=False)
class Case:
    """One target: a workload, a service, an autoscaler, a budget, a namespace or a source."""

    source: KubeSource
    workload: Workload | None = None
    service: Service | None = None
    namespace: str = ""
    error: SourceError | None = None
    hpa: Hpa | None = None
    pdb: Pdb | None = None
    rollout: Rollout | None = None  # an Argo Rollout running its own pod template
    canary: Canary | None = None  # a Flagger Canary whose target the source lacks
    missing: str = ""  # a required service no source holds

    def __repr__(self) -> str:
        target = next(
            (
                str(t)
                for t in (
                    self.workload and self.workload.ref,
                    self.service and self.service.ref,
                    self.hpa and self.hpa.ref,
                    self.pdb and self.pdb.ref,
                    self.rollout and self.rollout.ref,
                    self.canary and self.canary.ref,
                    self.missing,
                    self.namespace,
                )
                if t
            ),
            "source",
        )
        return f"Case({target} in {self.source.name!r})"

    @property
    def inventory(self) -> Inventory:
        if self.error is not None:
            raise SourceError(self.error.target, self.error.reason) from None
        return self.source.inventory

    @property
    def related(self) -> KubeIndex:
        _ = self.inventory
        return self.source.related

    @property
    def delivered(self) -> DeliveryIndex:
        """The source's progressive-delivery index (raises the source's error if unread)."""
        _ = self.inventory
        assert self.source.delivery is not None
        return self.source.delivery

    @property
    def wl(self) -> Workload:
        inv = self.inventory
        assert self.workload is not None, inv.source
        return self.workload


def _read_manifests(ms: ManifestSet, base: Path) -> KubeSource:
    now = clock.now()
    try:
        inv = load_manifests(ms, base)
    except SourceError as exc:
        return KubeSource(ms.name, False, now, error=exc)
    return KubeSource(ms.name, False, now, inv, stats={"paths": ms.paths})


def _read_cluster(cluster: KubeCluster) -> KubeSource:
    now = clock.now()
    try:
        from readiness.sources.kubernetes import collect_cluster  # the client: live only

        inv, stats = collect_cluster(cluster)
    except SourceError as exc:
        return KubeSource(cluster.name, True, now, error=exc)
    return KubeSource(
        cluster.name,
        True,
        now,
        inv,
        stats={
            "list_requests": stats.requests,
            "objects": stats.objects,
            "collect_seconds": round(stats.seconds, 3),
            "namespaces": cluster.namespaces or "all",
        },
    )


def load_sources(profile: Profile) -> list[KubeSource]:
    """Read every cluster and manifest set of the profile once per run, concurrently.

    Failures are kept as sources with an error, so their checks end as *error*. A read
    begun early (:func:`start_loading`) is waited for, not repeated.
    """
    key = ("kubernetes-sources", str(id(profile)))
    # The profile is kept with its sources: its id stays its own for the run.
    _, loaded = run_context().once(key, lambda: (profile, _load_sources(profile)))
    return loaded  # type: ignore[no-any-return]


def start_loading(profile: Profile) -> threading.Thread | None:
    """Begin reading the profile's clusters and manifests in the background (while pytest
    imports and collects the checks); None when it has none."""
    if not (profile.targets.kubernetes or profile.targets.manifests):
        return None
    if profile.targets.kubernetes:  # the client and its HTTP stack load here, in the main
        # thread: imported by the reader, they would race pytest's imports of the checks
        importlib.import_module("readiness.sources.kubernetes")
    reader = threading.Thread(
        target=_quietly, args=(profile,), name="readiness-kubernetes", daemon=True
    )
    reader.start()
    return reader


def _quietly(profile: Profile) -> None:
    """Any error stays in the run's cache and reaches the first check that asks."""
    with contextlib.suppress(Exception):
        load_sources(profile)


def _load_sources(profile: Profile) -> list[KubeSource]:
    base = Path(profile.path).parent if profile.path else Path.cwd()
    readers: list[Callable[[], KubeSource]] = [
        *(partial(_read_manifests, ms, base) for ms in profile.targets.manifests),
        *(partial(_read_cluster, c) for c in profile.targets.kubernetes),
    ]
    loaded: list[KubeSource] = []
    for result in gather(lambda read: read(), readers, max_workers=4):
        if isinstance(result, Exception):  # a bug, not a source failure: surface it
            raise result
        loaded.append(result)
    return loaded


def unique_ids(pairs: list[tuple[str, Case]]) -> list[tuple[str, Case]]:
    seen: set[str] = set()
    out: list[tuple[str, Case]] = []
    for ident, case in pairs:
        if ident in seen:
            ident = f"{ident}@{case.source.name}"
        seen.add(ident)
        out.append((ident, case))
    return out


def workload_cases(srcs: Sequence[KubeSource], ignore: Sequence[str]) -> Iterator[tuple[str, Case]]:
    for src in srcs:
        if src.error is not None or src.loaded is None:
            yield src.name, Case(src, error=src.error)
            continue
        kinds = (*WORKLOAD_KINDS, "Pod")  # bare pods are workloads too
        failed = [k for k in kinds if k in src.loaded.missing]
        if len(failed) == len(kinds):  # nothing to enumerate: the source is down
            yield src.name, Case(src, error=src.loaded.missing[failed[0]])
            continue
        for kind in failed:
            yield f"{src.name}/{kind}", Case(src, error=src.loaded.missing[kind])
        for w in src.loaded.workloads:
            if w.namespace not in ignore:
                yield str(w.ref), Case(src, workload=w)


def service_cases(srcs: Sequence[KubeSource], ignore: Sequence[str]) -> Iterator[tuple[str, Case]]:
    for src in srcs:
        if src.loaded is None or "Service" in src.loaded.missing:
            error = src.error or (src.loaded.missing["Service"] if src.loaded else None)
            yield src.name, Case(src, error=error)
            continue
        for s in src.loaded.services:
            if s.ref.namespace not in ignore:
                yield str(s.ref), Case(src, service=s)


def namespace_cases(
    srcs: Sequence[KubeSource], ignore: Sequence[str]
) -> Iterator[tuple[str, Case]]:
    for src in srcs:
        if src.loaded is None or "NetworkPolicy" in src.loaded.missing:
            error = src.error or (src.loaded.missing["NetworkPolicy"] if src.loaded else None)
            yield src.name, Case(src, error=error)
            continue
        for ns in namespaces_with_workloads(src.loaded, ignore):
            yield ns, Case(src, namespace=ns)


def object_cases(
    srcs: Sequence[KubeSource], ignore: Sequence[str], kind: str
) -> Iterator[tuple[str, Case]]:
    """HorizontalPodAutoscalers or PodDisruptionBudgets as targets of their own."""
    for src in srcs:
        if src.loaded is None or kind in src.loaded.missing:
            error = src.error or (src.loaded.missing[kind] if src.loaded else None)
            yield src.name, Case(src, error=error)
            continue
        if kind == "HorizontalPodAutoscaler":
            for h in src.loaded.hpas:
                if h.ref.namespace not in ignore:
                    yield str(h.ref), Case(src, hpa=h)
        else:
            for p in src.loaded.pdbs:
                if p.ref.namespace not in ignore:
                    yield str(p.ref), Case(src, pdb=p)


def delivery_cases(
    srcs: Sequence[KubeSource], ignore: Sequence[str], required: Sequence[str] = ()
) -> Iterator[tuple[str, Case]]:
    """Released services: long-running workloads, and Rollouts running their own template.

    A Rollout whose ``workloadRef`` names a workload of the source is judged as that
    workload; one naming a workload the source lacks is a target of its own, and so is a
    Canary whose ``targetRef`` the source lacks. A name in
    ``required`` (not a glob) that no source holds is a target too: a required service
    that cannot be found is not delivered.
    """
    seen: list[Ref] = []
    for src in srcs:
        for ident, case in workload_cases([src], ignore):
            if case.workload is None or case.workload.long_running:
                yield ident, case
        if src.loaded is None or src.delivery is None:
            continue
        seen += [w.ref for w in src.loaded.workloads if w.long_running]
        seen += [r.ref for r in src.loaded.rollouts] + [c.ref for c in src.loaded.canaries]
        for r in src.loaded.rollouts:
            if r.namespace in ignore:
                continue
            if r.workload_ref is None or not src.delivery.has_workload(r.workload_ref):
                yield str(r.ref), Case(src, rollout=r)
        for c in src.loaded.canaries:
            if c.ref.namespace not in ignore and not src.delivery.has_workload(c.target):
                yield str(c.ref), Case(src, canary=c)
    loaded = [s for s in srcs if s.loaded is not None]
    if not loaded:
        return
    for name in required:
        if not any(c in name for c in "*?[") and not any(named(ref, [name]) for ref in seen):
            yield name, Case(loaded[0], missing=name)
