"""The /usage command."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from imagegen import texts
from imagegen.limits import next_midnight

from .utils.translator import localised

if TYPE_CHECKING:
    from bot import ImageBot


class Usage(commands.Cog):
    """Tells users how many images they have left today."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot

    @app_commands.command(name="usage", description=localised("cmd.usage"))
    @app_commands.guild_only()
    async def usage(self, interaction: discord.Interaction) -> None:
        """Images today, what is left, and when the count resets."""
        now = self.bot.jobs.clock()
        used = self.bot.jobs.usage.used(interaction.user.id, now)
        limit = self.bot.settings.daily_images_per_user
        locale = interaction.locale
        if limit:
            left = max(0, limit - used)
            content = texts.t(locale, "usage.limited", used=used, limit=limit, left=left, reset=next_midnight(now))
        else:
            content = texts.t(locale, "usage.unlimited", used=used)
        await interaction.response.send_message(content, ephemeral=True)


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Usage(bot))
