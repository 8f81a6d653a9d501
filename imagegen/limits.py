"""Daily image limits and cooldowns: counted in images delivered, checked at once, reset at midnight UTC."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from .errors import ImageGenError
from .settings import Settings


@dataclass(frozen=True)
class Limits:
    """What one user and one server may use; 0 means no limit."""

    images_per_user_day: int = 0
    images_per_server_day: int = 0
    cooldown_seconds: float = 0.0
    # Refusals that, within the window, start a cooling-off period; 0 turns it off.
    refusals_before_cooloff: int = 3
    refusal_window_seconds: float = 600.0
    cooloff_seconds: float = 900.0
    # Estimated dollars a server may spend per day; 0 means no budget.
    daily_budget: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        """The operator's limits, from the settings."""
        return cls(
            images_per_user_day=settings.daily_images_per_user,
            images_per_server_day=settings.daily_images_per_server,
            cooldown_seconds=settings.cooldown_seconds,
            refusals_before_cooloff=settings.refusals_before_cooloff,
            refusal_window_seconds=settings.refusal_window_seconds,
            cooloff_seconds=settings.cooloff_seconds,
            daily_budget=settings.daily_budget_per_server,
        )


class LimitReached(ImageGenError):
    """A request over a limit; ``params`` say which limit and when it lifts (a Unix time)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, **params)
        self.key = key


def day_of(now: float) -> datetime.date:
    """The UTC day of a Unix time."""
    return datetime.datetime.fromtimestamp(now, datetime.UTC).date()


def next_midnight(now: float) -> int:
    """The Unix time of the next midnight UTC, when daily counts reset."""
    tomorrow = day_of(now) + datetime.timedelta(days=1)
    return int(datetime.datetime.combine(tomorrow, datetime.time(), datetime.UTC).timestamp())


def day_start(now: float) -> float:
    """The Unix time of the last midnight UTC."""
    return float(next_midnight(now) - 86400)


class Usage:
    """Today's images per user and per server: delivered ones, plus those of jobs still under way.

    Kept in memory (filled from the database at start) so a request is checked before it is acknowledged,
    without a database round trip. Jobs still under way count as many images as they asked for, so a burst of
    requests cannot overshoot a limit; when a job ends, only what it delivered stays counted.
    """

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.day: datetime.date | None = None
        self.by_user: Counter[int] = Counter()
        self.by_server: Counter[int] = Counter()
        self.spent: dict[int, float] = {}
        self.last_request: dict[int, float] = {}
        self.refusals: dict[int, list[float]] = {}
        self.cooling_until: dict[int, float] = {}

    def _roll(self, now: float) -> None:
        if day_of(now) != self.day:
            self.day = day_of(now)
            self.by_user.clear()
            self.by_server.clear()
            self.spent.clear()

    def load(self, delivered: list[tuple[int, int | None, int, float]], now: float) -> None:
        """Start from what the database says was delivered today: (user, server, images, cost) rows."""
        self._roll(now)
        for user_id, guild_id, images, cost in delivered:
            self.by_user[user_id] += images
            if guild_id is not None:
                self.by_server[guild_id] += images
                self.spent[guild_id] = self.spent.get(guild_id, 0.0) + cost

    def check(
        self,
        user_id: int,
        guild_id: int | None,
        images: int,
        now: float,
        limits: Limits | None = None,
        cost: float = 0.0,
        exempt: bool = False,
    ) -> None:
        """Raise LimitReached, saying when it lifts, if ``images`` more (costing ``cost``) would break a limit.

        ``exempt`` users skip every limit but the server's budget, which is the operator's money.
        """
        self._roll(now)
        limits = limits if limits is not None else self.limits
        reset = next_midnight(now)
        budget = limits.daily_budget
        if guild_id is not None and budget and self.spent.get(guild_id, 0.0) + cost > budget:
            raise LimitReached("limit.budget", reset=reset)
        if exempt:
            return
        cooling = self.cooling_until.get(user_id, 0.0)
        if cooling > now:
            raise LimitReached("limit.cooloff", ready=int(cooling + 0.999))
        last = self.last_request.get(user_id)
        if limits.cooldown_seconds and last is not None and now - last < limits.cooldown_seconds:
            raise LimitReached("limit.cooldown", ready=int(last + limits.cooldown_seconds + 0.999))
        if limits.images_per_user_day and self.by_user[user_id] + images > limits.images_per_user_day:
            left = max(0, limits.images_per_user_day - self.by_user[user_id])
            raise LimitReached("limit.user_day", limit=limits.images_per_user_day, left=left, reset=reset)
        if (
            guild_id is not None
            and limits.images_per_server_day
            and self.by_server[guild_id] + images > limits.images_per_server_day
        ):
            raise LimitReached("limit.server_day", limit=limits.images_per_server_day, reset=reset)

    def begin(self, user_id: int, guild_id: int | None, images: int, now: float, cost: float = 0.0) -> None:
        """Count a job's images (and estimated cost) from the moment it is accepted."""
        self._roll(now)
        self.last_request[user_id] = now
        self.by_user[user_id] += images
        if guild_id is not None:
            self.by_server[guild_id] += images
            self.spent[guild_id] = self.spent.get(guild_id, 0.0) + cost

    def end(
        self,
        user_id: int,
        guild_id: int | None,
        undelivered: int,
        started: float,
        now: float,
        refund: float = 0.0,
    ) -> None:
        """A job ended: stop counting the images it did not deliver (if it began today; yesterday is gone)."""
        self._roll(now)
        if day_of(started) != self.day:
            return
        self.by_user[user_id] -= undelivered
        if guild_id is not None:
            self.by_server[guild_id] -= undelivered
            self.spent[guild_id] = self.spent.get(guild_id, 0.0) - refund

    def refused(self, user_id: int, now: float) -> float | None:
        """Note a refusal; if it makes too many in the window, start a cooling-off period and return its end."""
        limits = self.limits
        if not limits.refusals_before_cooloff:
            return None
        recent = [when for when in self.refusals.get(user_id, []) if now - when < limits.refusal_window_seconds]
        recent.append(now)
        if len(recent) < limits.refusals_before_cooloff:
            self.refusals[user_id] = recent
            return None
        self.refusals.pop(user_id, None)
        self.cooling_until[user_id] = now + limits.cooloff_seconds
        return self.cooling_until[user_id]

    def used(self, user_id: int, now: float) -> int:
        """Images this user has today, delivered or under way."""
        self._roll(now)
        return self.by_user[user_id]
