"""Delivering one job to Discord: its status message, its result, its errors, and channel fallbacks."""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

import discord

from imagegen import texts
from imagegen.api.client import Generation
from imagegen.errors import DeliveryFailed, ImageGenError, ModelNotFound, Refused
from imagegen.imaging import images, workers
from imagegen.imaging.images import ImageFile
from imagegen.model import Job, JobState

from .answers import answer_error, category_names
from .buttons import AnimateButton, Cancel, Delete, JobItem, MjButton, Pick, Remix, Report, Reroll, Rerun, Tool
from .channel import post_in_channel
from .conversation import DISCORD_FAILURES, Conversation
from .described import described_answer
from .items import buttons
from .markup import inert, with_times
from .status import StatusMessage

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
# A message carries at most five rows of five buttons.
MAX_BUTTONS = 25
# The upload limit of a server with no boosts, for a result posted outside any interaction.
DEFAULT_UPLOAD_LIMIT = 10 * 1024 * 1024
Named = list[tuple[str, ImageFile]]


class InteractionDelivery:
    """A job's way to its requester: the interaction while its token lives, the channel after."""

    def __init__(self, bot: ImageBot, conversation: Conversation, job: Job) -> None:
        self.bot = bot
        self.conversation = conversation
        self.job = job
        self.status = StatusMessage(conversation, self.render, bot.settings.progress_interval)
        # Public messages follow the server's language when it set one; private answers, the requester's.
        self.locale = bot.core.public_locale(job.guild_id, conversation.locale)
        # Whether the status message already shows (the first part of) the result, and whether it was too large
        # to post here at all.
        self.shown = False
        self.too_large = False

    def render(self) -> tuple[str, discord.ui.View | None]:
        """What the status message says now: the place in line, or the time spent drawing."""
        job, locale = self.job, self.locale
        n = job.request.n
        count = texts.t(locale, "count", count=n)
        model = inert(job.request.model)
        position = self.bot.core.position(job.id)
        if job.state is JobState.QUEUED and position is not None:
            view = buttons(Cancel.for_job(job, locale))
            return texts.t(locale, "status.queued", position=position, count=count, model=model), view
        now = self.bot.core.clock()
        seconds = texts.elapsed(now - (job.started_at if job.started_at is not None else now))
        if job.request.seconds:
            percent = job.task_progress or 0
            shown = texts.t(locale, "status.video", seconds=job.request.seconds, model=model, percent=percent,
                            elapsed=seconds)  # fmt: skip
            return shown, None
        if job.task_ahead is not None:
            return texts.t(locale, "status.mj_queued", ahead=job.task_ahead, count=count, model=model), None
        if job.task_progress is not None:
            shown = texts.t(locale, "status.mj_drawing", count=count, model=model, percent=job.task_progress,
                            elapsed=seconds)  # fmt: skip
            return shown, None
        return texts.t(locale, "progress", count=count, model=model, elapsed=seconds), None

    async def started(self, job: Job) -> None:
        if job.request.seconds and job.request.references:
            # A clip in the making shows the picture it starts from.
            still = await workers.run(images.preview_of, job.request.references[0])
            if still is not None:
                self.status.show(still)
        await self.status.refresh()

    async def preview(self, job: Job, image: str) -> None:
        small = await workers.run(images.preview, image)
        if small is not None:
            self.status.show(small)

    async def progress(self, job: Job) -> None:
        await self.status.refresh()

    async def succeeded(self, job: Job, generation: Generation) -> None:
        await self.status.stop()
        prepared = await images.prepare_async(generation.images, job.upload_limit or self.conversation.filesize_limit)
        if not prepared.groups:
            # Nothing fits, not even made smaller (a video): kept, and the member told why.
            self.too_large = True
            raise DeliveryFailed("the result is larger than this channel's upload limit")
        numbered = _numbered(prepared.groups)
        caption = result_caption(self.bot, self.locale, job, generation, prepared.left_out)
        posted = 0
        in_channel = False
        for index, group in enumerate(numbered):
            if not in_channel and self.status.usable:
                try:
                    with _files(group) as files:
                        if index == 0:
                            view = result_buttons(self.bot, self.locale, job, len(group))
                            await self.conversation.edit_original(content=caption, attachments=files, view=view)
                            self.shown = True
                        else:
                            note = texts.t(self.locale, "result.continued", part=index + 1, parts=len(numbered))
                            await self.conversation.send(note, files=files)
                    posted += len(group)
                    continue
                except DISCORD_FAILURES as error:
                    # The images are paid for: when the interaction cannot take them, post with the bot's own access.
                    log.warning("job %d: could not post through the interaction (%s); using the channel", job.id, error)
            in_channel = True
            await _post_group(self.bot, job, self.locale, caption if index == 0 else None, group, posted)
            posted += len(group)
        if in_channel and not self.shown:
            await end_status(self.conversation, texts.t(self.locale, "result.in_channel"), job.id)

    async def postponed(self, job: Job) -> None:
        hours = self.bot.core.retention_hours
        if self.status.usable:
            try:
                if not self.shown:
                    status = "result.too_large_status" if self.too_large else "result.postponed_status"
                    await self.conversation.edit_original(
                        content=texts.t(self.locale, status), view=None, attachments=[]
                    )
                key = "result.too_large" if self.too_large else "result.postponed"
                private = texts.t(self.conversation.locale, key, hours=hours)
                await self.conversation.send(private, ephemeral=True)
                return
            except DISCORD_FAILURES as error:
                log.warning("job %d: could not say its result will follow: %s", job.id, error)
        content = texts.t(self.locale, "result.postponed_channel", user=f"<@{job.user_id}>", hours=hours)
        try:
            await post_in_channel(self.bot, job.channel_id, content, ping=job.user_id, reply_to=job.message_id)
        except DISCORD_FAILURES as error:
            log.warning("job %d: could not tell user %d its result will follow: %s", job.id, job.user_id, error)

    async def described(self, job: Job, prompts: list[str]) -> None:
        await self.status.stop()
        description = await self.bot.core.record_description(job, prompts)
        # A job taken up after a restart was read without its image: the answer goes without the thumbnail.
        thumbnail = job.request.references[0] if job.request.references else None
        answer = described_answer(self.locale, description, thumbnail)
        if self.status.usable:
            try:
                await self.conversation.edit_original(**answer)
                return
            except DISCORD_FAILURES as error:
                log.warning("job %d: could not show its description through the interaction (%s)", job.id, error)
        answer = described_answer(self.locale, description, thumbnail)  # afresh: a file is read once
        content = texts.t(self.locale, "describe.result_channel", user=f"<@{job.user_id}>")
        try:
            await post_in_channel(self.bot, job.channel_id, content, ping=job.user_id, files=answer["attachments"],
                                  view=answer["view"], embed=answer["embed"])  # fmt: skip
        except DISCORD_FAILURES as error:
            log.warning("job %d: could not post its description: %s", job.id, error)
        await end_status(self.conversation, texts.t(self.locale, "result.in_channel"), job.id)

    async def failed(self, job: Job, error: ImageGenError) -> None:
        await self.status.stop()
        if isinstance(error, Refused):
            await self.report_refusal(job, error)
        if isinstance(error, ModelNotFound):
            self.explain_gone(job, error)
        await answer_error(self.bot, self.conversation, error, ping_in_channel=not self.status.usable, job_id=job.id)

    async def ended(self, job: Job) -> bool:
        await self.status.stop()
        if not self.status.usable:
            return False
        locale = self.locale
        view = None
        if job.state is JobState.CANCELLED:
            content = texts.t(locale, "job.cancelled")
        else:
            content = texts.t(locale, "job.interrupted")
            view = buttons(Rerun.for_job(job, locale))
        try:
            await self.conversation.edit_original(content=content, view=view)
        except DISCORD_FAILURES as error:
            log.warning("job %d: could not say it ended: %s", job.id, error)
            return False
        return True

    async def moved(self, job: Job) -> None:
        await self.status.stop()

    def explain_gone(self, job: Job, error: ModelNotFound) -> None:
        """Say whose choice the missing model was, so the right person changes it; tell the operator what instead."""
        model = job.request.model
        core = self.bot.core
        if model == core.server(job.guild_id).image_model:
            error.key = "error.model_gone.server"
        elif model == core.default_model(None):
            error.key = "error.model_gone.operator"
        replacement = core.replacement_for(model)
        log.error("model %s is not available upstream (job %d); the catalogue suggests %s", model, job.id, replacement)

    async def report_refusal(self, job: Job, refused: Refused) -> None:
        """Tell the server's moderators, in its log channel if it has one: who, where, the prompt, the reason."""
        server = self.bot.core.server(job.guild_id)
        if server.log_channel is None:
            return
        language = self.bot.core.moderators_locale(job.guild_id)
        key = "log.screened" if refused.categories else "log.refused"
        categories = category_names(language, refused.categories)
        report = report_text(language, key, job, reason=refused.reason, categories=categories)
        if refused.cooloff_until is not None:
            when = with_times({"ready": refused.cooloff_until})
            report += "\n" + texts.t(language, "log.cooloff", user=f"<@{job.user_id}>", **when)
        await self._to_log_channel(server.log_channel, report)

    async def withheld(self, job: Job, images: list[bytes], categories: list[str], left: int) -> None:
        count = len(images)
        private = texts.t(
            self.conversation.locale,
            "result.withheld",
            count=count,
            categories=category_names(self.conversation.locale, categories),
        )
        if self.status.usable:
            try:
                if not left:
                    await self.status.stop()
                    await self.conversation.edit_original(
                        content=texts.t(self.locale, "result.withheld_all"), view=None, attachments=[]
                    )
                await self.conversation.send(private, ephemeral=True)
            except DISCORD_FAILURES as error:
                log.warning("job %d: could not say images were withheld: %s", job.id, error)
        server = self.bot.core.server(job.guild_id)
        if server.log_channel is None:
            return
        language = self.bot.core.moderators_locale(job.guild_id)
        categories_named = category_names(language, categories)
        report = report_text(language, "log.withheld", job, count=count, categories=categories_named)
        # Moderators see the image only if the server asked, and then only behind a spoiler.
        shown = images if server.log_withheld_images else []
        files = [discord.File(io.BytesIO(data), filename=f"SPOILER_withheld_{n}.png", spoiler=True)
                 for n, data in enumerate(shown, start=1)]  # fmt: skip
        await self._to_log_channel(server.log_channel, report, files)

    async def flagged(self, job: Job, categories: list[str]) -> None:
        server = self.bot.core.server(job.guild_id)
        if server.log_channel is None:
            return
        language = self.bot.core.moderators_locale(job.guild_id)
        report = report_text(language, "log.flagged", job, categories=category_names(language, categories))
        await self._to_log_channel(server.log_channel, report)

    async def _to_log_channel(self, log_channel: int, report: str, files: list[discord.File] | None = None) -> None:
        try:
            await post_in_channel(self.bot, log_channel, report, ping=None, files=files or ())
        except DISCORD_FAILURES as error:
            log.warning("could not report to log channel %s: %s", log_channel, error)


