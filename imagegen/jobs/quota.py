"""Quotas: daily limits and cooldowns counted in images delivered, reserved at the check, reset at midnight UTC.

``Usage`` is the ledger of one process: it keeps the counts in memory; whether a request passes is the ledger's
one rule set (``ledger.decide``).
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from ..clock import day_of
from ..limits import Limits
from .ledger import Counts, Request, decide, note_refusal


@dataclass
class Reservation:
    """What one accepted request holds against the limits, from the check until its job ends.

    Taken in the same step as the check (no await between them), so a burst of requests cannot all pass a check
    that none of them has counted yet. ``cancel`` gives everything back when the request never became a job;
    ``settle`` keeps what the job used when it ends.
    """

    usage: Usage
    user_id: int
    guild_id: int | None
    images: int
    per_image: float
    at: float
    previous_request: float | None
    open: bool = True
    # A video's seconds, on the member's day; and whether its images count there (not a clip's nor a
    # Describe's: only their price, on the budget).
    seconds: int = 0
    counts_images: bool = True

    def cancel(self) -> None:
        """The request never ran: refund its images and cost, and lift the cooldown it started."""
        if not self.open:
            return
        self.open = False
        self.usage._refund(self, images=self.images, cost=self.per_image * self.images, seconds=self.seconds)
        if self.usage.last_request.get(self.user_id) == self.at:
            if self.previous_request is None:
                self.usage.last_request.pop(self.user_id, None)
            else:
                self.usage.last_request[self.user_id] = self.previous_request

    def settle(self, delivered: int, paid: int) -> None:
        """The job ended: only ``delivered`` images (or a delivered video's seconds) stay on the daily counts, only
        ``paid`` ones on the budget."""
        if not self.open:
            return
        self.open = False
        seconds = self.seconds if not delivered else 0
        cost = self.per_image * (self.images - paid)
        self.usage._refund(self, images=self.images - delivered, cost=cost, seconds=seconds)


class Usage:
    """Today's images per user and per server: delivered ones, plus those of jobs still under way.

    Kept in memory (filled from the database at start) so a request is checked and counted before it is
    acknowledged, without a database round trip. Jobs still under way count as many images as they asked for;
    when a job ends, only what it delivered stays counted.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.day: datetime.date | None = None
        self.by_user: Counter[int] = Counter()
        self.by_server: Counter[int] = Counter()
        self.spent: dict[int, float] = {}
        # Seconds of video per user today.
        self.video_seconds: Counter[int] = Counter()
        self.last_request: dict[int, float] = {}
        self.refusals: dict[int, list[float]] = {}
        self.cooling_until: dict[int, float] = {}

    def _roll(self, now: float) -> None:
        if day_of(now) != self.day:
            self.day = day_of(now)
            self.by_user.clear()
            self.by_server.clear()
            self.spent.clear()
            self.video_seconds.clear()

    def load(self, delivered: list[tuple[int, int | None, int, float, int]], now: float) -> None:
        """Start from what the database says was used today: (user, server, images, cost, seconds of video) rows."""
        self._roll(now)
        for user_id, guild_id, images, cost, seconds in delivered:
            self._count(user_id, guild_id, now, images, cost, seconds)

    def check(
        self,
        user_id: int,
        guild_id: int | None,
        images: int,
        now: float,
        limits: Limits | None = None,
        per_image: float = 0.0,
        exempt: bool = False,
    ) -> None:
        """Raise LimitReached, saying when it lifts, if ``images`` more (at ``per_image`` each) would break a limit.

        ``exempt`` users skip every limit but the server's budget, which is the operator's money.
        """
        limits = limits if limits is not None else self.limits
        request = Request(user_id, guild_id, images, per_image, limits, exempt, now)
        decide(request, self.counts(user_id, guild_id, now))

    def counts(self, user_id: int, guild_id: int | None, now: float) -> Counts:
        """What this member and their server have used today, and the member's cooldown and cooling-off."""
        self._roll(now)
        return Counts(
            user_images=self.by_user[user_id],
            user_video_seconds=self.video_seconds[user_id],
            server_images=self.by_server[guild_id] if guild_id is not None else 0,
            server_spent=self.spent.get(guild_id, 0.0) if guild_id is not None else 0.0,
            last_request=self.last_request.get(user_id),
            cooling_until=self.cooling_until.get(user_id),
        )

    def reserve(
        self,
        user_id: int,
        guild_id: int | None,
        images: int,
        now: float,
        limits: Limits | None = None,
        per_image: float = 0.0,
        exempt: bool = False,
    ) -> Reservation:
        """Check, then count ``images`` (and their cost) and start the cooldown, in one step; raises LimitReached."""
        request = Request(
            user_id, guild_id, images, per_image, limits if limits is not None else self.limits, exempt, now
        )
        decide(request, self.counts(user_id, guild_id, now))
        return self.take(request)

    def take(self, request: Request) -> Reservation:
        """Count a request the ledger let in (its images and cost; a clip's seconds) and start the cooldown."""
        self._roll(request.now)
        previous = self.last_request.get(request.user_id)
        self.last_request[request.user_id] = request.now
        reservation = self.hold(request.user_id, request.guild_id, request.images, request.per_image, request.now,
                                request.video_seconds, request.counts_images)  # fmt: skip
        reservation.previous_request = previous
        return reservation

    def hold(
        self,
        user_id: int,
        guild_id: int | None,
        images: int,
        per_image: float,
        at: float,
        seconds: int = 0,
        counts_images: bool = True,
    ) -> Reservation:
        """Count ``images`` (and their cost) without checking: for work accepted earlier, such as a kept result.
        A video (``seconds``) counts its seconds instead of images, and its cost.

        Images of a day that is over count no more.
        """
        reservation = Reservation(
            self, user_id, guild_id, images, per_image, at, None, seconds=seconds, counts_images=counts_images
        )
        counted = images if counts_images else 0
        self._count(user_id, guild_id, at, counted, per_image * images, seconds)
        return reservation

    def _refund(self, reservation: Reservation, images: int, cost: float, seconds: int = 0) -> None:
        counted = images if reservation.counts_images else 0
        self._count(reservation.user_id, reservation.guild_id, reservation.at, -counted, -cost, -seconds)

    def _count(self, user_id: int, guild_id: int | None, at: float, images: int, cost: float, seconds: int) -> None:
        """Add to the day's counts (negative to give back); counts of a day that is over are gone already."""
        if day_of(at) != self.day:
            return
        self.by_user[user_id] += images
        self.video_seconds[user_id] += seconds
        if guild_id is not None:
            self.by_server[guild_id] += images
            self.spent[guild_id] = self.spent.get(guild_id, 0.0) + cost

    def refused(self, user_id: int, now: float) -> float | None:
        """Note a refusal; if it makes too many in the window, start a cooling-off period and return its end."""
        limits = self.limits
        if not limits.refusals_before_cooloff:
            return None
        recent, until = note_refusal(self.refusals.get(user_id, []), now, limits)
        if until is None:
            self.refusals[user_id] = recent
            return None
        self.refusals.pop(user_id, None)
        self.cooling_until[user_id] = until
        return until

    def used(self, user_id: int, now: float) -> int:
        """Images this user has today, delivered or under way."""
        self._roll(now)
        return self.by_user[user_id]
