"""PromQL analysis and Go template validation (pure)."""

from __future__ import annotations

import pytest

from readiness.rules.alerting_promql import PromQLError, analyse, parse_error
from readiness.rules.alerting_templates import template_error


@pytest.mark.parametrize(
    ("expr", "selectors", "comparisons"),
    [
        ('up{job="api"} == 0', ['up{job="api"}'], [("==", 0.0)]),
        ("0 == up", ["up"], [("==", 0.0)]),
        ("5 < rate(x_total[5m])", ["x_total"], [(">", 5.0)]),
        ("x > 14.4 * 0.001", ["x"], [(">", 0.0144)]),
        ("sum(x) > bool 1", ["x"], []),
        (
            'sum(rate(h_total{code=~"5.."}[5m])) / sum(rate(h_total[5m])) > 0.05',
            ['h_total{code=~"5.."}', "h_total"],
            [(">", 0.05)],
        ),
        ("(a / b) * 100 < 10 and c > 1", ["a", "b", "c"], [("<", 10.0), (">", 1.0)]),
        ('{__name__=~"up|foo", job!="a"}', ['{__name__=~"up|foo",job!="a"}'], []),
        ("count_over_time(up[5m:])", ["up"], []),
        ("-x < -(3)", ["x"], [("<", -3.0)]),
    ],
)
def test_selectors_and_comparisons(
    expr: str, selectors: list[str], comparisons: list[tuple[str, float]]
) -> None:
    analysis = analyse(expr)
    assert [s.text for s in analysis.selectors] == selectors
    got = [(c.op, round(c.threshold, 6)) for c in analysis.comparisons]
    assert got == comparisons


def test_functions_around_a_selector_and_absent() -> None:
    analysis = analyse("histogram_quantile(0.99, sum by (le) (rate(h_bucket[5m]))) > 0.5")
    (sel,) = analysis.selectors
    assert sel.functions == ("histogram_quantile", "sum", "rate")
    (absent,) = analyse('absent(up{job="x"})').selectors
    assert absent.inside_absent


def test_label_matchers_accept_values() -> None:
    (sel,) = analyse('x{code=~"5..", method!="GET", path!~"/health.*"}').selectors
    code, method, path = sel.matchers
    assert code.accepts("500") and not code.accepts("200")
    assert method.accepts("POST") and not method.accepts("GET")
    assert path.accepts("/api") and not path.accepts("/healthz")


@pytest.mark.parametrize(
    ("expr", "error"),
    [
        ("rate(hi)", "expected type matrix in call to function 'rate', got vector"),
        ("sum(rate(x[5m])", "unclosed left parenthesis"),
        ("up ==", "invalid promql query"),
    ],
)
def test_parse_errors(expr: str, error: str) -> None:
    assert parse_error(expr) == error
    with pytest.raises(PromQLError):
        analyse(expr)


# What Prometheus 2.42 (`promtool check rules`) answers for each annotation, verified.
TEMPLATES = [
    ("{{ $labels.instance }} down", None),
    ("{{ $value | humanizePercentage }}", None),
    ('{{ printf "%.2f" $value }}', None),
    ("{{ if gt $value 0.5 }}high{{ end }}", None),
    ("{{- $labels.job -}}", None),
    ('{{ range $i, $x := query "up" }}{{ $x.Labels.job }}{{ end }}', None),
    ("{{ with $labels.pod }}{{ . }}{{ else }}none{{ end }}", None),
    ("{{/* c */}}x", None),
    ("{{ $x := 1 }}{{ $x }}", None),
    ("{{ .Labels.job }}", None),
    ("{{ if $labels.a }}a{{ else if $labels.b }}b{{ end }}", None),
    ('{{ query "up" | first | value }}', None),
    ("{{ index $labels \"a\" }} {{ `raw` }} {{ 'a' }} {{ $externalURL }}", None),
    ("{{ $label.foo }}", 'undefined variable "$label"'),
    ("{{ $value", "unclosed action"),
    ("{{ if gt $value 0.5 }}high", "unexpected EOF (missing {{end}} for {{if}})"),
    ("{{ end }}", "unexpected {{end}}"),
    ("{{ foo $value }}", 'function "foo" not defined'),
    ("{{ }}", "missing value for command"),
    ('{{ "abc }}', "unterminated quoted string"),
    ("{{ $y }}", 'undefined variable "$y"'),
    ("{{ else }}", "unexpected {{else}}"),
    ("{{ break }}", "{{break}} outside {{range}}"),
    ("{{ with $x := 1 }}{{ $x }}{{ end }}{{ $x }}", 'undefined variable "$x"'),
    ("line one\n{{ $value", "unclosed action"),
    ("{{ $b = 1 }}", None),
    ("{{ if 1 }}{{ else }}{{ else }}{{ end }}", "expected end; found {{else}}"),
    ("{{ 1) }}", 'unexpected ")" in command'),
    ("{{ range $i, $j, $k := $labels }}{{ end }}", "too many declarations in range"),
    ('{{ define "x" }}a{{ end }}{{ template "x" . }}', None),
    ("{{ if and (gt $value 1.0) (lt $value 2.0) }}x{{ end }}", None),
]


@pytest.mark.parametrize(("text", "error"), TEMPLATES)
def test_templates_like_prometheus(text: str, error: str | None) -> None:
    got = template_error(text, "__alert_X")
    if error is None:
        assert got is None
    else:
        line = text[: text.rfind("{{")].count("\n") + 1 if "EOF" not in error else 1
        assert got == f"template: __alert_X:{line}: {error}"


def test_prometheus_2_functions_still_parse() -> None:
    assert parse_error("holt_winters(x[5m], 0.5, 0.5) > 1") is None
    assert parse_error("holt_winters(x, 0.5, 0.5)") == (
        "expected type matrix in call to function 'holt_winters', got vector"
    )