def adopted(bot: ImageBot, job: Job) -> InteractionDelivery:
    """The way back to the requester of a job another process accepted: its interaction's token, from the job's
    handover (the channel when that is gone or has expired)."""
    return InteractionDelivery(bot, Conversation.resumed(bot, bot.core.discord_session, job, DEFAULT_UPLOAD_LIMIT), job)


def report_text(language: str, key: str, job: Job, **params: object) -> str:
    """A report for a server's moderators: who asked, in which channel, the prompt (inert), and ``params``."""
    user, channel = f"<@{job.user_id}>", f"<#{job.channel_id}>"
    return texts.t(language, key, user=user, channel=channel, prompt=inert(job.request.prompt, 1500), **params)


async def redeliver(bot: ImageBot, job: Job, generation: Generation) -> None:
    """Post a kept result in its channel, mentioning the requester; raises DeliveryFailed as delivery does."""
    locale = bot.core.public_locale(job.guild_id, job.locale)
    prepared = await images.prepare_async(generation.images, job.upload_limit or DEFAULT_UPLOAD_LIMIT)
    if not prepared.groups:
        raise DeliveryFailed("the result is larger than this channel's upload limit")
    caption = result_caption(bot, locale, job, generation, prepared.left_out, kept=True)
    posted = 0
    for index, group in enumerate(_numbered(prepared.groups)):
        await _post_group(bot, job, locale, caption if index == 0 else None, group, posted)
        posted += len(group)
    conversation = Conversation.resumed(bot, bot.core.discord_session, job, DEFAULT_UPLOAD_LIMIT)
    await end_status(conversation, texts.t(locale, "result.in_channel"), job.id)


