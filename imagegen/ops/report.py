"""What a server used: images, estimated cost, top users and refusals, for a day or a month."""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass

from ..catalogue.prices import PriceTable
from ..clock import day_start
from ..model import Job, JobState
from ..storage.sqlite import Storage


@dataclass(frozen=True)
class ServerReport:
    """One server's use over a period."""

    images: int
    cost: float
    refusals: int
    top_users: list[tuple[int, int]]
    withheld: int = 0


def summarize(jobs: list[Job], prices: PriceTable, top: int = 3) -> ServerReport:
    """Sum up finished jobs: images delivered, the estimated cost of every image made, refusals, who drew most."""
    by_user: Counter[int] = Counter()
    cost = 0.0
    for job in jobs:
        by_user[job.user_id] += job.images_delivered
        cost += prices.estimate(job.request, job.images_made)
    refusals = sum(1 for job in jobs if job.state is JobState.REFUSED)
    leaders = [(user, images) for user, images in by_user.most_common(top) if images]
    withheld = sum(job.images_withheld for job in jobs)
    return ServerReport(sum(by_user.values()) - withheld, cost, refusals, leaders, withheld)


def month_start(now: float) -> float:
    """The Unix time the current month began (UTC)."""
    today = datetime.datetime.fromtimestamp(now, datetime.UTC)
    return today.replace(day=1, hour=0, minute=0, second=0, microsecond=0).timestamp()


async def day_and_month(
    storage: Storage, prices: PriceTable, guild_id: int, now: float
) -> tuple[ServerReport, ServerReport]:
    """A server's use today and this month."""
    jobs = await storage.server_jobs_since(guild_id, month_start(now))
    today = day_start(now)
    return summarize([job for job in jobs if job.created_at >= today], prices), summarize(jobs, prices)
