"""`readiness init`, `readiness profile check|show|reference`, `--version`, demo help."""

from __future__ import annotations

import http.server
import re
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from readiness.cli import main
from readiness.profile import load_profile
from readiness.profile_tools import reference

ROOT = Path(__file__).resolve().parents[2]


class _Handler(http.server.BaseHTTPRequestHandler):
    """Answers /healthz, /ready and /metrics (exposition); 404 elsewhere."""

    pages = {
        "/healthz": (b'{"status": "ok"}', "application/json"),
        "/ready": (b"ready", "text/plain"),
        "/metrics": (b"# TYPE up gauge\nup 1\n", "text/plain; version=0.0.4"),
        "/actuator/prometheus": (b"not metrics", "text/plain"),
    }
    requests: list[tuple[str, str]] = []

    def do_GET(self) -> None:
        self.requests.append((self.command, self.path))
        body, kind = self.pages.get(self.path, (b"missing", "text/plain"))
        self.send_response(200 if self.path in self.pages else 404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def service() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith("readiness ") and out.strip() != "readiness"


def test_demo_help_starts_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "run", "--help"]) == 0
    out = capsys.readouterr().out
    assert "usage: readiness demo" in out and "pytest --help" in out
    assert list(tmp_path.iterdir()) == []  # no report directory, no demo state


