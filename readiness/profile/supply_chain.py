"""Profile schema of the supply_chain family."""

from __future__ import annotations

from readiness.profile.common import Model


class SupplyChainTargets(Model):
    """Fields of `targets:` this family reads."""


class SupplyChainSection(Model):
    """Top-level profile sections this family owns."""
