"""Two bot processes, one fake Discord with two shards, one PostgreSQL: ``python bot.py`` as operators run it.

A process killed while it draws loses nothing: the other draws the job again and delivers it once, through the
interaction. A member's daily limit holds across both. A setting changed through one applies in the other.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from tests.conftest import API_KEY, DISCORD_TOKEN
from tests.fakes.discord import GUILD_ID, SECOND_CHANNEL_ID, SECOND_GUILD_ID, FakeDiscord
from tests.fakes.image_api import FakeImageAPI
from tests.helpers import eventually, refusal_so_far

ROOT = Path(__file__).resolve().parent.parent
ALICE = 500000000000000005
ADMIN = 500000000000000007
MANAGE_SERVER = 0x20
Spawn = Callable[..., Awaitable[asyncio.subprocess.Process]]


@pytest.fixture
async def shards(fake_discord: FakeDiscord) -> FakeDiscord:
    """The fake Discord with a server on each of two shards, both allowed to IDENTIFY at once."""
    fake_discord.guilds.append(SECOND_GUILD_ID)
    fake_discord.max_concurrency = 2
    return fake_discord


@pytest.fixture
async def spawn(
    shards: FakeDiscord, image_api: FakeImageAPI, postgres_url: str, tmp_path: Path
) -> AsyncIterator[Spawn]:
    """Start ``python bot.py`` for one shard of two; settings as keyword arguments (environment names)."""
    started: list[asyncio.subprocess.Process] = []

    async def start(shard: int, **settings: Any) -> asyncio.subprocess.Process:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "DISCORD_TOKEN": DISCORD_TOKEN,
            "OPENAI_API_KEY": API_KEY,
            "OPENAI_BASE_URL": image_api.url,
            "DISCORD_API_URL": shards.api_url,
            "DISCORD_GATEWAY_URL": shards.gateway_url,
            "DATABASE_URL": postgres_url,
            "SHARD_COUNT": "2",
            "SHARD_IDS": str(shard),
            "DATA_DIR": str(tmp_path / f"shard-{shard}"),
            "PREVIEW_IMAGES": "0",
            "JOB_LEASE_SECONDS": "2",
            "SHUTDOWN_GRACE_SECONDS": "1",
            **{name: str(value) for name, value in settings.items()},
        }
        log = (tmp_path / f"shard-{shard}.log").open("ab")
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bot.py"), cwd=tmp_path, env=env, stdout=log, stderr=log
        )
        log.close()
        started.append(process)
        await shards.wait_for(lambda: any(identified == shard for identified, _, _ in shards.identifies), 30)
        return process

    yield start
    for process in started:
        if process.returncode is None:
            process.kill()
        await process.wait()


async def owner_pid(url: str, prompt: str) -> int:
    """The pid of the process holding the job of ``prompt`` (its name is host:pid:random)."""
    connection = await asyncpg.connect(url)
    try:
        owner = await connection.fetchval("SELECT owner FROM jobs WHERE prompt = $1", prompt)
    finally:
        await connection.close()
    return int(str(owner).split(":")[1]) if owner else 0


async def state_of(url: str, prompt: str) -> str | None:
    connection = await asyncpg.connect(url)
    try:
        return await connection.fetchval("SELECT state FROM jobs WHERE prompt = $1", prompt)
    finally:
        await connection.close()


async def test_a_job_whose_process_is_killed_while_drawing_is_delivered_once_by_the_other(
    spawn: Spawn, shards: FakeDiscord, image_api: FakeImageAPI, postgres_url: str
) -> None:
    first = await spawn(0)
    gate = image_api.hold("a lighthouse in a storm")
    sent = await shards.slash("imagine", {"prompt": "a lighthouse in a storm"}, user_id=ALICE)
    await eventually(lambda: image_api.prompts == ["a lighthouse in a storm"])
    await spawn(1)
    # Changed through the first process (the server is on its shard) while it draws; the second must hear of it.
    changed = await shards.slash("imagine-admin", {"language": "zh"}, subcommand="language", user_id=ADMIN,
                                 permissions=MANAGE_SERVER)  # fmt: skip
    await shards.wait_for(lambda: [r for r in shards.for_token(changed["token"]) if "/callback" in r.path])
    assert await owner_pid(postgres_url, "a lighthouse in a storm") == first.pid

    first.send_signal(signal.SIGKILL)
    await first.wait()
    gate["a lighthouse in a storm"].set()
    results = await shards.wait_for(lambda: [r for r in shards.for_token(sent["token"]) if r.files], 30)
    await eventually(lambda: state_of(postgres_url, "a lighthouse in a storm"), "done")

    assert len(results) == 1 and results[0].method == "PATCH"  # through the interaction, exactly once
    assert "自动尺寸" in results[0].content  # the server's language, set through the other process
    assert image_api.prompts == ["a lighthouse in a storm"] * 2  # drawn again: the first never finished


async def test_a_members_daily_limit_holds_across_processes(
    spawn: Spawn, shards: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await spawn(0, DAILY_IMAGES_PER_USER=3, MAX_QUEUED_PER_USER=10)
    await spawn(1, DAILY_IMAGES_PER_USER=3, MAX_QUEUED_PER_USER=10)
    places: list[dict[str, Any]] = [
        {"guild_id": GUILD_ID},
        {"guild_id": SECOND_GUILD_ID, "channel_id": SECOND_CHANNEL_ID},
    ]
    sent = await asyncio.gather(
        *(shards.slash("imagine", {"prompt": f"fox {n}"}, user_id=ALICE, **places[n % 2]) for n in range(8))
    )
    tokens = [p["token"] for p in sent]
    # Each one is drawn, or refused privately once acknowledged (its "thinking" message gone).
    answers = await shards.wait_for(
        lambda: (
            all(any(r.files for r in shards.for_token(token)) or refusal_so_far(shards, token) for token in tokens)
            and [refusal_so_far(shards, token) for token in tokens]
        ),
        30,
    )
    refused = [payload for payload, answer in zip(sent, answers, strict=True) if answer]
    assert len(refused) == 5 and len(sent) - len(refused) == 3
    assert all("images for today" in answer[0].content for answer in answers if answer)
    # Both processes answered: the limit held between them, not within one.
    assert {payload["guild_id"] for payload in refused} == {str(GUILD_ID), str(SECOND_GUILD_ID)}


async def test_a_process_stopped_with_sigterm_hands_its_jobs_to_the_other(
    spawn: Spawn, shards: FakeDiscord, image_api: FakeImageAPI, postgres_url: str
) -> None:
    first = await spawn(0, MAX_CONCURRENT_JOBS=1)
    gate = image_api.hold("running when stopped")
    running = await shards.slash("imagine", {"prompt": "running when stopped"}, user_id=ALICE)
    await eventually(lambda: image_api.prompts == ["running when stopped"])
    waiting = await shards.slash("imagine", {"prompt": "waiting when stopped"}, user_id=ADMIN)
    await shards.wait_for(lambda: any("position 1" in r.content for r in shards.for_token(waiting["token"])))
    await spawn(1, MAX_CONCURRENT_JOBS=1)

    first.send_signal(signal.SIGTERM)
    assert await first.wait() == 0
    assert await state_of(postgres_url, "running when stopped") == "queued"  # its lease let go after the grace
    assert await state_of(postgres_url, "waiting when stopped") == "queued"
    gate["running when stopped"].set()
    tokens = [running["token"], waiting["token"]]
    await shards.wait_for(lambda: all(any(r.files for r in shards.for_token(token)) for token in tokens), 30)
    everything = [r.content for sent in (running, waiting) for r in shards.for_token(sent["token"])]
    assert not any("interrupted" in content for content in everything)
