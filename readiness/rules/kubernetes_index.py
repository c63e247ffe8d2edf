"""One index per source over the objects that rules relate to each other.

Rules that relate objects (budgets and autoscalers to workloads, Services and
NetworkPolicies to pods, pods and events to their owner) ask this index instead of
scanning every object for every workload. It is built once per source, by namespace and
by label, so judging a cluster is linear in its objects: a selector with matchLabels
looks at the objects carrying its rarest label pair, not at the whole namespace.

Pure: built from an :class:`Inventory`, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from typing import Generic, TypeVar

from readiness.rules.kubernetes_model import (
    Binding,
    Event,
    Hpa,
    IngressBackend,
    Inventory,
    LabelSelector,
    NetworkPolicy,
    Pdb,
    Pod,
    Ref,
    Service,
    ServiceAccount,
    ServiceMonitor,
    Workload,
)

T = TypeVar("T")


class LabelIndex(Generic[T]):
    """Objects by namespace and by (namespace, label, value), for selector look-ups."""

    def __init__(
        self,
        items: Iterable[T],
        namespace: Callable[[T], str],
        labels: Callable[[T], Mapping[str, str]],
    ) -> None:
        self._labels = labels
        self._by_ns: dict[str, list[T]] = defaultdict(list)
        self._by_pair: dict[tuple[str, str, str], list[T]] = defaultdict(list)
        for item in items:
            ns = namespace(item)
            self._by_ns[ns].append(item)
            for key, value in labels(item).items():
                self._by_pair[(ns, key, value)].append(item)

    def in_namespace(self, namespace: str) -> list[T]:
        return self._by_ns.get(namespace, [])

    def select(self, namespace: str, selector: LabelSelector) -> list[T]:
        """Objects of ``namespace`` whose labels ``selector`` matches (empty: all of them)."""
        if selector.match_labels:
            candidates = min(
                (self._by_pair.get((namespace, k, v), []) for k, v in selector.match_labels),
                key=len,
            )
        else:
            candidates = self.in_namespace(namespace)
        return [c for c in candidates if selector.matches(self._labels(c))]


def service_selector(service: Service) -> LabelSelector:
    return LabelSelector(tuple(sorted(service.selector.items())))


class KubeIndex:
    """Relations between the objects of one source, computed once."""

    def __init__(self, inventory: Inventory) -> None:
        self.inventory = inventory
        inv = inventory
        self.workloads = LabelIndex(inv.workloads, lambda w: w.namespace, lambda w: w.pod_labels)
        self.by_ref: dict[Ref, Workload] = {w.ref: w for w in inv.workloads}
        self._by_name: dict[tuple[str, str], list[Workload]] = defaultdict(list)
        for w in inv.workloads:
            self._by_name[(w.namespace, w.name)].append(w)

        self._pdbs: dict[Ref, list[Pdb]] = defaultdict(list)
        self._pdb_targets: dict[Ref, list[Workload]] = {}
        for pdb in inv.pdbs:
            matched = self.workloads.select(pdb.ref.namespace, pdb.selector)
            self._pdb_targets[pdb.ref] = matched
            if not pdb.selector.empty:
                for w in matched:
                    self._pdbs[w.ref].append(pdb)

        self._hpas: dict[tuple[str, str, str], list[Hpa]] = defaultdict(list)
        for hpa in inv.hpas:
            self._hpas[(hpa.ref.namespace, hpa.target_kind, hpa.target_name)].append(hpa)

        self._policies: dict[Ref, list[NetworkPolicy]] = defaultdict(list)
        self._policies_in: dict[str, list[NetworkPolicy]] = defaultdict(list)
        for policy in inv.network_policies:
            self._policies_in[policy.ref.namespace].append(policy)
            for w in self.workloads.select(policy.ref.namespace, policy.pod_selector):
                self._policies[w.ref].append(policy)

        self._services: dict[Ref, list[Service]] = defaultdict(list)
        self._behind: dict[Ref, list[Workload]] = {}
        for svc in inv.services:
            behind = (
                self.workloads.select(svc.ref.namespace, service_selector(svc))
                if svc.selector
                else []
            )
            self._behind[svc.ref] = behind
            for w in behind:
                self._services[w.ref].append(svc)

        self._ingresses: dict[tuple[str, str], list[IngressBackend]] = defaultdict(list)
        for ing in inv.ingresses:
            for name in ing.services:
                self._ingresses[(ing.ref.namespace, name)].append(ing)

        services = LabelIndex(inv.services, lambda s: s.ref.namespace, lambda s: s.labels)
        all_ns = sorted({s.ref.namespace for s in inv.services})
        self._monitors: dict[Ref, list[ServiceMonitor]] = defaultdict(list)
        for mon in inv.service_monitors:
            if mon.selector.empty:
                continue
            scope = all_ns if mon.any_namespace else list(mon.namespaces) or [mon.ref.namespace]
            for ns in scope:
                for svc in services.select(ns, mon.selector):
                    self._monitors[svc.ref].append(mon)

        self._owned: dict[Ref, list[Pod]] = defaultdict(list)
        self._bare: dict[Ref, Pod] = {}
        for pod in inv.pods:
            if pod.owner is None:
                self._bare[pod.ref] = pod
            else:
                self._owned[pod.owner].append(pod)
        self._unowned = LabelIndex(
            self._bare.values(), lambda p: p.ref.namespace, lambda p: p.labels
        )

        self._accounts: dict[tuple[str, str], ServiceAccount] = {
            (s.ref.namespace, s.ref.name): s for s in inv.service_accounts
        }
        self._bindings: dict[tuple[str, str], list[Binding]] = defaultdict(list)
        for b in inv.bindings:
            for s in b.subjects:
                if s.kind == "ServiceAccount":
                    self._bindings[(s.namespace, s.name)].append(b)

        self._events: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
        for e in inv.events:
            name = e.involved.name
            if e.involved.kind == "ReplicaSet":  # <deployment>-<pod-template-hash>
                name = name.rsplit("-", 1)[0]
            self._events[(e.involved.namespace, e.involved.kind, name)].append(e)

    def __repr__(self) -> str:
        return f"KubeIndex({self.inventory!r})"

    # ------------------------------------------------------------ look-ups

    def named(self, namespace: str, name: str) -> list[Workload]:
        """Workloads of any kind called ``name`` in ``namespace``."""
        return self._by_name.get((namespace, name), [])

    def pdbs_for(self, w: Workload) -> list[Pdb]:
        """Budgets with a non-empty selector that matches the workload's pod labels."""
        return self._pdbs.get(w.ref, [])

    def pdb_targets(self, pdb: Pdb) -> list[Workload]:
        """Workloads of the budget's namespace whose pod template it selects."""
        return self._pdb_targets.get(pdb.ref, [])

    def hpas_for(self, w: Workload) -> list[Hpa]:
        return self._hpas.get((w.namespace, w.kind, w.name), [])

    def hpa_targets(self, hpa: Hpa) -> list[Hpa]:
        """Every autoscaler (this one too) that names the same scale target."""
        return self._hpas.get((hpa.ref.namespace, hpa.target_kind, hpa.target_name), [])

    def policies_for(self, w: Workload) -> list[NetworkPolicy]:
        return self._policies.get(w.ref, [])

    def policies_in(self, namespace: str) -> list[NetworkPolicy]:
        return self._policies_in.get(namespace, [])

    def services_for(self, w: Workload) -> list[Service]:
        return self._services.get(w.ref, [])

    def workloads_behind(self, service: Service) -> list[Workload]:
        return self._behind.get(service.ref, [])

    def ingresses_for(self, services: Iterable[Service]) -> list[IngressBackend]:
        found: dict[Ref, IngressBackend] = {}
        for s in services:
            for ing in self._ingresses.get((s.ref.namespace, s.ref.name), []):
                found[ing.ref] = ing
        return list(found.values())

    def monitors_for(self, service: Service) -> list[ServiceMonitor]:
        return self._monitors.get(service.ref, [])

    def pods_of(self, w: Workload) -> list[Pod]:
        """The workload's pods: by controller owner, else by selector (bare pods: itself)."""
        owned = self._owned.get(w.ref)
        if owned:
            return owned
        if w.kind == "Pod":
            bare = self._bare.get(w.ref)
            return [bare] if bare is not None else []
        if w.selector.empty:
            return []
        return self._unowned.select(w.namespace, w.selector)

    def service_account(self, w: Workload) -> ServiceAccount | None:
        return self._accounts.get((w.namespace, w.pod.service_account))

    def bindings_for(self, w: Workload) -> list[Binding]:
        """Bindings that name the workload's ServiceAccount as a subject."""
        return self._bindings.get((w.namespace, w.pod.service_account), [])

    def events_about(self, w: Workload, pods: Iterable[Pod]) -> list[Event]:
        """Events about the workload, its ReplicaSets or its pods."""
        keys = [(w.namespace, w.kind, w.name), (w.namespace, "ReplicaSet", w.name)]
        keys += [(p.ref.namespace, "Pod", p.ref.name) for p in pods]
        return [e for k in keys for e in self._events.get(k, [])]
