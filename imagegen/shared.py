"""The queue and the limits in PostgreSQL, shared by every process of the bot.

A process claims the next job (users in turn, ``FOR UPDATE SKIP LOCKED``) while fewer than MAX_CONCURRENT_JOBS
hold a lease, and renews the lease of each job it runs. A job whose lease runs out (its process died) goes back to
the queue and another process draws it and delivers it through the interaction's token. Daily counts, the budget,
the cooldown, the cooling-off and the room in the queue are checked and counted in one transaction, the member's
and the server's rows locked, so several processes together never exceed a limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, NoReturn, Union

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from .clock import day_of
from .dispatch import Admission, PerImage, Request, Runner, no_runner
from .errors import KeptFull, QueueFull, ShuttingDown, UserQueueFull
from .model import Job, JobState
from .postgres import SETTINGS_CHANNEL, connect_pool
from .quota import Limits, Usage
from .storage import Storage, row_job

log = logging.getLogger(__name__)
Connection = Union["asyncpg.Connection[Any]", "PoolConnectionProxy[Any]"]

# Where processes tell each other that the queue changed: "queued", "free", "claimed:<id>:<process>", "gone:<id>".
JOBS_CHANNEL = "imagine_jobs"
# Shards IDENTIFY one per bucket at a time, across processes: this number plus the bucket.
IDENTIFY_LOCK = 7_244_000
# A place held for a request being acknowledged is forgotten after this long (its process may have died).
PLACE_SECONDS = 300.0
# Connections kept for admissions alone.
ADMISSION_CONNECTIONS = 4
# How often a process looks at the queue when nothing told it to.
POLL_SECONDS = 1.0

# Where every waiting job stands (the view is in migrations/postgres/0007_leases.sql).
_WAITING = "SELECT id FROM queue_order ORDER BY turn, since, id"


def process_name() -> str:
    """This process's name in the database: host, pid and a random part (pids repeat across restarts)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


