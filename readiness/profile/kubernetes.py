"""Profile schema of the kubernetes family: live clusters, manifest sets and the policy."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from readiness.profile.common import Model, check_credential


class KubeCluster(Model):
    """A live cluster, read with the official client (LIST only, never a write).

    Connect with a kubeconfig (``kubeconfig`` file, ``context``), the in-cluster service
    account (``in_cluster: true``), or a direct ``api_url`` with a bearer ``token``.
    """

    name: str
    kubeconfig: str | None = None
    context: str | None = None
    in_cluster: bool = False
    api_url: str | None = None
    token: str | None = None

    _token_length = field_validator("token")(check_credential)
    ca_file: str | None = None
    verify_tls: bool = True
    namespaces: list[str] = []  # empty: every namespace (cluster-wide LISTs)
    # How namespaced kinds are listed: one LIST per namespace, one cluster-wide LIST
    # filtered here, or auto (cluster-wide from 4 namespaces; per namespace if refused).
    list_scope: Literal["auto", "namespace", "cluster"] = "auto"
    timeout: float = Field(15.0, gt=0, le=3600)
    page_size: int = Field(500, ge=1, le=5000)
    max_workers: int = Field(16, ge=1, le=64)

    @model_validator(mode="after")
    def _one_way_in(self) -> KubeCluster:
        ways = [self.api_url is not None, self.in_cluster, self.kubeconfig is not None]
        if sum(ways) > 1:
            raise ValueError("give one of api_url, in_cluster or kubeconfig")
        if self.token is not None and self.api_url is None:
            raise ValueError("token is only used with api_url")
        return self


class ManifestSet(Model):
    """Manifest files: YAML/JSON (multi-document, List kinds, Helm output) and kustomize dirs."""

    name: str
    paths: list[str] = Field(min_length=1)
    namespace: str = "default"  # for objects that name none


class KubernetesTargets(Model):
    """Fields of `targets:` this family reads."""

    kubernetes: list[KubeCluster] = []
    manifests: list[ManifestSet] = []

    @model_validator(mode="after")
    def _unique_names(self) -> KubernetesTargets:
        names = [c.name for c in self.kubernetes] + [m.name for m in self.manifests]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"kubernetes/manifests names must be unique: {', '.join(dupes)}")
        return self


class ProgressiveDelivery(Model):
    """Which services must be released progressively, and how (K8S-PROGRESSIVE-DELIVERY)."""

    #: workloads (name, ns/name, ns/Kind/name or glob) that need a Rollout, Canary or
    #: blue-green Service pair, or `all`; others are judged only when one delivers them
    required: list[str] | Literal["all"] = []
    #: strategies accepted (a Flagger A/B test counts as canary)
    strategies: list[Literal["canary", "blue-green"]] = Field(
        default=["canary", "blue-green"], min_length=1
    )
    #: labels two Services of a blue-green pair differ in (first match wins)
    colour_labels: list[str] = Field(
        default=["color", "colour", "version", "app.kubernetes.io/version", "slot"],
        min_length=1,
    )


class KubernetesPolicy(Model):
    """Thresholds and choices of the Kubernetes checks."""

    min_replicas: int = Field(2, ge=1)
    scalable: list[str] = []  # workloads (name, ns/Kind/name or glob) that need an HPA
    hpa_min_replicas: int = Field(2, ge=1)
    restart_limit: int = Field(3, ge=0)  # restarts of one container within restart_window
    restart_window_minutes: int = Field(60, ge=1)
    pending_minutes: int = Field(5, ge=1)  # a pod Pending longer than this is stuck
    event_window_minutes: int = Field(60, ge=1)
    allowed_registries: list[str] = []  # e.g. ghcr.io/acme/; empty: any registry
    required_labels: list[str] = ["app.kubernetes.io/name", "app.kubernetes.io/version"]
    slow_start_seconds: int = Field(30, ge=0)  # liveness delay from which a startupProbe is due
    min_termination_grace_seconds: int = Field(10, ge=0)
    require_cpu_limit: bool = True
    api_access: list[str] = []  # workloads that may mount a service-account token
    job_history_max: int = Field(10, ge=0)  # K8S-CRONJOB: most finished Jobs kept
    target_version: str = Field("1.31", pattern=r"^1\.\d+$")  # removals checked up to this
    progressive_delivery: ProgressiveDelivery = ProgressiveDelivery()  # K8S-PROGRESSIVE-DELIVERY
    ignore_namespaces: list[str] = ["kube-system", "kube-public", "kube-node-lease"]


class KubernetesSection(Model):
    """Top-level profile sections this family owns."""

    kubernetes: KubernetesPolicy = KubernetesPolicy()
