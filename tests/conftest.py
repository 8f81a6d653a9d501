"""Fixtures: the fake Discord, the fake image API, and the real bot connected to both."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import discord
import pytest
import yarl

from bot import ImageBot
from cli import start_operations
from imagegen.catalogue import BUNDLED, Catalogue
from imagegen.core import Core
from imagegen.settings import Secret, Settings
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import FakeImageAPI

DISCORD_TOKEN = "fake-discord-token-SECRET"
API_KEY = "sk-fake-api-key-SECRET"

BotFactory = Callable[..., Awaitable[ImageBot]]
CATALOGUE = Catalogue.load(BUNDLED)


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


@pytest.fixture
def settings(image_api: FakeImageAPI, tmp_path: Path) -> Settings:
    return Settings(
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
async def start_bot(
    fake_discord: FakeDiscord, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[BotFactory]:
    """Start the real bot against the fakes; keyword arguments override settings."""
    monkeypatch.setattr(discord.http.Route, "BASE", fake_discord.api_url)
    monkeypatch.setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake_discord.gateway_url))
    running: list[tuple[ImageBot, asyncio.Task[None]]] = []
    # The machine's proxy variables must not send the tests' requests anywhere but where a test says.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)

    async with contextlib.AsyncExitStack() as cores:

        async def start(**overrides: Any) -> ImageBot:
            chosen = dataclasses.replace(settings, **overrides)
            # Built as cli.py builds them, so the tests go through the same database, sessions and proxies.
            core = await cores.enter_async_context(Core.open(chosen, CATALOGUE))
            core.images.backoff_base = 0.01
            interrupted = await core.start()
            bot = ImageBot(chosen, core, guild_ready_timeout=0.01)
            bot.interrupted = interrupted
            operations = await start_operations(chosen, core, bot)
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
