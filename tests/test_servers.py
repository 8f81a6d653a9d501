"""A server's settings against the operator's: for every limit, the stricter holds."""

from __future__ import annotations

import pytest

from imagegen.errors import InvalidRequest
from imagegen.quota import Limits
from imagegen.servers import ServerSettings, check_ceiling

OPERATOR = Limits(daily_images_per_user=10, daily_images_per_server=0, cooldown_seconds=30, daily_budget_per_server=5.0)


def test_a_server_value_tightens_the_operators_limit() -> None:
    limits = ServerSettings(
        daily_images_per_user=3, daily_images_per_server=50, cooldown_seconds=60, daily_budget_per_server=2.0
    )
    assert limits.limits(OPERATOR) == Limits(
        daily_images_per_user=3, daily_images_per_server=50, cooldown_seconds=60.0, daily_budget_per_server=2.0
    )


def test_a_looser_or_zero_server_value_leaves_the_operators_limit() -> None:
    loose = ServerSettings(
        daily_images_per_user=100, daily_images_per_server=0, cooldown_seconds=5, daily_budget_per_server=0.0
    )
    assert loose.limits(OPERATOR) == OPERATOR


def test_in_force_says_whose_value_holds() -> None:
    shown = ServerSettings(daily_images_per_user=3, daily_budget_per_server=9.0).in_force(OPERATOR)
    assert shown == {
        "daily_images_per_user": (3, "server"),
        "daily_images_per_server": (0, "none"),
        "cooldown_seconds": (30.0, "operator"),
        "daily_budget_per_server": (5.0, "operator"),
    }


@pytest.mark.parametrize(
    ("change", "looser"),
    [
        ({"daily_images_per_user": 11}, True),
        ({"daily_images_per_user": 10}, False),
        ({"daily_images_per_user": 0}, False),
        ({"daily_images_per_server": 1_000_000}, False),
        ({"cooldown_seconds": 29}, True),
        ({"cooldown_seconds": 0}, False),
        ({"daily_budget_per_server": 5.01}, True),
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


def test_settings_stored_under_their_old_names_are_read_under_the_new_ones() -> None:
    from imagegen.servers import _from_json

    stored = '{"images_per_user_day": 3, "images_per_server_day": 50, "daily_budget": 2.5, "cooldown_seconds": 9}'
    assert _from_json(stored) == ServerSettings(
        daily_images_per_user=3, daily_images_per_server=50, daily_budget_per_server=2.5, cooldown_seconds=9
    )