class _SharedHold:
    """What one admitted request holds in the database until it is a job."""

    def __init__(self, queue: SharedQueue, place: int, request: Request, previous: float | None) -> None:
        self.queue = queue
        self.place = place
        self.request = request
        self.previous = previous

    async def cancel(self) -> None:
        request = self.request
        async with self.queue.pool.acquire() as db, db.transaction():
            # The member's row first, as admission locks it, so the two never wait on each other.
            await db.execute(
                "UPDATE member_state SET last_request = $2 WHERE user_id = $1 AND last_request = $3",
                request.user_id,
                self.previous,
                request.now,
            )
            await db.execute("DELETE FROM places WHERE id = $1", self.place)
            await _count(db, request, -request.images, -request.per_image * request.images, day_of(request.now))

    async def submitted(self) -> None:
        await self.queue.pool.execute("DELETE FROM places WHERE id = $1", self.place)


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
        # Admissions have connections of their own: they happen before Discord is answered, and must not wait
        # behind the writes of jobs already accepted.
        self._admissions: asyncpg.Pool | None = None
        self._to_admit: list[tuple[Request, int, asyncio.Future[asyncpg.Record]]] = []
        self._admitter: asyncio.Task[None] | None = None
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
        self._admissions = await connect_pool(self.url, min_size=2, max_size=ADMISSION_CONNECTIONS)
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
        if self._admissions is not None:
            await self._admissions.close()
            self._admissions = None
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

    # -- admission --------------------------------------------------------------------------------------------

    async def admit(self, request: Request, max_kept: int) -> Admission:
        if self._closed:
            raise ShuttingDown()
        waiting: asyncio.Future[asyncpg.Record] = asyncio.get_running_loop().create_future()
        self._to_admit.append((request, max_kept, waiting))
        if self._admitter is None or self._admitter.done():
            self._admitter = asyncio.create_task(self._admit_waiting(), name="queue-admissions")
        found = await waiting
        if found["o_place"] is None:
            self._refusal(request, found, max_kept)
        return Admission(_SharedHold(self, int(found["o_place"]), request, found["o_last_request"]))

    async def _admit_waiting(self) -> None:
        """Send the requests waiting to be admitted together, one round trip a batch, while any wait.

        A burst (200 /imagine at once) is admitted in a few round trips instead of two hundred, each of which would
        wait for the event loop between them; within a batch, the database admits them one after the other.
        """
        await asyncio.sleep(0)  # requests of this same pass of the event loop join the first batch
        while self._to_admit:
            batch, self._to_admit = self._to_admit, []
            try:
                rows = await (self._admissions or self.pool).fetch(_ADMIT_MANY, *_columns(self, batch))
            except BaseException as error:
                for _, _, waiting in batch:
                    if not waiting.done():
                        waiting.set_exception(error if isinstance(error, Exception) else ShuttingDown())
                if not isinstance(error, Exception):
                    raise
                continue
            for (_, _, waiting), row in zip(batch, rows, strict=True):
                if not waiting.done():
                    waiting.set_result(row)

    def _refusal(self, request: Request, found: asyncpg.Record, max_kept: int) -> NoReturn:
        """Raise what stopped the request, checked in the order one process checks (imagegen/dispatch.py)."""
        if found["o_kept"] >= max_kept:
            raise KeptFull(f"{found['o_kept']} images are waiting to be posted")
        if found["o_theirs"] >= self.max_per_user:
            raise UserQueueFull(limit=self.max_per_user)
        if found["o_everyone"] >= self.max_waiting + self.max_running:
            raise QueueFull()
        check = Usage(self.limits)
        check.day = day_of(request.now)
        check.by_user[request.user_id] = found["o_user_images"]
        if request.guild_id is not None:
            check.by_server[request.guild_id] = found["o_server_images"]
            check.spent[request.guild_id] = found["o_spent"]
        if found["o_last_request"] is not None:
            check.last_request[request.user_id] = found["o_last_request"]
        if found["o_cooling_until"] is not None:
            check.cooling_until[request.user_id] = found["o_cooling_until"]
        check.check(request.user_id, request.guild_id, request.images, request.now, request.limits,
                    request.per_image, request.exempt)  # fmt: skip
        # The database saw a limit this check did not: the two disagree, which they must not.
        log.error("admission refused by the database but not by the limits: %s", dict(found))
        raise QueueFull()

    async def settle(self, job: Job, per_image: float) -> None:
        async with self.pool.acquire() as db, db.transaction():
            first = await db.fetchval(
                "UPDATE jobs SET settled = TRUE WHERE id = $1 AND NOT settled RETURNING id", job.id
            )
            if first is None:
                return
            request = Request(job.user_id, job.guild_id, job.request.n, per_image, self.limits, False, job.created_at)
            images = job.request.n - job.images_delivered
            cost = per_image * (job.request.n - job.images_made)
            await _count(db, request, -images, -cost, day_of(job.created_at))

    def kept(self, job: Job) -> None:
        return None  # the database knows: jobs delivering hold their images there

    async def refused(self, user_id: int, now: float) -> float | None:
        limits = self.limits
        if not limits.refusals_before_cooloff:
            return None
        async with self.pool.acquire() as db, db.transaction():
            row = await _member(db, user_id)
            recent = [when for when in json.loads(row["refusals"]) if now - when < limits.refusal_window_seconds]
            recent.append(now)
            if len(recent) < limits.refusals_before_cooloff:
                query = "UPDATE member_state SET refusals = $2 WHERE user_id = $1"
                await db.execute(query, user_id, json.dumps(recent))
                return None
            until = now + limits.cooloff_seconds
            await db.execute(
                "UPDATE member_state SET refusals = '[]', cooling_until = $2 WHERE user_id = $1", user_id, until
            )
            return until

    async def used(self, user_id: int, now: float) -> int:
        found = await self.pool.fetchval(
            "SELECT images FROM usage_counts WHERE day = $1 AND scope = 'user' AND id = $2", day_of(now), user_id
        )
        return int(found or 0)

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
        await self.pool.execute("DELETE FROM places WHERE at < $1", now - PLACE_SECONDS)
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


