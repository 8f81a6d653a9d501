"""The floor for acknowledgements: a bare discord.py bot whose /imagine only defers, on the same loop as the bot.

Run by bench/scale.py with the same environment as the bot; it writes nothing and does nothing else.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import discord
import yarl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cli  # noqa: E402


class Bare(discord.Client):
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await interaction.response.defer(thinking=True)


async def main() -> int:
    discord.http.Route.BASE = os.environ["DISCORD_API_URL"]
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(os.environ["DISCORD_GATEWAY_URL"])
    async with Bare(intents=discord.Intents(guilds=True)) as client:
        await client.start(os.environ["DISCORD_TOKEN"])
    return 0


if __name__ == "__main__":
    sys.exit(cli.run_loop(main()))
