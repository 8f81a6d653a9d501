"""The buttons and forms about a job, one class each: its custom id (defined once, on the class), its look, and
what a click or a submission does. A class's ``for_job`` builds what is sent; its cog registers the class, so a
click is answered after a restart too."""

from __future__ import annotations

import dataclasses
import functools
import io
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Self

import discord

from imagegen import texts
from imagegen.errors import InvalidRequest
from imagegen.imaging.tools import EDIT, TOOLS
from imagegen.imaging.uploads import check_declared
from imagegen.model import ImageRequest, Job
from imagegen.ops import logs

from .channel import post_in_channel
from .items import Form, Item, bot_of, buttons

if TYPE_CHECKING:
    from bot import ImageBot

    from .jobs import Prepare

log = logging.getLogger(__name__)

# What each single-image tool looks like; the pans show only their arrow.
TOOL_EMOJI = {
    "subtle": "🎨", "strong": "🎨", "zoom-1.5": "🔍", "zoom-2": "🔍", "pan-left": "⬅️", "pan-right": "➡️",
    "pan-up": "⬆️", "pan-down": "⬇️", "upscale": "✨", "edit": "✏️",
}  # fmt: skip


async def start(
    bot: ImageBot,
    interaction: discord.Interaction,
    request: ImageRequest,
    reference_urls: Sequence[str] = (),
    prepare: Prepare | None = None,
) -> None:
    """Start ``request`` as the clicking or submitting member's job (see ``jobs.start_job``)."""
    # Imported when used: a job's result carries these buttons (jobs.py imports delivery.py, which imports this).
    from .jobs import start_job

    await start_job(bot, interaction, request, reference_urls, prepare)


def belongs_here(interaction: discord.Interaction, job: Job, channel: bool = True) -> bool:
    """Whether a click on a job's button (or form) comes from where the job lives: its server and channel.

    A custom id is only a string: anyone can send one with another server's job in it, and its prompt and cost
    must not cross servers.
    """
    return interaction.guild_id == job.guild_id and (not channel or interaction.channel_id == job.channel_id)


async def elsewhere(interaction: discord.Interaction, job: Job) -> None:
    """Answer a click (or form) about a job from somewhere the job does not live."""
    log.warning(
        "job %d (guild %s, channel %d) clicked from guild %s, channel %s",
        job.id,
        job.guild_id,
        job.channel_id,
        interaction.guild_id,
        interaction.channel_id,
    )
    await interaction.response.send_message(texts.t(interaction.locale, "button.elsewhere"), ephemeral=True)


class JobItem(Item):
    """What every button about a job shares: the job (read from the custom id, the rest from the database) and
    the check that the click comes from where the job lives. Each button is a subclass, doing its ``act``."""

    # Whether the button may be clicked anywhere in the job's server, not only in its channel.
    anywhere_in_server: ClassVar[bool] = False

    def __init__(self, job_id: int, button: discord.ui.Button[Any]) -> None:
        super().__init__(button)
        self.job_id = job_id

    async def clicked(self, interaction: discord.Interaction) -> None:
        logs.about(job=self.job_id, guild=interaction.guild_id, interaction=interaction.id)
        bot = bot_of(interaction)
        job = await bot.core.job(self.job_id)
        if job is None:
            await interaction.response.send_message(texts.t(interaction.locale, "job.unknown"), ephemeral=True)
        elif not belongs_here(interaction, job, channel=not self.anywhere_in_server):
            await elsewhere(interaction, job)
        else:
            await self.act(bot, interaction, job)

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        """What the button does for its job."""
        raise NotImplementedError


class JobButton(JobItem):
    """A button about a job and, for some, one of its images: ``imagine:<action>:<job>[:<image>]``. Every one
    reads an image after the job, as they always have; those that need none ignore it."""

    # The text of the button in the catalogue.
    label_key: ClassVar[str]

    def __init__(self, job_id: int, index: int | None = None, *, label: str | None = None) -> None:
        super().__init__(job_id, self.button(label, job=job_id, index=index))
        self.index = index

    @classmethod
    def for_job(cls, job: Job, locale: object, index: int | None = None) -> Self:
        """The button about ``job`` (and its image ``index``), labelled in ``locale``."""
        return cls(job.id, index, label=texts.t(locale, cls.label_key, index=index))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["job"]), int(match["index"]) if match["index"] else None)


