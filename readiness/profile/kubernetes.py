"""Profile schema of the kubernetes family."""

from __future__ import annotations

from readiness.profile.common import Model


class KubernetesTargets(Model):
    """Fields of `targets:` this family reads."""


class KubernetesSection(Model):
    """Top-level profile sections this family owns."""
