"""The /usage command."""

from __future__ import annotations

import functools
import io
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from imagegen import texts
from imagegen.imaging.chart import Labels
from imagegen.model import Job

from .utils.delivery import redeliver
from .utils.markup import with_times
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
        core = self.bot.core
        usage = await core.member_usage(interaction.user.id, interaction.guild_id)
        locale = interaction.locale
        if usage.limit:
            counts = {"used": usage.used, "limit": usage.limit, "left": usage.left, "reset": usage.reset}
            content = texts.t(locale, "usage.limited", **with_times(counts))
        else:
            content = texts.t(locale, "usage.unlimited", used=usage.used)
        admin = interaction.guild_id is not None and interaction.permissions.manage_guild
        pending = await core.pending(interaction.user.id)
        if not pending and not admin:
            await interaction.response.send_message(content, ephemeral=True)
            return
        # Drawing the month and posting kept results take a moment: acknowledge first.
        await interaction.response.defer(ephemeral=True, thinking=True)
        files: list[discord.File] = []
        if admin and interaction.guild_id is not None:
            content += "\n\n" + await self.server_report(locale, interaction.guild_id)
            # In English: the bundled font has no Chinese glyphs, and boxes would help no one.
            english = texts.ENGLISH
            labels = Labels(
                texts.t(english, "chart.title"),
                texts.t(english, "chart.budget", amount="{amount}"),
                texts.t(english, "chart.spend"),
                texts.t(english, "chart.dollars", amount="{amount}"),
            )
            chart = await core.month_chart(interaction.guild_id, labels)
            files.append(discord.File(io.BytesIO(chart), filename="usage.png"))
        if pending:
            # Results that were made but Discord would not take: the member asked, so they are posted again now.
            content += "\n\n" + await self.post_kept(locale, pending)
        await interaction.followup.send(content, ephemeral=True, files=files)

    async def post_kept(self, locale: object, pending: list[Job]) -> str:
        """Post a member's kept results now; says what became of them."""
        post = functools.partial(redeliver, self.bot)
        posted = {job.id for job in await self.bot.core.redeliver(post, user_id=pending[0].user_id)}
        waiting = [job for job in pending if job.id not in posted]
        if not waiting:
            channels = " ".join(dict.fromkeys(f"<#{job.channel_id}>" for job in pending))
            images = sum(job.images_made - job.images_delivered for job in pending)
            return texts.t(locale, "usage.kept_posted", count=images, channels=channels)
        images = sum(job.images_made - job.images_delivered for job in waiting)
        until = int(max(self.bot.core.kept_until(job) for job in waiting))
        return texts.t(locale, "usage.kept_waiting", **with_times({"count": images, "until": until}))

    async def server_report(self, locale: object, guild_id: int) -> str:
        """For admins: the server's day and month."""
        day, month = await self.bot.core.server_report(guild_id)
        top = ", ".join(
            texts.t(locale, "usage.top_member", user=f"<@{user}>", images=images) for user, images in month.top_users
        )
        return texts.t(
            locale,
            "usage.server",
            day_images=day.images,
            day_cost=f"{day.cost:.2f}",
            day_refusals=day.refusals,
            month_images=month.images,
            month_cost=f"{month.cost:.2f}",
            month_refusals=month.refusals,
            day_withheld=day.withheld,
            month_withheld=month.withheld,
            top=top or texts.t(locale, "usage.top_none"),
        )


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Usage(bot))
