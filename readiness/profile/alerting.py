"""Profile schema of the alerting family."""

from __future__ import annotations

from readiness.profile.common import Model


class AlertingTargets(Model):
    """Fields of `targets:` this family reads."""


class AlertingSection(Model):
    """Top-level profile sections this family owns."""
