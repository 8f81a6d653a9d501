"""Where admitted jobs wait, who runs them, and what they hold against the limits: in memory for one process
(``LocalQueue``), in PostgreSQL for many (``scheduler.SharedQueue``). Jobs talks to either through ``JobQueue``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from ..clock import day_start
from ..errors import ShuttingDown
from ..limits import Limits
from ..model import Job, JobState
from ..safety.screening import Screening
from ..storage.sqlite import Storage
from .ledger import Request, Room, decide
from .queue import Entry, FairQueue, Place
from .quota import Reservation, Usage

# Runs one job that left the queue; Jobs provides it.
Runner = Callable[[Job], Awaitable[None]]
# The estimated price of one image of a job, to count its cost against a server's budget.
PerImage = Callable[[Job], float]


class Hold(Protocol):
    """What one admitted request holds against the queue and the limits until it becomes a job."""

    @property
    def shared_place(self) -> int | None:
        """The row of its place in the shared queue's table (PostgreSQL), given up in the transaction that records
        its job, so that no admission in between counts both the place and the job; None in one process."""
        ...

    async def cancel(self) -> None:
        """The request never became a job: give back its place, its images and cost, and its cooldown."""
        ...


@dataclass
class Admission:
    """A request let in: what it holds, until it is a job (or never becomes one)."""

    hold: Hold
    screening: Screening = field(default_factory=Screening)
    submitted: bool = False
    # Told once the request is settled either way (a job, or nothing), so a stopping bot can wait for it.
    on_release: Callable[[], None] | None = None

    async def release(self) -> None:
        """Give everything back if the request never became a job; call once the request is settled."""
        if not self.submitted:
            self.submitted = True
            await self.hold.cancel()
        if self.on_release is not None:
            done, self.on_release = self.on_release, None
            done()


class JobQueue(Protocol):
    """A queue of jobs with a global limit on those running, a per-user limit on those waiting, users taken in
    turn; and the daily counts, budget, cooldown and cooling-off every request is checked against."""

    # The operator's limits, every server's ceiling.
    limits: Limits
    # Runs a job whose turn has come; set by Jobs.
    runner: Runner
    # Whether other processes share the queue (and carry on the jobs one of them leaves).
    shared: bool

    @property
    def closed(self) -> bool:
        """Whether the queue takes no new jobs (the process is stopping)."""
        ...

    @property
    def waiting(self) -> int:
        """Jobs waiting (of every process that shares the queue)."""
        ...

    @property
    def running(self) -> int:
        """Jobs this process runs now."""
        ...

    async def start(self, storage: Storage, per_image: PerImage, clock: Callable[[], float]) -> None:
        """Take up what the database says (today's counts, kept results) and start running jobs."""
        ...

    def serve(self) -> None:
        """Start running jobs (once they can be delivered)."""
        ...

    async def claim_kept(self, job: Job) -> bool:
        """Hold a kept result while posting it, so no other process posts it too; False if one holds it."""
        ...

    async def release_kept(self, job: Job) -> None:
        """Let go of a kept result after an attempt at posting it."""
        ...

    async def admit(self, request: Request, max_kept: int) -> Admission:
        """Check every limit and count the request against them in one step, or raise saying which stops it."""
        ...

    async def enqueue(self, job: Job, admission: Admission) -> None:
        """Queue a recorded job in its admission's place; the runner runs it when its turn comes."""
        ...

    def position(self, job_id: int) -> int | None:
        """The job's place in line, 1 being next; None once it runs or has left."""
        ...

    async def cancel(self, job_id: int) -> bool:
        """Take a waiting job out of the queue; False if it is not waiting."""
        ...

    def kept(self, job: Job) -> None:
        """The job's images are kept, waiting to be posted: they count against the room for kept images."""
        ...

    def park(self, job: Job) -> None:
        """The running job only waits on a task at the relay (Midjourney) now: its slot goes to another job, so a
        slow task keeps no drawing waiting. It goes on running, and ends as any job does."""
        ...

    async def settle(self, job: Job, per_image: float) -> None:
        """The job ended: only the images it delivered stay on the daily counts, only those it paid for on the
        budget; its kept images no longer take room."""
        ...

    async def refused(self, user_id: int, now: float) -> float | None:
        """Note a refusal; return the end of the cooling-off period it starts, if it starts one."""
        ...

    async def used(self, user_id: int, now: float) -> int:
        """Images this user has today, delivered or under way."""
        ...

    async def hand_back(self, job: Job) -> bool:
        """This process stops before ``job`` ends: give it to another process if one is alive (True)."""
        ...

    async def close(self, grace: float) -> tuple[list[int], list[int]]:
        """Take no new jobs; give running ones ``grace`` seconds, then cancel them. Returns the ids of this
        process's jobs that never started (and no other process will run) and of those cut short."""
        ...

    async def wait_idle(self) -> None:
        """Return once this process has nothing waiting or running."""
        ...


class _LocalHold:
    shared_place = None

    def __init__(self, place: Place, reservation: Reservation) -> None:
        self.place = place
        self.reservation = reservation

    async def cancel(self) -> None:
        self.place.release()
        self.reservation.cancel()


class LocalQueue:
    """One process: the queue and the counts in memory (the counts filled from the database at start), so a
    request is checked and counted without a database round trip."""

    def __init__(self, fair: FairQueue, usage: Usage) -> None:
        self.fair = fair
        self.usage = usage
        self.limits = usage.limits
        self.runner: Runner = no_runner
        self.shared = False
        self._reservations: dict[int, Reservation] = {}
        self._kept: dict[int, int] = {}

    @property
    def closed(self) -> bool:
        return self.fair.closed

    @property
    def waiting(self) -> int:
        return self.fair.waiting

    @property
    def running(self) -> int:
        return self.fair.running

    async def start(self, storage: Storage, per_image: PerImage, clock: Callable[[], float]) -> None:
        now = clock()
        used = await storage.used_since(day_start(now))
        ended: list[tuple[int, int | None, int, float, int]] = []
        for job in used:
            if job.state is not JobState.DELIVERING and not following(job):
                images, seconds = _day_use(job)
                ended.append((job.user_id, job.guild_id, images, per_image(job) * job.images_made, seconds))
        self.usage.load(ended, now)
        for job in used:
            seconds, counted = job.request.seconds, job.request.counts_images
            if job.state is JobState.DELIVERING:
                held = self.usage.hold(
                    job.user_id, job.guild_id, job.images_made, per_image(job), job.created_at, seconds, counted
                )
                self._reservations[job.id] = held
                self.kept(job)
            elif following(job):
                # A task still drawing at the relay: followed on after the restart, counted as under way.
                held = self.usage.hold(
                    job.user_id, job.guild_id, job.request.n, per_image(job), job.created_at, seconds, counted
                )
                self._reservations[job.id] = held

    def serve(self) -> None:
        return None  # jobs run as soon as they are queued

    async def claim_kept(self, job: Job) -> bool:
        return True  # one process: Jobs itself knows what it is posting

    async def release_kept(self, job: Job) -> None:
        return None

    async def admit(self, request: Request, max_kept: int) -> Admission:
        # Nothing awaits from reading the counts to counting the request, so a burst cannot slip past a limit.
        fair = self.fair
        if fair.closed:
            raise ShuttingDown()
        counts = replace(
            self.usage.counts(request.user_id, request.guild_id, request.now),
            kept=sum(self._kept.values()),
            theirs=fair.pending_for(request.user_id),
            everyone=fair.waiting + fair.running,
        )
        decide(request, counts, Room(fair.max_per_user, fair.max_waiting + fair.max_running, max_kept))
        place = fair.reserve(request.user_id)
        reservation = self.usage.take(request)
        return Admission(_LocalHold(place, reservation))

    async def enqueue(self, job: Job, admission: Admission) -> None:
        hold = admission.hold
        assert isinstance(hold, _LocalHold)
        self._reservations[job.id] = hold.reservation
        self.fair.submit(Entry(job.id, job.user_id, lambda: self.runner(job)), hold.place)

    def position(self, job_id: int) -> int | None:
        return self.fair.position(job_id)

    async def cancel(self, job_id: int) -> bool:
        return self.fair.cancel(job_id)

    def kept(self, job: Job) -> None:
        self._kept[job.id] = job.images_made - job.images_delivered

    def park(self, job: Job) -> None:
        self.fair.park(job.id)

    async def settle(self, job: Job, per_image: float) -> None:
        self._kept.pop(job.id, None)
        reservation = self._reservations.pop(job.id, None)
        if reservation is not None:
            reservation.settle(delivered=job.images_delivered, paid=job.images_made)

    async def refused(self, user_id: int, now: float) -> float | None:
        return self.usage.refused(user_id, now)

    async def used(self, user_id: int, now: float) -> int:
        return self.usage.used(user_id, now)

    async def hand_back(self, job: Job) -> bool:
        return False

    async def close(self, grace: float) -> tuple[list[int], list[int]]:
        never_started, cut_short = await self.fair.close(grace)
        return [entry.job_id for entry in never_started], [entry.job_id for entry in cut_short]

    async def wait_idle(self) -> None:
        await self.fair.wait_idle()


def _day_use(job: Job) -> tuple[int, int]:
    """What an ended job leaves on its member's day: images delivered, and seconds of video delivered."""
    seconds = job.request.seconds if job.images_delivered else 0
    return (job.images_delivered if job.request.counts_images else 0), seconds


def following(job: Job) -> bool:
    """Whether the job was being drawn by a task at the relay when its process stopped: it is followed on, not
    submitted again."""
    return job.state is JobState.RUNNING and job.task_id is not None


async def no_runner(job: Job) -> None:
    """The runner of a queue no Jobs has taken yet."""
    raise RuntimeError("the queue was started without a runner")