class Reroll(JobButton, custom_id="imagine:reroll:{job}[:{index}]"):
    """The same prompt and options again, as the clicker's job."""

    label_key = "button.reroll"
    emoji = "🔄"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        await start(bot, interaction, job.request)


class Rerun(Reroll, custom_id="imagine:rerun:{job}[:{index}]"):
    """Run again a job a restart interrupted."""

    label_key = "button.rerun"
    style = discord.ButtonStyle.primary


class Remix(JobButton, custom_id="imagine:remix:{job}[:{index}]"):
    """A form with the prompt to change."""

    label_key = "button.remix"
    emoji = "✏️"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        await interaction.response.send_modal(RemixForm.for_job(job, interaction.locale))


class Vary(JobButton, custom_id="imagine:vary:{job}[:{index}]"):
    """Image ``index`` of the clicked result becomes the reference of a new job with the same prompt (results
    posted before Pick existed still carry it)."""

    label_key = "button.vary"
    emoji = "🎲"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        attachments = interaction.message.attachments if interaction.message is not None else []
        index = self.index or 1
        if not 1 <= index <= len(attachments):
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        request = dataclasses.replace(job.request, references=())
        await start(bot, interaction, request, [attachments[index - 1].url])


class TryInstead(JobButton, custom_id="imagine:try:{job}[:{index}]"):
    """Run the rewritten prompt a refusal suggested (a style instead of a living artist's name)."""

    label_key = "button.try"
    style = discord.ButtonStyle.primary
    emoji = "✨"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        suggestion = bot.core.suggest(job.request.prompt)
        if suggestion is None:
            await interaction.response.send_message(texts.t(interaction.locale, "try.nothing"), ephemeral=True)
            return
        await start(bot, interaction, dataclasses.replace(job.request, prompt=suggestion.prompt))


class Delete(JobButton, custom_id="imagine:delete:{job}[:{index}]"):
    """The requester or a moderator removes the result."""

    label_key = "button.delete"
    emoji = "🗑️"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        if interaction.user.id != job.user_id and not interaction.permissions.manage_messages:
            await interaction.response.send_message(texts.t(interaction.locale, "delete.not_allowed"), ephemeral=True)
            return
        await interaction.response.defer()
        await interaction.delete_original_response()


class Cancel(JobButton, custom_id="imagine:cancel:{job}[:{index}]"):
    """Only the requester, only while the job waits."""

    label_key = "button.cancel"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        locale = interaction.locale
        if job.user_id != interaction.user.id:
            await interaction.response.send_message(texts.t(locale, "job.cancel_not_yours"), ephemeral=True)
        elif bot.core.position(job.id) is None:
            await interaction.response.send_message(texts.t(locale, "job.cancel_too_late"), ephemeral=True)
        else:
            await interaction.response.defer()
            await bot.core.cancel(job.id)