async def end_status(conversation: Conversation, content: str, job_id: int) -> None:
    """End a job's status message saying ``content``, never "Drawing…", while its token still takes an edit."""
    if not conversation.usable:
        return
    try:
        await conversation.edit_original(content=content, view=None, attachments=[])
    except DISCORD_FAILURES as error:
        log.warning("job %d: could not end its status message: %s", job_id, error)


def result_buttons(bot: ImageBot, locale: object, job: Job, images: int) -> discord.ui.View:
    """Reroll, Remix, Delete and Report; then a button to pick each image of a result of several, or the
    single-image tools of the job's model under a result of one. A Midjourney result has Midjourney's buttons
    instead of Reroll, the picks and the tools."""
    if job.request.tool == "animate" and not job.task_buttons:
        return buttons(*(kind.for_job(job, locale) for kind in (Reroll, Delete)))
    if job.task_buttons:
        # Midjourney's own buttons first, as it laid them out; its 🔄 is the reroll.
        own: list[JobItem] = [MjButton.for_job(job, index) for index in range(len(job.task_buttons))]
        return buttons(*own[: MAX_BUTTONS - 3], *(kind.for_job(job, locale) for kind in (Remix, Delete, Report)))
    actions: list[JobItem] = [kind.for_job(job, locale) for kind in (Reroll, Remix, Delete, Report)]
    if images == 1:
        actions += [Tool.for_job(job, locale, tool) for tool in bot.core.tools(job.request.model)]
        if bot.core.video_allowed(job.guild_id):
            actions.append(AnimateButton.for_job(job, locale))
    else:
        actions += [Pick.for_job(job, locale, index) for index in range(1, images + 1)]
    return buttons(*actions)


