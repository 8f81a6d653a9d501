"""PostgreSQL, for operators who outgrow one process: the same records as SQLite, shared by every process."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from urllib.parse import urlparse

import asyncpg

from ..model import Description, Job, JobState
from .sqlite import (
    COLUMN_COUNT,
    COLUMNS,
    DESCRIPTION_COLUMNS,
    RESULTS_DIRECTORY,
    TAKE_UNTOLD,
    UPDATED,
    StorageBusy,
    StorageError,
    description_row,
    ensure_directory,
    job_row,
    migrations,
    read_files,
    reference_rows,
    remove_files,
    row_description,
    row_job,
    with_references,
    write_files,
)

log = logging.getLogger(__name__)

MIGRATIONS = migrations("postgres")
# The advisory lock two processes starting together take, so only the first migrates.
MIGRATION_LOCK = 7_243_001
# Where processes hear that a server's settings changed.
SETTINGS_CHANNEL = "imagine_settings"
CONNECT_TIMEOUT = 10.0
# Errors that may pass when tried again: the connection lost, the server restarting or too busy, a deadlock.
TRANSIENT = (
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.DeadlockDetectedError,
    asyncpg.SerializationError,
    asyncpg.ConnectionDoesNotExistError,
    asyncpg.InternalClientError,
    ConnectionError,
    TimeoutError,
)


def where(url: str) -> str:
    """A database URL without its password, to name it to the operator."""
    parts = urlparse(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"postgresql://{host}{port}{parts.path}"


async def connect_pool(url: str, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    """A pool of connections to ``url``; raises StorageError naming the database (never its password)."""
    try:
        return await asyncpg.create_pool(
            url, min_size=min_size, max_size=max_size, timeout=CONNECT_TIMEOUT, command_timeout=30
        )
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        reason = type(error).__name__ if isinstance(error, TimeoutError) else str(error).split("\n")[0]
        raise StorageError(f"the database {where(url)} cannot be reached: {reason}") from error


class PostgresStorage:
    """Jobs, kept results and settings in PostgreSQL; ``pool`` is shared with the queue and limits.

    Result images are kept in files under ``data_dir`` while they are first posted (a second or two; writing 8 MB
    into the database for each job would make it the bottleneck, bench/SCALE.md), and moved into the database
    if posting them fails, so that any process can post them later.
    """

    def __init__(self, pool: asyncpg.Pool, url: str, data_dir: Path) -> None:
        self.pool = pool
        self.url = url
        self.results_dir = data_dir / RESULTS_DIRECTORY

    @classmethod
    async def open(cls, url: str, data_dir: Path) -> PostgresStorage:
        """Connect and bring the schema up to date (once, however many processes start together)."""
        await asyncio.to_thread(ensure_directory, data_dir)
        pool = await connect_pool(url)
        storage = cls(pool, url, data_dir)
        try:
            await storage._migrate()
        except BaseException:
            await pool.close()
            raise
        return storage

    async def _migrate(self) -> None:
        async with self.pool.acquire() as db:
            await db.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
            try:
                await db.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
                version = await db.fetchval("SELECT max(version) FROM schema_version") or 0
                if version > len(MIGRATIONS):
                    raise StorageError(
                        f"the database {where(self.url)} is on schema version {version}, newer than this bot knows "
                        f"({len(MIGRATIONS)}): run the newer bot, or restore a backup"
                    )
                for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                    async with db.transaction():
                        await db.execute(script)
                        await db.execute("INSERT INTO schema_version (version) VALUES ($1)", number)
                    log.info("database migrated to schema version %d", number)
            finally:
                await db.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)

    async def schema_version(self) -> int:
        """The schema version the database is on."""
        return int(await self.pool.fetchval("SELECT max(version) FROM schema_version") or 0)

    async def add_job(self, job: Job, shared_place: int | None = None) -> Job:
        marks = ", ".join(f"${n}" for n in range(1, COLUMN_COUNT + 1))
        async with _transient(), self.pool.acquire() as db, db.transaction():
            job.id = int(
                await db.fetchval(f"INSERT INTO jobs ({COLUMNS}) VALUES ({marks}) RETURNING id", *job_row(job))
            )
            if shared_place is not None:
                await db.execute("DELETE FROM places WHERE id = $1", shared_place)
            await db.executemany(
                "INSERT INTO job_references (job_id, position, data) VALUES ($1, $2, $3)",
                reference_rows(job),
            )
        return job

    async def save_job(self, job: Job) -> None:
        async with _transient():
            await self.pool.execute(_UPDATE, *job_row(job)[: len(UPDATED)], job.id)

    async def keep_results(self, job: Job, images: Sequence[bytes]) -> None:
        names = await asyncio.to_thread(write_files, self.results_dir, job.id, images)
        async with _transient(), self.pool.acquire() as db, db.transaction():
            await db.execute("DELETE FROM job_results WHERE job_id = $1", job.id)
            await db.executemany(
                "INSERT INTO job_results (job_id, position, name) VALUES ($1, $2, $3)",
                [(job.id, position, name) for position, name in enumerate(names)],
            )
            await db.execute(_UPDATE, *job_row(job)[: len(UPDATED)], job.id)

    async def share_results(self, job: Job) -> None:
        rows = await self.pool.fetch("SELECT position, name FROM job_results WHERE job_id = $1 AND data IS NULL",
                                     job.id)  # fmt: skip
        names = [str(row["name"]) for row in rows]
        found = await asyncio.to_thread(read_files, self.results_dir, names)
        if len(found) != len(names):
            return  # some are gone already: what is left stays where it is
        async with _transient(), self.pool.acquire() as db, db.transaction():
            await db.executemany(
                "UPDATE job_results SET data = $3, name = NULL WHERE job_id = $1 AND position = $2",
                [(job.id, row["position"], data) for row, data in zip(rows, found, strict=True)],
            )
        await asyncio.to_thread(remove_files, self.results_dir, names)

    async def results(self, job_id: int) -> list[bytes]:
        rows = await self.pool.fetch("SELECT name, data FROM job_results WHERE job_id = $1 ORDER BY position", job_id)
        if all(row["data"] is not None for row in rows):
            return [bytes(row["data"]) for row in rows]
        # Still in files beside the process that made them (never some in files and some in the database).
        return await asyncio.to_thread(read_files, self.results_dir, [str(row["name"]) for row in rows])

    async def drop_results(self, job: Job) -> None:
        rows = await self.pool.fetch("SELECT name FROM job_results WHERE job_id = $1 AND name IS NOT NULL", job.id)
        async with _transient(), self.pool.acquire() as db, db.transaction():
            await db.execute("DELETE FROM job_results WHERE job_id = $1", job.id)
            await db.execute(_UPDATE, *job_row(job)[: len(UPDATED)], job.id)
        await asyncio.to_thread(remove_files, self.results_dir, [str(row["name"]) for row in rows])

    async def get_job(self, job_id: int) -> Job | None:
        row = await self.pool.fetchrow("SELECT * FROM jobs WHERE id = $1", job_id)
        if row is None:
            return None
        job = row_job(row)
        rows = await self.pool.fetch("SELECT position, data FROM job_references WHERE job_id = $1", job_id)
        with_references(job, [(row["position"], bytes(row["data"])) for row in rows])
        return job

    async def jobs_in(self, states: Sequence[JobState]) -> list[Job]:
        rows = await self.pool.fetch(
            "SELECT * FROM jobs WHERE state = ANY($1::text[]) ORDER BY id", [str(state) for state in states]
        )
        return [row_job(row) for row in rows]

    async def used_since(self, since: float) -> list[Job]:
        # A job whose task still draws at the relay has made nothing yet, but is counted as under way.
        rows = await self.pool.fetch(
            "SELECT * FROM jobs WHERE created_at >= $1 "
            "AND (images_made > 0 OR (state = 'running' AND task_id IS NOT NULL)) ORDER BY id",
            since,
        )
        return [row_job(row) for row in rows]

    async def take_untold(self) -> list[Job]:
        rows = await self.pool.fetch(TAKE_UNTOLD)
        return sorted((row_job(row) for row in rows), key=lambda job: job.id)

    async def server_jobs_since(self, guild_id: int, since: float) -> list[Job]:
        rows = await self.pool.fetch(
            "SELECT * FROM jobs WHERE guild_id = $1 AND created_at >= $2 "
            "AND state IN ('done', 'refused', 'delivering', 'undeliverable')",
            guild_id,
            since,
        )
        return [row_job(row) for row in rows]

    async def server_settings(self) -> dict[int, str]:
        rows = await self.pool.fetch("SELECT guild_id, settings FROM server_settings")
        return {int(row["guild_id"]): str(row["settings"]) for row in rows}

    async def server_settings_of(self, guild_id: int) -> str | None:
        stored = await self.pool.fetchval("SELECT settings FROM server_settings WHERE guild_id = $1", guild_id)
        return str(stored) if stored is not None else None

    async def change_server_settings(
        self, guild_id: int, changes: str, user_id: int, at: float, expected: str | None
    ) -> str | None:
        async with self.pool.acquire() as db, db.transaction():
            if expected is None:
                stored = await db.fetchval(
                    "INSERT INTO server_settings (guild_id, settings) VALUES ($1, $2) "
                    "ON CONFLICT (guild_id) DO NOTHING RETURNING settings",
                    guild_id,
                    changes,
                )
            else:
                stored = await db.fetchval(
                    "UPDATE server_settings SET settings = (settings::jsonb || $2::jsonb)::text "
                    "WHERE guild_id = $1 AND settings = $3 RETURNING settings",
                    guild_id,
                    changes,
                    expected,
                )
            if stored is None:
                return None
            await db.execute(
                "INSERT INTO settings_changes (guild_id, user_id, change, at) VALUES ($1, $2, $3, $4)",
                guild_id,
                user_id,
                changes,
                at,
            )
            # Every process listening hears of it once this commits.
            await db.execute("SELECT pg_notify($1, $2)", SETTINGS_CHANNEL, str(guild_id))
        return str(stored)

    async def add_report(self, job_id: int, user_id: int, at: float) -> bool:
        added = await self.pool.fetchval(
            "INSERT INTO reports (job_id, user_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING 1",
            job_id,
            user_id,
            at,
        )
        return added is not None

    async def add_description(self, description: Description) -> Description:
        description_id = await self.pool.fetchval(
            f"INSERT INTO descriptions ({DESCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
            *description_row(description),
        )
        return dataclasses.replace(description, id=int(description_id))

    async def description(self, description_id: int) -> Description | None:
        row = await self.pool.fetchrow("SELECT * FROM descriptions WHERE id = $1", description_id)
        return row_description(row) if row is not None else None

    async def ping(self) -> None:
        await self.pool.fetchval("SELECT 1")

    async def close(self) -> None:
        await self.pool.close()


_UPDATE = "UPDATE jobs SET {} WHERE id = ${}".format(
    ", ".join(f"{name} = ${n}" for n, name in enumerate(UPDATED, start=1)), len(UPDATED) + 1
)


@contextlib.asynccontextmanager
async def _transient() -> AsyncIterator[None]:
    """Turns errors that may pass into StorageBusy, so a write after an image was paid for is tried again."""
    try:
        yield
    except TRANSIENT as error:
        raise StorageBusy(str(error) or type(error).__name__) from error
