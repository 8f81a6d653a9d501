"""The PostgreSQL store: the same records as SQLite, migrated once however many processes start together."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from collections import Counter
from pathlib import Path

import asyncpg
import pytest

from imagegen.clock import day_of
from imagegen.errors import LimitReached, QueueFull
from imagegen.jobs.dispatch import Admission
from imagegen.jobs.ledger import Request
from imagegen.jobs.scheduler import SharedQueue
from imagegen.jobs.shared_ledger import SharedLedger
from imagegen.limits import Limits
from imagegen.model import Description, ImageRequest, Job, JobState
from imagegen.storage import postgres
from imagegen.storage.migrate import sqlite_to_postgres
from imagegen.storage.postgres import PostgresStorage
from imagegen.storage.sqlite import SqliteStorage, StorageBusy, StorageError
from tests.helpers import CLOCK_START
from tests.test_storage import a_job


async def test_a_job_round_trips_with_its_references_and_kept_results(tmp_path: Path, postgres_url: str) -> None:
    db = await PostgresStorage.open(postgres_url, tmp_path)
    job = a_job()
    job.request = job.request.__class__(**{**job.request.__dict__, "references": (b"ref-1", b"ref-2")})
    job.handover = {"interaction": {"id": "1", "token": "t"}}
    job = await db.add_job(job)
    job.state, job.images_made, job.usage = JobState.DELIVERING, 2, {"input_tokens": 5, "output_tokens": 9}
    await db.keep_results(job, [b"one", b"two"])
    loaded = await db.get_job(job.id)
    assert loaded == job and loaded.handover == job.handover
    assert await db.results(job.id) == [b"one", b"two"]
    assert len(list((tmp_path / "results").iterdir())) == 2  # beside the process while first posted
    await db.share_results(job)
    assert list((tmp_path / "results").iterdir()) == []  # in the database once any process may post them
    assert await db.results(job.id) == [b"one", b"two"]
    job.state = JobState.DONE
    await db.drop_results(job)
    assert await db.results(job.id) == []
    assert [found.id for found in await db.jobs_in([JobState.DONE])] == [job.id]
    assert await db.add_report(job.id, 7, 1.0) and not await db.add_report(job.id, 7, 2.0)
    await db.close()


async def test_processes_starting_together_migrate_once(
    tmp_path: Path, postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "imagegen.storage.postgres")
    opened = await asyncio.gather(*(PostgresStorage.open(postgres_url, tmp_path) for _ in range(4)))
    versions = {await db.schema_version() for db in opened}
    for db in opened:
        await db.close()
    assert versions == {len(postgres.MIGRATIONS)}
    assert len([r for r in caplog.records if "migrated" in r.getMessage()]) == len(postgres.MIGRATIONS)


async def test_a_database_on_a_newer_schema_is_refused_by_name(tmp_path: Path, postgres_url: str) -> None:
    await (await PostgresStorage.open(postgres_url, tmp_path)).close()
    connection = await asyncpg.connect(postgres_url)
    await connection.execute("INSERT INTO schema_version (version) VALUES (99)")
    await connection.close()
    with pytest.raises(StorageError, match="schema version 99, newer than this bot knows"):
        await PostgresStorage.open(postgres_url, tmp_path)


async def test_a_database_that_cannot_be_reached_is_named_without_its_password(
    tmp_path: Path, unused_tcp_port: int
) -> None:
    url = f"postgresql://bot:hunter2@127.0.0.1:{unused_tcp_port}/imagine"
    with pytest.raises(StorageError) as raised:
        await PostgresStorage.open(url, tmp_path)
    assert f"postgresql://127.0.0.1:{unused_tcp_port}/imagine cannot be reached" in str(raised.value)
    assert "hunter2" not in str(raised.value)


async def test_a_write_when_the_database_dropped_every_connection_is_worth_trying_again(
    tmp_path: Path, postgres_url: str
) -> None:
    db = await PostgresStorage.open(postgres_url, tmp_path)
    job = await db.add_job(a_job())
    killer = await asyncpg.connect(postgres_url)
    await killer.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid()"
    )
    await killer.close()
    job.state = JobState.DONE
    # The pool notices a lost connection only when it uses it: such a write says it is worth trying again, and
    # one try per pooled connection reaches a new one.
    failures = 0
    for _ in range(db.pool.get_max_size()):
        try:
            await db.save_job(job)
            break
        except StorageBusy:
            failures += 1
    assert failures < db.pool.get_max_size()
    stored = await db.get_job(job.id)
    await db.close()
    assert stored is not None and stored.state is JobState.DONE


async def test_a_sqlite_database_is_copied_whole_and_the_days_counts_carry_on(
    tmp_path: Path, postgres_url: str
) -> None:
    sqlite = await SqliteStorage.open(tmp_path)
    now = CLOCK_START
    done = a_job("done today", JobState.DONE)
    done.request = dataclasses.replace(done.request, references=(b"reference",), mask=b"mask", tool="zoom-2")
    done.created_at, done.images_made, done.images_delivered = now, 2, 2
    await sqlite.add_job(done)
    kept = a_job("kept", JobState.DELIVERING)
    kept.created_at, kept.images_made = now, 2
    await sqlite.add_job(kept)
    await sqlite.keep_results(kept, [b"one", b"two"])
    left = await sqlite.add_job(a_job("left queued", JobState.QUEUED))
    await sqlite.change_server_settings(3, '{"language": "zh"}', 1, now, None)
    await sqlite.add_report(done.id, 5, now)
    described = await sqlite.add_description(Description(5, 3, 4, ("a cat", "a dog"), "gpt-image-2", now))
    await sqlite.close()

    copied = await sqlite_to_postgres(tmp_path, postgres_url, lambda job: 0.25, now)
    assert dict(copied) == {"jobs": 3, "reference images and masks": 2, "kept results": 2, "server settings": 1,
                            "settings changes": 1, "reports": 1, "descriptions": 1}  # fmt: skip
    db = await PostgresStorage.open(postgres_url, tmp_path)
    assert await db.get_job(done.id) == done
    assert await db.results(kept.id) == [b"one", b"two"]
    stored_left = await db.get_job(left.id)
    assert stored_left is not None and stored_left.state is JobState.INTERRUPTED
    assert await db.server_settings() == {3: '{"language": "zh"}'}
    assert not await db.add_report(done.id, 5, now)
    counts = {tuple(row[:2]): tuple(row[2:]) for row in await db.pool.fetch(
        "SELECT scope, id, images, spent FROM usage_counts WHERE day = $1", day_of(now))}  # fmt: skip
    assert counts == {("user", 1): (4, 0.0), ("server", 3): (4, 1.0)}
    assert (await db.add_job(a_job("after"))).id == left.id + 1
    assert await db.description(described.id) == described
    assert (await db.add_description(described)).id == described.id + 1
    await db.close()


class Nothing:
    """A hold on nothing."""

    shared_place = None

    async def cancel(self) -> None:
        """Nothing to give back."""


async def test_a_job_another_process_drew_before_this_one_queued_it_is_not_waited_for(
    tmp_path: Path, postgres_url: str
) -> None:
    db = await PostgresStorage.open(postgres_url, tmp_path)
    queues = [SharedQueue(db.pool, postgres_url, Limits(), 4, 3, 100, name=name) for name in ("a", "b")]
    drawing, waiting = queues
    await drawing.start(db, lambda job: 0.0, time.time)
    drawn = asyncio.Event()

    async def draw(job: Job) -> None:
        job.state = JobState.DONE
        await db.save_job(job)
        drawn.set()

    drawing.runner = draw
    job = await db.add_job(a_job("raced"))
    drawing.serve()
    await asyncio.wait_for(drawn.wait(), 10)
    # The other process queues its job only now: it was drawn before, and the notice of it never heard there.
    await waiting.start(db, lambda job: 0.0, time.time)
    await waiting.enqueue(job, Admission(Nothing()))
    waiting.serve()
    await asyncio.wait_for(waiting.wait_idle(), 10)
    for queue in queues:
        await queue.close(0.1)
    await db.close()


async def test_a_database_on_version_8_upgrades_in_place_and_keeps_todays_counts(
    tmp_path: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(postgres, "MIGRATIONS", postgres.MIGRATIONS[:8])
    old = await PostgresStorage.open(postgres_url, tmp_path)
    assert await old.schema_version() == 8
    assert await old.pool.fetchval("SELECT count(*) FROM pg_proc WHERE proname = 'imagine_admit'") == 1
    now = time.time()
    # Two of the member's three images, counted by a bot on version 8.
    await old.pool.execute(
        "INSERT INTO usage_counts (day, scope, id, images, spent) VALUES ($1, 'user', 1, 2, 0.5)", day_of(now)
    )
    await old.close()
    monkeypatch.undo()

    db = await PostgresStorage.open(postgres_url, tmp_path)
    assert await db.schema_version() == len(postgres.MIGRATIONS) >= 9
    assert await db.pool.fetchval("SELECT count(*) FROM pg_proc WHERE proname = 'imagine_admit'") == 0
    limits = Limits(daily_images_per_user=3)
    ledger = SharedLedger(db.pool, postgres_url, limits, "upgraded", max_per_user=3, max_total=10)
    await ledger.start()
    await ledger.admit(Request(1, 9, 1, 0.1, limits, False, now), max_kept=10)
    with pytest.raises(LimitReached) as caught:
        await ledger.admit(Request(1, 9, 1, 0.1, limits, False, now), max_kept=10)
    await ledger.close()
    await db.close()
    assert caught.value.key == "limit.user_day"


# Two servers: the first with a daily limit, the second with a budget ($0.15 an image: six images fit in $1).
SERVER_LIMIT, BUDGET, PER_IMAGE = 12, 1.0, 0.15
LEDGER_LIMITS = Limits(daily_images_per_user=3, daily_images_per_server=SERVER_LIMIT, daily_budget_per_server=BUDGET)


def burst(url: str, name: str, now: float) -> list[tuple[Request, BaseException | None]]:
    """One process's burst, on its own thread and event loop: every member of both servers asks eight times."""

    async def run() -> list[tuple[Request, BaseException | None]]:
        pool = await postgres.connect_pool(url)
        ledger = SharedLedger(pool, url, LEDGER_LIMITS, name, max_per_user=100, max_total=1000)
        await ledger.start()
        requests = [
            Request(user, guild, 1, PER_IMAGE if guild == 2 else 0.0, LEDGER_LIMITS, False, now)
            for _ in range(8)
            for guild, users in ((1, range(100, 110)), (2, range(200, 210)))
            for user in users
        ]
        answers: list[tuple[Request, BaseException | None]] = []

        async def member_after_member(share: list[Request]) -> None:
            # Each admitted alone or with a few others: many small transactions, interleaved with the other's.
            for request in share:
                try:
                    await ledger.admit(request, 10_000)
                    answers.append((request, None))
                except LimitReached as error:
                    answers.append((request, error))

        await asyncio.gather(*(member_after_member(requests[start::16]) for start in range(16)))
        await ledger.close()
        await pool.close()
        return answers

    return asyncio.run(run())