class Report(JobButton, custom_id="imagine:report:{job}[:{index}]"):
    """Any member sends a result to the server's log channel, once; moderators can remove it from there."""

    label_key = "button.report"
    emoji = "🚩"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        # Imported when used: delivery.py imports this module for the buttons under a result.
        from .delivery import report_text

        locale = interaction.locale
        server = bot.core.server(job.guild_id)
        if server.log_channel is None or interaction.message is None or interaction.guild_id is None:
            await interaction.response.send_message(texts.t(locale, "report.no_channel"), ephemeral=True)
            return
        if not await bot.core.report(job, interaction.user.id):
            await interaction.response.send_message(texts.t(locale, "report.again"), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        language = bot.core.moderators_locale(job.guild_id)
        message = interaction.message
        text = report_text(language, "log.reported", job, reporter=interaction.user.mention, link=message.jump_url)
        view = buttons(Remove.for_job(job, language, message.id))
        await post_in_channel(bot, server.log_channel, text, ping=None, view=view)
        await interaction.followup.send(texts.t(locale, "report.sent"), ephemeral=True)


class Remove(JobButton, custom_id="imagine:remove:{job}[:{index}]"):
    """From the log channel, a moderator removes a reported result (the button carries the result's message in
    place of an image)."""

    label_key = "button.remove"
    style = discord.ButtonStyle.danger
    emoji = "🗑️"
    # The button lives in the log channel, not where the job was made: the server must match, not the channel.
    anywhere_in_server = True

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        if not interaction.permissions.manage_messages or self.index is None:
            await interaction.response.send_message(texts.t(interaction.locale, "delete.not_allowed"), ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            # The audit log is the server's moderators' to read: in the server's language, as the log channel is.
            reason = texts.t(bot.core.moderators_locale(job.guild_id), "audit.report_removed")
            await bot.http.delete_message(job.channel_id, self.index, reason=reason)
            done = "report.removed"
        except discord.NotFound:
            done = "report.already_gone"
        await interaction.followup.send(texts.t(interaction.locale, done), ephemeral=True)


class Pick(JobButton, custom_id="imagine:pick:{job}[:{index}]"):
    """Image ``index`` of a result of several, posted alone as a new message (no API call) with the single-image
    tools, linked to the result it came from."""

    label_key = "button.pick"
    style = discord.ButtonStyle.primary

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        message = interaction.message
        attachments = message.attachments if message is not None else []
        index = self.index or 1
        if message is None or not 1 <= index <= len(attachments):
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        picked = attachments[index - 1]
        # Read now, from the message as it is: its URL is fresh, and nothing is drawn again.
        data = await bot.core.fetch_image(picked.url)
        locale = bot.core.public_locale(job.guild_id, interaction.locale)
        caption = texts.t(locale, "pick.caption", index=index, link=message.jump_url, user=f"<@{job.user_id}>")
        view = buttons(*(Tool.for_job(job, locale, tool) for tool in bot.core.tools(job.request.model)))
        await interaction.edit_original_response(
            content=caption, attachments=[discord.File(io.BytesIO(data), filename=picked.filename)], view=view
        )


class Tool(JobItem, custom_id="imagine:tool:{job}:{tool:[a-z0-9.-]{1,20}}"):
    """A single-image tool (as imagegen.tools names them) on the clicked message's image, as the clicker's job
    with its job's prompt and model."""

    def __init__(self, job_id: int, tool: str, *, label: str | None = None) -> None:
        super().__init__(job_id, self.button(label, emoji=TOOL_EMOJI.get(tool), job=job_id, tool=tool))
        self.tool = tool

    @classmethod
    def for_job(cls, job: Job, locale: object, tool: str) -> Self:
        """The button of ``tool`` under an image of ``job`` (the pans show only their arrow)."""
        return cls(job.id, tool, label=None if tool.startswith("pan-") else texts.t(locale, f"button.tool.{tool}"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["job"]), match["tool"])

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        if self.tool not in TOOLS:
            raise InvalidRequest("tool.unavailable", model=job.request.model)
        message = interaction.message
        picture = message.attachments[0] if message is not None and message.attachments else None
        if message is None or picture is None or not picture.width or not picture.height:
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        if self.tool == EDIT:
            await interaction.response.send_modal(EditForm(message.channel.id, message.id, 0, interaction.locale))
            return
        # Planned from the size Discord gives, so the admission counts what the tool will really cost.
        request = bot.core.plan_tool(job.request, self.tool, picture.width, picture.height)
        await start(bot, interaction, request, prepare=functools.partial(bot.core.render_tool, url=picture.url))


class MjButton(JobItem, custom_id="imagine:mj:{job}:{index}"):
    """One of the buttons Midjourney gave a result (U1, V2, Zoom Out 2x, ⬅️, Animate, …): its action on the
    result's task, as the clicker's job (limits, budget, screening and the queue apply as to any); Custom Zoom asks
    for the prompt first."""

    def __init__(self, job_id: int, index: int, *, label: str | None = None, emoji: str | None = None) -> None:
        super().__init__(job_id, self.button(label, emoji=emoji, job=job_id, index=index))
        self.index = index

    @classmethod
    def for_job(cls, job: Job, index: int) -> Self:
        """The button ``index`` of those ``job``'s task came with, labelled as Midjourney labelled it."""
        button = job.task_buttons[index]
        # A relay may give the name of one of Midjourney's own Discord emoji (upscale_1), which no other bot can
        # send: only a Unicode emoji is kept, and a button left with neither is labelled by that name.
        emoji = button.emoji if button.emoji and not button.emoji.isascii() else None
        label = button.label or ("" if emoji else button.emoji or "…")
        return cls(job.id, index, label=label[:80] or None, emoji=emoji)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["job"]), int(match["index"]))

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        request = task_action(job, self.index)
        if request is None:
            await interaction.response.send_message(texts.t(interaction.locale, "job.unknown"), ephemeral=True)
        elif job.task_buttons[self.index].asks_prompt:
            prompt = f"{job.request.prompt} --zoom 2"
            await interaction.response.send_modal(ZoomForm(job.id, self.index, interaction.locale, prompt))
        else:
            await start(bot, interaction, request)


