"""Daily limits and the cooldown, at their edges, with the clock in the test's hands."""

from __future__ import annotations

import datetime

import pytest

from imagegen.limits import LimitReached, Limits, Usage, next_midnight

NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC).timestamp()
MIDNIGHT = datetime.datetime(2026, 11, 26, 0, 0, tzinfo=datetime.UTC).timestamp()


def test_the_last_allowed_image_passes_and_the_first_over_is_refused_with_the_reset_time() -> None:
    usage = Usage(Limits(images_per_user_day=5))
    usage.begin(1, 9, 4, NOON)
    usage.check(1, 9, 1, NOON)
    with pytest.raises(LimitReached) as caught:
        usage.check(1, 9, 2, NOON)
    assert caught.value.key == "limit.user_day"
    assert caught.value.params == {"limit": 5, "left": 1, "reset": int(MIDNIGHT)}


def test_images_that_never_came_do_not_count() -> None:
    usage = Usage(Limits(images_per_user_day=4))
    usage.begin(1, 9, 4, NOON)
    usage.end(1, 9, undelivered=3, started=NOON, now=NOON + 30)
    assert usage.used(1, NOON + 30) == 1
    usage.check(1, 9, 3, NOON + 30)


def test_the_count_resets_at_midnight_utc() -> None:
    usage = Usage(Limits(images_per_user_day=2, images_per_server_day=2))
    usage.begin(1, 9, 2, MIDNIGHT - 1)
    with pytest.raises(LimitReached):
        usage.check(1, 9, 1, MIDNIGHT - 1)
    usage.check(1, 9, 2, MIDNIGHT)
    usage.end(1, 9, undelivered=2, started=MIDNIGHT - 1, now=MIDNIGHT + 5)
    assert usage.used(1, MIDNIGHT + 5) == 0


def test_a_server_limit_counts_everyone_in_the_server() -> None:
    usage = Usage(Limits(images_per_server_day=3))
    usage.begin(1, 9, 2, NOON)
    usage.begin(2, 9, 1, NOON)
    usage.check(3, 8, 1, NOON)
    with pytest.raises(LimitReached) as caught:
        usage.check(3, 9, 1, NOON)
    assert caught.value.key == "limit.server_day"


def test_the_cooldown_runs_from_the_last_accepted_request() -> None:
    usage = Usage(Limits(cooldown_seconds=30))
    usage.begin(1, 9, 1, NOON)
    with pytest.raises(LimitReached) as caught:
        usage.check(1, 9, 1, NOON + 29.5)
    assert caught.value.params == {"ready": int(NOON + 30)}
    usage.check(1, 9, 1, NOON + 30)
    usage.check(2, 9, 1, NOON + 1)


def test_what_the_database_says_was_delivered_today_is_the_starting_count() -> None:
    usage = Usage(Limits(images_per_user_day=3))
    usage.load([(1, 9, 3, 0.5), (2, None, 1, 0.1)], NOON)
    with pytest.raises(LimitReached):
        usage.check(1, 9, 1, NOON)
    assert usage.used(2, NOON) == 1
    assert next_midnight(NOON) == int(MIDNIGHT)


def test_a_server_budget_refuses_what_would_overspend_it_and_refunds_what_never_came() -> None:
    usage = Usage(Limits(daily_budget=1.0))
    usage.begin(1, 9, 4, NOON, cost=0.6)
    usage.check(2, 9, 1, NOON, cost=0.4)
    with pytest.raises(LimitReached) as caught:
        usage.check(2, 9, 1, NOON, cost=0.5)
    assert caught.value.key == "limit.budget" and caught.value.params == {"reset": int(MIDNIGHT)}
    usage.end(1, 9, undelivered=2, started=NOON, now=NOON, refund=0.3)
    usage.check(2, 9, 1, NOON, cost=0.5)
    usage.check(2, 8, 1, NOON, cost=0.9)


def test_exempt_users_skip_every_limit_but_the_budget() -> None:
    usage = Usage(Limits(images_per_user_day=1, cooldown_seconds=60, daily_budget=1.0))
    usage.begin(1, 9, 1, NOON, cost=0.9)
    usage.check(1, 9, 5, NOON, exempt=True)
    with pytest.raises(LimitReached) as caught:
        usage.check(1, 9, 1, NOON, cost=0.2, exempt=True)
    assert caught.value.key == "limit.budget"
