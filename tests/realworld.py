"""Third-party files the tests judge (see tests/data/realworld/SOURCES.md)."""

from pathlib import Path

REALWORLD = Path(__file__).resolve().parent / "data" / "realworld"