async def test_bursts_from_two_processes_at_once_never_overrun_a_daily_limit_or_the_budget(
    tmp_path: Path, postgres_url: str
) -> None:
    db = await PostgresStorage.open(postgres_url, tmp_path)
    now = time.time()
    both = await asyncio.gather(*(asyncio.to_thread(burst, postgres_url, name, now) for name in ("a", "b")))
    answered = [answer for process in both for answer in process]
    admitted = [request for request, error in answered if error is None]
    per_user = Counter(request.user_id for request in admitted)
    per_server = Counter(request.guild_id for request in admitted)
    # Demand was far past every limit: each holds exactly, neither overrun nor left short.
    assert max(per_user.values()) <= 3
    assert per_server == {1: SERVER_LIMIT, 2: int(BUDGET / PER_IMAGE)}
    counted = {(row["scope"], row["id"]): (row["images"], row["spent"]) for row in await db.pool.fetch(
        "SELECT scope, id, images, spent FROM usage_counts WHERE day = $1", day_of(now))}  # fmt: skip
    assert counted[("server", 1)][0] == SERVER_LIMIT
    assert counted[("server", 2)] == (6, pytest.approx(6 * PER_IMAGE))
    assert all(counted[("user", user)][0] == found for user, found in per_user.items())
    assert await db.pool.fetchval("SELECT count(*) FROM places") == len(admitted)
    await db.close()


