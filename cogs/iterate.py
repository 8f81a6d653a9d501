"""Working on one image of a result: pick it, vary it, zoom out, pan, upscale or edit it; /blend and /describe."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from imagegen import texts
from imagegen.imaging.uploads import check_declared
from imagegen.model import ImageRequest

from .utils import choices
from .utils.buttons import Pick, Tool
from .utils.described import Idea, described_answer
from .utils.jobs import start_job
from .utils.translator import localised

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

# As /imagine's: the picker in Discord takes at most 6000 characters; the model's own limit is checked later.
PROMPT_LIMIT = 6000


class Iterate(commands.Cog):
    """Carries a result on: the buttons under its images (Pick and Tool, defined with the other buttons about a job
    in cogs/utils/buttons.py, since results are posted with them), and the commands that start from members' own
    images."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(Pick, Tool, Idea)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(Pick, Tool, Idea)

    @app_commands.command(name="blend", description=localised("cmd.blend"))
    @app_commands.guild_only()
    @app_commands.describe(
        image1=localised("opt.blend.image"),
        image2=localised("opt.blend.image"),
        image3=localised("opt.blend.image"),
        image4=localised("opt.blend.image"),
        image5=localised("opt.blend.image"),
        prompt=localised("opt.blend.prompt"),
        size=localised("opt.size"),
        model=localised("opt.model"),
    )
    async def blend(
        self,
        interaction: discord.Interaction,
        image1: discord.Attachment,
        image2: discord.Attachment,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        prompt: app_commands.Range[str, 1, PROMPT_LIMIT] | None = None,
        size: str = "auto",
        model: str | None = None,
    ) -> None:
        """Two to five uploads sent together to the edits endpoint, blended as ``prompt`` says (or just blended)."""
        uploads = [upload for upload in (image1, image2, image3, image4, image5) if upload is not None]
        for upload in uploads:
            check_declared(upload.size, upload.content_type)
        request = ImageRequest(
            prompt=prompt or texts.t(interaction.locale, "blend.prompt"),
            model=(model or self.bot.core.default_model(interaction.guild_id)).strip(),
            size=size,
            moderation=self.bot.settings.moderation,
            tool="blend",
        )
        await start_job(self.bot, interaction, request, [upload.url for upload in uploads])

    blend.autocomplete("size")(choices.sizes)
    blend.autocomplete("model")(choices.models)

    @app_commands.command(name="describe", description=localised("cmd.describe"))
    @app_commands.guild_only()
    @app_commands.describe(image=localised("opt.describe.image"), model=localised("opt.describe.model"))
    async def describe(
        self, interaction: discord.Interaction, image: discord.Attachment, model: str | None = None
    ) -> None:
        """Four prompts for an uploaded image, numbered, with a button to draw each as the clicker's job."""
        check_declared(image.size, image.content_type)
        core = self.bot.core
        if core.describes_as_task(model):
            # Midjourney's own Describe is a task the relay bills: a job, under the limits and the budget.
            request = ImageRequest(prompt="/describe", model=(model or "").strip(), tool="describe")
            await start_job(self.bot, interaction, request, [image.url])
            return
        core.check_place(interaction.user.id, interaction.guild_id, interaction.channel_id)
        await interaction.response.defer(thinking=True)
        description, thumbnail = await core.describe(
            image.url,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id or 0,
            locale=interaction.locale,
            model=model.strip() if model else None,
        )
        locale = core.public_locale(interaction.guild_id, interaction.locale)
        await interaction.edit_original_response(**described_answer(locale, description, thumbnail))

    describe.autocomplete("model")(choices.models)


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Iterate(bot))
