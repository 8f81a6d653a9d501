"""The ledger's one rule set: which refusal comes first, the room in the queue, and what exempt members skip."""

from __future__ import annotations

import dataclasses
import datetime
from typing import Any

import pytest

from imagegen.errors import ImageGenError, KeptFull, LimitReached, QueueFull, UserQueueFull
from imagegen.jobs.ledger import Counts, Request, Room, decide, note_refusal
from imagegen.limits import Limits

NOON = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC).timestamp()
MIDNIGHT = int(datetime.datetime(2026, 11, 26, 0, 0, tzinfo=datetime.UTC).timestamp())
EVERY_LIMIT = Limits(daily_images_per_user=2, daily_images_per_server=4, cooldown_seconds=60,
                     daily_budget_per_server=1.0)  # fmt: skip
ROOM = Room(max_per_user=2, max_total=5, max_kept=10)
# Everything at once is over: every rule has a reason to refuse.
OVER = Counts(user_images=2, server_images=4, server_spent=1.0, last_request=NOON - 1, cooling_until=NOON + 60,
              kept=10, theirs=2, everyone=5)  # fmt: skip


def asked(images: int = 1, per_image: float = 0.25, exempt: bool = False, guild_id: int | None = 9) -> Request:
    return Request(1, guild_id, images, per_image, EVERY_LIMIT, exempt, NOON)


def refusal(counts: Counts, request: Request | None = None) -> ImageGenError:
    with pytest.raises(ImageGenError) as caught:
        decide(request or asked(), counts, ROOM)
    return caught.value


def test_refusals_come_in_one_order_kept_images_the_queue_then_budget_cooloff_cooldown_and_the_day() -> None:
    counts = OVER
    found: list[str] = []
    fixes: list[dict[str, Any]] = [
        {"kept": 0},
        {"theirs": 0},
        {"everyone": 0},
        {"server_spent": 0.0},
        {"cooling_until": None},
        {"last_request": None},
        {"user_images": 0},
        {"server_images": 0},
    ]
    for fix in fixes:
        error = refusal(counts)
        found.append(error.key if isinstance(error, LimitReached) else type(error).__name__)
        counts = dataclasses.replace(counts, **fix)
    decide(asked(), counts, ROOM)
    assert found == ["KeptFull", "UserQueueFull", "QueueFull", "limit.budget", "limit.cooloff", "limit.cooldown",
                     "limit.user_day", "limit.server_day"]  # fmt: skip


def test_less_left_than_asked_says_how_many_are_left() -> None:
    budget = refusal(Counts(server_spent=0.5), asked(images=3))
    assert (budget.key, budget.params) == ("limit.budget_fewer", {"left": 2, "reset": MIDNIGHT})
    user = refusal(Counts(user_images=1), asked(images=2, per_image=0.0))
    assert (user.key, user.params) == ("limit.user_day_fewer", {"limit": 2, "left": 1, "reset": MIDNIGHT})
    server = refusal(Counts(server_images=3), asked(images=2, per_image=0.0))
    assert (server.key, server.params) == ("limit.server_day_fewer", {"limit": 4, "left": 1, "reset": MIDNIGHT})


def test_the_queue_errors_carry_what_they_always_did() -> None:
    assert isinstance(refusal(Counts(kept=10)), KeptFull)
    full = refusal(Counts(theirs=2))
    assert isinstance(full, UserQueueFull) and full.params == {"limit": 2}
    assert isinstance(refusal(Counts(everyone=5)), QueueFull)


def test_exempt_members_skip_every_limit_but_the_budget_and_the_queue() -> None:
    member_over = Counts(user_images=2, server_images=4, last_request=NOON - 1, cooling_until=NOON + 60)
    decide(asked(exempt=True), member_over, ROOM)
    assert refusal(Counts(server_spent=1.0), asked(exempt=True)).key == "limit.budget"
    assert isinstance(refusal(Counts(theirs=2), asked(exempt=True)), UserQueueFull)


def test_outside_a_server_only_the_members_limits_apply_and_without_room_only_the_limits() -> None:
    decide(asked(guild_id=None), Counts(server_images=4, server_spent=1.0), ROOM)
    decide(asked(), Counts(kept=10, theirs=2, everyone=5))
    with pytest.raises(LimitReached):
        decide(asked(guild_id=None), Counts(user_images=2))


def test_a_request_exactly_at_the_budget_passes_despite_rounding() -> None:
    budget_only = Request(1, 9, 3, 0.1, Limits(daily_budget_per_server=1.0), False, NOON)
    decide(budget_only, Counts(server_spent=0.1 + 0.2 + 0.4), ROOM)


def test_refusals_in_the_window_start_a_cooling_off_and_older_ones_are_forgotten() -> None:
    limits = Limits(refusals_before_cooloff=3, refusal_window_seconds=600, cooloff_seconds=900)
    assert note_refusal([NOON - 700, NOON - 10], NOON, limits) == ([NOON - 10, NOON], None)
    assert note_refusal([NOON - 20, NOON - 10], NOON, limits) == ([], NOON + 900)


def test_a_video_is_counted_in_seconds_against_its_own_limit_not_among_the_days_images() -> None:
    video = dataclasses.replace(
        asked(per_image=0.1), limits=Limits(daily_images_per_user=1), video_seconds=8, counts_images=False
    )
    # The member's image of the day is used up, but a video is not one.
    decide(video, Counts(user_images=1, user_video_seconds=22))
    with pytest.raises(LimitReached) as caught:
        decide(video, Counts(user_video_seconds=25))
    assert caught.value.key == "limit.video_day_fewer" and caught.value.params["left"] == 5
    with pytest.raises(LimitReached) as caught:
        decide(video, Counts(user_video_seconds=30))
    assert caught.value.key == "limit.video_day"
