"""The operator's Discord webhook (OPS_WEBHOOK_URL): error lines and operator-facing problems, posted there too."""

from __future__ import annotations

import asyncio
import logging
import time

import aiohttp
import discord

from imagegen import texts

log = logging.getLogger(__name__)

# One message per kind of problem in this many seconds: a broken key must not flood the channel.
QUIET_SECONDS = 600.0
# How long a stop waits for the messages still on their way: Discord may be out of reach, the reason for them.
DRAIN_SECONDS = 5.0


class OpsWebhook(logging.Handler):
    """Posts ERROR lines to a Discord webhook through discord.py (so it follows DISCORD_API_URL and the proxy),
    at most one per kind (where it was logged and what it says, before its values) per ``QUIET_SECONDS``."""

    def __init__(self, url: str, session: aiohttp.ClientSession, quiet: float = QUIET_SECONDS) -> None:
        super().__init__(logging.ERROR)
        self.webhook = discord.Webhook.from_url(url, session=session)
        self.quiet = quiet
        self._last: dict[str, float] = {}
        self._sending: set[asyncio.Task[None]] = set()

    def emit(self, record: logging.LogRecord) -> None:
        if record.name == __name__:
            return  # never about its own failures: that way lies a loop
        kind = f"{record.name}:{record.msg}"
        now = time.monotonic()
        if now - self._last.get(kind, -self.quiet) < self.quiet:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._last[kind] = now
        text = texts.shorten(f"⚠️ {record.levelname} {record.name}: {self.format(record)}", 1900)
        task = loop.create_task(self._send(text))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send(self, text: str) -> None:
        try:
            await self.webhook.send(text, allowed_mentions=discord.AllowedMentions.none())
        except (discord.HTTPException, aiohttp.ClientError) as error:
            log.warning("could not post to OPS_WEBHOOK_URL: %s", error)

    async def drain(self, within: float = DRAIN_SECONDS) -> None:
        """Wait for the messages on their way, at most ``within`` seconds; those not sent by then are dropped."""
        if not self._sending:
            return
        _, late = await asyncio.wait(self._sending, timeout=within)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
