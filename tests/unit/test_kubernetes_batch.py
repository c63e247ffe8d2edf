"""Jobs, CronJobs and bare Pods: parsed as workloads and judged, on real upstream examples."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from readiness.profile.kubernetes import ManifestSet
from readiness.rules import kubernetes as rules
from readiness.rules import kubernetes_batch as batch
from readiness.rules.kubernetes_model import Inventory, RawObject, Workload, build_inventory
from readiness.sources.manifests import load_manifests

WEBSITE = Path("kubernetes-website/content/en/examples")


def load(*paths: Path) -> Inventory:
    return load_manifests(ManifestSet(name="m", paths=[str(p) for p in paths]))


def messages(findings: list[Any]) -> list[str]:
    return [f.message for f in findings]


@pytest.fixture(scope="module")
def website(realworld_k8s: Path) -> dict[str, Workload]:
    root = realworld_k8s / WEBSITE
    inv = load(
        root / "application/job/cronjob.yaml",
        root / "controllers/job.yaml",
        root / "controllers/job-pod-failure-policy-example.yaml",
        root / "application/job/redis/redis-pod.yaml",
    )
    return {str(w.ref): w for w in inv.workloads}


def test_cronjob_job_and_bare_pod_are_workloads(website: dict[str, Workload]) -> None:
    assert sorted(website) == [
        "default/CronJob/hello",
        "default/Job/job-pod-failure-policy-example",
        "default/Job/pi",
        "default/Pod/redis-master",
    ]
    hello = website["default/CronJob/hello"]
    assert [c.image for c in hello.pod.containers] == ["busybox"]  # the job template's pod
    assert hello.batch is not None and hello.batch.schedule == "*/1 * * * *"
    assert not hello.long_running and website["default/Pod/redis-master"].replicas == 1
    assert website["default/Job/pi"].batch is not None
    assert website["default/Job/pi"].batch.backoff_limit == 4


def test_pod_rules_apply_to_batch_and_bare_pods(website: dict[str, Workload]) -> None:
    hello = website["default/CronJob/hello"]
    (ctx,) = rules.insecure_security_context(hello)
    assert (
        ctx.message == "default/CronJob/hello container 'hello' securityContext is not restricted"
    )
    assert "runAsNonRoot unset" in ctx.found and "allowPrivilegeEscalation unset" in ctx.found
    assert messages(rules.unpinned_tags(hello)) == [
        "default/CronJob/hello container 'hello' image 'busybox' has no tag (means latest)"
    ]
    assert messages(rules.missing_resources(website["default/Job/pi"])) == [
        "default/Job/pi container 'pi' does not set resources requests.cpu, requests.memory, "
        "limits.memory, limits.cpu"
    ]
    redis = website["default/Pod/redis-master"]
    assert messages(rules.unpinned_tags(redis)) == [
        "default/Pod/redis-master container 'master' image 'redis' has no tag (means latest)"
    ]
    assert rules.literal_secrets(redis) == []  # MASTER="true" is no secret


def test_cronjob_practices_on_the_upstream_example(website: dict[str, Workload]) -> None:
    hello = website["default/CronJob/hello"]
    assert messages(batch.cronjob_problems(hello, max_history=10)) == [
        "default/CronJob/hello lets runs overlap",
        "default/CronJob/hello has no startingDeadlineSeconds",
    ]
    assert messages(batch.job_problems(hello)) == [
        "default/CronJob/hello does not bound its retries",
        "default/CronJob/hello has no run-time limit",
    ]


def test_job_practices_on_the_upstream_examples(website: dict[str, Workload]) -> None:
    assert messages(batch.job_problems(website["default/Job/pi"])) == [
        "default/Job/pi has no run-time limit",
        "default/Job/pi is never cleaned up",
    ]
    (deadline, ttl) = batch.job_problems(website["default/Job/job-pod-failure-policy-example"])
    assert deadline.fix == "set spec.activeDeadlineSeconds above the longest normal run"
    assert ttl.expected == "ttlSecondsAfterFinished"


def test_helm_rendered_jobs_of_ingress_nginx(realworld_k8s: Path) -> None:
    """ingress-nginx's deploy.yaml is `helm template` output: two hook Jobs, restricted."""
    inv = load(realworld_k8s / "ingress-nginx/deploy/static/provider/cloud/deploy.yaml")
    jobs = {w.name: w for w in inv.workloads if w.kind == "Job"}
    assert sorted(jobs) == ["ingress-nginx-admission-create", "ingress-nginx-admission-patch"]
    for job in jobs.values():
        assert rules.insecure_security_context(job) == []
        assert rules.unpinned_tags(job) == [] and rules.missing_digests(job) == []
        assert messages(batch.job_problems(job)) == [
            f"ingress-nginx/Job/{job.name} does not bound its retries",
            f"ingress-nginx/Job/{job.name} has no run-time limit",
        ]  # ttlSecondsAfterFinished: 0 is set, so it is cleaned up