def task_action(job: Job, index: int, prompt: str | None = None) -> ImageRequest | None:
    """The request that clicks button ``index`` of ``job``'s task (with ``prompt`` for a form's), or None when the
    job has no such button."""
    if job.task_id is None or not 0 <= index < len(job.task_buttons):
        return None
    action = job.task_buttons[index].custom_id
    return dataclasses.replace(
        job.request, prompt=prompt or job.request.prompt, action=action, parent_task=job.task_id, references=()
    )


class PromptForm(Form):
    """A form asking for a prompt, pre-filled with ``prompt``."""

    def __init__(self, title: str, label: str, prompt: str = "", **fields: object) -> None:
        super().__init__(title, **fields)
        self.prompt: discord.ui.TextInput[Any] = discord.ui.TextInput(
            label=label,
            custom_id="prompt",
            style=discord.TextStyle.paragraph,
            default=prompt[:4000] or None,
            max_length=4000,
        )
        self.add_item(self.prompt)


class RemixForm(PromptForm, custom_id="imagine:remix-modal:{job}"):
    """Remix: a job's prompt to change, then run as the member's job."""

    def __init__(self, job_id: int, locale: object, prompt: str = "") -> None:
        super().__init__(texts.t(locale, "remix.title"), texts.t(locale, "remix.label"), prompt, job=job_id)
        self.job_id = job_id

    @classmethod
    def for_job(cls, job: Job, locale: object) -> Self:
        """The form for ``job``, with its prompt."""
        return cls(job.id, locale, job.request.prompt)

    @classmethod
    def from_custom_id(cls, interaction: discord.Interaction, match: re.Match[str]) -> Self:
        return cls(int(match["job"]), interaction.locale)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        job = await bot.core.job(self.job_id)
        prompt = self.entered(self.prompt)
        if job is None or prompt is None:
            await interaction.response.send_message(texts.t(interaction.locale, "job.unknown"), ephemeral=True)
        elif not belongs_here(interaction, job):
            await elsewhere(interaction, job)
        else:
            # A new prompt is a new drawing: not the Midjourney action that made the job, if one did.
            await start(bot, interaction, dataclasses.replace(job.request, prompt=prompt, action="", parent_task=""))


class EditForm(PromptForm, custom_id="imagine:edit-modal:{channel}:{message}:{index}"):
    """Edit image: what should change about image ``index`` of a message, run as the member's job."""

    def __init__(self, channel_id: int, message_id: int, index: int, locale: object) -> None:
        title, label = texts.t(locale, "edit.title"), texts.t(locale, "edit.label")
        super().__init__(title, label, channel=channel_id, message=message_id, index=index)
        self.channel_id, self.message_id, self.index = channel_id, message_id, index

    @classmethod
    def from_custom_id(cls, interaction: discord.Interaction, match: re.Match[str]) -> Self:
        return cls(int(match["channel"]), int(match["message"]), int(match["index"]), interaction.locale)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        prompt = self.entered(self.prompt)
        if prompt is None:
            return
        url = await posted_image(interaction, self.channel_id, self.message_id, self.index)
        if url is None:
            return
        bot = bot_of(interaction)
        request = ImageRequest(
            prompt=prompt, model=bot.core.default_model(interaction.guild_id), moderation=bot.settings.moderation
        )
        await start(bot, interaction, request, [url])


def is_image(attachment: discord.Attachment) -> bool:
    """Whether an attachment is a picture, by its type or, without one, its name."""
    if attachment.content_type is not None:
        return attachment.content_type.startswith("image/")
    return attachment.filename.lower().endswith((".png", ".jpg", ".jpeg", ".webp"))


