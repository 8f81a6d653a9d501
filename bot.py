"""Entry point: ``python bot.py`` runs the bot; ``sync`` syncs its commands; ``check`` tests the set-up."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import aiohttp
import discord
import yarl
from discord.ext import commands
from dotenv import load_dotenv
from python_socks import ProxyError

from cogs.utils.translator import CatalogueTranslator
from cogs.utils.tree import ImageTree
from imagegen import redaction, workers
from imagegen.artists import BUNDLED, ArtistList
from imagegen.catalogue import BUNDLED as BUNDLED_MODELS
from imagegen.catalogue import Catalogue, CatalogueError
from imagegen.check import check
from imagegen.client import ImageClient
from imagegen.jobs import Jobs
from imagegen.limits import Limits, Usage
from imagegen.models import ModelCatalog
from imagegen.network import image_api_options, proxy_options, proxy_secrets, via
from imagegen.prices import PriceTable
from imagegen.queue import FairQueue
from imagegen.servers import ServerSettingsStore
from imagegen.settings import Settings, SettingsError, load_settings
from imagegen.storage import SqliteStorage, Storage, StorageError

log = logging.getLogger("bot")

ROOT = Path(__file__).resolve().parent
EXTENSIONS = ("cogs.imagine", "cogs.usage", "cogs.admin")
USAGE = "usage: python bot.py [run | sync | check]"
# The longest wait between tries to reach Discord or the image API at start.
MAX_RETRY_WAIT = 30.0
# What a connection that cannot be made raises: the network, the proxy before it, or Discord's own front.
UNREACHABLE = (OSError, aiohttp.ClientError, ProxyError, TimeoutError, discord.DiscordServerError)


class ImageBot(commands.Bot):
    """The bot: settings, the shared HTTP session and the image client, with the cogs on top."""

    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        storage: Storage,
        *,
        catalogue: Catalogue | None = None,
        cdn: aiohttp.ClientSession | None = None,
        serving: bool = True,
        **options: Any,
    ) -> None:
        # Discord's REST and gateway go through DISCORD_PROXY when there is one.
        options = {**proxy_options(settings.discord_proxy), **options}
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
        self.session = session
        self.serving = serving
        self.catalogue = catalogue if catalogue is not None else Catalogue.load(BUNDLED_MODELS)
        # Uploads are read from Discord's CDN: through Discord's way out, not the image API's.
        self.images = ImageClient(session, settings, self.catalogue, cdn=cdn)
        queue = FairQueue(settings.max_concurrent_jobs, settings.max_queued_per_user, settings.max_queue_size)
        prices = PriceTable.load(self.catalogue, *([settings.prices_file] if settings.prices_file else []))
        self.jobs = Jobs(
            storage,
            self.images,
            queue,
            Usage(Limits.from_settings(settings)),
            prices,
            retention=settings.result_retention_seconds,
            max_kept_images=settings.max_queue_size * settings.max_images,
        )
        self.servers = ServerSettingsStore(storage)
        self.models = ModelCatalog(
            self.images,
            self.catalogue,
            settings.image_model,
            settings.image_models,
            settings.models_cache_seconds,
            watched=lambda: [*settings.image_models, *settings.allowed_models, *self.servers.default_models()],
        )
        extra = [settings.artists_file] if settings.artists_file else []
        self.artists = ArtistList.load(BUNDLED, *extra)

    async def setup_hook(self) -> None:
        await self.servers.load()
        await self.tree.set_translator(CatalogueTranslator())
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.models.refresh()
        guild_id = self.settings.discord_guild_id
        if self.serving and guild_id is not None:
            guild = discord.Object(id=guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild_id)

    async def close(self) -> None:
        if self.serving and not self.jobs.queue.closed:
            await self.jobs.shutdown(self.settings.shutdown_grace)
        await self.models.close()
        await super().close()


def point_discord_at(settings: Settings) -> None:
    """Send discord.py to a REST proxy or a test double instead of Discord, when the settings say so."""
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def open_storage(settings: Settings) -> SqliteStorage | None:
    """The database, or None after saying on stderr why it cannot be used."""
    try:
        return await SqliteStorage.open(settings.data_dir)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return None


async def run(settings: Settings, catalogue: Catalogue) -> int:
    """Run the bot until it is stopped by SIGTERM or SIGINT."""
    storage = await open_storage(settings)
    if storage is None:
        return 1
    try:
        return await serve(settings, storage, catalogue)
    finally:
        await storage.close()


async def serve(settings: Settings, storage: SqliteStorage, catalogue: Catalogue) -> int:
    """Connect to Discord and answer until closed."""
    async with (
        aiohttp.ClientSession(**image_api_options(settings.image_api_proxy)) as session,
        aiohttp.ClientSession(**proxy_options(settings.discord_proxy)) as cdn,
        ImageBot(settings, session, storage, catalogue=catalogue, cdn=cdn) as bot,
    ):
        loop = asyncio.get_running_loop()
        closing: set[asyncio.Task[None]] = set()

        def stop() -> None:
            log.info("stopping")
            task = asyncio.create_task(bot.close())
            closing.add(task)
            task.add_done_callback(closing.discard)

        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop)
        try:
            if not await log_in(bot, settings):
                return 0
            await bot.connect()
        except discord.LoginFailure:
            print(
                "error: Discord refused DISCORD_TOKEN; copy the bot token again from the developer portal",
                file=sys.stderr,
            )
            return 1
        except discord.PrivilegedIntentsRequired:
            print(
                "error: the bot asked Discord for an intent it was not granted",
                file=sys.stderr,
            )
            return 1
    return 0


async def log_in(bot: ImageBot, settings: Settings) -> bool:
    """Log in, trying again with backoff (at most 30 s) while Discord cannot be reached; False if stopped first.

    A token Discord refuses raises LoginFailure at once.
    """
    delay = 1.0
    where = via(settings.discord_proxy, "DISCORD_PROXY")
    while not bot.is_closed():
        try:
            await bot.login(settings.discord_token)
            return True
        except UNREACHABLE as error:
            reason = redaction.redact(str(error) or type(error).__name__, proxy_secrets(settings.discord_proxy))
            print(f"error: cannot reach Discord{where} ({reason}); trying again in {delay:g} s", file=sys.stderr)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_WAIT)
    return False


async def reach_discord(settings: Settings, say: Callable[..., None]) -> bool:
    """Log in to Discord with the token (nothing more), saying whether it cannot be reached or refuses the token."""
    client = discord.Client(intents=discord.Intents.none(), **proxy_options(settings.discord_proxy))
    try:
        await client.login(settings.discord_token)
    except discord.LoginFailure:
        say("error: Discord refused DISCORD_TOKEN; copy the bot token again from the developer portal", error=True)
        return False
    except UNREACHABLE as error:
        reason = str(error) or type(error).__name__
        say(f"error: cannot reach Discord{via(settings.discord_proxy, 'DISCORD_PROXY')} ({reason})", error=True)
        return False
    finally:
        await client.close()
    say(f"discord: ok (logged in as {client.user})")
    return True


async def sync(settings: Settings, catalogue: Catalogue) -> int:
    """Sync the commands globally, once, then exit."""
    storage = await open_storage(settings)
    if storage is None:
        return 1
    try:
        async with (
            aiohttp.ClientSession() as session,
            ImageBot(settings, session, storage, catalogue=catalogue, serving=False) as bot,
        ):
            try:
                await bot.login(settings.discord_token)
            except discord.LoginFailure:
                print("error: Discord refused DISCORD_TOKEN", file=sys.stderr)
                return 1
            synced = await bot.tree.sync()
    finally:
        await storage.close()
    print(f"synced {len(synced)} global commands: " + ", ".join(f"/{command.name}" for command in synced))
    print("global commands can take up to an hour to appear in every server")
    return 0


def main(argv: list[str]) -> int:
    """Read the settings and do what the command line asks."""
    mode = argv[0] if argv else "run"
    if mode not in ("run", "sync", "check") or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return 2
    load_dotenv(ROOT / ".env", override=False)
    try:
        settings = load_settings(os.environ)
    except SettingsError as error:
        for problem in error.problems:
            print(f"error: {problem}", file=sys.stderr)
        return 2
    try:
        catalogue = Catalogue.load(BUNDLED_MODELS, *([settings.models_file] if settings.models_file else []))
    except CatalogueError as error:
        for problem in error.problems:
            print(f"error: MODELS_FILE {problem}", file=sys.stderr)
        return 2
    discord.utils.setup_logging(level=getattr(logging, settings.log_level))
    redaction.install(
        (
            settings.discord_token,
            settings.openai_api_key,
            *proxy_secrets(settings.discord_proxy, settings.image_api_proxy),
        )
    )
    point_discord_at(settings)
    try:
        if mode == "check":
            return run_loop(check(settings, catalogue, reach_discord))
        if mode == "sync":
            return run_loop(sync(settings, catalogue))
        return run_loop(run(settings, catalogue))
    finally:
        workers.shutdown()


def run_loop(main: Coroutine[Any, Any, int]) -> int:
    """Run ``main`` on uvloop where it is installed (not on Windows), else on asyncio's own loop.

    uvloop runs the same code with a faster loop: in bench/ it cut the worst event-loop stall from ~90 ms to
    ~35 ms while answers were being decoded and posted.
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
