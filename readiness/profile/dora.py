"""Profile schema of the dora family."""

from __future__ import annotations

from readiness.profile.common import Model


class DoraTargets(Model):
    """Fields of `targets:` this family reads."""


class DoraSection(Model):
    """Top-level profile sections this family owns."""
