"""Counters and reservations: daily limits, the cooldown and the budget, at their edges, with the clock in hand."""

from __future__ import annotations

import datetime

import pytest

from imagegen.clock import next_midnight
from imagegen.errors import LimitReached
from imagegen.jobs.ledger import Request
from imagegen.jobs.quota import Usage
from imagegen.limits import Limits

NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC).timestamp()
MIDNIGHT = datetime.datetime(2026, 11, 26, 0, 0, tzinfo=datetime.UTC).timestamp()


def test_the_last_allowed_image_passes_and_the_first_over_is_refused_with_what_is_left() -> None:
    usage = Usage(Limits(daily_images_per_user=5))
    usage.reserve(1, 9, 4, NOON)
    usage.check(1, 9, 1, NOON)
    with pytest.raises(LimitReached) as caught:
        usage.check(1, 9, 2, NOON)
    assert caught.value.key == "limit.user_day_fewer"
    assert caught.value.params == {"limit": 5, "left": 1, "reset": int(MIDNIGHT)}


def test_with_nothing_left_the_refusal_says_so_rather_than_asking_for_fewer() -> None:
    usage = Usage(Limits(daily_images_per_user=3, daily_images_per_server=10))
    usage.reserve(1, 9, 3, NOON)
    with pytest.raises(LimitReached) as caught:
        usage.check(1, 9, 1, NOON)
    assert caught.value.key == "limit.user_day" and "left" not in caught.value.params
    usage.reserve(2, 9, 3, NOON)
    usage.reserve(3, 9, 3, NOON)
    with pytest.raises(LimitReached) as fewer:
        usage.check(4, 9, 2, NOON)
    assert fewer.value.key == "limit.server_day_fewer" and fewer.value.params["left"] == 1


def test_a_reservation_counts_at_once_so_a_burst_cannot_pass_one_check_together() -> None:
    usage = Usage(Limits(daily_images_per_user=3))
    for _ in range(3):
        usage.reserve(1, 9, 1, NOON)
    with pytest.raises(LimitReached):
        usage.reserve(1, 9, 1, NOON)
    assert usage.used(1, NOON) == 3


def test_images_that_never_came_do_not_count() -> None:
    usage = Usage(Limits(daily_images_per_user=4))
    reservation = usage.reserve(1, 9, 4, NOON)
    reservation.settle(delivered=1, paid=1)
    reservation.settle(delivered=0, paid=0)
    assert usage.used(1, NOON + 30) == 1
    usage.check(1, 9, 3, NOON + 30)


def test_a_request_that_never_became_a_job_gives_back_its_images_and_its_cooldown() -> None:
    usage = Usage(Limits(daily_images_per_user=2, cooldown_seconds=60))
    usage.reserve(1, 9, 1, NOON).settle(delivered=1, paid=1)
    reservation = usage.reserve(1, 9, 1, NOON + 61)
    reservation.cancel()
    assert usage.used(1, NOON + 62) == 1
    with pytest.raises(LimitReached) as caught:
        usage.check(1, 9, 1, NOON + 30)
    assert caught.value.key == "limit.cooldown" and caught.value.params == {"ready": int(NOON + 60)}
    usage.check(1, 9, 1, NOON + 62)


def test_the_count_resets_at_midnight_utc() -> None:
    usage = Usage(Limits(daily_images_per_user=2, daily_images_per_server=2))
    reservation = usage.reserve(1, 9, 2, MIDNIGHT - 1)
    with pytest.raises(LimitReached):
        usage.check(1, 9, 1, MIDNIGHT - 1)
    usage.check(1, 9, 2, MIDNIGHT)
    reservation.settle(delivered=0, paid=0)
    assert usage.used(1, MIDNIGHT + 5) == 0


def test_a_server_limit_counts_everyone_in_the_server() -> None:
    usage = Usage(Limits(daily_images_per_server=3))
    usage.reserve(1, 9, 2, NOON)
    usage.reserve(2, 9, 1, NOON)
    usage.check(3, 8, 1, NOON)
    with pytest.raises(LimitReached) as caught:
        usage.check(3, 9, 1, NOON)
    assert caught.value.key == "limit.server_day"


def test_the_cooldown_runs_from_the_last_accepted_request() -> None:
    usage = Usage(Limits(cooldown_seconds=30))
    usage.reserve(1, 9, 1, NOON)
    with pytest.raises(LimitReached) as caught:
        usage.reserve(1, 9, 1, NOON + 29.5)
    assert caught.value.params == {"ready": int(NOON + 30)}
    usage.check(1, 9, 1, NOON + 30)
    usage.check(2, 9, 1, NOON + 1)


def test_what_the_database_says_was_used_today_is_the_starting_count() -> None:
    usage = Usage(Limits(daily_images_per_user=3))
    usage.load([(1, 9, 3, 0.5, 0), (2, None, 1, 0.1, 0)], NOON)
    with pytest.raises(LimitReached):
        usage.check(1, 9, 1, NOON)
    assert usage.used(2, NOON) == 1
    assert next_midnight(NOON) == int(MIDNIGHT)


def test_a_server_budget_refuses_what_would_overspend_it_and_refunds_what_never_came() -> None:
    usage = Usage(Limits(daily_budget_per_server=1.0))
    reservation = usage.reserve(1, 9, 4, NOON, per_image=0.15)
    usage.check(2, 9, 2, NOON, per_image=0.2)
    with pytest.raises(LimitReached) as caught:
        usage.check(2, 9, 3, NOON, per_image=0.2)
    assert caught.value.key == "limit.budget_fewer"
    assert caught.value.params == {"left": 2, "reset": int(MIDNIGHT)}
    reservation.settle(delivered=1, paid=2)
    usage.check(2, 9, 3, NOON, per_image=0.2)
    usage.check(2, 8, 1, NOON, per_image=0.9)


def test_a_spent_budget_says_it_is_spent() -> None:
    usage = Usage(Limits(daily_budget_per_server=1.0))
    usage.reserve(1, 9, 4, NOON, per_image=0.25)
    with pytest.raises(LimitReached) as caught:
        usage.check(2, 9, 1, NOON, per_image=0.01)
    assert caught.value.key == "limit.budget"


def test_exempt_users_skip_every_limit_but_the_budget() -> None:
    usage = Usage(Limits(daily_images_per_user=1, cooldown_seconds=60, daily_budget_per_server=1.0))
    usage.reserve(1, 9, 1, NOON, per_image=0.9)
    usage.check(1, 9, 5, NOON, exempt=True)
    with pytest.raises(LimitReached) as caught:
        usage.check(1, 9, 1, NOON, per_image=0.2, exempt=True)
    assert caught.value.key == "limit.budget"


def test_a_videos_seconds_stay_counted_once_it_is_posted_and_come_back_if_it_never_is() -> None:
    usage = Usage(Limits(daily_video_seconds_per_user=30, daily_images_per_user=1))
    limits = usage.limits

    def clip(seconds: int) -> Request:
        return Request(1, 9, 1, 0.8, limits, False, NOON, video_seconds=seconds, counts_images=False)

    posted, lost = usage.take(clip(8)), usage.take(clip(12))
    assert (usage.counts(1, 9, NOON).user_video_seconds, usage.used(1, NOON)) == (20, 0)
    assert usage.spent[9] == pytest.approx(1.6)
    posted.settle(delivered=1, paid=1)
    lost.settle(delivered=0, paid=0)
    assert usage.counts(1, 9, NOON).user_video_seconds == 8 and usage.spent[9] == pytest.approx(0.8)
    assert usage.used(1, NOON) == 0
