"""``limits:``: how long and how much any one target read may take."""

from __future__ import annotations

from pydantic import Field

from readiness.profile.common import Model

DEFAULT_MAX_BODY_MB: dict[str, float] = {
    "default": 64,
    "prometheus": 64,
    "alertmanager": 64,
    "registry": 64,
    "kubernetes": 256,
    "sbom": 256,
}


class Limits(Model):
    # Seconds for one read of a target: connect, every retry and the whole body.
    deadline: float = Field(30.0, gt=0, le=3600)
    # Largest answer read from a source, in MiB, by source name ("default" for the rest).
    max_body_mb: dict[str, float] = Field(default_factory=lambda: dict(DEFAULT_MAX_BODY_MB))

    def max_body_bytes(self) -> dict[str, int]:
        merged = {**DEFAULT_MAX_BODY_MB, **self.max_body_mb}
        return {name: int(mb * 1024 * 1024) for name, mb in merged.items()}


class LimitsSection(Model):
    limits: Limits = Limits()
