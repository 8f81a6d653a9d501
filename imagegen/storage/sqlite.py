"""Where jobs are recorded. One small interface; SQLite (WAL, versioned migrations) is the embedded default."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

import aiosqlite

from ..model import Description, ImageRequest, Job, JobState, TaskButton

log = logging.getLogger(__name__)

DATABASE_NAME = "bot.sqlite3"
# Result images not yet posted are kept in files here, beside the database.
RESULTS_DIRECTORY = "results"
# How long to wait for another process's lock before saying so, rather than hanging.
LOCK_TIMEOUT = 3.0


class StorageError(Exception):
    """The database cannot be used; the message says why, for the operator."""


class StorageBusy(StorageError):
    """A write failed in a way that may pass (the database locked or busy, the disk full): worth trying again."""


@contextlib.contextmanager
def _transient() -> Iterator[None]:
    try:
        yield
    except sqlite3.OperationalError as error:
        raise StorageBusy(str(error)) from error


class Row(Protocol):
    """A database row read by column name (SQLite's and asyncpg's alike)."""

    def __getitem__(self, key: str, /) -> Any: ...


class Storage(Protocol):
    """What the bot needs from a database. Another engine only has to provide these."""

    async def add_job(self, job: Job, shared_place: int | None = None) -> Job:
        """Record a new job and give it its id; with ``shared_place``, give up that place in the shared queue in the
        same transaction."""
        ...

    async def save_job(self, job: Job) -> None:
        """Write a job's current state."""
        ...

    async def get_job(self, job_id: int) -> Job | None:
        """A job by id, or None when it is not known."""
        ...

    async def jobs_in(self, states: Sequence[JobState]) -> list[Job]:
        """Every job in one of ``states``, oldest first (without reference images: ``get_job`` has them)."""
        ...

    async def used_since(self, since: float) -> list[Job]:
        """Jobs created at or after ``since`` that made images, or whose task still draws at the relay (without
        reference images)."""
        ...

    async def take_untold(self) -> list[Job]:
        """The interrupted jobs whose requesters were not told, oldest first, marked told in the same statement:
        of processes starting together, one tells each (without reference images)."""
        ...

    async def keep_results(self, job: Job, images: Sequence[bytes]) -> None:
        """Keep a job's result images until they are posted, and write the job, in one transaction."""
        ...

    async def results(self, job_id: int) -> list[bytes]:
        """A job's kept result images, in order."""
        ...

    async def share_results(self, job: Job) -> None:
        """Make a job's kept result images readable by every process that shares the database (after posting
        them failed, when another process may have to post them)."""
        ...

    async def drop_results(self, job: Job) -> None:
        """Forget a job's kept result images and write the job, in one transaction."""
        ...

    async def server_jobs_since(self, guild_id: int, since: float) -> list[Job]:
        """A server's finished jobs created at or after ``since`` (without reference images)."""
        ...

    async def server_settings(self) -> dict[int, str]:
        """Every server's settings, as the JSON ``change_server_settings`` stored."""
        ...

    async def server_settings_of(self, guild_id: int) -> str | None:
        """One server's settings as stored now (None before any change)."""
        ...

    async def change_server_settings(
        self, guild_id: int, changes: str, user_id: int, at: float, expected: str | None
    ) -> str | None:
        """Merge ``changes`` (a JSON object of the settings that change) into a server's stored settings if they are
        still ``expected`` (None: none stored yet), record who made them, and return the settings as stored now;
        None, and nothing written, when another change came first.
        """
        ...

    async def add_report(self, job_id: int, user_id: int, at: float) -> bool:
        """Record that a member reported a job's result; False if they had already."""
        ...

    async def add_description(self, description: Description) -> Description:
        """Record what /describe answered; returns it with its id."""
        ...

    async def description(self, description_id: int) -> Description | None:
        """A recorded /describe answer."""
        ...

    async def ping(self) -> None:
        """Raise if the database does not answer."""
        ...

    async def close(self) -> None:
        """Release the database."""
        ...


