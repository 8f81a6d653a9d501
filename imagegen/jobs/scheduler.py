"""The queue in PostgreSQL, shared by every process of the bot: its order and the leases (the scheduler).

A process claims the next job (users in turn, ``FOR UPDATE SKIP LOCKED``) while fewer than MAX_CONCURRENT_JOBS
hold a lease, and renews the lease of each job it runs. A job whose lease runs out (its process died) goes back to
the queue and another process draws it and delivers it through the interaction's token. What a request holds
against the limits (daily counts, the budget, the cooldown, the cooling-off, the room in the queue) is the
ledger's: ``shared_ledger.SharedLedger``, which this queue admits requests through.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, Union

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ..errors import ShuttingDown
from ..limits import Limits
from ..model import Job, JobState
from ..storage.postgres import SETTINGS_CHANNEL
from ..storage.sqlite import Storage, row_job
from .dispatch import Admission, PerImage, Runner, no_runner
from .ledger import Request
from .shared_ledger import SharedLedger

log = logging.getLogger(__name__)
Connection = Union["asyncpg.Connection[Any]", "PoolConnectionProxy[Any]"]

# Where processes tell each other that the queue changed: "queued", "free", "claimed:<id>:<process>", "gone:<id>".
JOBS_CHANNEL = "imagine_jobs"
# How often a process looks at the queue when nothing told it to.
POLL_SECONDS = 1.0

# Where every waiting job stands (the view is in migrations/postgres/0007_leases.sql).
_WAITING = "SELECT id FROM queue_order ORDER BY turn, since, id"


def process_name() -> str:
    """This process's name in the database: host, pid and a random part (pids repeat across restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class SharedQueue:
    """The queue, the leases and the limits in PostgreSQL; one per process."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        url: str,
        limits: Limits,
        max_running: int,
        max_per_user: int,
        max_waiting: int,
        lease: float = 60.0,
        clock: Callable[[], float] = time.time,
        name: str | None = None,
    ) -> None:
        self.pool = pool
        self.url = url
        self.limits = limits
        self.max_running = max_running
        self.max_per_user = max_per_user
        self.max_waiting = max_waiting
        self.lease = lease
        self.clock = clock
        self.name = name or process_name()
        self.shared = True
        self.runner: Runner = no_runner
        # Told when a server's settings changed in any process; and when a job accepted here was taken by another
        # process or left the queue (its status message is no longer this process's to keep).
        self.on_settings: Callable[[int], Awaitable[None]] | None = None
        self.on_moved: Callable[[int], Awaitable[None]] | None = None
        self._closed = False
        self._serving = False
        self._tasks: dict[int, asyncio.Task[None]] = {}
        # Jobs accepted here that have not started yet, anywhere.
        self._mine: set[int] = set()
        # Jobs whose lease this process lost: their task is cancelled without ending them.
        self._lost: set[int] = set()
        self._positions: dict[int, int] = {}
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        # Passes of the dispatcher begun and over, for enqueue to wait for one that saw its job.
        self._cycles = 0
        self._done_cycles = 0
        self._cycled = asyncio.Condition()
        self._listener: asyncpg.Connection | None = None
        # What requests hold against the limits and the room in the queue, shared with every process.
        self.ledger = SharedLedger(pool, url, limits, self.name, max_per_user, max_waiting + max_running)
        self._background: list[asyncio.Task[None]] = []
        self._notes: set[asyncio.Task[None]] = set()

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def waiting(self) -> int:
        return len(self._positions)

    @property
    def running(self) -> int:
        return len(self._tasks)

    # -- starting and stopping ------------------------------------------------------------------------------------

    async def start(self, storage: Storage, per_image: PerImage, clock: Callable[[], float]) -> None:
        """Say this process is alive and listen for the others; jobs run once ``serve`` is called."""
        self.clock = clock
        await self._say_alive()
        await self.ledger.start()
        self._listener = await asyncpg.connect(self.url)
        await self._listener.add_listener(JOBS_CHANNEL, self._heard)
        await self._listener.add_listener(SETTINGS_CHANNEL, self._heard)
        self._background.append(asyncio.create_task(self._heartbeat(), name="queue-heartbeat"))
        await self._refresh_positions()
        log.info("shared queue: this process is %s", self.name)

    def serve(self) -> None:
        """Start claiming jobs (once the bot can deliver them)."""
        if not self._serving and not self._closed:
            self._serving = True
            self._background.append(asyncio.create_task(self._dispatch(), name="queue-dispatch"))

    async def close(self, grace: float) -> tuple[list[int], list[int]]:
        """Take no new jobs. Jobs accepted here that wait stay in the queue for the others, or are returned to be
        interrupted when no other process is alive; running ones get ``grace`` seconds, then are cancelled (and
        handed back by Jobs)."""
        self._closed = True
        async with self._cycled:
            self._cycled.notify_all()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        self._background.clear()
        others = await self._others_alive()
        never_started: list[int] = []
        if others:
            # They stay queued: another process draws them and answers through their interactions.
            for job_id in list(self._mine):
                if self.on_moved is not None:
                    await self.on_moved(job_id)
        elif self._mine:
            rows = await self.pool.fetch(
                "UPDATE jobs SET state = 'interrupted' WHERE id = ANY($1::bigint[]) AND state = 'queued' RETURNING id",
                list(self._mine),
            )
            never_started = [int(row["id"]) for row in rows]
        self._mine.clear()
        tasks = {task: job_id for job_id, task in self._tasks.items()}
        cut_short: list[int] = []
        if tasks:
            _, late = await asyncio.wait(tasks, timeout=grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
            cut_short = [tasks[task] for task in late]
        await self.pool.execute("DELETE FROM processes WHERE id = $1", self.name)
        if self._listener is not None:
            await self._listener.close()
            self._listener = None
        await self.ledger.close()
        if never_started or cut_short:
            log.info("shared queue: %s stopped with %d jobs waiting and %d cut short", self.name,
                     len(never_started), len(cut_short))  # fmt: skip
        return never_started, cut_short

    async def _others_alive(self) -> bool:
        found = await self.pool.fetchval(
            "SELECT count(*) FROM processes WHERE id <> $1 AND seen_at >= $2", self.name, self.clock() - self.lease
        )
        return bool(found)

    async def hand_back(self, job: Job) -> bool:
        if job.id in self._lost:
            return True  # another process holds it now
        if not await self._others_alive():
            return False
        handed = await self.pool.fetchval(
            "UPDATE jobs SET state = 'queued', owner = NULL, lease_until = NULL, started_at = NULL "
            "WHERE id = $1 AND owner = $2 RETURNING id",
            job.id,
            self.name,
        )
        await self._notify("queued")
        return handed is not None

    # -- the ledger ---------------------------------------------------------------------------------------------

    async def admit(self, request: Request, max_kept: int) -> Admission:
        if self._closed:
            raise ShuttingDown()
        return await self.ledger.admit(request, max_kept)

    async def settle(self, job: Job, per_image: float) -> None:
        await self.ledger.settle(job, per_image)

    def park(self, job: Job) -> None:
        # A job with a task at the relay leaves the count of running jobs (imagine_claim): claim the next one.
        self._wake.set()

    def kept(self, job: Job) -> None:
        return None  # the database knows: jobs delivering hold their images there

    async def refused(self, user_id: int, now: float) -> float | None:
        return await self.ledger.refused(user_id, now)

    async def used(self, user_id: int, now: float) -> int:
        return await self.ledger.used(user_id, now)

    # -- the queue ----------------------------------------------------------------------------------------------

    async def enqueue(self, job: Job, admission: Admission) -> None:
        if self._closed:
            raise ShuttingDown()
        # Unless this process claimed it (and perhaps ran it) while it was being recorded.
        if job.state is JobState.QUEUED and job.id not in self._tasks:
            self._mine.add(job.id)
            self._idle.clear()
        await self._notify("queued")
        if not self._serving:
            await self._refresh_positions()
            return
        # Returns once a pass of the dispatcher that began after now is over: the job is claimed or its place in
        # line known. A burst of requests shares passes instead of each reading the whole queue.
        asked = self._cycles
        self._wake.set()
        async with self._cycled:
            await self._cycled.wait_for(lambda: self._done_cycles > asked or self._closed)

    def position(self, job_id: int) -> int | None:
        return self._positions.get(job_id)

    async def cancel(self, job_id: int) -> bool:
        gone = await self.pool.fetchval(
            "UPDATE jobs SET state = 'cancelled' WHERE id = $1 AND state = 'queued' RETURNING id", job_id
        )
        if gone is None:
            return False
        self._mine.discard(job_id)
        self._settle_idle()
        await self._notify(f"gone:{job_id}")
        await self._refresh_positions()
        return True

    async def claim_kept(self, job: Job) -> bool:
        """Hold a kept result while posting it, so no other process posts it too; False if one holds it."""
        now = self.clock()
        held = await self.pool.fetchval(
            "UPDATE jobs SET owner = $2, lease_until = $3 WHERE id = $1 AND state = 'delivering' "
            "AND (lease_until IS NULL OR lease_until < $4 OR owner = $2) RETURNING id",
            job.id,
            self.name,
            now + self.lease,
            now,
        )
        return held is not None

    async def release_kept(self, job: Job) -> None:
        """Let go of a kept result after an attempt at posting it."""
        await self._release(job.id)

    async def wait_idle(self) -> None:
        await self._idle.wait()

    async def _dispatch(self) -> None:
        looked = 0.0
        while not self._closed:
            self._wake.clear()
            self._cycles += 1
            cycle = self._cycles
            try:
                if time.monotonic() - looked >= POLL_SECONDS:
                    looked = time.monotonic()
                    await self._take_over()
                await self._pump()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("shared queue: cannot read the queue (%s); trying again", error)
            async with self._cycled:
                self._done_cycles = cycle
                self._cycled.notify_all()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), POLL_SECONDS)

    async def _pump(self) -> None:
        """Claim jobs while there is room, start them, and note where the others stand (the dispatcher only)."""
        while self._serving and not self._closed:
            job = await self._claim()
            if job is None:
                break
            self._start(job)
        # Those queued here before the queue is read (so surely recorded by then).
        known = set(self._mine)
        await self._refresh_positions()
        # One that no longer waits was drawn by another process, and the notice of it came before this process
        # had queued it, or was lost (the listener reconnecting): it is no longer this one's.
        for job_id in (known & self._mine) - self._positions.keys():
            await self._forget(job_id)

    async def _claim(self) -> Job | None:
        row = await self.pool.fetchrow(
            "SELECT * FROM imagine_claim($1, $2, $3, $4)", self.name, self.clock(), self.lease, self.max_running
        )
        return row_job(row) if row is not None else None

    def _start(self, job: Job) -> None:
        self._mine.discard(job.id)
        self._idle.clear()
        self._tasks[job.id] = asyncio.create_task(self._hold(job), name=f"job-{job.id}")

    async def _hold(self, job: Job) -> None:
        try:
            await self.runner(job)
        except Exception:
            log.exception("job %s failed unexpectedly", job.id)
        finally:
            self._tasks.pop(job.id, None)
            if job.id not in self._lost:
                with contextlib.suppress(Exception):
                    await self._release(job.id)
                    await self._notify("free")
            self._lost.discard(job.id)
            self._wake.set()
            self._settle_idle()

    async def _release(self, job_id: int) -> None:
        await self.pool.execute(
            "UPDATE jobs SET owner = NULL, lease_until = NULL WHERE id = $1 AND owner = $2", job_id, self.name
        )

    async def _take_over(self) -> None:
        """Put back in the queue the jobs whose process stopped renewing their lease (it died)."""
        rows = await self.pool.fetch(
            "UPDATE jobs SET state = 'queued', owner = NULL, lease_until = NULL, started_at = NULL "
            "WHERE state = 'running' AND (lease_until IS NULL OR lease_until < $1) RETURNING id, owner",
            self.clock(),
        )
        for row in rows:
            log.warning("job %d: its process stopped answering; it goes back to the queue", row["id"])
        # What processes that died left behind: places of requests never acknowledged, their own rows.
        now = self.clock()
        await self.ledger.tidy(now)
        await self.pool.execute("DELETE FROM processes WHERE seen_at < $1", now - 86400)

    async def _refresh_positions(self) -> None:
        rows = await self.pool.fetch(_WAITING)
        self._positions = {int(row["id"]): index for index, row in enumerate(rows, start=1)}

    async def _heartbeat(self) -> None:
        """Say this process is alive and renew the leases of the jobs it runs; cancel any whose lease was lost."""
        while True:
            await asyncio.sleep(self.lease / 3)
            try:
                now = self.clock()
                await self._say_alive()
                held = list(self._tasks)
                if not held:
                    continue
                rows = await self.pool.fetch(
                    "UPDATE jobs SET lease_until = $3 WHERE id = ANY($1::bigint[]) AND owner = $2 RETURNING id",
                    held,
                    self.name,
                    now + self.lease,
                )
                for job_id in set(held) - {int(row["id"]) for row in rows}:
                    task = self._tasks.get(job_id)
                    if task is not None:
                        log.error("job %d: this process lost its lease (another process has it); stopping it", job_id)
                        self._lost.add(job_id)
                        task.cancel()
            except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
                log.warning("shared queue: cannot renew leases (%s)", error)

    async def _say_alive(self) -> None:
        await self.pool.execute(
            "INSERT INTO processes (id, seen_at) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET seen_at = $2",
            self.name,
            self.clock(),
        )

    async def _forget(self, job_id: int) -> None:
        """A job queued here is no longer this process's: another one drew it, or it left the queue."""
        self._mine.discard(job_id)
        self._settle_idle()
        if self.on_moved is not None:
            await self.on_moved(job_id)

    def _settle_idle(self) -> None:
        if not self._tasks and not self._mine:
            self._idle.set()

    # -- notifications ------------------------------------------------------------------------------------------

    async def _notify(self, payload: str) -> None:
        await self.pool.execute("SELECT pg_notify($1, $2)", JOBS_CHANNEL, payload)

    def _heard(self, connection: Connection, pid: int, channel: str, payload: object) -> None:
        task = asyncio.create_task(self._handle(channel, str(payload)))
        self._notes.add(task)
        task.add_done_callback(self._notes.discard)

    async def _handle(self, channel: str, payload: str) -> None:
        try:
            if channel == SETTINGS_CHANNEL:
                if self.on_settings is not None:
                    await self.on_settings(int(payload))
                return
            kind, _, rest = payload.partition(":")
            job, _, by = rest.partition(":")
            if kind in ("claimed", "gone") and job and int(job) in self._mine and by != self.name:
                await self._forget(int(job))
            self._wake.set()
        except Exception:
            log.exception("shared queue: could not handle %s %r", channel, payload)
