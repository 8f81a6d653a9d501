"""The /imagine command."""

# No ``from __future__ import annotations`` here: /imagine's options are read from the annotations of a function
# built with the operator's settings (see Imagine.imagine_command), which discord.py can only evaluate then.

import asyncio
import functools
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from imagegen import texts
from imagegen.imaging.uploads import check_declared
from imagegen.model import QUALITIES, ImageRequest, Job

from .utils import choices
from .utils.buttons import (
    Cancel,
    Delete,
    EditForm,
    MjButton,
    Remix,
    RemixForm,
    Remove,
    Report,
    Reroll,
    Rerun,
    TryInstead,
    Vary,
    ZoomForm,
    first_picture,
)
from .utils.channel import post_in_channel
from .utils.delivery import adopted, redeliver
from .utils.items import buttons, submitted_form
from .utils.jobs import start_job
from .utils.markup import inert
from .utils.translator import localised

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

# How often kept results that Discord would not take are looked at; each has its own time to be tried again.
REDELIVERY_CHECK_SECONDS = 30.0
# The prompt picker in Discord takes at most 6000 characters; the model's own limit is checked later.
PROMPT_LIMIT = 6000

# Every quality some model takes; one a model lacks is refused naming those it has.
QUALITY_CHOICES = [app_commands.Choice(name=localised(f"choice.quality.{value}"), value=value) for value in QUALITIES]
BACKGROUND_CHOICES = [
    app_commands.Choice(name=localised(f"choice.background.{value}"), value=value)
    for value in ("auto", "transparent", "opaque")
]


class Imagine(commands.Cog):
    """Turns a prompt into images posted in the channel."""

    def __init__(self, bot: "ImageBot") -> None:
        self.bot = bot
        self.announcing: asyncio.Task[None] | None = None
        self.imagine = self.imagine_command()
        # Direct messages escape every server's moderators, so they are the operator's choice.
        self.imagine.allowed_contexts = app_commands.AppCommandContext(guild=True, dm_channel=bot.settings.allow_dms)
        self.edit_menu = app_commands.ContextMenu(name=localised("menu.edit"), callback=self.edit_image)
        self.edit_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.imagine)
        self.bot.tree.add_command(self.edit_menu)
        self.bot.add_dynamic_items(*JOB_ITEMS)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """Once connected: tell those whose jobs a previous process cut short, and keep posting kept results."""
        if self.bot.interrupted:
            left, self.bot.interrupted = self.bot.interrupted, []
            self.announcing = asyncio.create_task(self.announce_interrupted(left))
        if not self.post_kept_results.is_running():
            self.post_kept_results.start()
        self.bot.core.serve(functools.partial(adopted, self.bot))

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.imagine.name)
        self.bot.tree.remove_command(self.edit_menu.name, type=self.edit_menu.type)
        self.bot.remove_dynamic_items(*JOB_ITEMS)
        if self.announcing is not None:
            self.announcing.cancel()
        self.post_kept_results.cancel()

    @tasks.loop(seconds=REDELIVERY_CHECK_SECONDS)
    async def post_kept_results(self) -> None:
        """Try again to post the results Discord would not take, each when its time comes (also after a restart)."""
        try:
            await self.bot.core.redeliver(functools.partial(redeliver, self.bot))
        except Exception:
            log.exception("could not post kept results")

    @post_kept_results.before_loop
    async def _before_posting(self) -> None:
        await self.bot.wait_until_ready()

    def imagine_command(self) -> app_commands.Command[Any, ..., None]:
        """/imagine, built for this bot: Discord's picker offers up to the operator's maximum number of images (the
        request is checked against it again anyway)."""
        most = self.bot.settings.limits.max_images

        @app_commands.command(name="imagine", description=localised("cmd.imagine"))
        @app_commands.describe(
            prompt=localised("opt.prompt"),
            n=localised("opt.n"),
            size=localised("opt.size"),
            quality=localised("opt.quality"),
            background=localised("opt.background"),
            model=localised("opt.model"),
            image=localised("opt.image"),
            image2=localised("opt.image2"),
            style=localised("opt.style"),
        )
        @app_commands.choices(quality=QUALITY_CHOICES, background=BACKGROUND_CHOICES)
        async def imagine(
            interaction: discord.Interaction,
            prompt: app_commands.Range[str, 1, PROMPT_LIMIT],
            n: app_commands.Range[int, 1, most] = 1,
            size: str = "auto",
            quality: str = "auto",
            background: str = "auto",
            model: str | None = None,
            image: discord.Attachment | None = None,
            image2: discord.Attachment | None = None,
            style: str | None = None,
        ) -> None:
            """Draw ``n`` images from ``prompt`` (starting from up to two reference images) and post them."""
            attachments = [upload for upload in (image, image2) if upload is not None]
            for upload in attachments:
                check_declared(upload.size, upload.content_type)
            settings = self.bot.settings
            request = ImageRequest(
                prompt=prompt,
                model=(model or self.bot.core.default_model(interaction.guild_id)).strip(),
                n=n,
                size=size,
                quality=quality,
                background=background,
                moderation=settings.moderation,
            )
            if style:
                request = self.bot.core.with_style(request, style, interaction.guild_id)
            await start_job(self.bot, interaction, request, [upload.url for upload in attachments])

        imagine.autocomplete("size")(choices.sizes)
        imagine.autocomplete("model")(choices.models)
        imagine.autocomplete("style")(choices.styles)
        return imagine

    async def edit_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Edit image" message menu: ask what should change about the message's first image."""
        found = first_picture(message, "edit.no_image")
        locale = interaction.locale
        await interaction.response.send_modal(EditForm(message.channel.id, message.id, found, locale))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted Remix or Edit image form, whether opened by this process or one before it."""
        form = submitted_form(interaction, FORMS)
        if form is not None:
            await form.answer(interaction)

    async def announce_interrupted(self, jobs: list[Job]) -> None:
        """Tell each requester whose job a previous process left unfinished, with a way to run it again."""
        await self.bot.wait_until_ready()
        for job in jobs:
            content = texts.t(
                job.locale,
                "job.interrupted_notice",
                user=f"<@{job.user_id}>",
                prompt=inert(job.request.prompt, 1500),
            )
            view = buttons(Rerun.for_job(job, job.locale))
            try:
                await post_in_channel(
                    self.bot, job.channel_id, content, ping=job.user_id, view=view, reply_to=job.message_id
                )
            except discord.HTTPException as error:
                log.warning("job %d: could not tell user %d of the interruption: %s", job.id, job.user_id, error)
                await self.bot.core.mark_notified(job, f"cannot post in channel {job.channel_id}: {error}")
            else:
                await self.bot.core.mark_notified(job)


# The buttons about a job this cog answers (defined beside the results that carry them), and the forms.
JOB_ITEMS = (Reroll, Rerun, Remix, Vary, TryInstead, Delete, Cancel, Report, Remove, MjButton)
FORMS = (RemixForm, EditForm, ZoomForm)


async def setup(bot: "ImageBot") -> None:
    """Load the cog."""
    await bot.add_cog(Imagine(bot))