async def test_a_request_recorded_as_a_job_gives_up_its_place_in_the_same_step(
    tmp_path: Path, postgres_url: str
) -> None:
    db = await PostgresStorage.open(postgres_url, tmp_path)
    limits = Limits()
    ledger = SharedLedger(db.pool, postgres_url, limits, "recording", max_per_user=10, max_total=2)
    await ledger.start()
    now = time.time()
    admitted = await ledger.admit(Request(1, 9, 1, 0.0, limits, False, now), max_kept=10)
    job = a_job("recorded")
    job.user_id = 1
    await db.add_job(job, admitted.hold.shared_place)
    # Before the process has even said so, the request counts once (as the job), not twice: there is room for one.
    await ledger.admit(Request(2, 9, 1, 0.0, limits, False, now), max_kept=10)
    with pytest.raises(QueueFull):
        await ledger.admit(Request(3, 9, 1, 0.0, limits, False, now), max_kept=10)
    await ledger.close()
    await db.close()


async def test_the_shared_ledger_counts_a_videos_seconds_for_every_process_and_gives_them_back_unposted(
    tmp_path: Path, postgres_url: str
) -> None:
    db = await PostgresStorage.open(postgres_url, tmp_path)
    limits = Limits(daily_video_seconds_per_user=20, daily_images_per_user=1)
    ledgers = [SharedLedger(db.pool, postgres_url, limits, name, max_per_user=9, max_total=20) for name in "ab"]
    for ledger in ledgers:
        await ledger.start()
    now = time.time()

    def clip(seconds: int) -> Request:
        return Request(1, 9, 1, 0.1, limits, False, now, video_seconds=seconds, counts_images=False)

    # Two processes at once: 12 + 8 seconds fit the member's 20, a third clip does not; no image of the day is used.
    held = await asyncio.gather(ledgers[0].admit(clip(12), 10), ledgers[1].admit(clip(8), 10))
    with pytest.raises(LimitReached) as caught:
        await ledgers[0].admit(clip(4), 10)
    assert caught.value.key == "limit.video_day" and await ledgers[0].used(1, now) == 0
    # The 12-second clip never became a job: its seconds come back, and a 4-second one fits.
    await held[0].hold.cancel()
    await ledgers[1].admit(clip(4), 10)
    for ledger in ledgers:
        await ledger.close()
    await db.close()


def test_a_migration_counts_todays_clips_in_seconds_and_a_describe_only_by_its_price() -> None:
    from imagegen.storage.migrate import _today

    def ended(request: ImageRequest) -> Job:
        return Job(1, 2, 9, request, state=JobState.DONE, created_at=CLOCK_START, images_made=1, images_delivered=1)

    clip = ended(ImageRequest("waves", "sora-2", seconds=8, tool="animate"))
    described = dataclasses.replace(ended(ImageRequest("/describe", "midjourney", tool="describe")), images_delivered=0)
    rows = {(scope, key): (count, spent) for _, scope, key, count, spent in _today([clip, described], CLOCK_START - 1,
                                                                                 lambda job: 0.5)}  # fmt: skip
    assert rows == {("user", 1): (0, 0.0), ("video", 1): (8, 0.0), ("server", 9): (0, 1.0)}
