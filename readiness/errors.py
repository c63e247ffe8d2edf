"""The few exceptions readiness raises, each with an actionable message."""

from __future__ import annotations

from collections.abc import Sequence


class ReadinessError(Exception):
    """Base of every error readiness raises on purpose."""


class ProfileError(ReadinessError):
    """A profile is broken: names the file, line and key. Stops the run (exit 4)."""

    def __init__(self, message: str, *, file: str = "", line: int | None = None, key: str = ""):
        self.file = file
        self.line = line
        self.key = key
        self.reason = message
        where = file
        if line is not None:
            where = f"{where}:{line}" if where else f"line {line}"
        parts = [p for p in (where, f"key '{key}'" if key else "") if p]
        prefix = ", ".join(parts)
        super().__init__(f"{prefix}: {message}" if prefix else message)
        #: Every problem found (this one alone unless built by ``of``).
        self.problems: tuple[ProfileError, ...] = (self,)

    @classmethod
    def of(cls, problems: Sequence[ProfileError]) -> ProfileError:
        """One error listing every problem, one per line; the first names file, line, key."""
        if len(problems) == 1:
            return problems[0]
        first = problems[0]
        listed = "\n".join(f"  {p}" for p in problems)
        err = cls(
            f"{len(problems)} problems in the profile:\n{listed}",
            file=first.file,
            line=first.line,
            key=first.key,
        )
        err.problems = tuple(problems)
        err.args = (f"{len(problems)} problems in the profile:\n{listed}",)
        return err


class SourceError(ReadinessError):
    """Evidence could not be gathered (target unreachable, bad data).

    A check that hits this ends as *error*, never as a pass or a plain failure.
    """

    def __init__(self, target: str, message: str):
        self.target = target
        self.reason = message
        super().__init__(f"{target}: {message}")


class ControlError(ReadinessError):
    """A check names a control that is not in the catalogue."""
