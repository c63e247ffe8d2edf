"""Stash keys shared by the plugin's parts."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:  # the schema is built when a profile is loaded, not by these keys
    from readiness.profile.model import Profile
    from readiness.redact import Redactor

PROFILE: pytest.StashKey[Profile] = pytest.StashKey()
REPORT_DIR = pytest.StashKey[Path]()
REDACTOR: pytest.StashKey[Redactor] = pytest.StashKey()