# Admissions in order, in one statement: each call sees what the ones before it counted.
_ADMIT_MANY = """
    SELECT admitted.* FROM unnest(
        $1::bigint[], $2::bigint[], $3::date[], $4::integer[], $5::float8[], $6::integer[], $7::integer[],
        $8::float8[], $9::float8[], $10::boolean[], $11::float8[], $12::integer[], $13::integer[], $14::integer[],
        $15::float8[], $16::text[]
    ) WITH ORDINALITY AS asked (user_id, guild_id, day, images, cost, user_limit, server_limit, budget, cooldown,
                                exempt, now, max_per_user, max_total, max_kept, places_since, owner, position)
    CROSS JOIN LATERAL imagine_admit(asked.user_id, asked.guild_id, asked.day, asked.images, asked.cost,
        asked.user_limit, asked.server_limit, asked.budget, asked.cooldown, asked.exempt, asked.now,
        asked.max_per_user, asked.max_total, asked.max_kept, asked.places_since, asked.owner) AS admitted
    ORDER BY asked.position
"""


def _columns(queue: SharedQueue, batch: list[tuple[Request, int, Any]]) -> list[list[Any]]:
    """The batch's requests as the sixteen arrays _ADMIT_MANY takes."""
    rows = [
        (
            request.user_id,
            request.guild_id,
            day_of(request.now),
            request.images,
            request.per_image * request.images,
            request.limits.daily_images_per_user,
            request.limits.daily_images_per_server,
            request.limits.daily_budget_per_server,
            request.limits.cooldown_seconds,
            request.exempt,
            request.now,
            queue.max_per_user,
            queue.max_waiting + queue.max_running,
            max_kept,
            request.now - PLACE_SECONDS,
            queue.name,
        )
        for request, max_kept, _ in batch
    ]
    return [list(column) for column in zip(*rows, strict=True)]


async def _member(db: Connection, user_id: int) -> asyncpg.Record:
    """The member's row (made if new), locked until the transaction ends."""
    row = await db.fetchrow(
        "INSERT INTO member_state (user_id) VALUES ($1) ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id "
        "RETURNING last_request, cooling_until, refusals",
        user_id,
    )
    assert row is not None  # an upsert with RETURNING always returns its row
    return row  # type: ignore[no-any-return]


async def _count(db: Connection, request: Request, images: int, cost: float, day: Any) -> None:
    """Add ``images`` (and ``cost``, for the server) to the day's counts; negative to give them back."""
    await db.execute(
        "UPDATE usage_counts SET images = images + $3, spent = spent + $4 WHERE day = $1 AND "
        "((scope = 'user' AND id = $2) OR (scope = 'server' AND id = $5))",
        day,
        request.user_id,
        images,
        cost,
        request.guild_id if request.guild_id is not None else -1,
    )


class IdentifyGate:
    """Discord lets ``max_concurrency`` shards IDENTIFY at once, each bucket (shard id modulo it) once every five
    seconds, whichever process runs the shard: a PostgreSQL advisory lock per bucket, held while one shard of it
    identifies and for the five seconds after."""

    SPACING = 5.0

    def __init__(self, pool: asyncpg.Pool, spacing: float = SPACING) -> None:
        self.pool = pool
        self.spacing = spacing
        self._holding: set[asyncio.Task[None]] = set()

    async def wait(self, bucket: int) -> None:
        """Return when this process may IDENTIFY a shard of ``bucket``; the bucket is held for the spacing."""
        connection = await self.pool.acquire()
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", IDENTIFY_LOCK + bucket)
        except BaseException:
            await self.pool.release(connection)
            raise
        task = asyncio.create_task(self._release_later(connection, bucket))
        self._holding.add(task)
        task.add_done_callback(self._holding.discard)

    async def _release_later(self, connection: PoolConnectionProxy[asyncpg.Record], bucket: int) -> None:
        try:
            await asyncio.sleep(self.spacing)
            await connection.execute("SELECT pg_advisory_unlock($1)", IDENTIFY_LOCK + bucket)
        finally:
            await self.pool.release(connection)

    async def close(self) -> None:
        """Let go of any bucket still held."""
        for task in list(self._holding):
            task.cancel()
        await asyncio.gather(*self._holding, return_exceptions=True)
