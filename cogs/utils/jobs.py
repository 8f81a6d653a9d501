"""What every job-starting action shares, whichever cog or button it is in: admitting a request as the member's
job."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

import discord

from imagegen import texts
from imagegen.model import ImageRequest, Job

from .conversation import Conversation, handover
from .delivery import InteractionDelivery

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

# What a request still needs made after the acknowledgement (slow work: downloads, canvases).
Prepare = Callable[[ImageRequest], Awaitable[ImageRequest]]


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
    bot.core.acknowledged(acknowledged.total_seconds())
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