def test_init_probes_the_service_and_writes_a_profile_that_checks(
    tmp_path: Path,
    service: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    _Handler.requests.clear()
    args = ["init", "--service", f"web={service}", "--manifests", "deploy/k8s"]
    assert main([*args, "--prometheus", "http://127.0.0.1:9090"]) == 0
    assert "pytest --profile=production" in capsys.readouterr().out
    written = tmp_path / "profiles" / "production.yaml"
    text = written.read_text()
    assert "      health: /healthz\n" in text
    assert "      ready: /ready\n" in text
    assert "      metrics: /metrics\n" in text  # /actuator/prometheus is not exposition
    assert "plain HTTP: HTTP-TLS-CHAIN fails" in text
    assert "  # images: [" in text and "  # kubernetes: [" in text  # how to add them
    assert {m for m, _ in _Handler.requests} == {"GET"}  # read-only probing
    profile = load_profile(str(written), env={})
    assert [s.name for s in profile.targets.services] == ["web"]
    assert profile.targets.prometheus is not None
    assert [m.paths for m in profile.targets.manifests] == [["deploy/k8s"]]
    assert profile.targets.images == [] and profile.targets.kubernetes == []
    assert profile.alerting.required_alerts  # extends base: the practices apply
    assert main(["profile", "check", str(written)]) == 0
    assert main(["init", "--service", f"web={service}"]) == 2  # never overwrites silently


def test_profile_check_prints_every_problem_of_every_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = tmp_path / "good.yaml"
    good.write_text("environment: ok\n")
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "environment: p\ngate: {fail_on: severe, max_waiver_dayz: 1}\n"
        "families: {kubernets: {enabled: false, reason: r}}\n"
        "controls: {HTTP-HEALT: {enabled: false, reason: r}}\n"
    )
    assert main(["profile", "check", str(good), str(bad)]) == 4
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{good}: ok (environment ok; families that run: dora")
    assert out[1] == f"{bad}: 4 problem(s)"
    problems = out[2:]
    assert len(problems) == 4
    assert any(f"{bad}:2: gate.fail_on: " in p and "'critical', 'high'" in p for p in problems)
    assert any(
        f"{bad}:2: gate.max_waiver_dayz: unknown key" in p and "max_waiver_days" in p
        for p in problems
    )
    assert any(
        f"{bad}:3: families.kubernets: unknown family" in p and "kubernetes" in p for p in problems
    )
    assert any(f"{bad}:4: controls.HTTP-HEALT: " in p and "HTTP-HEALTH" in p for p in problems)


def test_profile_show_annotates_origins_and_masks_secrets(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WEB_URL", "https://web.example.com")
    monkeypatch.setenv("WEB_TOKEN", "tok-very-secret-123")
    (tmp_path / "p.yaml").write_text(
        "extends: base\nenvironment: prod\ntargets:\n  services:\n"
        "    - name: web\n      url: ${WEB_URL}\n"
        "      auth: {bearer_token: '${WEB_TOKEN}'}\n"
    )
    assert main(["profile", "show", "p.yaml"]) == 0
    out = capsys.readouterr().out
    assert "tok-very-secret-123" not in out
    assert "bearer_token: '***'" in out or "bearer_token: ***" in out
    assert "url: https://web.example.com  # p.yaml:6 <- env WEB_URL" in out
    assert "environment: prod  # p.yaml:2" in out
    assert "  fail_on: high  # readiness:base.yaml:" in out  # from the bundled base
    (tmp_path / "broken.yaml").write_text("environment: p\ngate: {fail_onn: high}\n")
    assert main(["profile", "show", "broken.yaml"]) == 4


def test_the_committed_reference_is_the_generated_one() -> None:
    committed = (ROOT / "docs" / "profile-reference.md").read_text(encoding="utf-8")
    assert committed == reference(), "run: readiness profile reference -o docs/profile-reference.md"
    for section in ("environment", "families", "gate", "targets", "http", "kubernetes"):
        assert f"## `{section}`" in committed
    assert (
        "| `gate.fail_on` | one of `critical`, `high`, `medium`, `low`, `info` | `high` |"
        in committed
    )
    sections = re.split(r"\n## `([^`]+)`\n", committed)
    for name, body in zip(sections[1::2], sections[2::2], strict=True):
        assert f"```yaml\n{name}:" in body, f"section {name} has no example"


def test_init_notes_an_untrusted_certificate_and_an_unreachable_service(tmp_path: Path) -> None:
    from readiness.demo.tls import issue, make_ca
    from readiness.starter import Request, probe_service, render
    from tests.fixtures.tls import SiteSpec, closed_port, https_site

    ca = make_ca(tmp_path / "ca", days=30)
    site = https_site("web", issue(ca, tmp_path / "certs", "web", days=30), SiteSpec())
    try:
        untrusted = probe_service("web", site.url, None)
        trusted = probe_service("web", site.url, str(ca.cert_file))
    finally:
        site.stop()
    assert untrusted.health == "/healthz" and untrusted.ready == "/readyz"
    assert any("did not verify" in n and "ca_file" in n for n in untrusted.notes)
    assert trusted.health == "/healthz"
    assert trusted.metrics is None  # private metrics answer 401: not picked, but noted
    assert trusted.notes == [
        "/metrics asks for credentials: add metrics: {path: /metrics, private: true} and "
        "auth: {bearer_token: ${METRICS_TOKEN}}"
    ]

    gone = probe_service("gone", f"http://127.0.0.1:{closed_port()}", None)
    assert gone.health is None
    assert any("did not answer" in n for n in gone.notes)
    text = render(
        Request(services=(("gone", f"http://127.0.0.1:{closed_port()}"),)), {"gone": gone}
    )
    assert "      # health: /healthz" in text


def test_init_refuses_options_that_give_a_broken_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--images", "nginx:1"]) == 4
    err = capsys.readouterr().err
    assert "targets.images[0].ref" in err and "registry host" in err
    assert not (tmp_path / "profiles").exists()  # nothing written


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "give NAME=URL with an http(s):// URL"),
        ("=http://127.0.0.1:9", "the NAME before '=' must not be empty"),
        ("  =http://127.0.0.1:9", "the NAME before '=' must not be empty"),
        ("web=ftp://127.0.0.1", "give NAME=URL with an http(s):// URL"),
    ],
)
def test_init_refuses_a_service_without_name_or_http_url(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    value: str,
    message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["init", "--service", value]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"readiness init: --service {value!r}: ") and message in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []  # nothing written
