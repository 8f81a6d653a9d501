"""A server's settings against the operator's: for every limit, the stricter holds."""

from __future__ import annotations

import pytest

from imagegen.errors import InvalidRequest
from imagegen.limits import Limits
from imagegen.servers import ServerSettings, check_ceiling

OPERATOR = Limits(images_per_user_day=10, images_per_server_day=0, cooldown_seconds=30, daily_budget=5.0)


def test_a_server_value_tightens_the_operators_limit() -> None:
    limits = ServerSettings(images_per_user_day=3, images_per_server_day=50, cooldown_seconds=60, daily_budget=2.0)
    assert limits.limits(OPERATOR) == Limits(
        images_per_user_day=3, images_per_server_day=50, cooldown_seconds=60.0, daily_budget=2.0
    )


def test_a_looser_or_zero_server_value_leaves_the_operators_limit() -> None:
    loose = ServerSettings(images_per_user_day=100, images_per_server_day=0, cooldown_seconds=5, daily_budget=0.0)
    assert loose.limits(OPERATOR) == OPERATOR


def test_in_force_says_whose_value_holds() -> None:
    shown = ServerSettings(images_per_user_day=3, daily_budget=9.0).in_force(OPERATOR)
    assert shown == {
        "images_per_user_day": (3, "server"),
        "images_per_server_day": (0, "none"),
        "cooldown_seconds": (30.0, "operator"),
        "daily_budget": (5.0, "operator"),
    }


@pytest.mark.parametrize(
    ("change", "looser"),
    [
        ({"images_per_user_day": 11}, True),
        ({"images_per_user_day": 10}, False),
        ({"images_per_user_day": 0}, False),
        ({"images_per_server_day": 1_000_000}, False),
        ({"cooldown_seconds": 29}, True),
        ({"cooldown_seconds": 0}, False),
        ({"daily_budget": 5.01}, True),
        ({"max_images": 10}, False),
    ],
)
def test_a_change_looser_than_the_operators_ceiling_is_refused(change: dict[str, float], looser: bool) -> None:
    if not looser:
        check_ceiling(OPERATOR, **change)
        return
    with pytest.raises(InvalidRequest) as refused:
        check_ceiling(OPERATOR, **change)
    name = next(iter(change))
    assert refused.value.key == f"admin.ceiling.{name}" and refused.value.params["value"] == f"{change[name]:g}"