def migrations(dialect: str) -> tuple[str, ...]:
    """The SQL scripts that bring a database of ``dialect`` (sqlite or postgres) up to date, one per version.

    Both dialects share one history: script N of each makes the same change, in its own SQL.
    """
    folder = resources.files("imagegen.storage") / "migrations" / dialect
    scripts = sorted(
        (entry.name, entry.read_text(encoding="utf-8")) for entry in folder.iterdir() if entry.name.endswith(".sql")
    )
    return tuple(text for _, text in scripts)


# Each script upgrades the schema by one version; never edit one that has shipped, add another.
MIGRATIONS = migrations("sqlite")

COLUMNS = (
    "user_id, guild_id, channel_id, interaction_id, message_id, locale, prompt, options, state, created_at, "
    "started_at, finished_at, images_asked, images_delivered, input_tokens, output_tokens, error_code, "
    "delivery_error, notified, images_made, upload_limit, delivery_attempts, next_delivery_at, images_withheld, "
    "task_id, task_buttons, handover, owner, lease_until"
)
COLUMN_COUNT = len(COLUMNS.split(","))
# Saving a job writes every column but the last two: who holds it and until when change only with the queue's own
# statements (a claim, a renewed lease), never with a copy of the job that may be older.
UPDATED = [name.strip() for name in COLUMNS.split(",")][:-2]
# A /describe answer's columns, as ``description_row`` gives them.
DESCRIPTION_COLUMNS = "user_id, guild_id, channel_id, model, prompts, created_at"
# The same statement in both engines: interrupted jobs not yet told, marked told as they are read.
TAKE_UNTOLD = "UPDATE jobs SET notified = 1 WHERE state = 'interrupted' AND notified = 0 RETURNING *"


