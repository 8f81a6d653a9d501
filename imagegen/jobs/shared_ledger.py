"""The ledger in PostgreSQL, shared by every process: today's counts, the budgets, the cooldowns, the cooling-off
and the places held in the queue, decided by the same rules as one process's (``ledger.decide``).

Admission is one transaction per batch of requests: it takes the ledger's lock (an advisory transaction lock, the
same for every process), reads the counts the batch needs, decides each request in Python in order (each one
seeing what the ones before it counted), writes what the admitted ones hold, and commits. Every transaction that
changes the counts takes the same lock first, so a burst across processes cannot overrun a limit and nothing
waits on a row another holds in the opposite order. The queue's order and the leases are the scheduler's
(``scheduler.SharedQueue``), not the ledger's.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from typing import Any, Union

import asyncpg
from asyncpg.pool import PoolConnectionProxy

from ..clock import day_of
from ..errors import ImageGenError, ShuttingDown
from ..limits import Limits
from ..model import Job
from ..storage.postgres import connect_pool
from .dispatch import Admission
from .ledger import Counts, Request, Room, decide, note_refusal

Connection = Union["asyncpg.Connection[Any]", "PoolConnectionProxy[Any]"]

# Held by every transaction that changes the counts, until it ends: the ledger is changed one transaction at a time.
LEDGER_LOCK = 7_243_003
# A place held for a request being acknowledged is forgotten after this long (its process may have died).
PLACE_SECONDS = 300.0
# Connections kept for admissions alone.
ADMISSION_CONNECTIONS = 4

# What a batch of admissions is decided on, one row per member, per server and for everyone: the member's images
# (and seconds of video: the 'video' rows count seconds) today, cooldown, cooling-off and jobs pending; the
# server's images and spend today; everyone's kept images and jobs pending. Places held by requests still being
# acknowledged count as pending jobs.
_READ = """
    SELECT 'user' AS kind, asked.id, asked.day, coalesce(counts.images, 0) AS images, 0::float8 AS spent,
           member.last_request, member.cooling_until,
           (SELECT count(*) FROM jobs WHERE jobs.user_id = asked.id AND state IN ('queued', 'running'))
           + (SELECT count(*) FROM places WHERE places.user_id = asked.id AND at >= $5) AS pending
    FROM unnest($1::bigint[], $2::date[]) AS asked (id, day)
    LEFT JOIN usage_counts AS counts ON counts.day = asked.day AND counts.scope = 'user' AND counts.id = asked.id
    LEFT JOIN member_state AS member ON member.user_id = asked.id
    UNION ALL
    SELECT 'video', asked.id, asked.day, coalesce(counts.images, 0), 0, NULL, NULL, 0
    FROM unnest($1::bigint[], $2::date[]) AS asked (id, day)
    LEFT JOIN usage_counts AS counts ON counts.day = asked.day AND counts.scope = 'video' AND counts.id = asked.id
    UNION ALL
    SELECT 'server', asked.id, asked.day, coalesce(counts.images, 0), coalesce(counts.spent, 0), NULL, NULL, 0
    FROM unnest($3::bigint[], $4::date[]) AS asked (id, day)
    LEFT JOIN usage_counts AS counts ON counts.day = asked.day AND counts.scope = 'server' AND counts.id = asked.id
    UNION ALL
    SELECT 'all', 0, NULL,
           (SELECT coalesce(sum(images_made - images_delivered), 0) FROM jobs WHERE state = 'delivering')::integer,
           0, NULL, NULL,
           (SELECT count(*) FROM jobs WHERE state IN ('queued', 'running'))
           + (SELECT count(*) FROM places WHERE at >= $5)
"""

# What the admitted requests of a batch hold, in one statement: their images and cost on the day's counts, the
# members' last request (their cooldown), a place each in the queue.
_WRITE = """
    WITH counted AS (
        INSERT INTO usage_counts AS counts (day, scope, id, images, spent)
        SELECT * FROM unnest($1::date[], $2::text[], $3::bigint[], $4::integer[], $5::float8[])
        ON CONFLICT (day, scope, id)
        DO UPDATE SET images = counts.images + excluded.images, spent = counts.spent + excluded.spent
    ), started AS (
        INSERT INTO member_state AS member (user_id, last_request)
        SELECT * FROM unnest($6::bigint[], $7::float8[])
        ON CONFLICT (user_id) DO UPDATE SET last_request = excluded.last_request
    )
    INSERT INTO places (user_id, owner, at)
    SELECT user_id, $10, at FROM unnest($8::bigint[], $9::float8[]) AS held (user_id, at)
    RETURNING id, user_id
