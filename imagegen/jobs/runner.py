"""Jobs: every request is recorded, queued fairly, run, and ends in a state, whatever happens on the way."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Protocol

from ..api.client import Generation, ImageClient
from ..api.stream import OnPartial
from ..api.tasks import TaskGone
from ..catalogue.entries import Catalogue, ModelInfo
from ..catalogue.prices import PriceTable
from ..errors import (
    DeliveryFailed,
    ImageGenError,
    Refused,
    ScreeningUnavailable,
    ShuttingDown,
)
from ..imaging import images, workers
from ..limits import Limits
from ..model import UNFINISHED, ImageRequest, Job, JobState
from ..ops import logs
from ..ops.metrics import Metrics
from ..safety.screening import Screening, counted
from ..storage.sqlite import Storage, StorageBusy
from .dispatch import Admission, JobQueue, following
from .ledger import Request
from .relay import RelayTasks

log = logging.getLogger(__name__)


# After a result could not be posted, try again after these many seconds, then every hour.
REDELIVERY_DELAYS = (60.0, 300.0, 1800.0, 3600.0)
# A write after an image was paid for is tried again after these many seconds before it is given up.
WRITE_RETRY_DELAYS = (0.2, 1.0, 5.0, 15.0)
# How long a stopping bot waits, at least, for requests it acknowledged to be recorded or refused.
ADMITTED_WAIT = 10.0


class Delivery(Protocol):
    """How a job reaches its requester; the bot implements it for Discord."""

    async def started(self, job: Job) -> None:
        """The job left the queue and is being drawn."""
        ...

    async def preview(self, job: Job, image: str) -> None:
        """A partial image (base64) arrived while the job is drawn: show it if there is a way to."""
        ...

    async def progress(self, job: Job) -> None:
        """The task drawing the job moved on (``task_ahead``, ``task_progress``): show it if there is a way to."""
        ...

    async def succeeded(self, job: Job, generation: Generation) -> None:
        """Post the images; raise DeliveryFailed if they could not all be posted."""
        ...

    async def postponed(self, job: Job) -> None:
        """The images are made and kept, but could not be posted: tell the requester they will follow."""
        ...

    async def described(self, job: Job, prompts: list[str]) -> None:
        """A Describe task answered with ``prompts`` for the job's image: show them, each to be drawn."""
        ...

    async def failed(self, job: Job, error: ImageGenError) -> None:
        """Tell the requester why there are no images."""
        ...

    async def flagged(self, job: Job, categories: list[str]) -> None:
        """Screening flagged the prompt and the job goes on (log mode): tell the server's moderators."""
        ...

    async def withheld(self, job: Job, images: list[bytes], categories: list[str], left: int) -> None:
        """Screening kept ``images`` from being posted (``left`` are posted): tell the requester privately and
        the server's moderators."""
        ...

    async def ended(self, job: Job) -> bool:
        """The job was cancelled or interrupted before it could finish: say so; False if that could not be said."""
        ...

    async def moved(self, job: Job) -> None:
        """Another process carries the job on from here (and answers its requester): stop showing its progress."""
        ...


# Posts a kept result again, outside any interaction; raises DeliveryFailed like Delivery.succeeded.
Redeliver = Callable[[Job, Generation], Awaitable[None]]