class SqliteStorage:
    """Jobs in one SQLite file under DATA_DIR."""

    def __init__(self, connection: aiosqlite.Connection, path: Path) -> None:
        self.connection = connection
        self.path = path

    @classmethod
    async def open(cls, data_dir: Path) -> SqliteStorage:
        """Open (creating if needed) the database in ``data_dir`` and bring its schema up to date."""
        await asyncio.to_thread(ensure_directory, data_dir)
        path = data_dir / DATABASE_NAME
        try:
            connection = await aiosqlite.connect(path, timeout=LOCK_TIMEOUT)
        except sqlite3.Error as error:
            raise StorageError(f"the database {path} cannot be opened: {error}") from error
        storage = cls(connection, path)
        try:
            await storage._prepare()
        except sqlite3.Error as error:
            await connection.close()
            raise StorageError(_explain(path, error)) from error
        return storage

    async def _prepare(self) -> None:
        db = self.connection
        db.row_factory = aiosqlite.Row
        await db.execute(f"PRAGMA busy_timeout = {int(LOCK_TIMEOUT * 1000)}")
        await db.execute("PRAGMA journal_mode = WAL")
        await db.execute("PRAGMA synchronous = NORMAL")
        await db.execute("BEGIN IMMEDIATE")
        try:
            async with db.execute("PRAGMA user_version") as cursor:
                row = await cursor.fetchone()
            version = int(row[0]) if row else 0
            if version > len(MIGRATIONS):
                raise sqlite3.DatabaseError(f"schema version {version} is newer than this bot knows")
            for number, script in enumerate(MIGRATIONS[version:], start=version + 1):
                for statement in filter(str.strip, script.split(";")):
                    await db.execute(statement)
                await db.execute(f"PRAGMA user_version = {number}")
                log.info("database migrated to schema version %d", number)
            await db.commit()
        except BaseException:
            await db.rollback()
            raise

    async def add_job(self, job: Job, shared_place: int | None = None) -> Job:
        async with self.connection.execute(
            f"INSERT INTO jobs ({COLUMNS}) VALUES ({', '.join('?' * COLUMN_COUNT)})", job_row(job)
        ) as cursor:
            job.id = int(cursor.lastrowid or 0)
        await self.connection.executemany(
            "INSERT INTO job_references (job_id, position, data) VALUES (?, ?, ?)",
            reference_rows(job),
        )
        await self.connection.commit()
        return job

    async def save_job(self, job: Job) -> None:
        with _transient():
            await self._update(job)
            await self.connection.commit()

    async def _update(self, job: Job) -> None:
        assignments = ", ".join(f"{name} = ?" for name in UPDATED)
        values = job_row(job)[: len(UPDATED)]
        await self.connection.execute(f"UPDATE jobs SET {assignments} WHERE id = ?", (*values, job.id))

    async def keep_results(self, job: Job, images: Sequence[bytes]) -> None:
        # The images go to files beside the database (one write each, no write-ahead log copy), named in it.
        names = await asyncio.to_thread(write_files, self.results_dir, job.id, images)
        with _transient():
            await self._keep(job, names)

    async def _keep(self, job: Job, names: list[str]) -> None:
        try:
            await self.connection.execute("DELETE FROM job_results WHERE job_id = ?", (job.id,))
            await self.connection.executemany(
                "INSERT INTO job_results (job_id, position, name) VALUES (?, ?, ?)",
                [(job.id, position, name) for position, name in enumerate(names)],
            )
            await self._update(job)
            await self.connection.commit()
        except BaseException:
            await self.connection.rollback()
            raise

    async def results(self, job_id: int) -> list[bytes]:
        query = "SELECT name FROM job_results WHERE job_id = ? ORDER BY position"
        async with self.connection.execute(query, (job_id,)) as cursor:
            names = [str(row["name"]) for row in await cursor.fetchall()]
        return await asyncio.to_thread(read_files, self.results_dir, names)

    async def share_results(self, job: Job) -> None:
        return None  # one process: the files are where it will look

    async def drop_results(self, job: Job) -> None:
        query = "SELECT name FROM job_results WHERE job_id = ?"
        async with self.connection.execute(query, (job.id,)) as cursor:
            names = [str(row["name"]) for row in await cursor.fetchall()]
        with _transient():
            try:
                await self.connection.execute("DELETE FROM job_results WHERE job_id = ?", (job.id,))
                await self._update(job)
                await self.connection.commit()
            except BaseException:
                await self.connection.rollback()
                raise
        await asyncio.to_thread(remove_files, self.results_dir, names)

    @property
    def results_dir(self) -> Path:
        """Where kept result images are, until they are posted."""
        return self.path.parent / RESULTS_DIRECTORY

    async def get_job(self, job_id: int) -> Job | None:
        async with self.connection.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        job = row_job(row)
        query = "SELECT position, data FROM job_references WHERE job_id = ? ORDER BY position"
        async with self.connection.execute(query, (job_id,)) as cursor:
            with_references(job, [(row["position"], bytes(row["data"])) for row in await cursor.fetchall()])
        return job

    async def jobs_in(self, states: Sequence[JobState]) -> list[Job]:
        marks = ", ".join("?" * len(states))
        query = f"SELECT * FROM jobs WHERE state IN ({marks}) ORDER BY id"
        async with self.connection.execute(query, [str(state) for state in states]) as cursor:
            rows = await cursor.fetchall()
        return [row_job(row) for row in rows]

    async def used_since(self, since: float) -> list[Job]:
        # A job whose task still draws at the relay has made nothing yet, but is counted as under way.
        query = (
            "SELECT * FROM jobs WHERE created_at >= ? "
            "AND (images_made > 0 OR (state = 'running' AND task_id IS NOT NULL)) ORDER BY id"
        )
        async with self.connection.execute(query, (since,)) as cursor:
            return [row_job(row) for row in await cursor.fetchall()]

    async def server_jobs_since(self, guild_id: int, since: float) -> list[Job]:
        query = (
            "SELECT * FROM jobs WHERE guild_id = ? AND created_at >= ? "
            "AND state IN ('done', 'refused', 'delivering', 'undeliverable')"
        )
        async with self.connection.execute(query, (guild_id, since)) as cursor:
            return [row_job(row) for row in await cursor.fetchall()]

    async def take_untold(self) -> list[Job]:
        async with self.connection.execute(TAKE_UNTOLD) as cursor:
            rows = await cursor.fetchall()
        await self.connection.commit()
        return sorted((row_job(row) for row in rows), key=lambda job: job.id)

    async def server_settings(self) -> dict[int, str]:
        async with self.connection.execute("SELECT guild_id, settings FROM server_settings") as cursor:
            return {int(row[0]): str(row[1]) for row in await cursor.fetchall()}

    async def server_settings_of(self, guild_id: int) -> str | None:
        query = "SELECT settings FROM server_settings WHERE guild_id = ?"
        async with self.connection.execute(query, (guild_id,)) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row is not None else None

    async def change_server_settings(
        self, guild_id: int, changes: str, user_id: int, at: float, expected: str | None
    ) -> str | None:
        if expected is None:
            query = (
                "INSERT INTO server_settings (guild_id, settings) VALUES (?, ?) "
                "ON CONFLICT (guild_id) DO NOTHING RETURNING settings"
            )
            values: tuple[Any, ...] = (guild_id, changes)
        else:
            # json_patch drops a key set to null: read back, it is the default (None) either way.
            query = (
                "UPDATE server_settings SET settings = json_patch(settings, ?) WHERE guild_id = ? AND settings = ? "
                "RETURNING settings"
            )
            values = (changes, guild_id, expected)
        async with self.connection.execute(query, values) as cursor:
            row = await cursor.fetchone()
        if row is None:
            await self.connection.rollback()
            return None
        await self.connection.execute(
            "INSERT INTO settings_changes (guild_id, user_id, change, at) VALUES (?, ?, ?, ?)",
            (guild_id, user_id, changes, at),
        )
        await self.connection.commit()
        return str(row[0])

    async def add_report(self, job_id: int, user_id: int, at: float) -> bool:
        async with self.connection.execute(
            "INSERT OR IGNORE INTO reports (job_id, user_id, at) VALUES (?, ?, ?)", (job_id, user_id, at)
        ) as cursor:
            added = cursor.rowcount == 1
        await self.connection.commit()
        return added

    async def add_description(self, description: Description) -> Description:
        async with self.connection.execute(
            f"INSERT INTO descriptions ({DESCRIPTION_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)", description_row(description)
        ) as cursor:
            description_id = cursor.lastrowid
        await self.connection.commit()
        return dataclasses.replace(description, id=int(description_id or 0))

    async def description(self, description_id: int) -> Description | None:
        query = "SELECT * FROM descriptions WHERE id = ?"
        async with self.connection.execute(query, (description_id,)) as cursor:
            row = await cursor.fetchone()
        return row_description(row) if row is not None else None

    async def ping(self) -> None:
        async with self.connection.execute("SELECT 1") as cursor:
            await cursor.fetchone()

    async def close(self) -> None:
        await self.connection.close()