"""


class Tally:
    """The counts a batch of admissions was read with, brought up to date as each request of it is admitted."""

    def __init__(self, rows: list[asyncpg.Record]) -> None:
        self.images: Counter[tuple[str, int, Any]] = Counter()
        self.spent: dict[tuple[str, int, Any], float] = {}
        self.last_request: dict[int, float | None] = {}
        self.cooling_until: dict[int, float | None] = {}
        self.pending: Counter[int] = Counter()
        self.kept = self.everyone = 0
        for row in rows:
            if row["kind"] == "all":
                self.kept, self.everyone = int(row["images"]), int(row["pending"])
                continue
            key = (row["kind"], int(row["id"]), row["day"])
            self.images[key] = int(row["images"])
            self.spent[key] = float(row["spent"])
            if row["kind"] == "user":
                user_id = int(row["id"])
                self.last_request[user_id] = row["last_request"]
                self.cooling_until[user_id] = row["cooling_until"]
                self.pending[user_id] = int(row["pending"])

    def counts(self, request: Request) -> Counts:
        """What ``request`` is decided on."""
        day = day_of(request.now)
        server = ("server", request.guild_id, day) if request.guild_id is not None else None
        return Counts(
            user_images=self.images[("user", request.user_id, day)],
            user_video_seconds=self.images[("video", request.user_id, day)],
            server_images=self.images[server] if server is not None else 0,
            server_spent=self.spent.get(server, 0.0) if server is not None else 0.0,
            last_request=self.last_request.get(request.user_id),
            cooling_until=self.cooling_until.get(request.user_id),
            kept=self.kept,
            theirs=self.pending[request.user_id],
            everyone=self.everyone,
        )

    def take(self, request: Request) -> None:
        """Count an admitted request, so the next in the batch sees it."""
        day = day_of(request.now)
        for scope, row_id, amount, cost in _scopes(request):
            key = (scope, row_id, day)
            self.images[key] += amount
            self.spent[key] = self.spent.get(key, 0.0) + cost
        self.last_request[request.user_id] = request.now
        self.pending[request.user_id] += 1
        self.everyone += 1


class SharedHold:
    """What one admitted request holds in the database until it is a job."""

    def __init__(self, ledger: SharedLedger, place: int, request: Request, previous: float | None) -> None:
        self.ledger = ledger
        self.shared_place = place
        self.request = request
        self.previous = previous

    async def cancel(self) -> None:
        request = self.request
        async with self.ledger.pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", LEDGER_LOCK)
            await db.execute(
                "UPDATE member_state SET last_request = $2 WHERE user_id = $1 AND last_request = $3",
                request.user_id,
                self.previous,
                request.now,
            )
            await db.execute("DELETE FROM places WHERE id = $1", self.shared_place)
            await _count(db, [(scope, row_id, -amount, -cost) for scope, row_id, amount, cost in _scopes(request)],
                         day_of(request.now))  # fmt: skip


class SharedLedger:
    """The counts every process shares, and admission against them; one per process."""

    def __init__(self, pool: asyncpg.Pool, url: str, limits: Limits, owner: str, max_per_user: int,
                 max_total: int) -> None:  # fmt: skip
        self.pool = pool
        self.url = url
        self.limits = limits
        # Whose places this ledger holds (the process's name).
        self.owner = owner
        self.max_per_user = max_per_user
        self.max_total = max_total
        # Admissions have connections of their own: they must not wait behind the writes of jobs already accepted.
        self._admissions: asyncpg.Pool | None = None
        self._to_admit: list[tuple[Request, int, asyncio.Future[tuple[int, float | None]]]] = []
        self._admitter: asyncio.Task[None] | None = None
        self._closing = False

    async def start(self) -> None:
        """Open the connections admissions use."""
        self._admissions = await connect_pool(self.url, min_size=2, max_size=ADMISSION_CONNECTIONS)

    async def close(self) -> None:
        """Take no more requests, let those already asked for be decided, then close the connections."""
        self._closing = True
        if self._admitter is not None:
            with contextlib.suppress(Exception):
                await self._admitter
        if self._admissions is not None:
            await self._admissions.close()
            self._admissions = None

    # -- admission --------------------------------------------------------------------------------------------

    async def admit(self, request: Request, max_kept: int) -> Admission:
        """Let a request in and count it, or raise what stops it (the same as one process would)."""
        if self._closing:
            raise ShuttingDown()
        waiting: asyncio.Future[tuple[int, float | None]] = asyncio.get_running_loop().create_future()
        self._to_admit.append((request, max_kept, waiting))
        if self._admitter is None or self._admitter.done():
            self._admitter = asyncio.create_task(self._admit_waiting(), name="ledger-admissions")
        place, previous = await waiting
        return Admission(SharedHold(self, place, request, previous))

    async def _admit_waiting(self) -> None:
        """Admit the requests waiting, a batch per transaction, while any wait.

        A burst (200 /imagine at once) is admitted in a few transactions instead of two hundred, each of which
        would hold the ledger's lock while it waits for the event loop.
        """
        await asyncio.sleep(0)  # requests of this same pass of the event loop join the first batch
        while self._to_admit:
            batch, self._to_admit = self._to_admit, []
            try:
                await self._admit_batch(batch)
            except BaseException as error:
                for _, _, waiting in batch:
                    if not waiting.done():
                        waiting.set_exception(error if isinstance(error, Exception) else ShuttingDown())
                if not isinstance(error, Exception):
                    raise

    async def _admit_batch(self, batch: list[tuple[Request, int, asyncio.Future[tuple[int, float | None]]]]) -> None:
        requests = [request for request, _, _ in batch]
        users = sorted({(request.user_id, day_of(request.now)) for request in requests})
        servers = sorted(
            {(request.guild_id, day_of(request.now)) for request in requests if request.guild_id is not None}
        )
        since = min(request.now for request in requests) - PLACE_SECONDS
        async with (self._admissions or self.pool).acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", LEDGER_LOCK)
            tally = Tally(
                await db.fetch(
                    _READ,
                    [user for user, _ in users],
                    [day for _, day in users],
                    [server for server, _ in servers],
                    [day for _, day in servers],
                    since,
                )
            )
            admitted: list[tuple[Request, float | None]] = []
            refused: dict[int, ImageGenError] = {}
            for index, (request, max_kept, _) in enumerate(batch):
                try:
                    decide(request, tally.counts(request), Room(self.max_per_user, self.max_total, max_kept))
                except ImageGenError as error:
                    refused[index] = error
                    continue
                admitted.append((request, tally.last_request.get(request.user_id)))
                tally.take(request)
            places = []
            if admitted:
                places = await db.fetch(_WRITE, *_holdings([request for request, _ in admitted]), self.owner)
        by_user: dict[int, list[int]] = {}
        for row in places:
            by_user.setdefault(int(row["user_id"]), []).append(int(row["id"]))
        held = iter(admitted)
        for index, (request, _, waiting) in enumerate(batch):
            if waiting.done():
                continue
            if index in refused:
                waiting.set_exception(refused[index])
            else:
                _, previous = next(held)
                waiting.set_result((by_user[request.user_id].pop(), previous))

    async def tidy(self, now: float) -> None:
        """Forget places held for requests no process acknowledged in time (their process died)."""
        await self.pool.execute("DELETE FROM places WHERE at < $1", now - PLACE_SECONDS)

    # -- after admission --------------------------------------------------------------------------------------

    async def settle(self, job: Job, per_image: float) -> None:
        """The job ended: only the images it delivered stay counted, only those it paid for on the budget."""
        async with self.pool.acquire() as db, db.transaction():
            first = await db.fetchval(
                "UPDATE jobs SET settled = TRUE WHERE id = $1 AND NOT settled RETURNING id", job.id
            )
            if first is None:
                return
            await db.execute("SELECT pg_advisory_xact_lock($1)", LEDGER_LOCK)
            await _count(db, _given_back(job, per_image), day_of(job.created_at))

    async def refused(self, user_id: int, now: float) -> float | None:
        """Note a refusal; return the end of the cooling-off period it starts, if it starts one."""
        if not self.limits.refusals_before_cooloff:
            return None
        async with self.pool.acquire() as db, db.transaction():
            row = await _member(db, user_id)
            recent, until = note_refusal(json.loads(row["refusals"]), now, self.limits)
            if until is None:
                query = "UPDATE member_state SET refusals = $2 WHERE user_id = $1"
                await db.execute(query, user_id, json.dumps(recent))
                return None
            await db.execute(
                "UPDATE member_state SET refusals = '[]', cooling_until = $2 WHERE user_id = $1", user_id, until
            )
            return until

    async def used(self, user_id: int, now: float) -> int:
        """Images this member has today, delivered or under way."""
        found = await self.pool.fetchval(
            "SELECT images FROM usage_counts WHERE day = $1 AND scope = 'user' AND id = $2", day_of(now), user_id
        )
        return int(found or 0)


def _holdings(admitted: list[Request]) -> list[list[Any]]:
    """The nine arrays _WRITE takes for these admitted requests: counts to add (one per row), last requests (one
    per member), places (one per request)."""
    images: Counter[tuple[Any, str, int]] = Counter()
    spent: dict[tuple[Any, str, int], float] = {}
    last: dict[int, float] = {}
    for request in admitted:
        day = day_of(request.now)
        for scope, row_id, amount, cost in _scopes(request):
            key = (day, scope, row_id)
            images[key] += amount
            spent[key] = spent.get(key, 0.0) + cost
        last[request.user_id] = request.now
    rows = sorted(images)
    return [
        [day for day, _, _ in rows],
        [scope for _, scope, _ in rows],
        [row_id for _, _, row_id in rows],
        [images[key] for key in rows],
        [spent[key] for key in rows],
        sorted(last),
        [last[user_id] for user_id in sorted(last)],
        [request.user_id for request in admitted],
        [request.now for request in admitted],
    ]


def _scopes(request: Request) -> list[tuple[str, int, int, float]]:
    """The day's counter rows a request is counted on, with what it adds to each (a count, and dollars): the
    member's images and its server's images and spend; a video adds its seconds to the member's 'video' row
    instead of images, and its price to the server's spend."""
    cost = request.per_image * request.images
    counted = request.images if request.counts_images else 0
    rows = [("user", request.user_id, counted, 0.0)]
    if request.video_seconds:
        rows.append(("video", request.user_id, request.video_seconds, 0.0))
    if request.guild_id is not None:
        rows.append(("server", request.guild_id, counted, cost))
    return rows


