"""Profile schema of the operations family."""

from __future__ import annotations

from readiness.profile.common import Model


class OperationsTargets(Model):
    """Fields of `targets:` this family reads."""


class OperationsSection(Model):
    """Top-level profile sections this family owns."""