def ensure_directory(data_dir: Path) -> None:
    if data_dir.exists() and not data_dir.is_dir():
        raise StorageError(f"DATA_DIR {data_dir} is not a directory")
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise StorageError(f"DATA_DIR {data_dir} cannot be created: {error.strerror}") from error


def write_files(directory: Path, job_id: int, images: Sequence[bytes]) -> list[str]:
    directory.mkdir(exist_ok=True)
    names = []
    for position, data in enumerate(images):
        name = f"{job_id}-{position}"
        partial = directory / (name + ".partial")
        partial.write_bytes(data)
        partial.replace(directory / name)
        names.append(name)
    return names


def read_files(directory: Path, names: list[str]) -> list[bytes]:
    found = []
    for name in names:
        try:
            found.append((directory / name).read_bytes())
        except FileNotFoundError:
            log.error("kept result %s is missing from %s", name, directory)
    return found


def remove_files(directory: Path, names: list[str]) -> None:
    for name in names:
        (directory / name).unlink(missing_ok=True)


def _explain(path: Path, error: sqlite3.Error) -> str:
    text = str(error)
    if "locked" in text or "busy" in text:
        return f"the database {path} is locked by another process (is another copy of the bot using this DATA_DIR?)"
    if "readonly" in text or "read-only" in text:
        return f"the database {path} is read-only: give the bot write access to DATA_DIR"
    return f"the database {path} cannot be used: {text}"


