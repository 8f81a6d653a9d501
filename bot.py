"""Entry point: ``python bot.py`` runs the bot (``sync`` and ``check`` too: see cli.py); the bot itself is here."""

from __future__ import annotations

import logging
import sys
from typing import Any

import discord
from discord.ext import commands

from cogs.utils.translator import CatalogueTranslator
from cogs.utils.tree import ImageTree
from imagegen.core import Core
from imagegen.model import Job
from imagegen.network import proxy_options
from imagegen.settings import Settings

log = logging.getLogger("bot")

EXTENSIONS = ("cogs.imagine", "cogs.iterate", "cogs.usage", "cogs.admin")


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
        gate = self._core.identify_gate if self._core is not None else None
        if gate is None:
            await super().before_identify_hook(shard_id, initial=initial)
            return
        if self._max_concurrency is None:
            _, _, limit = await self.http.get_bot_gateway()
            self._max_concurrency = max(1, int(limit.get("max_concurrency", 1)))
        await gate.wait((shard_id or 0) % self._max_concurrency)

    async def close(self) -> None:
        # Running jobs get their grace time while Discord is still connected, so their results can be posted.
        if self._core is not None:
            await self._core.close()
        await super().close()


if __name__ == "__main__":
    import cli

    sys.exit(cli.main(sys.argv[1:]))
