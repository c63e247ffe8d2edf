"""The profile's ``granularity:`` section (see :mod:`readiness.grouping`)."""

from __future__ import annotations

from typing import Literal

from readiness.profile.common import Model

Granularity = Literal["target", "group"]


class GranularitySettings(Model):
    """One pytest item per target (``target``, the default) or per group of targets
    (``group``: a Kubernetes namespace; all HTTP services). Reports keep one row per
    target either way."""

    kubernetes: Granularity = "target"
    http: Granularity = "target"
