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
from discord.ext import commands
from dotenv import load_dotenv

from imagegen.api.network import SOCKS_ERRORS, failure, proxy_options, via
from imagegen.catalogue.entries import BUNDLED as BUNDLED_MODELS
from imagegen.catalogue.entries import Catalogue, CatalogueError
from imagegen.core import price_table
from imagegen.imaging import workers
from imagegen.ops.check import check
from imagegen.ops.logs import JsonFormatter, install_context
from imagegen.safety import redaction
from imagegen.settings import Settings, SettingsError, load_settings
from imagegen.storage.migrate import sqlite_to_postgres
from imagegen.storage.postgres import where
from imagegen.storage.sqlite import DATABASE_NAME, StorageError

log = logging.getLogger("bot")

# The two things bot.py hands the command line, so that neither file imports the other: how to run the bot, and
# how to make one without a core (to sync its commands).
Run = Callable[[Settings, Catalogue], Coroutine[Any, Any, int]]
MakeBot = Callable[[Settings], commands.AutoShardedBot]

ROOT = Path(__file__).resolve().parent
USAGE = """\
usage: uv run bot.py [run | sync | check | migrate-to-postgres | help]

  run                  (the default) answer on Discord until stopped by SIGTERM or Ctrl-C
  sync                 publish the slash commands to every server, once, then exit
  check                test the settings, Discord, the database and the image API; list the models the key can use
  migrate-to-postgres  copy the SQLite database in DATA_DIR into the empty PostgreSQL database DATABASE_URL names
  help                 show this

Settings are read from the environment and from .env (see .env.example and the README)."""
COMMANDS = ("run", "sync", "check", "migrate-to-postgres")
# The longest wait between tries to reach Discord or the image API at start.
MAX_RETRY_WAIT = 30.0
# What a connection that cannot be made raises: the network, the proxy before it (whatever its kind), or Discord's
# own front.
UNREACHABLE = (OSError, aiohttp.ClientError, *SOCKS_ERRORS, TimeoutError, discord.DiscordServerError)


def start_logging(settings: Settings) -> None:
    """Log as the settings say (LOG_LEVEL, LOG_FORMAT), each line with what it is about, secrets redacted."""
    install_context()
    formatter = JsonFormatter() if settings.log_format == "json" else discord.utils.MISSING
    discord.utils.setup_logging(level=getattr(logging, settings.log_level), formatter=formatter)
    logging.getLogger("discord.client").addFilter(without_voice_warnings)
    redaction.install(settings.secrets())


def point_discord_at(settings: Settings) -> None:
    """Send discord.py to a REST proxy or a test double instead of Discord, when the settings say so.

    discord.py has no public option for either: its class attributes are the one place both are read from, so they
    are set here, once, before anything connects.
    """
    if settings.discord_api_url:
        discord.http.Route.BASE = settings.discord_api_url
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)


class Stopping:
    """What SIGTERM and SIGINT do: while the bot starts, cancel whatever it waits for (the database, a log-in try, the
    wait before the next), so a stop is never kept waiting; once it is connected, close it, which lets running jobs
    finish."""

    def __init__(self) -> None:
        self.asked = False
        self._starting = asyncio.current_task()
        self._close: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._closing: set[asyncio.Task[None]] = set()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, self._stop)

    def closes_with(self, close: Callable[[], Coroutine[Any, Any, None]]) -> None:
        """From now on, a stop calls ``close`` instead of cancelling the start."""
        self._close = close

    def _stop(self) -> None:
        log.info("stopping")
        if self._close is not None:
            task = asyncio.create_task(self._close())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        elif not self.asked and self._starting is not None:
            # Once: a second signal must not interrupt the clean-up the first one started.
            self._starting.cancel()
        self.asked = True


async def log_in(bot: discord.Client, settings: Settings) -> None:
    """Log in, trying again with backoff (at most 30 s) while Discord cannot be reached.

    A token Discord refuses raises LoginFailure at once.
    """
    delay = 1.0
    proxy = settings.discord_proxy
    where = via(proxy, "DISCORD_PROXY")
    while True:
        try:
            await bot.login(settings.discord_token.get())
            return
        except UNREACHABLE as error:
            # Logged, not printed: one line a try, in the log's format (JSON with LOG_FORMAT=json), secrets masked.
            log.error("cannot reach Discord%s (%s); trying again in %g s", where, failure(error, proxy), delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, MAX_RETRY_WAIT)


async def reach_discord(settings: Settings, say: Callable[..., None]) -> bool:
    """Log in to Discord with the token (nothing more), saying whether it cannot be reached or refuses the token."""
    # Logging in opens no gateway connection, so the intents ask for nothing: guilds only spares discord.py's warning
    # that its state needs it.
    client = discord.Client(intents=discord.Intents(guilds=True), **proxy_options(settings.discord_proxy))
    try:
        await client.login(settings.discord_token.get())
    except discord.LoginFailure:
        say("error: Discord refused DISCORD_TOKEN; copy the bot token again from the developer portal", error=True)
        return False
    except UNREACHABLE as error:
        reason = failure(error, settings.discord_proxy)
        say(f"error: cannot reach Discord{via(settings.discord_proxy, 'DISCORD_PROXY')} ({reason})", error=True)
        return False
    finally:
        await client.close()
    say(f"discord: ok (logged in as {client.user})")
    return True


async def sync(settings: Settings, make_bot: MakeBot) -> int:
    """Sync the commands globally, once, then exit: the bot's commands (``make_bot(settings)``, without a core) are
    all it needs.

    While Discord cannot be reached it is tried again, as ``run`` does, until it can or until stopped.
    """
    stopping = Stopping()
    try:
        async with make_bot(settings) as bot:
            try:
                await log_in(bot, settings)
            except discord.LoginFailure:
                print("error: Discord refused DISCORD_TOKEN", file=sys.stderr)
                return 1
            synced = await bot.tree.sync()
    except asyncio.CancelledError:
        if not stopping.asked:
            raise
        print("stopped before the commands were synced", file=sys.stderr)
        return 1
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


def main(argv: list[str], run: Run, make_bot: MakeBot) -> int:
    """Read the settings and do what the command line asks: ``run`` (bot.py's) runs the bot, ``make_bot`` makes
    one without a core for ``sync``."""
    mode = argv[0] if argv else "run"
    if argv in (["help"], ["--help"], ["-h"]):
        print(USAGE)
        return 0
    if mode not in COMMANDS or len(argv) > 1:
        print(f"error: unknown command: {' '.join(argv)}", USAGE, sep="\n", file=sys.stderr)
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
    for note in settings.renamed:
        log.warning(note)
    point_discord_at(settings)
    try:
        if mode == "check":
            return run_loop(check(settings, catalogue, reach_discord))
        if mode == "sync":
            return run_loop(sync(settings, make_bot))
        if mode == "migrate-to-postgres":
            return run_loop(migrate(settings, catalogue))
        return run_loop(run(settings, catalogue))
    finally:
        workers.shutdown()


def without_voice_warnings(record: logging.LogRecord) -> bool:
    """False for discord.py's warnings that voice is not supported (PyNaCl, davey): the bot has no voice, so at every
    start they would tell an operator of nothing to act on."""
    return not record.getMessage().endswith("voice will NOT be supported")


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
