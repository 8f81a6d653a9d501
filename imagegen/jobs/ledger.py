"""The ledger's rules: whether one more request may be let in, given what is counted already.

Everything that protects the operator's money is decided here, once, by ``decide``: the room for kept images and
in the queue, then the server's budget, the cooling-off, the cooldown and the daily limits of the member and of
the server. It reads counts and raises; it keeps nothing. One process keeps its counts in memory
(``quota.Usage``); processes sharing PostgreSQL read them in a transaction that holds the ledger's lock
(``shared_ledger``). Both decide with this function, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..clock import next_midnight
from ..errors import KeptFull, LimitReached, QueueFull, UserQueueFull
from ..limits import Limits

# Estimates of spend are sums of floats: a request exactly at the budget must not fail by a rounding error.
EPSILON = 1e-9


@dataclass(frozen=True)
class Request:
    """What admission needs to know of a request."""

    user_id: int
    guild_id: int | None
    images: int
    per_image: float
    limits: Limits
    exempt: bool
    now: float
    # For a video: its seconds, counted against the member's daily seconds of video.
    video_seconds: int = 0
    # Whether its images count among the day's (not a clip's, nor a Describe's): its cost counts either way.
    counts_images: bool = True


@dataclass(frozen=True)
class Counts:
    """What the ledger holds that one request is checked against, read at the moment of the check."""

    # The member's images today, delivered or under way, and seconds of video.
    user_images: int = 0
    user_video_seconds: int = 0
    # The server's images and estimated spend today (zero outside a server).
    server_images: int = 0
    server_spent: float = 0.0
    # When the member's last accepted request came, and until when they are cooling off.
    last_request: float | None = None
    cooling_until: float | None = None
    # Images made but not yet posted, of everyone.
    kept: int = 0
    # Jobs waiting or running, and places held for requests being acknowledged: the member's, and everyone's.
    theirs: int = 0
    everyone: int = 0


@dataclass(frozen=True)
class Room:
    """How much the queue and the kept results may hold."""

    # Jobs one member may have waiting or running.
    max_per_user: int
    # Jobs that may wait or run in all.
    max_total: int
    # Images that may wait to be posted.
    max_kept: int


def decide(request: Request, counts: Counts, room: Room | None = None) -> None:
    """Raise what stops ``request``, given ``counts``: KeptFull, UserQueueFull, QueueFull, else LimitReached saying
    which limit and when it lifts; return if it may be let in. Without ``room``, only the limits are checked.

    ``exempt`` members skip every limit but the server's budget, which is the operator's money.
    """
    if room is not None:
        if counts.kept >= room.max_kept:
            raise KeptFull(f"{counts.kept} images are waiting to be posted")
        check_room(counts.theirs, counts.everyone, room.max_per_user, room.max_total)
    limits = request.limits
    reset = next_midnight(request.now)
    budget = limits.daily_budget_per_server
    cost = request.per_image * request.images
    if request.guild_id is not None and budget and counts.server_spent + cost > budget + EPSILON:
        left = budget - counts.server_spent
        affordable = int((left + EPSILON) // request.per_image) if request.per_image else 0
        if affordable <= 0:
            raise LimitReached("limit.budget", reset=reset)
        raise LimitReached("limit.budget_fewer", left=affordable, reset=reset)
    if request.exempt:
        return
    if counts.cooling_until is not None and counts.cooling_until > request.now:
        raise LimitReached("limit.cooloff", ready=int(counts.cooling_until + 0.999))
    last = counts.last_request
    if limits.cooldown_seconds and last is not None and request.now - last < limits.cooldown_seconds:
        raise LimitReached("limit.cooldown", ready=int(last + limits.cooldown_seconds + 0.999))
    if request.video_seconds:
        # A video counts in seconds, not among the day's images.
        seconds = limits.daily_video_seconds_per_user
        _check_count("video_day", counts.user_video_seconds, request.video_seconds, seconds, reset)
    if not request.counts_images:
        return
    _check_count("user_day", counts.user_images, request.images, limits.daily_images_per_user, reset)
    if request.guild_id is not None:
        _check_count("server_day", counts.server_images, request.images, limits.daily_images_per_server, reset)


def note_refusal(times: list[float], now: float, limits: Limits) -> tuple[list[float], float | None]:
    """One more refusal at ``now``, after those at ``times``: the ones to remember, and the end of the cooling-off
    period it starts if it makes too many within the window (then nothing is remembered)."""
    recent = [when for when in times if now - when < limits.refusal_window_seconds]
    recent.append(now)
    if len(recent) < limits.refusals_before_cooloff:
        return recent, None
    return [], now + limits.cooloff_seconds


def check_room(theirs: int, everyone: int, max_per_user: int, max_total: int) -> None:
    """Raise UserQueueFull or QueueFull if one more job of a member with ``theirs`` pending would not fit."""
    if theirs >= max_per_user:
        raise UserQueueFull(limit=max_per_user)
    if everyone >= max_total:
        raise QueueFull()


def _check_count(name: str, used: int, images: int, limit: int, reset: int) -> None:
    # Two different situations, two different answers: nothing left today, or less left than asked for.
    if not limit or used + images <= limit:
        return
    left = max(0, limit - used)
    if left == 0:
        raise LimitReached(f"limit.{name}", limit=limit, reset=reset)
    raise LimitReached(f"limit.{name}_fewer", limit=limit, left=left, reset=reset)
