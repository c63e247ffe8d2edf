"""Profile schema of the HTTP family: services and the HTTP practice thresholds."""

from __future__ import annotations

from readiness.profile.common import Model


class Service(Model):
    name: str
    url: str


class HttpPolicy(Model):
    pass


class HttpTargets(Model):
    services: list[Service] = []


class HttpSection(Model):
    http: HttpPolicy = HttpPolicy()
