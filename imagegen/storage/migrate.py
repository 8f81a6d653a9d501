"""``python bot.py migrate-to-postgres``: an existing SQLite database copied into an empty PostgreSQL one."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clock import day_of, day_start
from ..model import UNFINISHED, Job, JobState
from .postgres import PostgresStorage, where
from .sqlite import (
    COLUMN_COUNT,
    COLUMNS,
    DATABASE_NAME,
    DESCRIPTION_COLUMNS,
    SqliteStorage,
    StorageError,
    job_row,
    row_job,
)


async def sqlite_to_postgres(
    data_dir: Path, url: str, per_image: Callable[[Job], float], now: float | None = None
) -> Counter[str]:
    """Copy every row of the SQLite database in ``data_dir`` into the empty PostgreSQL database at ``url``, in one
    transaction; returns how many of each were copied, in the order they were. Jobs the bot left queued or running
    are copied as interrupted (stop the bot first: a clean stop tells their requesters). Today's counts are taken
    from the jobs, so the daily limits and budgets carry on where they were (``per_image`` prices a job's image).

    Raises StorageError, before anything is created on either side, when ``data_dir`` holds no database."""
    path = data_dir / DATABASE_NAME
    # Opening would create an empty database, and an empty copy would look like a migration that worked.
    if not await asyncio.to_thread(path.is_file):
        raise StorageError(
            f"there is no database to migrate at {path}: "
            f"set DATA_DIR to the folder that holds the bot's {DATABASE_NAME}"
        )
    source = await SqliteStorage.open(data_dir)
    try:
        target = await PostgresStorage.open(url, data_dir)
    except BaseException:
        await source.close()
        raise
    copied: Counter[str] = Counter()
    try:
        async with target.pool.acquire() as db:
            if await db.fetchval("SELECT (SELECT count(*) FROM jobs) + (SELECT count(*) FROM server_settings)"):
                raise StorageError(f"the database {where(url)} already has jobs or settings: migrate into an empty one")
            sqlite = source.connection
            async with sqlite.execute("SELECT * FROM jobs ORDER BY id") as cursor:
                jobs = [row_job(row) for row in await cursor.fetchall()]
            for job in jobs:
                if job.state in UNFINISHED:
                    job.state, job.error_code = JobState.INTERRUPTED, "restart"
            today = day_start(now if now is not None else time.time())
            async with db.transaction():
                marks = ", ".join(f"${n}" for n in range(1, COLUMN_COUNT + 2))
                await db.executemany(
                    f"INSERT INTO jobs (id, {COLUMNS}) VALUES ({marks})", [(job.id, *job_row(job)) for job in jobs]
                )
                copied["jobs"] = len(jobs)
                references = await _rows(source, "SELECT job_id, position, data FROM job_references")
                await db.executemany(
                    "INSERT INTO job_references (job_id, position, data) VALUES ($1, $2, $3)",
                    [(job, position, bytes(data)) for job, position, data in references],
                )
                copied["reference images and masks"] = len(references)
                kept = [(job.id, await source.results(job.id)) for job in jobs if job.state is JobState.DELIVERING]
                await db.executemany(
                    "INSERT INTO job_results (job_id, position, data) VALUES ($1, $2, $3)",
                    [(job_id, position, data) for job_id, images in kept for position, data in enumerate(images)],
                )
                copied["kept results"] = sum(len(images) for _, images in kept)
                settings = await _rows(source, "SELECT guild_id, settings FROM server_settings")
                await db.executemany("INSERT INTO server_settings (guild_id, settings) VALUES ($1, $2)", settings)
                copied["server settings"] = len(settings)
                changes = await _rows(source, "SELECT id, guild_id, user_id, change, at FROM settings_changes")
                await db.executemany(
                    "INSERT INTO settings_changes (id, guild_id, user_id, change, at) VALUES ($1, $2, $3, $4, $5)",
                    changes,
                )
                copied["settings changes"] = len(changes)
                reports = await _rows(source, "SELECT job_id, user_id, at FROM reports")
                await db.executemany("INSERT INTO reports (job_id, user_id, at) VALUES ($1, $2, $3)", reports)
                copied["reports"] = len(reports)
                described = await _rows(source, f"SELECT id, {DESCRIPTION_COLUMNS} FROM descriptions")
                await db.executemany(
                    f"INSERT INTO descriptions (id, {DESCRIPTION_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                    described,
                )
                copied["descriptions"] = len(described)
                for table in ("jobs", "settings_changes", "descriptions"):
                    await db.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) "
                        f"FROM {table}"
                    )
                await db.executemany(
                    "INSERT INTO usage_counts (day, scope, id, images, spent) VALUES ($1, $2, $3, $4, $5)",
                    _today(jobs, today, per_image),
                )
    finally:
        await asyncio.gather(source.close(), target.close())
    return copied


def _today(jobs: list[Job], today: float, per_image: Callable[[Job], float]) -> list[tuple[Any, ...]]:
    """Today's counts rows, as admission would have made them: images delivered (or kept to be posted) per member
    and server, seconds of video posted (or kept) per member, and the cost of every image made per server."""
    images: Counter[tuple[str, int]] = Counter()
    spent: dict[int, float] = {}
    for job in jobs:
        if job.created_at < today or not job.images_made:
            continue
        counted = job.images_made if job.state is JobState.DELIVERING else job.images_delivered
        if not job.request.counts_images:
            counted = 0  # a clip counts its seconds (below), a Describe only its price
        images["user", job.user_id] += counted
        if job.request.seconds and (job.images_delivered or job.state is JobState.DELIVERING):
            images["video", job.user_id] += job.request.seconds
        if job.guild_id is not None:
            images["server", job.guild_id] += counted
            spent[job.guild_id] = spent.get(job.guild_id, 0.0) + per_image(job) * job.images_made
    day = day_of(today)
    return [(day, scope, key, count, spent.get(key, 0.0) if scope == "server" else 0.0)
            for (scope, key), count in images.items()]  # fmt: skip


async def _rows(source: SqliteStorage, query: str) -> list[tuple[Any, ...]]:
    async with source.connection.execute(query) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]
