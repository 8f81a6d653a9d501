"""/animate: a picture into a short video, where the operator sells video and the server allows it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from imagegen.errors import InvalidRequest
from imagegen.imaging.uploads import check_declared

from .utils.buttons import AnimateButton, AnimateForm, first_picture
from .utils.items import submitted_form
from .utils.jobs import start_job
from .utils.translator import localised

if TYPE_CHECKING:
    from bot import ImageBot

# As long as a motion prompt needs to be; the model's own limit is checked later.
PROMPT_LIMIT = 2000


class Animate(commands.Cog):
    """Turns a member's picture into a clip, as their job: admitted against the seconds of video they have left
    today and the server's budget, followed at the relay, and posted as an MP4."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot
        self.animate = self.animate_command()
        self.menu = app_commands.ContextMenu(name=localised("menu.animate"), callback=self.animate_image)
        self.menu.guild_only = True

    async def cog_load(self) -> None:
        # Buttons posted earlier answer whatever the settings are now (and say when video is off).
        self.bot.add_dynamic_items(AnimateButton)
        # Video costs money the operator chose to spend: without VIDEO_MODELS there is no such command at all.
        if self.bot.settings.video_models:
            self.bot.tree.add_command(self.animate)
            self.bot.tree.add_command(self.menu)

    async def animate_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Animate image" message menu: ask how the message's first picture should move."""
        found = first_picture(message, "animate.no_image")
        if not self.bot.core.video_allowed(interaction.guild_id):
            raise InvalidRequest("video.off")
        await interaction.response.send_modal(AnimateForm(message.channel.id, message.id, found, interaction.locale))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted Animate form, whether opened by this process or one before it."""
        form = submitted_form(interaction, (AnimateForm,))
        if form is not None:
            await form.answer(interaction)

    def animate_command(self) -> app_commands.Command[Any, ..., None]:
        """/animate, answering with the clip once it is made."""

        @app_commands.command(name="animate", description=localised("cmd.animate"))
        @app_commands.guild_only()
        @app_commands.describe(
            image=localised("opt.animate.image"),
            prompt=localised("opt.animate.prompt"),
            model=localised("opt.animate.model"),
            seconds=localised("opt.animate.seconds"),
            size=localised("opt.animate.size"),
            loop=localised("opt.animate.loop"),
        )
        async def animate(
            interaction: discord.Interaction,
            image: discord.Attachment,
            prompt: app_commands.Range[str, 1, PROMPT_LIMIT] | None = None,
            model: str | None = None,
            seconds: app_commands.Range[int, 1, 60] | None = None,
            size: str | None = None,
            loop: bool = False,
        ) -> None:
            """The image as a clip of ``seconds``, moving as ``prompt`` says."""
            check_declared(image.size, image.content_type)
            core = self.bot.core
            if not core.video_allowed(interaction.guild_id):
                raise InvalidRequest("video.off")
            request = core.video_request(prompt, model, seconds, size, loop, interaction.locale)
            await start_job(self.bot, interaction, request, [image.url])

        @animate.autocomplete("model")
        async def models(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
            needle = current.strip().lower()
            found = [name for name in self.bot.core.video_models if needle in name.lower()][:25]
            return [app_commands.Choice(name=name, value=name) for name in found]

        return animate


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Animate(bot))