class Jobs:
    """Records, queues and runs jobs, and keeps their images until they are posted. Knows nothing of Discord."""

    def __init__(
        self,
        storage: Storage,
        client: ImageClient,
        queue: JobQueue,
        prices: PriceTable | None = None,
        clock: Callable[[], float] = time.time,
        retention: float = 24 * 3600.0,
        max_kept_images: int = 400,
        screening_on_error: str = "allow",
        metrics: Metrics | None = None,
        relay: RelayTasks | None = None,
    ) -> None:
        self.storage = storage
        self.client = client
        # How jobs are drawn through the relay's tasks (Midjourney, videos).
        self.relay = relay if relay is not None else RelayTasks(client)
        self.queue = queue
        queue.runner = self._run
        self.prices = prices if prices is not None else PriceTable(Catalogue([], ModelInfo()))
        self.clock = clock
        self.retention = retention
        self.screening_on_error = screening_on_error
        self.metrics = metrics if metrics is not None else Metrics()
        self.metrics.queued.set_function(lambda: self.queue.waiting)
        self.metrics.running.set_function(lambda: self.queue.running)
        # Kept results are bounded: past this many images waiting to be posted, new requests are refused.
        self.max_kept_images = max_kept_images
        # Jobs queued or running in this process, with their way back to the requester; and those being recorded,
        # by their arrival (a shared queue may hand one back to run before its recording returns).
        self._active: dict[int, tuple[Job, Delivery]] = {}
        self._arriving: dict[str, tuple[Job, Delivery]] = {}
        # How a job another process accepted reaches its requester from here (the bot sets it).
        self.adopt: Callable[[Job], Delivery] | None = None
        # Requests acknowledged and being admitted, or admitted but not yet recorded: a stopping bot answers them
        # before it goes.
        self._admitting = 0
        self._none_admitting = asyncio.Event()
        self._none_admitting.set()
        # Jobs whose kept result is being posted right now, so two attempts never post it twice.
        self._posting: set[int] = set()
        # Jobs a previous process left drawing at the relay, followed on once they can be delivered, and their runs.
        self._to_follow: list[Job] = []
        self._following: set[asyncio.Task[None]] = set()

    async def reserve(
        self,
        user_id: int,
        guild_id: int | None,
        request: ImageRequest,
        *,
        exempt: bool = False,
        limits: Limits | None = None,
    ) -> Admission:
        """Let a request in and count it against every limit at once, or raise: too many images kept, over the
        server's budget, a daily limit or the cooldown (``exempt`` users skip all but the budget; ``limits`` replace
        the operator's), queue full, too many of theirs, stopping. A burst cannot slip past a limit: the queue
        checks and counts in one step."""
        checked = Request(
            user_id,
            guild_id,
            request.n,
            self.prices.per_image(request),
            limits if limits is not None else self.queue.limits,
            exempt,
            self.clock(),
            video_seconds=request.seconds,
            counts_images=request.counts_images,
        )
        # Counted from now: a stopping bot waits for requests being admitted too (Discord has its answer already).
        self._admitting += 1
        self._none_admitting.clear()
        began = time.perf_counter()
        try:
            admission = await self.queue.admit(checked, self.max_kept_images)
        except BaseException:
            self._admitted()
            raise
        finally:
            self.metrics.admission.observe(time.perf_counter() - began)
        admission.on_release = self._admitted
        return admission

    def _admitted(self) -> None:
        self._admitting -= 1
        if not self._admitting:
            self._none_admitting.set()

    async def submit(self, job: Job, delivery: Delivery, admission: Admission | None = None) -> Job:
        """Record ``job`` and queue it in its ``admission``'s place; it runs when its turn comes."""
        if admission is None:
            admission = await self.reserve(job.user_id, job.guild_id, job.request)
        if self.queue.closed:
            # Acknowledged while the bot was stopping: nothing was drawn or paid; the requester is told to retry.
            await admission.release()
            raise ShuttingDown()
        job.state = JobState.QUEUED
        job.created_at = self.clock()
        job.screening = admission.screening
        arrival = uuid.uuid4().hex
        if self.queue.shared:
            # Whichever process draws it must screen it as admitted here; this one may claim it before it has
            # finished recording it, and knows it by its arrival.
            job.handover = {**(job.handover or {}), "screening": dataclasses.asdict(job.screening), "arrival": arrival}
        # Otherwise (one process) it keeps only its interaction's token: a result posted later, after a refusal
        # or a restart, still ends the status message while the token lives.
        self._arriving[arrival] = (job, delivery)
        try:
            await self.storage.add_job(job, admission.hold.shared_place)
        except BaseException:
            await admission.release()
            raise
        finally:
            self._arriving.pop(arrival, None)
        # The job has its id: what this task logs from here on (the rest of the request that made it) is about it.
        logs.job_id.set(job.id)
        if job.state is JobState.QUEUED:  # else this process already runs it (or ran it) from its arrival
            self._active[job.id] = (job, delivery)
        admission.submitted = True
        try:
            await self.queue.enqueue(job, admission)
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
        if not await self.queue.cancel(job_id):
            return False
        job, delivery = self._active.pop(job_id, (None, None))
        if job is None or delivery is None:
            # Accepted by another process: answered from here, through its interaction.
            job = await self.storage.get_job(job_id)
            if job is None or self.adopt is None:
                return True
            delivery = self.adopt(job)
        await self._finish(job, JobState.CANCELLED, None)
        await delivery.ended(job)
        log.info("job %d cancelled by its requester", job_id)
        return True

    async def _run(self, job: Job) -> None:
        """Run a job whose turn came: one accepted here with its way back, or one another process accepted."""
        arrival = (job.handover or {}).get("arrival")
        active = self._active.get(job.id) or self._arriving.get(str(arrival))
        if active is not None:
            local, delivery = active
            local.id = job.id
            self._active[job.id] = active
            local.owner, local.lease_until = job.owner, job.lease_until
            await self._execute(local, delivery)
            return
        if self.adopt is None:
            raise RuntimeError(f"job {job.id} came from another process, but there is no way to deliver it")
        found = await self.storage.get_job(job.id)
        if found is None:
            return
        found.owner, found.lease_until = job.owner, job.lease_until
        screening = dict((found.handover or {}).get("screening") or {})
        if screening:
            found.screening = Screening(**{**screening, "categories": tuple(screening.get("categories", ()))})
        log.info("job %d: drawn here for another process's request", found.id)
        delivery = self.adopt(found)
        self._active[found.id] = (found, delivery)
        await self._execute(found, delivery)

    def serve(self, adopt: Callable[[Job], Delivery]) -> None:
        """Start running jobs, those of other processes included (delivered through ``adopt``), and follow on the
        tasks a previous process left drawing."""
        self.adopt = adopt
        self.queue.serve()
        for job in self._to_follow:
            run = asyncio.create_task(self._follow_on(job, adopt(job)))
            self._following.add(run)
            run.add_done_callback(self._following.discard)
        self._to_follow = []

    async def _follow_on(self, job: Job, delivery: Delivery) -> None:
        log.info("job %d: its task %s was left drawing at the relay; following it on", job.id, job.task_id)
        self._active[job.id] = (job, delivery)
        with contextlib.suppress(asyncio.CancelledError):
            await self._execute(job, delivery)

    async def moved(self, job_id: int) -> None:
        """A job accepted here is carried on by another process: this one stops showing its progress."""
        active = self._active.pop(job_id, None)
        if active is not None:
            await active[1].moved(active[0])

    async def _execute(self, job: Job, delivery: Delivery) -> None:
        # Every line logged while this job runs says which job and server it is about.
        logs.about(job=job.id, guild=job.guild_id, interaction=job.interaction_id)
        job.state = JobState.RUNNING
        job.started_at = self.clock()
        self.metrics.wait.observe(max(0.0, job.started_at - job.created_at))
        await self._save(job)
        try:
            await delivery.started(job)
            try:
                await self._screen(job, delivery)
                generation = await self._generate(job, delivery)
            except Refused as refused:
                self.metrics.refusals.labels(reason=refused.reason).inc()
                until = await self.queue.refused(job.user_id, self.clock())
                refused.cooloff_until = int(until) if until is not None else None
                await self._finish(job, JobState.REFUSED, refused.reason)
                await delivery.failed(job, refused)
                return
            except TaskGone:
                # The relay lost the task it accepted: nothing came of it, and the member may run it again.
                await self._finish(job, JobState.INTERRUPTED, "task_gone")
                await self._tell_ended(job, delivery)
                return
            except ImageGenError as error:
                await self._finish(job, JobState.FAILED, type(error).__name__)
                await delivery.failed(job, error)
                return
            try:
                await self._deliver(job, generation, delivery)
            finally:
                generation.release()
        except asyncio.CancelledError:
            # A result already kept stays kept: the next start posts it. A job not drawn yet goes to another
            # process if there is one. A task drawing at the relay is followed on by the next start.
            if job.state in UNFINISHED:
                if await self.queue.hand_back(job):
                    log.info("job %d handed back to the queue for another process", job.id)
                    await delivery.moved(job)
                elif following(job):
                    log.info("job %d: stopping while task %s draws; the next start follows it on", job.id, job.task_id)
                    await delivery.moved(job)
                else:
                    await self._finish(job, JobState.INTERRUPTED, "shutdown")
                    await self._tell_ended(job, delivery)
            raise
        except Exception:
            if job.state in UNFINISHED:
                await self._finish(job, JobState.FAILED, "internal")
            raise
        finally:
            self._active.pop(job.id, None)

    async def _generate(self, job: Job, delivery: Delivery) -> Generation:
        """The image call, timed and counted by outcome."""
        model = self.metrics.model(job.request.model)
        started = time.monotonic()
        outcome = "ok"
        try:
            info = self.client.catalogue.lookup(job.request.model)
            if info.midjourney or info.video:
                return await self.relay.draw(job, delivery, info, self._save, self.queue.park)
            return await self.client.generate(job.request, self._previewer(job, delivery))
        except Refused:
            outcome = "refused"
            raise
        except ImageGenError as error:
            outcome = "error"
            self.metrics.errors.labels(model=model, kind=type(error).__name__).inc()
            raise
        finally:
            self.metrics.upstream.labels(model=model, outcome=outcome).observe(time.monotonic() - started)

    async def _screen(self, job: Job, delivery: Delivery) -> None:
        """Ask the moderation endpoint about the prompt before paying for an image: raise Refused when it is
        flagged in block mode, ScreeningUnavailable when it cannot be asked and the operator wants nothing
        unscreened."""
        if job.screening.mode == "off" or job.task_id is not None:
            return  # not screened, or screened before its task was submitted
        try:
            flagged = await self.client.moderate(job.request.text, job.request.references)
        except ImageGenError as error:
            if self.screening_on_error == "block":
                log.error("job %d: screening failed, so it is not drawn: %s", job.id, error.detail)
                raise ScreeningUnavailable(error.detail) from error
            log.error("job %d: screening failed, drawn unscreened: %s", job.id, error.detail)
            return
        categories = counted(flagged, job.screening)
        if not categories:
            return
        log.info("job %d: prompt flagged (%s), mode %s", job.id, ", ".join(categories), job.screening.mode)
        if job.screening.mode == "block":
            refused = Refused("screened", job.request.prompt, "flagged: " + ", ".join(categories))
            refused.categories = categories
            raise refused
        await delivery.flagged(job, categories)

    @staticmethod
    def _previewer(job: Job, delivery: Delivery) -> OnPartial | None:
        if not job.request.previews:
            return None

        async def show(image: str) -> None:
            await delivery.preview(job, image)

        return show

    async def _deliver(self, job: Job, generation: Generation, delivery: Delivery) -> None:
        if generation.prompts:
            # A Describe task: billed like one image, none of which counts toward the day.
            job.images_made = 1
            await delivery.described(job, generation.prompts)
            await self._finish(job, JobState.DONE, None)
            return
        job.usage = generation.usage
        job.images_made = len(generation.images)
        await self._screen_results(job, generation, delivery)
        if not generation.images:
            # Everything was withheld: paid for, so it counts as delivered for cost; nothing is posted.
            job.images_delivered = job.images_made
            await self._finish(job, JobState.DONE, None)
            return
        # The images are paid for: kept in the database from now until Discord has them all.
        job.state = JobState.DELIVERING
        await self._write(lambda: self.storage.keep_results(job, [image.data for image in generation.images]), job)
        self._posting.add(job.id)
        try:
            await delivery.succeeded(job, generation)
        except Exception as error:
            if isinstance(error, DeliveryFailed):
                failure = error
            else:
                # A fault no one foresaw must not lose images that were paid for: kept, and posted again later.
                log.exception("job %d: posting the result failed unexpectedly; it is kept to be posted again", job.id)
                failure = DeliveryFailed(f"posting failed unexpectedly ({type(error).__name__})")
            job.images_delivered = failure.delivered
            await self._postpone(job, failure)
            await delivery.postponed(job)
            return
        finally:
            self._posting.discard(job.id)
        job.images_delivered = job.images_made
        await self._finish(job, JobState.DONE, None)

    async def _screen_results(self, job: Job, generation: Generation, delivery: Delivery) -> None:
        """Withhold the images screening flags, before any is posted in a channel that is not age-restricted."""
        if not job.screening.results or not generation.images:
            return
        verdicts = await asyncio.gather(*(self._verdict(job, image.data) for image in generation.images))
        flagged = sorted({category for verdict in verdicts for category in verdict})
        kept = [image for image, verdict in zip(generation.images, verdicts, strict=True) if not verdict]
        held = [image.data for image, verdict in zip(generation.images, verdicts, strict=True) if verdict]
        withheld = len(held)
        if not withheld:
            return
        log.info("job %d: %d of %d images withheld by screening (%s)", job.id, withheld, job.images_made,
                 ", ".join(flagged))  # fmt: skip
        generation.images = kept
        job.images_withheld = withheld
        await delivery.withheld(job, held, flagged, len(kept))

    async def _verdict(self, job: Job, image: bytes) -> list[str]:
        if images.is_video(image):
            return []  # the moderation endpoint takes images: a video's source image was screened when it was drawn
        try:
            return counted(await self.client.moderate("", (image,)), job.screening)
        except ImageGenError as error:
            if self.screening_on_error == "block":
                log.error("job %d: screening an image failed, so it is withheld: %s", job.id, error.detail)
                return ["unchecked"]
            log.error("job %d: screening an image failed, posted unscreened: %s", job.id, error.detail)
            return []

    async def _postpone(self, job: Job, failure: DeliveryFailed, give_up: bool = False) -> None:
        """Schedule the next attempt at posting a kept result, or give it up once it is kept no longer."""
        job.delivery_attempts += 1
        job.delivery_error = failure.detail
        now = self.clock()
        expires = self.expires_at(job)
        if give_up or now >= expires:
            log.error("job %d: result given up after %d attempts: %s", job.id, job.delivery_attempts, failure.detail)
            await self._finish(job, JobState.UNDELIVERABLE, "undeliverable")
            return
        self.queue.kept(job)
        if job.delivery_attempts == 1:
            # From now on any process may have to post them: where every process can read them.
            await self._write(lambda: self.storage.share_results(job), job)
        delay = REDELIVERY_DELAYS[min(job.delivery_attempts, len(REDELIVERY_DELAYS)) - 1]
        job.next_delivery_at = min(now + delay, expires)
        log.warning(
            "job %d: result could not be posted (attempt %d), next try in %.0f s: %s",
            job.id,
            job.delivery_attempts,
            job.next_delivery_at - now,
            failure.detail,
        )
        await self._save(job)

    def expires_at(self, job: Job) -> float:
        """When a kept result is given up if it still could not be posted."""
        return (job.started_at or job.created_at) + self.retention

    async def pending(self, user_id: int | None = None) -> list[Job]:
        """Jobs whose images are made and kept because they could not all be posted (one user's, or everyone's),
        oldest first; a job being posted right now is not one of them."""
        jobs = await self.storage.jobs_in((JobState.DELIVERING,))
        busy = self._posting | self._active.keys()
        return [job for job in jobs if job.id not in busy and (user_id is None or job.user_id == user_id)]

    async def redeliver(self, redeliver: Redeliver, user_id: int | None = None) -> list[Job]:
        """Post kept results again: those due now, or all of one user's (who asked for them); returns the jobs
        whose images are now all posted."""
        now = self.clock()
        done: list[Job] = []
        for job in await self.pending(user_id):
            if job.id in self._posting:
                continue  # taken by another attempt since
            if user_id is None and (job.next_delivery_at or 0.0) > now:
                continue
            if await self._redeliver_one(job, redeliver):
                done.append(job)
        return done

    async def _redeliver_one(self, job: Job, redeliver: Redeliver) -> bool:
        if not await self.queue.claim_kept(job):
            return False  # another process is posting it
        self._posting.add(job.id)
        try:
            kept = await self.storage.results(job.id)
            found = await workers.run(lambda: [image for image in map(images.media, kept) if image is not None])
            remaining = found[job.images_delivered :]
            if not remaining:
                # The files were lost (a write that failed, a disk wiped): nothing is left to post.
                await self._postpone(job, DeliveryFailed("the kept images are missing"), give_up=True)
                return False
            try:
                await redeliver(job, Generation(remaining, asked=len(remaining)))
            except DeliveryFailed as failure:
                job.images_delivered += failure.delivered
                await self._postpone(job, failure)
                return False
        finally:
            self._posting.discard(job.id)
            await self.queue.release_kept(job)
        job.images_delivered = job.images_made
        job.delivery_error = None
        await self._finish(job, JobState.DONE, None)
        log.info("job %d: kept result posted after %d failed attempts", job.id, job.delivery_attempts)
        return True

    async def _finish(self, job: Job, state: JobState, error_code: str | None) -> None:
        job.state = state
        job.error_code = error_code
        job.finished_at = self.clock()
        # Its interaction's token goes with it: nothing needs it any more.
        job.handover = None
        self.metrics.job_ended(job, self.prices)
        log.info("job %d ended %s: %d of %d images delivered", job.id, state, job.images_delivered, job.request.n)
        await self.queue.settle(job, self.prices.per_image(job.request))
        if job.images_made:
            # Posted, or given up: either way the kept images go.
            await self._write(lambda: self.storage.drop_results(job), job)
        else:
            await self._save(job)

    async def _save(self, job: Job) -> None:
        await self._write(lambda: self.storage.save_job(job), job)

    async def _write(self, write: Callable[[], Awaitable[None]], job: Job) -> None:
        # A database fault must not lose a job that is paid for, nor leave its row saying "running": a write that
        # may pass is tried again a few times; whatever still fails is logged, and the job carries on.
        for delay in (*WRITE_RETRY_DELAYS, None):
            try:
                await write()
                return
            except StorageBusy as busy:
                if delay is None:
                    log.error("could not record job %d as %s: %s", job.id, job.state, busy)
                    return
                log.warning(
                    "could not record job %d as %s (%s); trying again in %.1f s", job.id, job.state, busy, delay
                )
                await asyncio.sleep(delay)
            except Exception:
                log.exception("could not record job %d as %s", job.id, job.state)
                return

    async def shutdown(self, grace: float) -> None:
        """Take no new jobs, let running ones finish for ``grace`` seconds, and mark the rest interrupted.

        Requests acknowledged but not yet recorded get as long (at least ADMITTED_WAIT seconds) to be told the bot
        is restarting, while it can still answer them.
        """
        never_started, cut_short = await self.queue.close(grace)
        for run in list(self._following):
            run.cancel()
        await asyncio.gather(*self._following, return_exceptions=True)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._none_admitting.wait(), max(grace, ADMITTED_WAIT))
        for job_id in never_started:
            job, delivery = self._active.pop(job_id)
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
        """At start: take up today's counts and the kept results, interrupt the jobs a previous process left queued
        or running (unless the queue is shared: another process carries them on), and return the interrupted jobs
        whose requesters are still to be told, taken so that no other process tells them too."""
        await self.queue.start(self.storage, lambda job: self.prices.per_image(job.request), self.clock)
        if not self.queue.shared:
            for job in await self.storage.jobs_in(UNFINISHED):
                if following(job):
                    self._to_follow.append(job)
                else:
                    await self._finish(job, JobState.INTERRUPTED, "restart")
        return await self.storage.take_untold()

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
