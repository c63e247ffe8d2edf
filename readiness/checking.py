"""What a check module uses: the control marker, evidence, target parametrization."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from readiness.controls import get_control
from readiness.keys import PROFILE

if TYPE_CHECKING:
    from readiness.profile.model import Profile

F = TypeVar("F", bound=Callable[..., object])
T = TypeVar("T")

MARKER = "readiness_control"


def control(control_id: str) -> pytest.MarkDecorator:
    """Declare the control a check verifies. An unknown id fails collection."""
    get_control(control_id)
    mark: pytest.MarkDecorator = getattr(pytest.mark, MARKER)(control_id)
    return mark


@dataclass(slots=True)
class Evidence:
    """What a check looked at, kept in the reports beside its outcome."""

    data: dict[str, Any] = field(default_factory=dict)
    html: list[str] = field(default_factory=list)

    def add(self, **values: Any) -> None:
        self.data.update(values)

    def attach_html(self, snippet: str) -> None:
        """An HTML fragment (e.g. an inline SVG chart) shown with the check in the HTML report."""
        self.html.append(snippet)


def profile_of(config: pytest.Config) -> Profile:
    """The run's profile; the bundled checks only make sense with ``--profile``."""
    profile = config.stash.get(PROFILE, None)
    if profile is None:
        raise pytest.UsageError("the readiness checks need a profile: pytest --profile=NAME")
    return profile


def parametrize(
    metafunc: pytest.Metafunc,
    name: str,
    targets: Iterable[tuple[str, T]],
) -> None:
    """Parametrize fixture ``name`` with (id, value) pairs, when the test asks for it.

    Ids name the target (``shop/Deployment/cart``) so ``-k cart`` works and reports read
    naturally. No targets: the check is skipped as "not configured in the profile".
    """
    if name not in metafunc.fixturenames:
        return
    pairs = list(targets)
    if not pairs:
        metafunc.parametrize(
            name,
            [
                pytest.param(
                    None, marks=pytest.mark.skip(reason=f"no {name} configured in the profile")
                )
            ],
            ids=["-"],
        )
        return
    from readiness.grouping import grouped

    pairs = grouped(metafunc, name, pairs, profile_of(metafunc.config))
    metafunc.parametrize(name, [v for _, v in pairs], ids=[i for i, _ in pairs])
