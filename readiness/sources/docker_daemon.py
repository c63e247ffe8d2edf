"""Running containers of a Docker Engine, read through the ``docker`` SDK (read-only)."""

from __future__ import annotations

import socket
from typing import Any

from readiness.errors import SourceError
from readiness.profile.supply_chain import DockerDaemon
from readiness.rules.supply_chain_image import ContainerInfo


def container_info(attrs: dict[str, Any]) -> ContainerInfo:
    config = attrs.get("Config") or {}
    host = attrs.get("HostConfig") or {}
    return ContainerInfo(
        name=str(attrs.get("Name", "")).lstrip("/"),
        image=str(config.get("Image", "")),
        image_id=str(attrs.get("Image", "")),
        user=str(config.get("User") or ""),
        privileged=bool(host.get("Privileged")),
        memory=int(host.get("Memory") or 0),
    )


def running_containers(daemon: DockerDaemon) -> list[ContainerInfo]:
    """Inspect every running container of the daemon."""
    import docker
    from docker.errors import DockerException

    target = f"docker {daemon.url}"
    if daemon.url.startswith("unix://"):
        path = daemon.url.removeprefix("unix://")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(daemon.timeout)
            if probe.connect_ex(path) != 0:
                raise SourceError(target, f"cannot read containers: no daemon listening on {path}")
    try:
        client = docker.DockerClient(base_url=daemon.url, timeout=int(daemon.timeout))
        try:
            return [container_info(c.attrs) for c in client.containers.list()]
        finally:
            client.close()
    except DockerException as exc:
        raise SourceError(target, f"cannot read containers: {exc}") from None
