"""Fixtures: the fake Discord, the fake image API, and the real bot connected to both."""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from bot import ImageBot, start_operations
from imagegen.api import client, tasks
from imagegen.catalogue.entries import BUNDLED, Catalogue
from imagegen.core import Core
from imagegen.jobs import relay
from imagegen.settings import Secret, Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import FakeImageAPI
from tests.helpers import RunningClock, with_overrides
from tests.postgres_server import Server, drop_database, new_database

DISCORD_TOKEN = "fake-discord-token-SECRET"
API_KEY = "sk-fake-api-key-SECRET"

BotFactory = Callable[..., Awaitable[ImageBot]]
CATALOGUE = Catalogue.load(BUNDLED)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs PostgreSQL ``postgres``, so ``pytest -m "not postgres"`` runs the rest without one.

    A test needs it when it asks for the server or a database on it (``postgres_server``, ``postgres_url``, or a
    fixture built on them such as the processes' ``spawn``), or when it runs in the ``postgres`` case of a fixture
    parametrized by engine (``database_url``, and the storages of tests/test_servers.py), which asks for the server
    only once it runs.
    """
    for item in items:
        params = getattr(item, "callspec", None)
        engines = params.params.values() if params is not None else ()
        if "postgres_server" in getattr(item, "fixturenames", ()) or "postgres" in engines:
            item.add_marker(pytest.mark.postgres)


@pytest.fixture
async def fake_discord() -> AsyncIterator[FakeDiscord]:
    fake = FakeDiscord()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def image_api() -> AsyncIterator[FakeImageAPI]:
    fake = FakeImageAPI()
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL server for the whole run: TEST_DATABASE_URL's, else one started for the tests."""
    given = os.environ.get("TEST_DATABASE_URL")
    if given:
        yield given
        return
    server = Server()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
async def postgres_url(postgres_server: str) -> AsyncIterator[str]:
    """A new, empty PostgreSQL database for one test."""
    url = await new_database(postgres_server)
    yield url
    await drop_database(postgres_server, url)


@pytest.fixture(params=["sqlite", "postgres"])
async def database_url(request: pytest.FixtureRequest) -> AsyncIterator[Secret | None]:
    """Every test that runs the bot runs it on SQLite (None) and on PostgreSQL."""
    if request.param == "sqlite":
        yield None
        return
    server = str(request.getfixturevalue("postgres_server"))
    url = await new_database(server)
    yield Secret(url)
    await drop_database(server, url)


@pytest.fixture
def settings(image_api: FakeImageAPI, tmp_path: Path, database_url: Secret | None) -> Settings:
    return Settings(
        database_url=database_url,
        discord_token=Secret(DISCORD_TOKEN),
        openai_api_key=Secret(API_KEY),
        openai_base_url=image_api.url,
        progress_interval=0.05,
        data_dir=tmp_path / "data",
        shutdown_grace=0.5,
        # Requests are plain unless a test asks for live previews (tests/test_previews_e2e.py).
        preview_images=0,
    )


@pytest.fixture
def clock() -> RunningClock:
    """The wall clock the bots of a test share: it starts on a fixed day, whatever day the tests run."""
    return RunningClock()


@pytest.fixture
async def start_bot(
    fake_discord: FakeDiscord, settings: Settings, clock: RunningClock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotFactory]:
    """Start the real bot against the fakes, on ``clock``; keyword arguments override settings."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake_discord.api_url)
    # Calls the image API failed are tried again after a hundredth of the usual wait.
    monkeypatch.setattr(client, "BACKOFF_BASE", 0.01)
    # Midjourney tasks are polled every hundredth of a second.
    monkeypatch.setattr(tasks, "POLL_INTERVALS", ((math.inf, 0.01),))
    monkeypatch.setattr(relay, "DOWNLOAD_RETRY_DELAYS", (0.01, 0.01))
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_discord.gateway_url))
    running: list[tuple[ImageBot, asyncio.Task[None]]] = []
    # The machine's proxy variables must not send the tests' requests anywhere but where a test says.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    async with contextlib.AsyncExitStack() as cores:

        async def start(**overrides: Any) -> ImageBot:
            chosen = with_overrides(settings, **overrides)
            # Built as cli.py builds them, so the tests go through the same database, sessions and proxies.
            core = await cores.enter_async_context(Core.open(chosen, CATALOGUE, clock))
            interrupted = await core.start()
            bot = ImageBot(chosen, core, guild_ready_timeout=0.01)
            bot.interrupted = interrupted
            operations = await start_operations(core, bot)
            if operations is not None:
                cores.push_async_callback(operations.cleanup)
            task = asyncio.create_task(bot.start(DISCORD_TOKEN))
            running.append((bot, task))
            await asyncio.wait_for(bot.wait_until_ready(), 15)
            return bot

        yield start
        for bot, task in running:
            if not bot.is_closed():
                await bot.close()
            await task


@pytest.fixture
async def bot(start_bot: BotFactory) -> ImageBot:
    return await start_bot()
