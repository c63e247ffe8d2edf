"""Profile schema of the slo family."""

from __future__ import annotations

from readiness.profile.common import Model


class SloTargets(Model):
    """Fields of `targets:` this family reads."""


class SloSection(Model):
    """Top-level profile sections this family owns."""
