"""Controls of the Kubernetes family: workloads from live clusters and manifest files."""

from readiness.controls.model import Control, Severity

_F = "kubernetes"

CONTROLS = (
    Control(
        "K8S-PROBES",
        "Containers have readiness and liveness probes",
        _F,
        Severity.HIGH,
        "Without a readinessProbe traffic reaches pods that cannot serve; without a "
        "livenessProbe a hung process is never restarted; a slow starter without a "
        "startupProbe is killed by its livenessProbe before it is up.",
        "Add readinessProbe and livenessProbe to every container (a startupProbe too when "
        "the liveness delay is long); probe a cheap health endpoint.",
        ("SOC 2 CC7.2", "Kubernetes docs: Configure Liveness, Readiness and Startup Probes"),
    ),
    Control(
        "K8S-RESOURCES",
        "Containers set CPU and memory requests and limits",
        _F,
        Severity.HIGH,
        "Requests drive scheduling; without them pods are packed onto nodes that cannot "
        "hold them. A missing memory limit lets one pod starve its neighbours.",
        "Set resources.requests.cpu/memory and resources.limits.memory (and cpu when the "
        "profile asks for it) on every container.",
        (
            "NIST SP 800-53 SC-6",
            "SOC 2 A1.1",
            "Kubernetes docs: Resource Management for Pods and Containers",
        ),
    ),
    Control(
        "K8S-SECURITY-CONTEXT",
        "Containers run non-root, unprivileged, read-only, without capabilities",
        _F,
        Severity.HIGH,
        "A compromised container that runs as root, may escalate privileges, writes its "
        "root filesystem or keeps Linux capabilities is a short step from the node.",
        "Set runAsNonRoot: true, allowPrivilegeEscalation: false, "
        "readOnlyRootFilesystem: true, capabilities.drop: [ALL] and never privileged: true.",
        (
            "CIS Kubernetes Benchmark 5.2.2",
            "CIS Kubernetes Benchmark 5.2.6",
            "CIS Kubernetes Benchmark 5.2.7",
            "CIS Kubernetes Benchmark 5.2.9",
            "CIS Kubernetes Benchmark 5.7.3",
            "NIST SP 800-53 AC-6",
            "NIST SP 800-53 CM-7",
            "Kubernetes Pod Security Standards (restricted)",
        ),
    ),
    Control(
        "K8S-HOST-NAMESPACES",
        "Pods do not share host namespaces or mount host paths",
        _F,
        Severity.CRITICAL,
        "hostNetwork, hostPID, hostIPC, hostPath volumes and hostPorts break the isolation "
        "between a pod and its node.",
        "Remove hostNetwork/hostPID/hostIPC, hostPort and hostPath volumes; use a Service, "
        "emptyDir or a PersistentVolumeClaim instead.",
        (
            "CIS Kubernetes Benchmark 5.2.3",
            "CIS Kubernetes Benchmark 5.2.4",
            "CIS Kubernetes Benchmark 5.2.5",
            "CIS Kubernetes Benchmark 5.2.12",
            "CIS Kubernetes Benchmark 5.2.13",
            "NIST SP 800-53 SC-39",
            "Kubernetes Pod Security Standards (restricted)",
        ),
    ),
    Control(
        "K8S-IMAGE-TAG",
        "Images name an explicit tag other than latest",
        _F,
        Severity.HIGH,
        "An untagged or :latest image changes under the same manifest: rollbacks and "
        "audits cannot tell what ran.",
        "Reference images by an immutable version tag (or a digest).",
        ("NIST SP 800-53 CM-2", "SOC 2 CC8.1", "Kubernetes docs: Images - best practices"),
    ),
    Control(
        "K8S-IMAGE-DIGEST",
        "Images are pinned by digest",
        _F,
        Severity.LOW,
        "Tags can be moved; only a digest names exactly the bytes that were tested and signed.",
        "Reference images as name:tag@sha256:<digest>.",
        (
            "NIST SP 800-53 SI-7",
            "NIST SP 800-53 CM-2",
            "Kubernetes docs: Security Checklist - Images",
        ),
    ),
    Control(
        "K8S-IMAGE-REGISTRY",
        "Images come from allowed registries",
        _F,
        Severity.HIGH,
        "Images pulled from arbitrary registries bypass scanning, signing and retention.",
        "Mirror the image into one of the registries the profile allows "
        "(kubernetes.allowed_registries).",
        (
            "CIS Kubernetes Benchmark 5.5.1",
            "NIST SP 800-53 CM-7(5)",
            "Kyverno policies: Restrict Image Registries",
        ),
    ),
    Control(
        "K8S-REPLICAS",
        "Workloads run enough replicas",
        _F,
        Severity.HIGH,
        "A single replica is an outage on every node drain, eviction or crash.",
        "Run at least kubernetes.min_replicas replicas (spec.replicas, or the HPA's minReplicas).",
        ("SOC 2 A1.1", "Google SRE Book ch. 26"),
    ),
    Control(
        "K8S-PDB",
        "A PodDisruptionBudget protects each multi-replica workload",
        _F,
        Severity.MEDIUM,
        "Without a PodDisruptionBudget a node drain may evict every replica at once; a "
        "budget that allows no disruption blocks node maintenance.",
        "Add a PodDisruptionBudget selecting the pods with maxUnavailable: 1 (or a "
        "minAvailable below the replica count).",
        (
            "NIST SP 800-53 SC-6",
            "SOC 2 A1.1",
            "Kubernetes docs: Specifying a Disruption Budget",
        ),
    ),
    Control(
        "K8S-HPA",
        "Scalable services have a HorizontalPodAutoscaler",
        _F,
        Severity.MEDIUM,
        "Services the profile marks scalable must follow their load; an HPA with "
        "minReplicas 1 scales a service down to a single point of failure.",
        "Add a HorizontalPodAutoscaler targeting the workload with minReplicas >= "
        "kubernetes.hpa_min_replicas.",
        (
            "NIST SP 800-53 SC-5(2)",
            "SOC 2 A1.1",
            "Kubernetes docs: Horizontal Pod Autoscaling",
        ),
    ),
    Control(
        "K8S-SPREAD",
        "Replicas are spread across nodes or zones",
        _F,
        Severity.MEDIUM,
        "Replicas scheduled onto one node or zone fail together.",
        "Add topologySpreadConstraints (topologyKey kubernetes.io/hostname or "
        "topology.kubernetes.io/zone) or a podAntiAffinity on the pod labels.",
        (
            "NIST SP 800-53 SC-36",
            "SOC 2 A1.2",
            "Kubernetes docs: Pod Topology Spread Constraints",
        ),
    ),
    Control(
        "K8S-NETWORK-POLICY",
        "Workloads are selected by a NetworkPolicy",
        _F,
        Severity.MEDIUM,
        "Pods no NetworkPolicy selects accept traffic from anywhere in the cluster.",
        "Add a NetworkPolicy whose podSelector matches the workload's pod labels and "
        "allows only the traffic it needs.",
        (
            "CIS Kubernetes Benchmark 5.3.2",
            "NIST SP 800-53 SC-7",
            "Kubernetes docs: Network Policies",
        ),
    ),
    Control(
        "K8S-DEFAULT-DENY",
        "Each namespace has a default-deny NetworkPolicy",
        _F,
        Severity.MEDIUM,
        "Allow-lists only protect pods when everything else is denied by default.",
        "Add a NetworkPolicy with podSelector: {} and policyTypes [Ingress, Egress] and no "
        "rules to each namespace.",
        (
            "CIS Kubernetes Benchmark 5.3.2",
            "NIST SP 800-53 SC-7",
            "NIST SP 800-53 AC-4",
            "Kubernetes docs: Network Policies - Default policies",
        ),
    ),
    Control(
        "K8S-SA-TOKEN",
        "Service-account tokens are mounted only where the API is used",
        _F,
        Severity.LOW,
        "A mounted token is a credential an attacker inside the pod can use against the "
        "API server.",
        "Set automountServiceAccountToken: false on the pod (or its ServiceAccount) "
        "unless the workload calls the Kubernetes API.",
        (
            "CIS Kubernetes Benchmark 5.1.6",
            "NIST SP 800-53 AC-6",
            "Kubernetes docs: Configure Service Accounts for Pods - opt out of automounting",
        ),
    ),
    Control(
        "K8S-RBAC",
        "RBAC grants no wildcards and no cluster-admin to service accounts",
        _F,
        Severity.HIGH,
        "Wildcard verbs or resources grant future permissions nobody reviewed; "
        "cluster-admin on a service account hands the cluster to whoever owns the pod.",
        "Name the verbs and resources a Role needs; bind service accounts to narrow Roles, "
        "never to cluster-admin.",
        (
            "CIS Kubernetes Benchmark 5.1.1",
            "CIS Kubernetes Benchmark 5.1.3",
            "NIST SP 800-53 AC-6",
            "SOC 2 CC6.3",
            "Kubernetes docs: Role Based Access Control Good Practices",
        ),
    ),
    Control(
        "K8S-ENV-SECRETS",
        "No secret values written literally in env",
        _F,
        Severity.CRITICAL,
        "A password in a manifest or pod spec is readable by anyone who can read the "
        "workload, and lives on in git history.",
        "Move the value to a Secret and reference it with valueFrom.secretKeyRef; rotate "
        "the exposed credential.",
        (
            "CIS Kubernetes Benchmark 5.4.1",
            "NIST SP 800-53 IA-5(7)",
            "Kubernetes docs: Good practices for Kubernetes Secrets",
        ),
    ),
    Control(
        "K8S-CRONJOB",
        "CronJobs neither overlap, nor miss runs silently, nor hoard history",
        _F,
        Severity.MEDIUM,
        "With concurrencyPolicy Allow a slow run overlaps the next; without "
        "startingDeadlineSeconds a controller that missed 100 schedules stops starting the "
        "CronJob; failedJobsHistoryLimit 0 deletes the evidence of failures; a malformed "
        "schedule never runs.",
        "Set concurrencyPolicy: Forbid (or Replace), startingDeadlineSeconds >= 10, "
        "failedJobsHistoryLimit >= 1, history limits <= kubernetes.job_history_max, and a "
        "valid 5-field schedule.",
        (
            "NIST SP 800-53 CM-6",
            "SOC 2 CC7.1",
            "Kubernetes docs: CronJob limitations",
            "datree: CRONJOB_MISSING_CONCURRENCYPOLICY_KEY",
        ),
    ),
    Control(
        "K8S-JOB",
        "Jobs bound their retries and run time and are cleaned up",
        _F,
        Severity.MEDIUM,
        "A Job without activeDeadlineSeconds can hang forever (and with Forbid block every "
        "later run of its CronJob); an implicit backoffLimit retries 6 times; finished Jobs "
        "without ttlSecondsAfterFinished stay with their pods.",
        "Set backoffLimit and activeDeadlineSeconds on every Job (and CronJob job template) "
        "and ttlSecondsAfterFinished on standalone Jobs.",
        (
            "NIST SP 800-53 CM-6",
            "NIST SP 800-53 SC-6",
            "SOC 2 CC7.1",
            "Kubernetes docs: Jobs - Job termination and cleanup",
        ),
    ),
    Control(
        "K8S-HPA-TARGET",
        "Each autoscaler targets an existing, scalable workload of its own",
        _F,
        Severity.HIGH,
        "An autoscaler whose scaleTargetRef names a missing workload scales nothing; one "
        "that names a different workload than its name says scales the wrong one; two "
        "autoscalers on one workload fight over its replica count.",
        "Point scaleTargetRef at the Deployment or StatefulSet the autoscaler is named "
        "after, and keep one autoscaler per workload.",
        (
            "NIST SP 800-53 SC-5(2)",
            "SOC 2 A1.1",
            "Kubernetes docs: Horizontal Pod Autoscaling",
            "kube-score: horizontalpodautoscaler-has-target",
        ),
    ),
    Control(
        "K8S-PDB-SELECTOR",
        "Each PodDisruptionBudget selects one workload's pods",
        _F,
        Severity.MEDIUM,
        "A budget whose selector matches no pod template protects nothing (often after a "
        "label rename); one matching every pod of its namespace, or overlapping another "
        "budget, blocks evictions and node drains.",
        "Make spec.selector match exactly the pod labels of the workload to protect.",
        (
            "NIST SP 800-53 SC-6",
            "SOC 2 A1.1",
            "Kubernetes docs: Specifying a Disruption Budget",
            "kube-score: poddisruptionbudget-has-policy",
        ),
    ),
    Control(
        "K8S-DUPLICATE-OBJECT",
        "No object is declared twice",
        _F,
        Severity.HIGH,
        "Two definitions of one kind/namespace/name (in one manifest set or across sets) "
        "replace each other on apply: whichever is applied last silently wins.",
        "Keep one definition of each object; rename or remove the copy.",
        ("NIST SP 800-53 CM-2", "SOC 2 CC8.1", "kubeconform / kubectl apply semantics"),
    ),
    Control(
        "K8S-DEPRECATED-API",
        "No deprecated or removed API versions",
        _F,
        Severity.HIGH,
        "Objects written against a removed API version fail to apply after the cluster upgrade.",
        "Migrate the object to the replacement apiVersion named in the finding.",
        ("NIST SP 800-53 SA-22", "SOC 2 CC8.1", "Kubernetes Deprecated API Migration Guide"),
    ),
    Control(
        "K8S-GRACEFUL-SHUTDOWN",
        "Pods shut down gracefully",
        _F,
        Severity.MEDIUM,
        "A pod killed before it drains drops in-flight requests; behind a load balancer "
        "traffic keeps arriving until the endpoint is removed.",
        "Give terminationGracePeriodSeconds >= kubernetes.min_termination_grace_seconds "
        "and a preStop hook (a short sleep) on containers behind a load balancer.",
        ("NIST SP 800-53 CM-6", "SOC 2 CC8.1", "Kubernetes docs: Termination of Pods"),
    ),
    Control(
        "K8S-MONITORING",
        "Every Service is scraped for metrics",
        _F,
        Severity.MEDIUM,
        "A service nobody scrapes cannot be alerted on or held to an SLO.",
        "Add a ServiceMonitor selecting the Service (or prometheus.io/scrape annotations).",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "Prometheus Operator: ServiceMonitor"),
    ),
    Control(
        "K8S-SERVICE-SELECTOR",
        "Every Service selects a workload",
        _F,
        Severity.MEDIUM,
        "A Service whose selector matches no pod template has no endpoints: clients get "
        "connection errors, usually after a label was renamed on one side only.",
        "Make spec.selector match the pod template labels of the workload behind it, or "
        "remove the Service.",
        ("NIST SP 800-53 CM-2", "SOC 2 CC8.1", "kube-score: service-targets-pod"),
    ),
    Control(
        "K8S-LABELS",
        "Workloads carry the recommended labels",
        _F,
        Severity.LOW,
        "Recommended labels let dashboards, cost reports and incident tooling find the "
        "application and version of every object.",
        "Add the labels the profile requires (kubernetes.required_labels), e.g. "
        "app.kubernetes.io/name and app.kubernetes.io/version.",
        ("NIST SP 800-53 CM-8", "Kubernetes docs: Recommended Labels"),
    ),
    Control(
        "K8S-PROGRESSIVE-DELIVERY",
        "Released services are delivered by canary or blue-green",
        _F,
        Severity.HIGH,
        'The practices ask for "Blue-green deployment configured" and "Automated canary '
        'deployments": a new version first takes a slice of traffic (canary steps) or '
        "stands beside the old one until switched (blue-green), so a bad release reaches "
        "few users and is undone by moving traffic back. Judged for the services "
        "kubernetes.progressive_delivery.required names, and for every service an Argo "
        "Rollout, a Flagger Canary or a blue-green Service pair delivers.",
        "Install Argo Rollouts or Flagger and declare a Rollout (canary steps, or blueGreen "
        "with activeService and previewService; workloadRef for an existing Deployment) or "
        "a Canary whose targetRef names the workload, or declare two Services selecting the "
        "app by colour/version label.",
        (
            "SOC 2 CC8.1",
            "NIST SP 800-53 CM-3",
            "Argo Rollouts docs: Canary, BlueGreen, Workload Referencing",
            "Flagger docs: Deployment Strategies",
        ),
    ),
    Control(
        "K8S-ROLLOUT-ANALYSIS",
        "Progressive releases are analysed and abort on failure",
        _F,
        Severity.MEDIUM,
        'An "Automated canary deployment" promotes or rolls back on measurements, not on '
        "someone watching: an Argo Rollout needs an analysis (steps, background or "
        "pre/post-promotion) whose AnalysisTemplate metrics can fail (successCondition or "
        "failureCondition, failureLimit not -1); a Flagger Canary needs an analysis with "
        "metric thresholdRanges or gating webhooks counted against its threshold, and must "
        "not skip it. abortScaleDownDelaySeconds only says what follows an abort, so it is "
        "no abort condition. Medium: a manually promoted canary still limits the blast "
        "radius; raise the gate to block on it.",
        "Reference an AnalysisTemplate from steps[].analysis or strategy.canary.analysis "
        "(blueGreen: prePromotionAnalysis) with a successCondition and failureLimit; on a "
        "Canary set analysis.threshold and metrics with thresholdRange.",
        (
            "SOC 2 CC8.1",
            "NIST SP 800-53 CM-3(2)",
            "NIST SP 800-53 SI-4",
            "Argo Rollouts docs: Analysis & Progressive Delivery",
            "Flagger docs: Metrics Analysis, Webhooks",
        ),
    ),
    Control(
        "K8S-ROLLOUT",
        "The rollout is complete",
        _F,
        Severity.CRITICAL,
        "A workload whose controller has not observed its spec, or whose updated, ready "
        "and desired replicas differ, is still rolling out or stuck.",
        "Wait for `kubectl rollout status`, or investigate the stuck rollout (events, pod "
        "status) and roll back.",
        ("SOC 2 CC8.1", "Kubernetes docs: Deployment status"),
    ),
    Control(
        "K8S-POD-HEALTH",
        "No pods crash-looping, failing to pull or stuck Pending",
        _F,
        Severity.CRITICAL,
        "CrashLoopBackOff, ImagePullBackOff and long Pending pods mean the workload is not "
        "serving with its intended capacity.",
        "Read the pod's events and logs; fix the image reference, the crash or the "
        "scheduling constraint (resources, node selector, PVC).",
        ("SOC 2 CC7.2", "NIST SP 800-53 SI-4", "Kubernetes docs: Debug Pods"),
    ),
    Control(
        "K8S-RESTARTS",
        "Containers are not restarting",
        _F,
        Severity.HIGH,
        "Repeated restarts within the last hour are an outage in slow motion.",
        "Read the previous container logs (kubectl logs --previous) and fix the crash or "
        "the failing liveness probe.",
        ("SOC 2 CC7.2", "Kubernetes docs: Debug Running Pods"),
    ),
    Control(
        "K8S-NODES",
        "All nodes are Ready and without pressure",
        _F,
        Severity.HIGH,
        "A release onto a cluster with NotReady nodes runs with less capacity than "
        "planned and may not reschedule.",
        "Investigate the node conditions (kubectl describe node); cordon and replace "
        "unhealthy nodes before releasing.",
        ("SOC 2 CC7.2", "Kubernetes docs: Node status"),
    ),
)
