"""Running containers of a Docker Engine, read through the ``docker`` SDK (read-only)."""

from __future__ import annotations

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
    try:
        client = docker.DockerClient(base_url=daemon.url, timeout=int(daemon.timeout))
        try:
            return [container_info(c.attrs) for c in client.containers.list()]
        finally:
            client.close()
    except DockerException as exc:
        raise SourceError(target, f"cannot read containers: {exc}") from None
