"""What every job-starting action shares, whichever cog it is in: admitting a request as the member's job, and
the base of the persistent buttons about a job."""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

import discord

from imagegen import logs, texts
from imagegen.model import ImageRequest, Job

from . import custom_ids
from .answers import answer_error
from .buttons import job_button
from .conversation import Conversation, handover
from .delivery import InteractionDelivery

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

# What a request still needs made after the acknowledgement (slow work: downloads, canvases).
Prepare = Callable[[ImageRequest], Awaitable[ImageRequest]]


def bot_of(interaction: discord.Interaction) -> ImageBot:
    """The bot an interaction came to."""
    return cast("ImageBot", interaction.client)


async def start_job(
    bot: ImageBot,
    interaction: discord.Interaction,
    request: ImageRequest,
    reference_urls: Sequence[str] = (),
    prepare: Prepare | None = None,
) -> None:
    """Check, acknowledge, admit, record and queue a request as the clicking or typing user's job.

    Only what needs no waiting is checked before Discord is answered (it waits three seconds at most, and a burst
    of requests shares them): an impossible request is refused at once. The limits are checked and counted after
    the acknowledgement; a request they refuse raises, and the tree's error path answers it privately and takes the
    public "thinking" message away. Reference images at ``reference_urls`` are read after admission (they can be
    slow), kept as bytes; so is what ``prepare`` makes of the admitted request.
    """
    age_restricted = isinstance(interaction.channel, discord.TextChannel) and interaction.channel.is_nsfw()
    roles = [role.id for role in interaction.user.roles] if isinstance(interaction.user, discord.Member) else []
    checked = bot.core.check_request(
        request,
        user_id=interaction.user.id,
        guild_id=interaction.guild_id,
        channel_id=interaction.channel_id,
        age_restricted=age_restricted,
        references=len(reference_urls),
        roles=roles,
    )
    callback = await interaction.response.defer(thinking=True)
    acknowledged = discord.utils.utcnow() - interaction.created_at
    bot.core.metrics.acknowledge.observe(max(0.0, acknowledged.total_seconds()))
    # Admitted and counted against every limit in one step.
    request = checked.request
    admission = await bot.core.admit_checked(checked)
    try:
        if reference_urls or prepare is not None:
            # A plain message from here on, so a problem with the files can be answered privately.
            await interaction.edit_original_response(content=texts.t(interaction.locale, "status.preparing"))
            references = [await bot.core.fetch_reference(url) for url in reference_urls]
            request = dataclasses.replace(request, references=tuple(references))
            if prepare is not None:
                request = await prepare(request)
        job = Job(
            user_id=interaction.user.id,
            channel_id=interaction.channel_id or 0,
            guild_id=interaction.guild_id,
            request=request,
            locale=str(interaction.locale),
            interaction_id=interaction.id,
            message_id=callback.message_id if callback is not None else None,
            upload_limit=interaction.filesize_limit,
            handover=handover(interaction),
        )
        delivery = InteractionDelivery(bot, Conversation.of(interaction), job)
        await bot.core.submit(job, delivery, admission)
    finally:
        await admission.release()
    await delivery.status.start()


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


class JobItem(discord.ui.DynamicItem[discord.ui.Button[Any]], template=custom_ids.job_template("[a-z]+")):
    """What every button about a job shares: the job (read from the custom id, the rest from the database), the
    check that the click comes from where the job lives, and the one error path. Each action is a subclass."""

    action = ""
    anywhere_in_server = False

    def __init__(self, job_id: int, index: int | None = None, label: str = "") -> None:
        super().__init__(self.button(job_id, index, label or self.action))
        self.job_id = job_id
        self.index = index

    def button(self, job_id: int, index: int | None, label: str) -> discord.ui.Button[Any]:
        """The button as it is sent."""
        return job_button(self.action, job_id, label, index)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> JobItem:
        index = int(match["index"]) if match["index"] else None
        return cls(int(match["job"]), index, getattr(item, "label", None) or "")

    async def callback(self, interaction: discord.Interaction) -> None:
        logs.about(job=self.job_id, guild=interaction.guild_id, interaction=interaction.id)
        bot = bot_of(interaction)
        try:
            job = await bot.core.job(self.job_id)
            if job is None:
                await interaction.response.send_message(texts.t(interaction.locale, "job.unknown"), ephemeral=True)
            elif not belongs_here(interaction, job, channel=not self.anywhere_in_server):
                await elsewhere(interaction, job)
            else:
                await self.act(bot, interaction, job)
        except Exception as error:
            await answer_error(bot, interaction, error)

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        """What the button does for its job."""
        raise NotImplementedError


def belongs_here(interaction: discord.Interaction, job: Job, channel: bool = True) -> bool:
    """Whether a click on a job's button (or form) comes from where the job lives: its server and channel.

    A custom id is only a string: anyone can send one with another server's job in it, and its prompt and cost
    must not cross servers.
    """
    return interaction.guild_id == job.guild_id and (not channel or interaction.channel_id == job.channel_id)
