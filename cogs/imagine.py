"""The /imagine command."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands, tasks

from imagegen import texts
from imagegen.model import QUALITIES, ImageRequest, Job
from imagegen.uploads import check_declared

from .utils import choices, custom_ids
from .utils.answers import answer_error
from .utils.buttons import PromptModal, buttons, job_button, submitted_text
from .utils.channel import post_in_channel
from .utils.delivery import adopted, redeliver, report_text
from .utils.jobs import JobItem, belongs_here, elsewhere, start_job
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

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot
        self.announcing: asyncio.Task[None] | None = None
        # Discord shows the operator's maximum in the picker; the request is checked against it again anyway.
        self.imagine._params["n"].max_value = bot.settings.max_images
        # Direct messages escape every server's moderators, so they are the operator's choice.
        self.imagine.allowed_contexts = app_commands.AppCommandContext(guild=True, dm_channel=bot.settings.allow_dms)
        self.edit_menu = app_commands.ContextMenu(name=localised("menu.edit"), callback=self.edit_image)
        self.edit_menu.guild_only = True

    async def cog_load(self) -> None:
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
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, PROMPT_LIMIT],
        n: app_commands.Range[int, 1, 10] = 1,
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

    async def edit_image(self, interaction: discord.Interaction, message: discord.Message) -> None:
        """The "Edit image" message menu: ask what should change about the message's first image."""
        found = next((i for i, a in enumerate(message.attachments) if _is_image(a)), None)
        if found is None:
            await interaction.response.send_message(texts.t(interaction.locale, "edit.no_image"), ephemeral=True)
            return
        check_declared(message.attachments[found].size, message.attachments[found].content_type)
        locale = interaction.locale
        custom_id = custom_ids.edit_form(message.channel.id, message.id, found)
        await interaction.response.send_modal(
            PromptModal(custom_id, texts.t(locale, "edit.title"), texts.t(locale, "edit.label"))
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A submitted Remix or Edit image form, whether opened by this process or one before it."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        try:
            await self.form_submitted(interaction)
        except Exception as error:
            await answer_error(self.bot, interaction, error)

    async def form_submitted(self, interaction: discord.Interaction) -> None:
        """Run the prompt of a submitted form as the member's job, if the form is ours and belongs here."""
        data: dict[str, Any] = dict(interaction.data or {})
        custom_id = str(data.get("custom_id", ""))
        prompt = submitted_text(data, "prompt")
        remixed, edited = custom_ids.read_remix(custom_id), custom_ids.read_edit(custom_id)
        if remixed is not None:
            job = await self.bot.core.job(remixed)
            if job is None or prompt is None:
                await interaction.response.send_message(texts.t(interaction.locale, "job.unknown"), ephemeral=True)
                return
            if not belongs_here(interaction, job):
                await elsewhere(interaction, job)
                return
            await start_job(self.bot, interaction, dataclasses.replace(job.request, prompt=prompt))
        elif edited is not None and prompt is not None:
            channel_id, message_id, index = edited
            if channel_id != interaction.channel_id:
                # The form was opened on a message of this channel; any other is not this member's to reach.
                log.warning("edit form for channel %d submitted in channel %s", channel_id, interaction.channel_id)
                await interaction.response.send_message(texts.t(interaction.locale, "button.elsewhere"), ephemeral=True)
                return
            await self.edit_submitted(interaction, channel_id, message_id, index, prompt)

    async def edit_submitted(
        self, interaction: discord.Interaction, channel_id: int, message_id: int, index: int, prompt: str
    ) -> None:
        """Run an edit of image ``index`` of a message, read afresh so its URL has not expired."""
        try:
            message = await self.bot.get_partial_messageable(channel_id).fetch_message(message_id)
        except discord.HTTPException:
            message = None
        if message is None or index >= len(message.attachments):
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        settings = self.bot.settings
        request = ImageRequest(
            prompt=prompt, model=self.bot.core.default_model(interaction.guild_id), moderation=settings.moderation
        )
        await start_job(self.bot, interaction, request, [message.attachments[index].url])

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
            view = buttons(job_button("rerun", job.id, texts.t(job.locale, "button.rerun")))
            try:
                await post_in_channel(
                    self.bot, job.channel_id, content, ping=job.user_id, view=view, reply_to=job.message_id
                )
            except discord.HTTPException as error:
                log.warning("job %d: could not tell user %d of the interruption: %s", job.id, job.user_id, error)
                await self.bot.core.mark_notified(job, f"cannot post in channel {job.channel_id}: {error}")
            else:
                await self.bot.core.mark_notified(job)


class Reroll(JobItem, template=custom_ids.job_template("reroll")):
    """The same prompt and options again, as the clicker's job."""

    action = "reroll"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        await start_job(bot, interaction, job.request)


class Rerun(Reroll, template=custom_ids.job_template("rerun")):
    """Run again a job a restart interrupted."""

    action = "rerun"


class Remix(JobItem, template=custom_ids.job_template("remix")):
    """A form with the prompt to change; the submission is answered by the cog's listener."""

    action = "remix"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        locale = interaction.locale
        title, label = texts.t(locale, "remix.title"), texts.t(locale, "remix.label")
        await interaction.response.send_modal(
            PromptModal(custom_ids.remix_form(job.id), title, label, job.request.prompt)
        )


class Vary(JobItem, template=custom_ids.job_template("vary")):
    """Image ``index`` of the clicked result becomes the reference of a new job with the same prompt."""

    action = "vary"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        attachments = interaction.message.attachments if interaction.message is not None else []
        index = self.index or 1
        if not 1 <= index <= len(attachments):
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        request = dataclasses.replace(job.request, references=())
        await start_job(bot, interaction, request, [attachments[index - 1].url])


class TryInstead(JobItem, template=custom_ids.job_template("try")):
    """Run the rewritten prompt a refusal suggested (a style instead of a living artist's name)."""

    action = "try"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        suggestion = bot.core.suggest(job.request.prompt)
        if suggestion is None:
            await interaction.response.send_message(texts.t(interaction.locale, "try.nothing"), ephemeral=True)
            return
        await start_job(bot, interaction, dataclasses.replace(job.request, prompt=suggestion.prompt))


class Delete(JobItem, template=custom_ids.job_template("delete")):
    """The requester or a moderator removes the result."""

    action = "delete"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        if interaction.user.id != job.user_id and not interaction.permissions.manage_messages:
            await interaction.response.send_message(texts.t(interaction.locale, "delete.not_allowed"), ephemeral=True)
            return
        await interaction.response.defer()
        await interaction.delete_original_response()


class Cancel(JobItem, template=custom_ids.job_template("cancel")):
    """Only the requester, only while the job waits."""

    action = "cancel"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        locale = interaction.locale
        if job.user_id != interaction.user.id:
            await interaction.response.send_message(texts.t(locale, "job.cancel_not_yours"), ephemeral=True)
        elif bot.core.position(job.id) is None:
            await interaction.response.send_message(texts.t(locale, "job.cancel_too_late"), ephemeral=True)
        else:
            await interaction.response.defer()
            await bot.core.cancel(job.id)


class Report(JobItem, template=custom_ids.job_template("report")):
    """Any member sends a result to the server's log channel, once; moderators can remove it from there."""

    action = "report"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        locale = interaction.locale
        server = bot.core.server(job.guild_id)
        if server.log_channel is None or interaction.message is None or interaction.guild_id is None:
            await interaction.response.send_message(texts.t(locale, "report.no_channel"), ephemeral=True)
            return
        if not await bot.core.report(job, interaction.user.id):
            await interaction.response.send_message(texts.t(locale, "report.again"), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = server.language or "en"
        message = interaction.message
        text = report_text(language, "log.reported", job, reporter=interaction.user.mention, link=message.jump_url)
        view = buttons(job_button("remove", job.id, texts.t(language, "button.remove"), message.id))
        await post_in_channel(bot, server.log_channel, text, ping=None, view=view)
        await interaction.followup.send(texts.t(locale, "report.sent"), ephemeral=True)


class Remove(JobItem, template=custom_ids.job_template("remove")):
    """From the log channel, a moderator removes a reported result (the button carries the result's message)."""

    action = "remove"
    # The button lives in the log channel, not where the job was made: the server must match, not the channel.
    anywhere_in_server = True

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        if not interaction.permissions.manage_messages or self.index is None:
            await interaction.response.send_message(texts.t(interaction.locale, "delete.not_allowed"), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            # The audit log is the server's moderators' to read: in the server's language, as the log channel is.
            reason = texts.t(bot.core.server(job.guild_id).language or texts.ENGLISH, "audit.report_removed")
            await bot.http.delete_message(job.channel_id, self.index, reason=reason)
            done = "report.removed"
        except discord.NotFound:
            done = "report.already_gone"
        await interaction.followup.send(texts.t(interaction.locale, done), ephemeral=True)


JOB_ITEMS = (Reroll, Rerun, Remix, Vary, TryInstead, Delete, Cancel, Report, Remove)


def _is_image(attachment: discord.Attachment) -> bool:
    if attachment.content_type is not None:
        return attachment.content_type.startswith("image/")
    return attachment.filename.lower().endswith((".png", ".jpg", ".jpeg", ".webp"))


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Imagine(bot))
