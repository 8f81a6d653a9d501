"""The command line: ``python bot.py`` runs the bot, ``sync`` publishes its commands, ``check`` tests the set-up.

Each builds only what it needs: ``run`` the core and the bot, ``sync`` the bot's commands alone, ``check`` an
image client and a Discord login.
"""

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
from aiohttp import web
from dotenv import load_dotenv
from python_socks import ProxyError

from bot import ImageBot
from cogs.utils.ops import OpsWebhook
from imagegen import redaction, workers
from imagegen.catalogue import BUNDLED as BUNDLED_MODELS
from imagegen.catalogue import Catalogue, CatalogueError
from imagegen.check import check
from imagegen.core import Core, price_table
from imagegen.health import start_health
from imagegen.logs import JsonFormatter, install_context
from imagegen.migrate import sqlite_to_postgres
from imagegen.network import proxy_options, via
from imagegen.postgres import where
from imagegen.redaction import RedactingFilter
from imagegen.settings import Settings, SettingsError, load_settings
from imagegen.storage import DATABASE_NAME, StorageError

log = logging.getLogger("bot")

ROOT = Path(__file__).resolve().parent
USAGE = "usage: python bot.py [run | sync | check | migrate-to-postgres]"
# The longest wait between tries to reach Discord or the image API at start.
MAX_RETRY_WAIT = 30.0
# What a connection that cannot be made raises: the network, the proxy before it, or Discord's own front.
UNREACHABLE = (OSError, aiohttp.ClientError, ProxyError, TimeoutError, discord.DiscordServerError)


def start_logging(settings: Settings) -> None:
    """Log as the settings say (LOG_LEVEL, LOG_FORMAT), each line with what it is about, secrets redacted."""
    install_context()
    formatter = JsonFormatter() if settings.log_format == "json" else discord.utils.MISSING
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), formatter=formatter)
    redaction.install(settings.secrets())


def point_discord_at(settings: Settings) -> None:
    """Send discord.py to a REST proxy or a test double instead of Discord, when the settings say so."""
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


async def run(settings: Settings, catalogue: Catalogue) -> int:
    """Run the bot until it is stopped by SIGTERM or SIGINT."""
    # The absolute path, so an operator sees at once which database this process uses.
    if settings.database_url:
        log.info("using the PostgreSQL database %s; DATA_DIR is %s", where(settings.database_url.get()),
                 settings.data_dir)  # fmt: skip
    else:
        log.info("using the SQLite database %s", settings.data_dir / DATABASE_NAME)
    try:
        async with Core.open(settings, catalogue) as core:
            return await serve(settings, core)
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1


async def serve(settings: Settings, core: Core) -> int:
    """Take over what a previous process left, connect to Discord and answer until closed."""
    # Before the gateway connects, so no new job can be mistaken for one a previous process left.
    interrupted = await core.start()
    async with ImageBot(settings, core) as bot:
        bot.interrupted = interrupted
        operations = await start_operations(settings, core, bot)
        ops = OpsWebhook(settings.ops_webhook_url, core.discord_session) if settings.ops_webhook_url else None
        if ops is not None:
            ops.addFilter(RedactingFilter(settings.secrets()))
            logging.getLogger().addHandler(ops)
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
            print("error: the bot asked Discord for an intent it was not granted", file=sys.stderr)
            return 1
        finally:
            if ops is not None:
                logging.getLogger().removeHandler(ops)
                await ops.drain()
            if operations is not None:
                await operations.cleanup()
    return 0


async def start_operations(settings: Settings, core: Core, bot: ImageBot) -> web.AppRunner | None:
    """/metrics, /healthz and /readyz on METRICS_HOST:METRICS_PORT, when a port is set."""
    if not settings.metrics_port:
        return None

    async def ready() -> str | None:
        if bot.is_closed() or not bot.is_ready() or any(shard.is_closed() for shard in bot.shards.values()):
            return "not connected to the Discord gateway"
        try:
            await asyncio.wait_for(core.storage.ping(), 2)
        except Exception as error:
            return f"the database does not answer ({type(error).__name__})"
        return None

    def refresh() -> None:
        core.metrics.guilds.set(len(bot.guilds))
        for shard, latency in getattr(bot, "latencies", [(bot.shard_id, bot.latency)]):
            if latency == latency:  # NaN until the first heartbeat
                core.metrics.gateway.labels(shard=str(shard or 0)).set(latency)

    runner = await start_health(settings.metrics_host, settings.metrics_port, core.metrics, ready, refresh)
    log.info("metrics and health checks on http://%s:%d", settings.metrics_host, settings.metrics_port)
    return runner


async def log_in(bot: ImageBot, settings: Settings) -> bool:
    """Log in, trying again with backoff (at most 30 s) while Discord cannot be reached; False if stopped first.

    A token Discord refuses raises LoginFailure at once.
    """
    delay = 1.0
    where = via(settings.discord_proxy, "DISCORD_PROXY")
    while not bot.is_closed():
        try:
            await bot.login(settings.discord_token.get())
            return True
        except UNREACHABLE as error:
            reason = redaction.redact(str(error) or type(error).__name__, settings.secrets())
            print(f"error: cannot reach Discord{where} ({reason}); trying again in {delay:g} s", file=sys.stderr)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_WAIT)
    return False


async def reach_discord(settings: Settings, say: Callable[..., None]) -> bool:
    """Log in to Discord with the token (nothing more), saying whether it cannot be reached or refuses the token."""
    client = discord.Client(intents=discord.Intents.none(), **proxy_options(settings.discord_proxy))
    try:
        await client.login(settings.discord_token.get())
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


async def sync(settings: Settings) -> int:
    """Sync the commands globally, once, then exit: the bot's commands are all it needs."""
    async with ImageBot(settings, None) as bot:
        try:
            await bot.login(settings.discord_token.get())
        except discord.LoginFailure:
            print("error: Discord refused DISCORD_TOKEN", file=sys.stderr)
            return 1
        synced = await bot.tree.sync()
    print(f"synced {len(synced)} global commands: " + ", ".join(f"/{command.name}" for command in synced))
    print("global commands can take up to an hour to appear in every server")
    return 0


async def migrate(settings: Settings, catalogue: Catalogue) -> int:
    """Copy the SQLite database in DATA_DIR into the empty PostgreSQL database DATABASE_URL names."""
    if not settings.database_url:
        print("error: set DATABASE_URL to the (empty) PostgreSQL database to copy into", file=sys.stderr)
        return 2
    prices = price_table(settings, catalogue)
    url = settings.database_url.get()
    try:
        copied = await sqlite_to_postgres(settings.data_dir, url, lambda job: prices.per_image(job.request))
    except StorageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for table, count in copied.items():
        print(f"{table}: {count}")
    print(f"copied {settings.data_dir / DATABASE_NAME} into {where(url)}; start the bot with DATABASE_URL set")
    return 0


def main(argv: list[str]) -> int:
    """Read the settings and do what the command line asks."""
    mode = argv[0] if argv else "run"
    if mode not in ("run", "sync", "check", "migrate-to-postgres") or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return 2
    load_dotenv(ROOT / ".env", override=False)
    try:
        settings = load_settings(os.environ, root=ROOT)
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
    start_logging(settings)
    point_discord_at(settings)
    try:
        if mode == "check":
            return run_loop(check(settings, catalogue, reach_discord))
        if mode == "sync":
            return run_loop(sync(settings))
        if mode == "migrate-to-postgres":
            return run_loop(migrate(settings, catalogue))
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
