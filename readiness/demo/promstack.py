"""Prometheus, Alertmanager and Pushgateway processes on 127.0.0.1.

One starter per binary, shared by the demo, the test fixtures and the benchmarks: each
writes its configuration into ``workdir``, starts the process there and waits until it
is ready (see :func:`readiness.demo.procs.start_process`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

from readiness.demo.procs import ManagedProcess, require_binary, start_process


def start_prometheus(
    workdir: Path,
    port: int,
    *,
    interval: str,
    retention: str,
    scrape_configs: Sequence[dict[str, Any]] = (),
    alertmanager_port: int | None = None,
    flags: Sequence[str] = (),
    name: str = "prometheus",
    web_config: dict[str, Any] | None = None,
) -> ManagedProcess:
    """Prometheus over ``workdir/data`` with ``workdir/rules/*.yml`` loaded.

    ``interval``: scrape and evaluation interval. ``web_config``: Prometheus'
    ``--web.config.file`` (TLS, basic auth); readiness is then awaited on the port, since
    ``/-/ready`` asks for credentials.
    """
    binary = require_binary("prometheus", "prometheus")
    config: dict[str, Any] = {
        "global": {"scrape_interval": interval, "evaluation_interval": interval},
        "rule_files": [str(workdir / "rules" / "*.yml")],
        "scrape_configs": list(scrape_configs),
    }
    if alertmanager_port is not None:
        config["alerting"] = {
            "alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]
        }
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "prometheus.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    argv = [
        binary,
        f"--config.file={workdir / 'prometheus.yml'}",
        f"--storage.tsdb.path={workdir / 'data'}",
        f"--storage.tsdb.retention.time={retention}",
        f"--web.listen-address=127.0.0.1:{port}",
        *flags,
    ]
    if web_config is not None:
        (workdir / "web.yml").write_text(yaml.safe_dump(web_config))
        argv.append(f"--web.config.file={workdir / 'web.yml'}")
        return start_process(name, argv, workdir, ready_port=port, timeout=60)
    return start_process(
        name, argv, workdir, ready_url=f"http://127.0.0.1:{port}/-/ready", timeout=60
    )


def start_alertmanager(
    workdir: Path, port: int, config: dict[str, Any], name: str = "alertmanager"
) -> ManagedProcess:
    binary = require_binary("prometheus-alertmanager", "prometheus-alertmanager")
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / "alertmanager.yml").write_text(yaml.safe_dump(config, sort_keys=False))
    argv = [
        binary,
        f"--config.file={workdir / 'alertmanager.yml'}",
        f"--storage.path={workdir / 'am-data'}",
        f"--web.listen-address=127.0.0.1:{port}",
        "--cluster.listen-address=",
    ]
    return start_process(
        name, argv, workdir, ready_url=f"http://127.0.0.1:{port}/-/ready", timeout=60
    )


def start_pushgateway(workdir: Path, port: int) -> ManagedProcess:
    """A Pushgateway without persistence."""
    binary = require_binary("prometheus-pushgateway", "prometheus-pushgateway")
    return start_process(
        "pushgateway",
        [binary, f"--web.listen-address=127.0.0.1:{port}", "--persistence.file="],
        workdir,
        ready_url=f"http://127.0.0.1:{port}/-/ready",
    )