def first_picture(message: discord.Message, none_key: str) -> int:
    """The index of a message's first picture, checked to be one that may be read; InvalidRequest ``none_key``
    when it has none."""
    found = next((index for index, attachment in enumerate(message.attachments) if is_image(attachment)), None)
    if found is None:
        raise InvalidRequest(none_key)
    check_declared(message.attachments[found].size, message.attachments[found].content_type)
    return found


async def posted_image(interaction: discord.Interaction, channel_id: int, message_id: int, index: int) -> str | None:
    """The URL of image ``index`` of a message a form was opened on, read afresh (so it has not expired); None,
    with the member told why, when it is gone or the form comes from another channel."""
    if channel_id != interaction.channel_id:
        # The form was opened on a message of this channel; any other is not this member's to reach.
        log.warning("form for channel %d submitted in channel %s", channel_id, interaction.channel_id)
        await interaction.response.send_message(texts.t(interaction.locale, "button.elsewhere"), ephemeral=True)
        return None
    try:
        message = await bot_of(interaction).get_partial_messageable(channel_id).fetch_message(message_id)
    except discord.HTTPException:
        message = None
    if message is None or index >= len(message.attachments):
        await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
        return None
    return message.attachments[index].url


class AnimateForm(PromptForm, custom_id="imagine:animate-modal:{channel}:{message}:{index}"):
    """Animate: how image ``index`` of a message should move (or nothing, for the default), then the clip as the
    member's job."""

    def __init__(self, channel_id: int, message_id: int, index: int, locale: object) -> None:
        title, label = texts.t(locale, "animate.title"), texts.t(locale, "animate.label")
        super().__init__(title, label, channel=channel_id, message=message_id, index=index)
        self.prompt.required = False
        self.channel_id, self.message_id, self.index = channel_id, message_id, index

    @classmethod
    def from_custom_id(cls, interaction: discord.Interaction, match: re.Match[str]) -> Self:
        return cls(int(match["channel"]), int(match["message"]), int(match["index"]), interaction.locale)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        if not bot.core.video_allowed(interaction.guild_id):
            raise InvalidRequest("video.off")
        url = await posted_image(interaction, self.channel_id, self.message_id, self.index)
        if url is None:
            return
        request = bot.core.video_request(self.entered(self.prompt), None, None, None, False, interaction.locale)
        await start(bot, interaction, request, [url])


class AnimateButton(JobItem, custom_id="imagine:animate:{job}"):
    """🎬 Animate, under a single image: asks how it should move, then makes the clip as the clicker's job."""

    def __init__(self, job_id: int, *, label: str | None = None) -> None:
        super().__init__(job_id, self.button(label, emoji="🎬", job=job_id))

    @classmethod
    def for_job(cls, job: Job, locale: object) -> Self:
        """The button under ``job``'s image, labelled in ``locale``."""
        return cls(job.id, label=texts.t(locale, "button.tool.animate"))

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Self:
        return cls(int(match["job"]))

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        if not bot.core.video_allowed(interaction.guild_id):
            raise InvalidRequest("video.off")
        message = interaction.message
        if message is None or not message.attachments:
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        await interaction.response.send_modal(AnimateForm(message.channel.id, message.id, 0, interaction.locale))


class ZoomForm(PromptForm, custom_id="imagine:mj-zoom:{job}:{index}"):
    """Custom Zoom: the prompt (with its ``--zoom``) Midjourney's form asks for, then the zoom as the member's job."""

    def __init__(self, job_id: int, index: int, locale: object, prompt: str = "") -> None:
        title, label = texts.t(locale, "zoom.title"), texts.t(locale, "zoom.label")
        super().__init__(title, label, prompt, job=job_id, index=index)
        self.job_id, self.index = job_id, index

    @classmethod
    def from_custom_id(cls, interaction: discord.Interaction, match: re.Match[str]) -> Self:
        return cls(int(match["job"]), int(match["index"]), interaction.locale)

    async def on_submit(self, interaction: discord.Interaction) -> None:
        bot = bot_of(interaction)
        job = await bot.core.job(self.job_id)
        prompt = self.entered(self.prompt)
        request = task_action(job, self.index, prompt) if job is not None and prompt is not None else None
        if job is None or request is None:
            await interaction.response.send_message(texts.t(interaction.locale, "job.unknown"), ephemeral=True)
        elif not belongs_here(interaction, job):
            await elsewhere(interaction, job)
        else:
            await start(bot, interaction, request)
