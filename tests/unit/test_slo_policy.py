"""The burn-rate alert policy comes from the profile (``slo.burn_rate_alerts``).

Default: the SRE workbook's four multiwindow conditions. A team that pages on
"100% burn over 1 min at 1% errors" writes one single-window condition. Every suggested
alert carries a severity the profile's alerting family allows.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from readiness.errors import ProfileError
from readiness.profile import load_profile
from readiness.profile.model import Profile
from readiness.rules import slo as rules
from readiness.rules.slo_alerts import Rule, burn_rate_rules, coverage, coverage_findings
from readiness.rules.slo_model import Objective, Sli

SLI = Sli(
    total='sum(rate(http_requests_total{service="api"}[{{.window}}]))',
    bad='sum(rate(http_requests_total{service="api",code=~"5.."}[{{.window}}]))',
)
NINETY_NINE = Objective("api", "availability", 0.99, 30 * 86400, SLI, "test")
SEED_POLICY = """
environment: test
slo:
  burn_rate_alerts:
    - {long: 1m, factor: 1, severity: critical}   # 100 % burn over 1 min -> page
"""


def _profile(tmp_path: Path, text: str) -> Profile:
    path = tmp_path / "p.yaml"
    path.write_text(textwrap.dedent(text))
    return load_profile(str(path))


def _conditions(profile: Profile) -> tuple[rules.BurnCondition, ...]:
    return profile.slo.conditions()


def test_default_is_the_sre_workbook() -> None:
    profile = load_profile("production")
    assert _conditions(profile) == rules.CONDITIONS
    assert [c.label for c in rules.CONDITIONS] == [
        "page 14.4x over 1h and 5m",
        "page 6x over 6h and 30m",
        "ticket 3x over 1d and 2h",
        "ticket 1x over 3d and 6h",
    ]


def test_seed_style_single_window_policy(tmp_path: Path) -> None:
    (seed,) = _conditions(_profile(tmp_path, SEED_POLICY))
    assert seed.label == "page 1x over 1m" and seed.windows == ("1m",)
    # 1 % errors over the last minute of a 99 % SLO: a 100 % burn (factor 1), just above it pages
    at_one_percent = rules.burn_rates(NINETY_NINE, {"1m": 0.0101})
    (state,) = rules.conditions_now(at_one_percent, (seed,))
    assert state.firing
    (finding,) = rules.burn_findings(NINETY_NINE, [state], "page")
    assert "1.01x over 1m" in finding.message and "severity critical" in finding.message
    (quiet,) = rules.conditions_now(rules.burn_rates(NINETY_NINE, {"1m": 0.005}), (seed,))
    assert not quiet.firing
    # the suggested rule is single-window, and a rule over [1m] covers the condition
    (rule,) = burn_rate_rules(NINETY_NINE, "https://runbooks/api", (seed,))
    assert "[1m]" in str(rule["expr"]) and " and " not in str(rule["expr"])
    assert rule["labels"] == {"severity": "critical", "service": "api", "slo": "availability"}
    loaded = Rule(str(rule["alert"]), "alerting", str(rule["expr"]), labels=rule["labels"])
    cov = coverage(NINETY_NINE, [loaded], (seed,))
    assert cov.missing == () and cov.covered == {"page 1x over 1m": (rule["alert"],)}
    # the SRE workbook's conditions are not what this team asked for
    assert coverage(NINETY_NINE, [loaded]).missing == rules.CONDITIONS


def test_history_reads_the_policy_windows(tmp_path: Path) -> None:
    from readiness.sources.slo_prometheus import Settings

    seed = Settings(0.0, lambda o: 3600, conditions=_conditions(_profile(tmp_path, SEED_POLICY)))
    assert seed.windows == ("1m",) and seed.history_windows == ("1m",)
    default = Settings(0.0, lambda o: 3600)
    assert default.windows == ("5m", "30m", "1h", "2h", "6h", "1d", "3d")
    assert default.history_windows == ("5m", "30m", "1h", "6h")


@pytest.mark.parametrize("profile_name", ["production", "staging", "demo"])
def test_suggested_rules_use_allowed_severities(profile_name: str) -> None:
    profile = load_profile(profile_name)
    (finding,) = coverage_findings(coverage(NINETY_NINE, [], _conditions(profile)), True, "x")
    suggestion = yaml.safe_load(finding.fix.split("\n", 1)[1])
    severities = {r["labels"]["severity"] for r in suggestion}
    assert severities and severities <= set(profile.alerting.allowed_severities)


@pytest.mark.parametrize(
    ("policy", "message"),
    [
        ("[{long: 1h, short: 5m, factor: 14.4, severity: page}]", "'page' is not one of"),
        ("[{long: 5m, short: 1h, factor: 14.4, severity: critical}]", "must be shorter"),
        ("[{long: 1x, factor: 2, severity: critical}]", "not a duration"),
        ("[{long: 1h, factor: 0, severity: critical}]", "greater than 0"),
        ("[{long: 1h, factor: 1, severity: warning, page: false}]", "page: true"),
    ],
)
def test_bad_policies_are_profile_errors(tmp_path: Path, policy: str, message: str) -> None:
    with pytest.raises(ProfileError, match=message):
        _profile(tmp_path, f"environment: test\nslo:\n  burn_rate_alerts: {policy}\n")


def test_allowed_severities_are_the_profiles(tmp_path: Path) -> None:
    profile = _profile(
        tmp_path,
        """
        environment: test
        alerting: {allowed_severities: [page, ticket]}
        slo:
          burn_rate_alerts:
            - {long: 1h, short: 5m, factor: 14.4, severity: page}
            - {long: 3d, short: 6h, factor: 1, severity: ticket, page: false}
        """,
    )
    assert [c.severity_label for c in _conditions(profile)] == ["page", "ticket"]
