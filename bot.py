"""Entry point: ``uv run bot.py`` runs the bot: settings, core, bot, run. ``sync``, ``check`` and the rest are
cli.py's, which is handed what it needs from here (cli.py imports nothing of this file)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from typing import Any

import discord
from aiohttp import web
from discord.ext import commands

import cli
from cogs.utils.ops import OpsWebhook
from cogs.utils.translator import CatalogueTranslator
from cogs.utils.tree import ImageTree
from imagegen.api.network import proxy_options
from imagegen.catalogue.entries import Catalogue
from imagegen.core import Core, Gateway
from imagegen.model import Job
from imagegen.safety.redaction import RedactingFilter
from imagegen.settings import Settings
from imagegen.storage.postgres import where
from imagegen.storage.sqlite import DATABASE_NAME, StorageError

log = logging.getLogger("bot")

EXTENSIONS = ("cogs.imagine", "cogs.iterate", "cogs.usage", "cogs.admin", "cogs.animate")


class ImageBot(commands.AutoShardedBot):
    """The bot: the settings and the core, with the cogs on top. Without a core it only knows its commands
    (enough to sync them).

    It runs the shards SHARD_IDS names of SHARD_COUNT, or all of Discord's recommended count without them.
    """

    def __init__(self, settings: Settings, core: Core | None, **options: Any) -> None:
        # Discord's REST and gateway go through DISCORD_PROXY when there is one.
        options = {**proxy_options(settings.discord_proxy), **options}
        if settings.shard_count is not None:
            options.setdefault("shard_count", settings.shard_count)
        if settings.shard_ids is not None:
            options.setdefault("shard_ids", list(settings.shard_ids))
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=discord.Intents(guilds=True),
            # A prompt is user input: nothing the bot sends may ping anyone unless a send says so.
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=ImageTree,
            **options,
        )
        self.settings = settings
        self._core = core
        # Jobs a previous process left unfinished whose requesters are still to be told, once connected.
        self.interrupted: list[Job] = []
        self._max_concurrency: int | None = None

    @property
    def core(self) -> Core:
        """The front door to storage, jobs, settings and models."""
        if self._core is None:
            raise RuntimeError("this bot was built without a core: it can only sync its commands")
        return self._core

    async def login(self, token: str) -> None:
        """Log in; a try that fails leaves nothing open, so the next can be made (see cli.log_in)."""
        try:
            await super().login(token)
        except Exception:
            # discord.py opens an HTTP session at every log-in and leaves it open when the log-in fails. Closing it
            # closes its connector too, so the next try gets a new one (discord.py makes one when it has none).
            await self.http.close()
            self.http.connector = proxy_options(self.settings.discord_proxy).get("connector", discord.utils.MISSING)
            raise

    async def setup_hook(self) -> None:
        await self.tree.set_translator(CatalogueTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        guild_id = self.settings.discord_guild_id
        if self._core is not None and guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        """With a shared database, shards of every process take turns by Discord's ``max_concurrency`` buckets;
        otherwise discord.py paces this process's own shards."""
        if self._core is None or not self._core.identifies_together:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        if self._max_concurrency is None:
            _, _, limit = await self.http.get_bot_gateway()
            self._max_concurrency = max(1, int(limit.get("max_concurrency", 1)))
        await self._core.wait_to_identify((shard_id or 0) % self._max_concurrency)

    async def close(self) -> None:
        # Running jobs get their grace time while Discord is still connected, so their results can be posted.
        if self._core is not None:
            await self._core.close()
        await super().close()


async def run(settings: Settings, catalogue: Catalogue) -> int:
    """Run the bot until it is stopped by SIGTERM or SIGINT."""
    # The absolute path, so an operator sees at once which database this process uses.
    if settings.database_url:
        log.info("using the PostgreSQL database %s; DATA_DIR is %s", where(settings.database_url.get()),
                 settings.data_dir)  # fmt: skip
    else:
        log.info("using the SQLite database %s", settings.data_dir / DATABASE_NAME)
    stopping = cli.Stopping()
    try:
        async with Core.open(settings, catalogue) as core:
            return await serve(settings, core, stopping)
    except StorageError as error:
        log.error("%s", error)
        return 1
    except asyncio.CancelledError:
        if not stopping.asked:
            raise
        return 0


async def serve(settings: Settings, core: Core, stopping: cli.Stopping) -> int:
    """Take over what a previous process left, connect to Discord and answer until closed."""
    # Before the gateway connects, so no new job can be mistaken for one a previous process left.
    interrupted = await core.start()
    async with ImageBot(settings, core) as bot:
        bot.interrupted = interrupted
        try:
            operations = await start_operations(core, bot)
        except OSError as error:
            # The system's words ("Address already in use"), not asyncio's sentence around them.
            reason = os.strerror(error.errno) if error.errno and error.errno > 0 else str(error)
            log.error(
                "METRICS_PORT %d cannot be used on %s (%s): choose another port, or stop what listens on it",
                settings.metrics_port, settings.metrics_host, reason,
            )  # fmt: skip
            return 2
        ops = OpsWebhook(settings.ops_webhook_url, core.discord_session) if settings.ops_webhook_url else None
        if ops is not None:
            ops.addFilter(RedactingFilter(settings.secrets()))
            logging.getLogger().addHandler(ops)
        try:
            await cli.log_in(bot, settings)
            stopping.closes_with(bot.close)
            await bot.connect()
        except discord.LoginFailure:
            log.error("Discord refused DISCORD_TOKEN; copy the bot token again from the developer portal")
            return 1
        except discord.PrivilegedIntentsRequired:
            log.error("the bot asked Discord for an intent it was not granted")
            return 1
        finally:
            if ops is not None:
                logging.getLogger().removeHandler(ops)
                await ops.drain()
            if operations is not None:
                await operations.cleanup()
    return 0


async def start_operations(core: Core, bot: ImageBot) -> web.AppRunner | None:
    """/metrics, /healthz and /readyz on METRICS_HOST:METRICS_PORT, when a port is set: the core's, told how the
    bot stands with Discord."""

    def connected() -> bool:
        return not bot.is_closed() and bot.is_ready() and not any(shard.is_closed() for shard in bot.shards.values())

    def gateway() -> Gateway:
        return Gateway(len(bot.guilds), list(bot.latencies))

    return await core.start_operations(connected, gateway)


def sync_only(settings: Settings) -> ImageBot:
    """The bot without a core: its commands, for ``sync``."""
    return ImageBot(settings, None)


if __name__ == "__main__":
    sys.exit(cli.main(sys.argv[1:], run, sync_only))