def result_caption(
    bot: ImageBot, locale: object, job: Job, generation: Generation, left_out: int = 0, *, kept: bool = False
) -> str:
    """The text above the images: prompt (inert, cut to fit), requester, model, size, the style (as named in
    ``locale``) or tool that shaped them, and what is missing."""
    request = job.request
    size = inert(request.size) if request.size != "auto" else texts.t(locale, "result.size_auto")
    fields = {"user": f"<@{job.user_id}>", "model": inert(request.model), "size": size}
    notes = []
    if request.style:
        style = bot.core.style_label(request.style, job.guild_id, locale)
        notes.append(texts.t(locale, "result.style", style=inert(style)))
    if request.tool:
        notes.append(texts.t(locale, "result.tool", tool=texts.t(locale, f"button.tool.{request.tool}")))
    if request.seconds:
        notes.append(texts.t(locale, "result.video", seconds=request.seconds))
    if kept:
        notes.append(texts.t(locale, "result.kept"))
    if generation.missing:
        notes.append(texts.t(locale, "result.partial", got=len(generation.images), asked=generation.asked))
    if left_out:
        notes.append(texts.t(locale, "result.left_out", count=left_out))
    extra = "".join("\n" + note for note in notes)
    room = MESSAGE_LIMIT - len(texts.t(locale, "result", prompt="", **fields)) - len(extra)
    return texts.t(locale, "result", prompt=inert(request.prompt, room), **fields) + extra


async def _post_group(bot: ImageBot, job: Job, locale: object, caption: str | None, group: Named, posted: int) -> None:
    # One message of a result in the channel, with the bot's own access; the first carries caption and buttons.
    try:
        with _files(group) as files:
            await post_in_channel(
                bot,
                job.channel_id,
                caption or "",
                ping=job.user_id,
                files=files,
                view=result_buttons(bot, locale, job, len(group)) if caption else None,
                reply_to=job.message_id,
            )
    except DISCORD_FAILURES as error:
        raise DeliveryFailed(f"cannot post in channel {job.channel_id}: {error}", delivered=posted) from error


def _numbered(groups: list[list[ImageFile]]) -> list[Named]:
    numbered, index = [], 0
    for group in groups:
        named = []
        for image in group:
            index += 1
            kind = "video" if image.extension == "mp4" else "image"
            named.append((f"{kind}_{index}.{image.extension}", image))
        numbered.append(named)
    return numbered


@contextlib.contextmanager
def _files(group: Named) -> Iterator[list[discord.File]]:
    """Attachments for one message, whose buffers are freed as soon as the message is sent.

    discord.py never closes a file object it was handed and leaves it in a reference cycle, so without this
    every posted image would stay in memory until the next full garbage collection (measured in bench/: peak
    memory 560 MB instead of about 250 MB with 50 jobs finishing at once).
    """
    files = [discord.File(io.BytesIO(image.data), filename=name) for name, image in group]
    try:
        yield files
    finally:
        for file in files:
            file.fp.close()
