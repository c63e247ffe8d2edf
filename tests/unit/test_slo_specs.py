"""SLO specs: native, OpenSLO, Sloth and Pyrra files into one model; clear errors."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from readiness.profile.slo import SloPolicy, SloSection, SloSpec
from readiness.rules.slo_model import parse_duration
from readiness.sources.slo_specs import SpecError, from_native, load_file, normalise_query

DATA = Path(__file__).parent.parent / "data" / "slo"


@pytest.mark.parametrize(
    ("path", "fmt", "ids", "target", "window"),
    [
        (
            "sloth/examples/getting-started.yml",
            "sloth",
            ["myservice/requests-availability"],
            0.999,
            "30d",
        ),
        (
            "sloth/examples/k8s-getting-started.yml",
            "sloth",
            ["myservice/requests-availability"],
            0.999,
            "30d",
        ),
        (
            "sloth/examples/kubernetes-apiserver.yml",
            "sloth",
            ["k8s-apiserver/requests-availability", "k8s-apiserver/requests-latency"],
            0.999,
            "30d",
        ),
        ("sloth/examples/no-alerts.yml", "sloth", ["myapp/http-availability"], 0.9999, "30d"),
        (
            "go-sdk/pkg/openslo/v1alpha/examples/slos.yaml",
            "openslo",
            ["web/web-latency-threshold", "web/web-availability-ratio"],
            0.98,
            "1w",
        ),
        (
            "openslo/examples/budgeting-method/occurences-slo.yaml",
            "openslo",
            ["web-shop/search-slo"],
            0.99,
            "2w",
        ),
        (
            "pyrra/examples/caddy-response-latency.yaml",
            "pyrra",
            ["caddy-response-latency/caddy-response-latency"],
            0.9,
            "4w",
        ),
        (
            "pyrra/examples/kubernetes/manifests/slos/slo-coredns-response-errors.yaml",
            "pyrra",
            ["monitoring/coredns-response-errors"],
            0.9999,
            "2w",
        ),
    ],
)
def test_realworld_specs_load(
    path: str, fmt: str, ids: list[str], target: float, window: str
) -> None:
    spec = load_file(DATA / path)
    assert spec.format == fmt
    assert [o.id for o in spec.objectives] == ids
    assert spec.objectives[0].target == pytest.approx(target)
    assert spec.objectives[0].window == parse_duration(window)


def test_sloth_details() -> None:
    (o,) = load_file(DATA / "sloth/examples/getting-started.yml").objectives
    assert o.sli.bad is not None and "{{.window}}" in o.sli.bad
    assert o.alerting.name == "MyServiceHighErrorRate" and o.alerting.page
    (quiet,) = load_file(DATA / "sloth/examples/no-alerts.yml").objectives
    assert not quiet.alerting.page and not quiet.alerting.ticket


def test_openslo_budgeting_and_counters(tmp_path: Path) -> None:
    # oslo's v1 input without the `op` it rejects (see test_slo_openslo.py)
    valid = tmp_path / "v1.yaml"
    text = (DATA / "oslo/test/inputs/validate/v1.yaml").read_text()
    valid.write_text(
        text.replace("        op: gt\n", "").replace("name: example service", "name: x")
    )
    (o,) = load_file(valid).objectives
    assert o.budgeting == "timeslices"
    assert o.timeslice_target == pytest.approx(0.95) and o.timeslice_window == 60
    assert o.sli.good == (
        'sum(rate(http_requests{k8s_cluster="prod",component="web",code=~"2xx|4xx"}[{{.window}}]))'
    )
    (th,) = load_file(DATA / "openslo/examples/budgeting-method/occurences-slo.yaml").objectives
    assert "thresholdMetric" in th.unsupported
    _, ratio = load_file(DATA / "go-sdk/pkg/openslo/v1alpha/examples/slos.yaml").objectives
    assert ratio.budgeting == "timeslices" and ratio.timeslice_target == pytest.approx(0.95)
    assert "'datadog' is not Prometheus" in ratio.unsupported


@pytest.mark.parametrize(
    ("path", "key", "reason"),
    [
        # the OpenSLO spec's own examples put `op` on ratio objectives: oslo rejects that
        (
            "openslo/examples/budgeting-method/ratio-timeslices.yaml",
            "spec.objectives[0].op",
            "forbidden",
        ),
        (
            "openslo/examples/budgeting-method/timeslices-slo.yaml",
            "spec.objectives[0].op",
            "forbidden",
        ),
        # Sloth's OpenSLO example: not rolling and no calendar, no objective value (v1alpha)
        ("sloth/examples/openslo-getting-started.yml", "spec.timeWindows[0]", "calendar"),
        ("oslo/test/inputs/validate/v1.yaml", "[0].spec.objectives[0].op", "forbidden"),
    ],
)
def test_specs_oslo_rejects_are_rejected(path: str, key: str, reason: str) -> None:
    with pytest.raises(SpecError) as info:
        load_file(DATA / path)
    assert info.value.key == key
    assert reason in str(info.value)


def test_invalid_apiversion_names_file_and_key() -> None:
    path = DATA / "oslo/test/inputs/validate/invalid-apiversion.yaml"
    with pytest.raises(SpecError) as info:
        load_file(path)
    assert info.value.file == str(path)
    assert info.value.key == "apiVersion"
    assert "unsupported apiVersion 'foo'" in str(info.value)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(textwrap.dedent(text))
    return path


@pytest.mark.parametrize(
    ("text", "key", "reason"),
    [
        (
            """
            version: prometheus/v1
            service: api
            slos:
              - name: avail
                objective: 120
                sli: {events: {error_query: 'sum(rate(e[{{.window}}]))',
                               total_query: 'sum(rate(t[{{.window}}]))'}}
                alerting: {name: AvailAlert}
            """,
            "slos[0].objective",
            "objective must >0 and <=100",
        ),
        (
            """
            version: prometheus/v1
            service: api
            slos:
              - name: avail
                objective: 99.9
                sli: {events: {error_query: 'sum(rate(e[{{.window}}])',
                               total_query: 'sum(rate(t[{{.window}}]))'}}
                alerting: {name: AvailAlert}
            """,
            "slos[0].sli.events.error_query",
            "invalid PromQL",
        ),
        (
            """
            version: prometheus/v1
            service: api
            slos:
              - name: avail
                objective: 99.9
                sli: {}
                alerting: {name: AvailAlert}
            """,
            "slos[0].sli",
            "at least one SLI type is required",
        ),
        (
            """
            apiVersion: openslo/v1
            kind: SLO
            metadata: {name: web}
            spec:
              service: web
              indicator:
                metadata: {name: i}
                spec: {ratioMetric: {
                  bad: {metricSource: {type: Prometheus, spec: {query: 'sum(e)'}}},
                  total: {metricSource: {type: Prometheus, spec: {query: 'sum(t)'}}}}}
              timeWindow: [{duration: 28x, isRolling: true}]
              budgetingMethod: Occurrences
              objectives: [{target: 0.99}]
            """,
            "spec.timeWindow[0].duration",
            "invalid duration shorthand '28x'",
        ),
        (
            """
            apiVersion: openslo/v1
            kind: SLO
            metadata: {name: web}
            spec:
              service: web
              indicatorRef: missing
              timeWindow: [{duration: 28d, isRolling: true}]
              budgetingMethod: Occurrences
              objectives: [{target: 0.99}]
            """,
            "spec.indicatorRef",
            "no SLI named 'missing'",
        ),
        (
            """
            apiVersion: pyrra.dev/v1alpha1
            kind: ServiceLevelObjective
            metadata: {name: api}
            spec:
              target: "99"
              window: 4w
              indicator: {ratio: {errors: {metric: 'rate(x[5m]) + 1'}, total: {metric: t}}}
            """,
            "spec.indicator.ratio.errors.metric",
            "ratio errors metric must be a vector selector, but got BinaryExpr",
        ),
        (
            """
            slos:
              - service: api
                objectives: [{name: avail, target: 99.9, sli: {total: t}}]
            """,
            "slos[0].objectives[0].sli",
            "exactly one of good or error",
        ),
        ("kind: Nothing\n", "", "not an SLO spec"),
        ("slos: [unclosed\n", "", "invalid YAML at line 2"),
    ],
)
def test_bad_specs_name_file_and_key(tmp_path: Path, text: str, key: str, reason: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_file(path)
    assert info.value.file == str(path)
    assert info.value.key == key, str(info.value)
    assert reason in str(info.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="cannot read SLO spec"):
        load_file(tmp_path / "nope.yaml")


def test_native_file_and_multi_document_openslo(tmp_path: Path) -> None:
    native = _write(
        tmp_path,
        """
        slos:
          - service: cart
            objectives:
              - name: availability
                target: 99.5
                window: 7d
                sli:
                  good: sum(rate(http_requests_total{code!~"5.."}[{{.window}}]))
                  total: http_requests_total
        """,
    )
    (o,) = load_file(native).objectives
    assert o.id == "cart/availability" and o.target == pytest.approx(0.995)
    assert o.sli.total == "rate(http_requests_total[{{.window}}])"
    multi = tmp_path / "multi.yaml"
    multi.write_text(
        textwrap.dedent("""
        apiVersion: openslo/v1
        kind: SLI
        metadata: {name: errors}
        spec:
          ratioMetric:
            bad: {metricSource: {type: prometheus, spec: {query: 'sum(e)'}}}
            total: {metricSource: {type: prometheus, spec: {query: 'sum(t)'}}}
        ---
        apiVersion: openslo/v1
        kind: AlertPolicy
        metadata: {name: fast-burn}
        spec:
          conditions: [{conditionRef: burn}]
          notificationTargets: [{targetRef: pager}]
        ---
        apiVersion: openslo/v1
        kind: SLO
        metadata: {name: api}
        spec:
          service: shop
          indicatorRef: errors
          timeWindow: [{duration: 28d, isRolling: true}]
          budgetingMethod: Occurrences
          alertPolicies: [{alertPolicyRef: fast-burn}]
          objectives: [{targetPercent: 99.5}]
        """)
    )
    (api,) = load_file(multi).objectives
    assert api.id == "shop/api" and api.window == 28 * 86400
    assert api.sli.bad == "sum(rate(e[{{.window}}]))"
    assert api.alerting.policies == ("fast-burn",)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("up", "rate(up[{{.window}}])"),
        ('sum by (job) (x{a="b"})', 'sum by (job) (rate(x{a="b"}[{{.window}}]))'),
        ("sum(rate(x[{{ .window }}]))", "sum(rate(x[{{ .window }}]))"),
    ],
)
def test_normalise_query(query: str, expected: str) -> None:
    assert normalise_query(query, "f", "k") == expected


def test_profile_section_defaults_and_validation() -> None:
    section = SloSection()
    assert section.slo.freeze_below == 25 and section.slo.emergency_below == 10
    assert section.slos == [] and section.slo_files == []
    with pytest.raises(ValidationError, match="emergency_below must not exceed"):
        SloPolicy(freeze_below=5, emergency_below=10)
    with pytest.raises(ValidationError, match="extra"):
        SloPolicy.model_validate({"freeze": 20})
    with pytest.raises(ValidationError, match="not a duration"):
        SloPolicy(postmortem_lookback="a week")
    spec = SloSpec.model_validate(
        {
            "service": "api",
            "objectives": [
                {
                    "name": "a",
                    "target": 99.9,
                    "sli": {"error": "sum(rate(e[{{.window}}]))", "total": "t"},
                }
            ],
        }
    )
    (o,) = from_native(spec, "profile")
    assert o.window == 30 * 86400 and o.sli.total == "rate(t[{{.window}}])"
    bad = SloSpec.model_validate(
        {
            "service": "api",
            "objectives": [{"name": "a", "target": 100, "sli": {"error": "e", "total": "t"}}],
        }
    )
    with pytest.raises(SpecError) as info:
        from_native(bad, "profile demo")
    assert info.value.key == "slos.objectives[0].target"


def test_profile_with_slos_loads_and_bad_keys_are_named(tmp_path: Path) -> None:
    from readiness.errors import ProfileError
    from readiness.profile import load_profile

    good = tmp_path / "good.yaml"
    good.write_text(
        textwrap.dedent("""
        extends: none
        environment: test
        release: {kind: fix}
        slos:
          - service: api
            objectives:
              - name: availability
                target: 99.9
                sli: {error: 'sum(rate(e[{{.window}}]))', total: 'sum(rate(t[{{.window}}]))'}
        slo_files: [slo/api.yaml]
        slo:
          freeze_below: 30
          postmortems:
            - {slo: api/availability, reference: PM-1, covers_until: 2026-11-20T12:00:00Z}
        """)
    )
    profile = load_profile(str(good))
    assert profile.slos[0].objectives[0].target == 99.9
    assert profile.slo.freeze_below == 30 and profile.slo.emergency_below == 10
    assert profile.slo.postmortems[0].covers_until.year == 2026
    bad = tmp_path / "bad.yaml"
    bad.write_text("environment: test\nslo:\n  freeze_bellow: 30\n")
    with pytest.raises(ProfileError) as info:
        load_profile(str(bad))
    assert "freeze_bellow" in str(info.value) and "bad.yaml:3" in str(info.value)
