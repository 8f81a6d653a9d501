"""The SQLite store: jobs round-trip, migrations apply once and in order, bad databases are named."""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
from pathlib import Path

import pytest

from imagegen.model import UNFINISHED, ImageRequest, Job, JobState
from imagegen.storage import sqlite as storage
from imagegen.storage.sqlite import SqliteStorage, StorageError


def a_job(prompt: str = "a fox", state: JobState = JobState.QUEUED) -> Job:
    request = ImageRequest(prompt, "gpt-image-1", n=2, size="1024x1536", quality="high", background="transparent")
    return Job(user_id=1, channel_id=2, guild_id=3, request=request, locale="zh-CN", state=state, created_at=10.0)


async def test_a_job_round_trips_with_everything_recorded(tmp_path: Path) -> None:
    db = await SqliteStorage.open(tmp_path)
    job = await db.add_job(a_job())
    job.state, job.images_delivered, job.usage, job.error_code = (
        JobState.DONE,
        1,
        {"input_tokens": 5, "output_tokens": 9},
        None,
    )
    await db.save_job(job)
    loaded = await db.get_job(job.id)
    await db.close()
    assert loaded == job


async def test_a_tool_jobs_mask_style_and_fidelity_round_trip(tmp_path: Path) -> None:
    db = await SqliteStorage.open(tmp_path)
    job = a_job()
    job.request = dataclasses.replace(job.request, references=(b"canvas", b"second"), mask=b"mask", tool="pan-left",
                                      style="Watercolor", addition="watercolor, extend it", fidelity="low")  # fmt: skip
    job = await db.add_job(job)
    loaded = await db.get_job(job.id)
    await db.close()
    assert loaded == job and loaded.request.mask == b"mask" and loaded.request.references == (b"canvas", b"second")


async def test_the_database_uses_wal_and_records_its_schema_version(tmp_path: Path) -> None:
    await (await SqliteStorage.open(tmp_path)).close()
    connection = sqlite3.connect(tmp_path / "bot.sqlite3")
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert connection.execute("PRAGMA user_version").fetchone()[0] == len(storage.MIGRATIONS)
    connection.close()


async def test_a_new_migration_applies_to_an_existing_database_and_keeps_its_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = await SqliteStorage.open(tmp_path)
    job = await db.add_job(a_job("kept"))
    await db.close()

    upgraded = (*storage.MIGRATIONS, "ALTER TABLE jobs ADD COLUMN note TEXT")
    monkeypatch.setattr(storage, "MIGRATIONS", upgraded)
    db = await SqliteStorage.open(tmp_path)
    loaded = await db.get_job(job.id)
    await db.close()
    assert loaded is not None and loaded.request.prompt == "kept"
    connection = sqlite3.connect(tmp_path / "bot.sqlite3")
    assert connection.execute("PRAGMA user_version").fetchone()[0] == len(upgraded)
    assert "note" in [row[1] for row in connection.execute("PRAGMA table_info(jobs)")]
    connection.close()


async def test_opening_twice_does_not_migrate_twice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, "imagegen.storage.sqlite")
    db = await SqliteStorage.open(tmp_path)
    job = await db.add_job(a_job("kept"))
    await db.close()
    migrated = len([r for r in caplog.records if "migrated" in r.getMessage()])
    db = await SqliteStorage.open(tmp_path)
    loaded = await db.get_job(job.id)
    await db.close()
    assert migrated == len(storage.MIGRATIONS)
    assert len([r for r in caplog.records if "migrated" in r.getMessage()]) == migrated
    assert loaded is not None and loaded.request.prompt == "kept"


async def test_a_database_from_a_newer_bot_is_refused_by_name(tmp_path: Path) -> None:
    connection = sqlite3.connect(tmp_path / "bot.sqlite3")
    connection.execute("PRAGMA user_version = 99")
    connection.close()
    with pytest.raises(StorageError, match="schema version 99 is newer"):
        await SqliteStorage.open(tmp_path)


async def test_unfinished_jobs_are_found_oldest_first(tmp_path: Path) -> None:
    db = await SqliteStorage.open(tmp_path)
    first = await db.add_job(a_job("one", JobState.RUNNING))
    await db.add_job(a_job("two", JobState.DONE))
    third = await db.add_job(a_job("three", JobState.QUEUED))
    found = await db.jobs_in(UNFINISHED)
    await db.close()
    assert [job.id for job in found] == [first.id, third.id]


async def test_kept_results_are_files_named_in_the_database_until_dropped(tmp_path: Path) -> None:
    db = await SqliteStorage.open(tmp_path)
    job = await db.add_job(a_job())
    job.state, job.images_made = JobState.DELIVERING, 2
    await db.keep_results(job, [b"first", b"second"])
    assert sorted(path.name for path in (tmp_path / "results").iterdir()) == [f"{job.id}-0", f"{job.id}-1"]
    assert await db.results(job.id) == [b"first", b"second"]
    assert (await db.get_job(job.id)).state is JobState.DELIVERING  # type: ignore[union-attr]
    job.state = JobState.DONE
    await db.drop_results(job)
    assert await db.results(job.id) == [] and list((tmp_path / "results").iterdir()) == []
    assert (await db.get_job(job.id)).state is JobState.DONE  # type: ignore[union-attr]
    await db.close()


async def test_jobs_from_before_kept_results_count_what_they_delivered_as_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(storage, "MIGRATIONS", storage.MIGRATIONS[:3])
    db = await SqliteStorage.open(tmp_path)
    await db.connection.execute(
        "INSERT INTO jobs (user_id, channel_id, locale, prompt, options, state, created_at, images_asked, "
        "images_delivered) VALUES (1, 2, 'en', 'old', '{\"model\": \"gpt-image-1\"}', 'done', 5.0, 2, 2)"
    )
    await db.connection.commit()
    await db.close()
    monkeypatch.undo()
    db = await SqliteStorage.open(tmp_path)
    used = await db.used_since(0.0)
    await db.close()
    assert [(job.images_delivered, job.images_made) for job in used] == [(2, 2)]