def cronjob(**spec: Any) -> dict[str, Any]:
    job_spec = spec.pop("job", {})
    return {
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": "backup", "namespace": "ops"},
        "spec": {
            "schedule": "0 3 * * *",
            "concurrencyPolicy": "Forbid",
            "startingDeadlineSeconds": 300,
            "jobTemplate": {
                "spec": {
                    "backoffLimit": 2,
                    "activeDeadlineSeconds": 3600,
                    "template": {"spec": {"containers": [{"name": "b", "image": "x:1"}]}},
                    **job_spec,
                }
            },
            **spec,
        },
    }


def cron_wl(**spec: Any) -> Workload:
    return build_inventory("t", False, [RawObject(cronjob(**spec))]).workloads[0]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ({}, []),
        ({"concurrencyPolicy": "Replace"}, []),
        ({"concurrencyPolicy": "Allow"}, ["ops/CronJob/backup lets runs overlap"]),
        ({"startingDeadlineSeconds": 5}, ["ops/CronJob/backup startingDeadlineSeconds is 5s"]),
        ({"failedJobsHistoryLimit": 0}, ["ops/CronJob/backup keeps no failed Jobs"]),
        ({"successfulJobsHistoryLimit": 50}, ["ops/CronJob/backup keeps 50 finished Jobs"]),
        ({"schedule": "@hourly"}, []),
        ({"schedule": "*/5 0-6,22-23 * JAN-MAR MON-FRI"}, []),
        (
            {"schedule": "0 3 * *"},
            [
                "ops/CronJob/backup schedule '0 3 * *' is not valid: 4 fields (a cron schedule "
                "has 5: minute hour day month weekday)"
            ],
        ),
        (
            {"schedule": "CRON_TZ=UTC 0 3 * * *"},
            [
                "ops/CronJob/backup schedule 'CRON_TZ=UTC 0 3 * * *' is not valid: a TZ= prefix "
                "in the schedule (use spec.timeZone)"
            ],
        ),
        (
            {"schedule": "@fortnightly"},
            [
                "ops/CronJob/backup schedule '@fortnightly' is not "
                "valid: unknown macro '@fortnightly'"
            ],
        ),
    ],
)
def test_cronjob_rules(spec: dict[str, Any], expected: list[str]) -> None:
    assert messages(batch.cronjob_problems(cron_wl(**spec), max_history=10)) == expected


def test_job_rules_on_a_cronjob_template() -> None:
    assert batch.job_problems(cron_wl()) == []
    unbounded = cron_wl(job={"backoffLimit": None, "activeDeadlineSeconds": None})
    problems = batch.job_problems(unbounded)
    assert messages(problems) == [
        "ops/CronJob/backup does not bound its retries",
        "ops/CronJob/backup has no run-time limit",
    ]
    assert problems[1].found.endswith("and blocks the next ones")  # Forbid + a hung run
    assert problems[0].fix.startswith("set spec.jobTemplate.spec.backoffLimit")


def test_live_jobs_owned_by_a_cronjob_fold_into_it() -> None:
    """A Job its CronJob created is judged as the CronJob; its pods belong to the CronJob."""
    cron = cronjob()
    owned_job = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {
            "name": "backup-29001",
            "namespace": "ops",
            "ownerReferences": [{"kind": "CronJob", "name": "backup", "controller": True}],
        },
        "spec": {"template": {"spec": {"containers": [{"name": "b", "image": "x:1"}]}}},
        "status": {},
    }
    pod = {
        "kind": "Pod",
        "metadata": {
            "name": "backup-29001-xk2",
            "namespace": "ops",
            "ownerReferences": [{"kind": "Job", "name": "backup-29001", "controller": True}],
        },
        "spec": {"containers": [{"name": "b", "image": "x:1"}]},
        "status": {"phase": "Succeeded"},
    }
    inv = build_inventory("c", True, [RawObject(o) for o in (cron, owned_job, pod)])
    assert [str(w.ref) for w in inv.workloads] == ["ops/CronJob/backup"]
    assert [str(p.owner) for p in inv.pods] == ["ops/CronJob/backup"]