async def _member(db: Connection, user_id: int) -> asyncpg.Record:
    """The member's row (made if new), locked until the transaction ends."""
    row = await db.fetchrow(
        "INSERT INTO member_state (user_id) VALUES ($1) ON CONFLICT (user_id) DO UPDATE SET user_id = excluded.user_id "
        "RETURNING last_request, cooling_until, refusals",
        user_id,
    )
    assert row is not None  # an upsert with RETURNING always returns its row
    return row  # type: ignore[no-any-return]


def _given_back(job: Job, per_image: float) -> list[tuple[str, int, int, float]]:
    """What an ended job gives back of what its admission counted: the images it did not deliver, the cost of
    those it did not pay for; a video, its seconds unless it was posted."""
    request = job.request
    seconds = request.seconds if request.seconds and not job.images_delivered else 0
    images = request.n - job.images_delivered if request.counts_images else 0
    cost = per_image * (request.n - job.images_made)
    rows = [("user", job.user_id, -images, 0.0)]
    if request.seconds:
        rows.append(("video", job.user_id, -seconds, 0.0))
    if job.guild_id is not None:
        rows.append(("server", job.guild_id, -images, -cost))
    return rows


async def _count(db: Connection, rows: list[tuple[str, int, int, float]], day: Any) -> None:
    """Add to the day's counter rows (a count and dollars each, as ``_scopes`` gives them); negative to give back."""
    await db.executemany(
        "UPDATE usage_counts SET images = images + $4, spent = spent + $5 WHERE day = $1 AND scope = $2 AND id = $3",
        [(day, scope, row_id, amount, cost) for scope, row_id, amount, cost in rows],
    )
