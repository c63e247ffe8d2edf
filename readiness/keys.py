"""Stash keys shared by the plugin's parts."""

from __future__ import annotations

from pathlib import Path

import pytest

from readiness.profile.model import Profile
from readiness.redact import Redactor

PROFILE = pytest.StashKey[Profile]()
REPORT_DIR = pytest.StashKey[Path]()
REDACTOR = pytest.StashKey[Redactor]()
