"""Jobs: every request is recorded, queued fairly, run, and ends in a state, whatever happens on the way."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import Protocol

from .client import Generation, ImageClient
from .errors import ImageGenError, Refused
from .limits import Limits, Usage, day_start
from .prices import PriceTable
from .queue import Entry, FairQueue, Place
from .request import ImageRequest
from .storage import UNFINISHED, Job, JobState, Storage

log = logging.getLogger(__name__)


class DeliveryFailed(ImageGenError):
    """The result could be posted nowhere: not through the interaction, not in the channel."""

    key = "error.unexpected"


class Delivery(Protocol):
    """How a job reaches its requester; the bot implements it for Discord."""

    async def started(self, job: Job) -> None:
        """The job left the queue and is being drawn."""
        ...

    async def succeeded(self, job: Job, generation: Generation) -> None:
        """Post the images; raise DeliveryFailed if they could be posted nowhere."""
        ...

    async def failed(self, job: Job, error: ImageGenError) -> None:
        """Tell the requester why there are no images."""
        ...

    async def ended(self, job: Job) -> bool:
        """The job was cancelled or interrupted before it could finish: say so; False if that could not be said."""
        ...


class Jobs:
    """Records, queues and runs jobs. Knows nothing of Discord: each job brings its own Delivery."""

    def __init__(
        self,
        storage: Storage,
        client: ImageClient,
        queue: FairQueue,
        usage: Usage | None = None,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.storage = storage
        self.client = client
        self.queue = queue
        self.usage = usage if usage is not None else Usage(Limits())
        self.prices = prices if prices is not None else PriceTable({}, {})
        self.clock = clock
        # Jobs queued or running in this process, with their way back to the requester.
        self._active: dict[int, tuple[Job, Delivery]] = {}
        self._counted: set[int] = set()

    def reserve(
        self,
        user_id: int,
        guild_id: int | None,
        request: ImageRequest,
        *,
        exempt: bool = False,
        limits: Limits | None = None,
    ) -> Place:
        """Hold a place for this user's next job, or raise at once: over the server's budget, a daily limit or the
        cooldown (``exempt`` users skip all but the budget; ``limits`` replace the operator's), queue full, too many
        of theirs, stopping."""
        cost = self.prices.estimate(request)
        self.usage.check(user_id, guild_id, request.n, self.clock(), limits, cost, exempt=exempt)
        return self.queue.reserve(user_id)

    async def submit(self, job: Job, delivery: Delivery, place: Place | None = None) -> Job:
        """Record ``job`` and queue it in its held ``place``; it runs when its turn comes."""
        if place is None:
            place = self.reserve(job.user_id, job.guild_id, job.request)
        job.state = JobState.QUEUED
        job.created_at = self.clock()
        try:
            await self.storage.add_job(job)
        except BaseException:
            place.release()
            raise
        self._active[job.id] = (job, delivery)
        cost = self.prices.estimate(job.request)
        self.usage.begin(job.user_id, job.guild_id, job.request.n, job.created_at, cost)
        self._counted.add(job.id)
        try:
            self.queue.submit(Entry(job.id, job.user_id, lambda: self._execute(job, delivery)), place)
        except ImageGenError as refused:
            self._active.pop(job.id, None)
            await self._finish(job, JobState.CANCELLED, type(refused).__name__)
            raise
        log.info("job %d queued for user %d (%d waiting)", job.id, job.user_id, self.queue.waiting)
        return job

    def position(self, job_id: int) -> int | None:
        """The job's place in line, 1 being next; None once it runs."""
        return self.queue.position(job_id)

    async def cancel(self, job_id: int) -> bool:
        """Cancel a job that is still waiting; False if it already started or ended."""
        if not self.queue.cancel(job_id):
            return False
        job, delivery = self._active.pop(job_id)
        await self._finish(job, JobState.CANCELLED, None)
        await delivery.ended(job)
        log.info("job %d cancelled by its requester", job_id)
        return True

    async def _execute(self, job: Job, delivery: Delivery) -> None:
        job.state = JobState.RUNNING
        job.started_at = self.clock()
        await self._save(job)
        try:
            await delivery.started(job)
            try:
                generation = await self.client.generate(job.request)
            except Refused as refused:
                until = self.usage.refused(job.user_id, self.clock())
                refused.cooloff_until = int(until) if until is not None else None
                await self._finish(job, JobState.REFUSED, refused.reason)
                await delivery.failed(job, refused)
                return
            except ImageGenError as error:
                await self._finish(job, JobState.FAILED, type(error).__name__)
                await delivery.failed(job, error)
                return
            job.usage = generation.usage
            try:
                await delivery.succeeded(job, generation)
            except DeliveryFailed as failure:
                job.delivery_error = failure.detail
                log.warning("job %d: result could not be delivered: %s", job.id, failure.detail)
                await self._finish(job, JobState.FAILED, "undeliverable")
                return
            finally:
                generation.release()
            job.images_delivered = len(generation.images)
            await self._finish(job, JobState.DONE, None)
        except asyncio.CancelledError:
            await self._finish(job, JobState.INTERRUPTED, "shutdown")
            await self._tell_ended(job, delivery)
            raise
        except Exception:
            await self._finish(job, JobState.FAILED, "internal")
            raise
        finally:
            self._active.pop(job.id, None)

    async def _finish(self, job: Job, state: JobState, error_code: str | None) -> None:
        job.state = state
        job.error_code = error_code
        job.finished_at = self.clock()
        if job.id in self._counted:
            self._counted.discard(job.id)
            undelivered = job.request.n - job.images_delivered
            refund = self.prices.estimate(job.request, undelivered)
            self.usage.end(job.user_id, job.guild_id, undelivered, job.created_at, job.finished_at, refund)
        await self._save(job)

    async def _save(self, job: Job) -> None:
        # A database fault must not lose a job that is already paid for: log it and carry on.
        try:
            await self.storage.save_job(job)
        except Exception:
            log.exception("could not record job %d as %s", job.id, job.state)

    async def shutdown(self, grace: float) -> None:
        """Take no new jobs, let running ones finish for ``grace`` seconds, and mark the rest interrupted."""
        never_started, cut_short = await self.queue.close(grace)
        for entry in never_started:
            job, delivery = self._active.pop(entry.job_id)
            await self._finish(job, JobState.INTERRUPTED, "shutdown")
            await self._tell_ended(job, delivery)
        if never_started or cut_short:
            log.info("shutdown: %d queued and %d running jobs interrupted", len(never_started), len(cut_short))

    async def _tell_ended(self, job: Job, delivery: Delivery) -> None:
        # A requester told now need not be told again at the next start.
        if await delivery.ended(job):
            job.notified = True
            await self._save(job)

    async def recover(self) -> list[Job]:
        """At start: jobs a previous process left queued or running are interrupted; return those to tell."""
        now = self.clock()
        today = await self.storage.delivered_since(day_start(now))
        rows = [
            (j.user_id, j.guild_id, j.images_delivered, self.prices.estimate(j.request, j.images_delivered))
            for j in today
        ]
        self.usage.load(rows, now)
        left = await self.storage.jobs_in(UNFINISHED)
        for job in left:
            await self._finish(job, JobState.INTERRUPTED, "restart")
        untold = await self.storage.jobs_in((JobState.INTERRUPTED,))
        return [job for job in untold if not job.notified]

    async def mark_notified(self, job: Job, problem: str | None = None) -> None:
        """Record that the requester was told of an interruption, or why they could not be.

        Telling is attempted once either way: a channel the bot cannot post in will not change by retrying.
        """
        job.notified = True
        job.delivery_error = problem
        await self._save(job)

    async def get(self, job_id: int) -> Job | None:
        """A recorded job by id."""
        return await self.storage.get_job(job_id)
