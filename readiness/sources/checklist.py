"""Checklist files in the repository (runbooks, rollback document, post-mortem template,
pipeline definitions) and runbook links, read-only."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import requests

from readiness import snapshot
from readiness.errors import SourceError
from readiness.rules.operations import RunbookLink
from readiness.sources.api import ApiClient, basic_auth, send
from readiness.sources.runbooks import RunbookProber, shared_prober


def resolve(path: str, base: Path) -> Path:
    candidate = Path(path).expanduser()
    return candidate if candidate.is_absolute() else base / candidate


def runbook_stems(directory: Path, extensions: Sequence[str]) -> list[str]:
    """File names (without extension) of the runbooks, searched recursively."""
    key = ("runbooks", str(directory), tuple(extensions))
    return snapshot.through(
        "listing", "runbooks", key, lambda: _runbook_stems(directory, extensions)
    )


def _runbook_stems(directory: Path, extensions: Sequence[str]) -> list[str]:
    if not directory.exists():
        raise SourceError("runbooks", f"runbook directory {directory} does not exist")
    if not directory.is_dir():
        raise SourceError("runbooks", f"{directory} is not a directory")
    wanted = {e.lower() for e in extensions}
    try:
        return sorted(
            p.name[: -len(p.suffix)] if p.suffix else p.name
            for p in directory.rglob("*")
            if p.is_file() and p.suffix.lower() in wanted
        )
    except OSError as exc:
        raise SourceError("runbooks", f"cannot list {directory}: {exc.strerror}") from None


def read_text(path: Path, what: str) -> str | None:
    """A file's text, None if it does not exist; unreadable files are errors."""
    return snapshot.through("file", what, ("document", str(path)), lambda: _read_text(path, what))


def _read_text(path: Path, what: str) -> str | None:
    if not path.exists():
        return None
    if not path.is_file():
        raise SourceError(what, f"{path} is not a file")
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise SourceError(what, f"cannot read {path}: {exc.strerror}") from None


def is_web(url: str | None) -> bool:
    return url is not None and urlparse(url).scheme in ("http", "https")


def runbook_links(
    pairs: Sequence[tuple[str, str | None]],
    runbook_dir: Path | None,
    base: Path,
    prober: RunbookProber,
    check_reachable: bool = True,
) -> list[RunbookLink]:
    """Every (alert, runbook_url) judged; each distinct web URL is fetched once, all
    concurrently, by the run's shared prober (the alerting family's TLS settings)."""
    web = sorted({u for _, u in pairs if u is not None and is_web(u)}) if check_reachable else []
    statuses = prober.probe(web)
    links = []
    for alert, url in pairs:
        status = statuses.get(url) if url is not None else None
        if status is not None:
            links.append(RunbookLink(alert, url, status.ok, status.describe()))
        else:
            links.append(runbook_link(alert, url, runbook_dir, base, check_reachable))
    return links


def runbook_link(
    alert: str,
    url: str | None,
    runbook_dir: Path | None,
    base: Path,
    check_reachable: bool = True,
    prober: RunbookProber | None = None,
) -> RunbookLink:
    """Whether an alert's runbook_url resolves: an HTTP answer below 400 (after redirects),
    or an existing file."""
    if url is None:
        return RunbookLink(alert, None, False, "no runbook_url")
    if is_web(url) and not check_reachable:
        return RunbookLink(alert, url, True, "not fetched (check_reachable: false)")
    if is_web(url):
        status = (prober or shared_prober()).probe([url])[url]
        return RunbookLink(alert, url, status.ok, status.describe())
    parsed = urlparse(url)
    path_text = parsed.path if parsed.scheme == "file" else url
    candidates = [resolve(path_text, base)]
    if runbook_dir is not None and not Path(path_text).is_absolute():
        candidates.insert(0, runbook_dir / path_text)
    for candidate in candidates:
        if candidate.is_file():
            return RunbookLink(alert, url, True, str(candidate))
    return RunbookLink(alert, url, False, f"no file {' or '.join(map(str, candidates))}")


def get_health(api: ApiClient, path: str) -> requests.Response:
    """GET a health endpoint whose 5xx answer ("not ready") is itself the evidence.

    Connection errors are retried like every other call; HTTP statuses are returned.
    """
    return send(
        api.name,
        api.endpoint,
        api.session,
        "GET",
        api.url(path),
        retry_statuses=frozenset(),
        auth=basic_auth(api.endpoint.auth),
    )


def file_alert_runbooks(patterns: Sequence[str], base: Path) -> list[tuple[str, str | None]]:
    """(alert name, runbook_url) of every alerting rule in the rule files the profile names
    (``targets.rule_files``: files, directories, globs; PrometheusRule manifests too)."""
    from readiness.sources.rulefiles import expand, load_rule_file

    found: list[tuple[str, str | None]] = []
    for pattern, files in expand(patterns, base):
        if not files:
            raise SourceError("rule files", f"{pattern!r} names no rule file (under {base})")
        for path in files:
            for rule in load_rule_file(path).rules:
                if rule.kind == "alerting":
                    found.append((rule.name, rule.annotations.get("runbook_url")))
    return found