# A job's mask is kept with its reference images, at this position (they count from 0).
MASK_POSITION = -1


def reference_rows(job: Job) -> list[tuple[int, int, bytes]]:
    """The rows of ``job_references`` for a job: its reference images in order, and its mask if it has one."""
    request = job.request
    rows = [(job.id, position, data) for position, data in enumerate(request.references)]
    return rows + ([(job.id, MASK_POSITION, request.mask)] if request.mask is not None else [])


def with_references(job: Job, rows: Sequence[tuple[int, bytes]]) -> None:
    """Give a job read from the database its reference images and mask, from (position, data) rows."""
    references = tuple(data for position, data in sorted(rows) if position >= 0)
    mask = next((data for position, data in rows if position == MASK_POSITION), None)
    job.request = dataclasses.replace(job.request, references=references, mask=mask)


def description_row(description: Description) -> tuple[Any, ...]:
    """A /describe answer's columns, but its id."""
    prompts = json.dumps(list(description.prompts), ensure_ascii=False)
    described = description
    return described.user_id, described.guild_id, described.channel_id, described.model, prompts, described.created_at


def row_description(row: Row) -> Description:
    """A /describe answer read from its row."""
    return Description(
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        prompts=tuple(json.loads(row["prompts"])),
        model=row["model"],
        created_at=row["created_at"],
        id=row["id"],
    )


def job_row(job: Job) -> tuple[Any, ...]:
    request = job.request
    options = {
        "model": request.model,
        "n": request.n,
        "size": request.size,
        "quality": request.quality,
        "background": request.background,
        "moderation": request.moderation,
    }
    # What only some requests carry is stored only when they do.
    extras = {
        key: getattr(request, key)
        for key in ("style", "addition", "tool", "fidelity", "action", "parent_task", "seconds", "loop")
    }
    options.update({key: value for key, value in extras.items() if value})
    usage = job.usage or {}
    return (
        job.user_id, job.guild_id, job.channel_id, job.interaction_id, job.message_id, job.locale, request.prompt,
        json.dumps(options), str(job.state), job.created_at, job.started_at, job.finished_at, request.n,
        job.images_delivered, usage.get("input_tokens"), usage.get("output_tokens"), job.error_code,
        job.delivery_error, int(job.notified), job.images_made, job.upload_limit, job.delivery_attempts,
        job.next_delivery_at, job.images_withheld, job.task_id, _buttons_json(job.task_buttons),
        json.dumps(job.handover) if job.handover is not None else None, job.owner, job.lease_until,
    )  # fmt: skip


def _buttons_json(buttons: tuple[TaskButton, ...]) -> str | None:
    return json.dumps([dataclasses.asdict(button) for button in buttons], ensure_ascii=False) if buttons else None


def row_job(row: Row) -> Job:
    options = json.loads(row["options"])
    usage = None
    if row["input_tokens"] is not None or row["output_tokens"] is not None:
        usage = {"input_tokens": row["input_tokens"], "output_tokens": row["output_tokens"]}
    return Job(
        id=row["id"],
        user_id=row["user_id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        interaction_id=row["interaction_id"],
        message_id=row["message_id"],
        locale=row["locale"],
        request=ImageRequest(prompt=row["prompt"], **options),
        state=JobState(row["state"]),
        created_at=row["created_at"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
        images_delivered=row["images_delivered"],
        usage=usage,
        error_code=row["error_code"],
        delivery_error=row["delivery_error"],
        notified=bool(row["notified"]),
        images_made=row["images_made"],
        upload_limit=row["upload_limit"],
        delivery_attempts=row["delivery_attempts"],
        next_delivery_at=row["next_delivery_at"],
        images_withheld=row["images_withheld"],
        owner=row["owner"],
        lease_until=row["lease_until"],
        task_id=row["task_id"],
        task_buttons=tuple(TaskButton(**button) for button in json.loads(row["task_buttons"] or "[]")),
        handover=json.loads(row["handover"]) if row["handover"] else None,
    )
