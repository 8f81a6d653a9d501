"""Posting with the bot's own access to a channel, for when an interaction can no longer take a message."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord


async def post_in_channel(
    client: discord.Client,
    channel_id: int,
    content: str,
    *,
    ping: int | None,
    files: Sequence[discord.File] = (),
    view: discord.ui.View | None = None,
    reply_to: int | None = None,
    embed: discord.Embed | None = None,
) -> discord.Message:
    """Send ``content`` to the channel, pinging the user ``ping`` (if any) and no one else; raises HTTPException."""
    channel = client.get_partial_messageable(channel_id)
    users = [discord.Object(id=ping)] if ping is not None else False
    mentions = discord.AllowedMentions(everyone=False, roles=False, users=users)
    extra: dict[str, Any] = {}
    if files:
        extra["files"] = list(files)
    if view is not None:
        extra["view"] = view
    if embed is not None:
        extra["embed"] = embed
    if reply_to is not None:
        extra["reference"] = discord.MessageReference(
            message_id=reply_to, channel_id=channel_id, fail_if_not_exists=False
        )
    return await channel.send(content, allowed_mentions=mentions, **extra)
