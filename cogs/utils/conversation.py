"""The way back to the member who asked: the interaction's token for its 15 minutes, then the channel by id.

An interaction's token opens its application webhook: edits of the original response and followups. The process
that received the interaction answers through the interaction itself; another process that drew the job (a
handover) opens the same webhook from the stored token, with discord.py's public ``Webhook.partial``. Either way
the original response already exists once a job runs, so an answer is a followup, never a second callback.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Awaitable
from typing import Any, cast

import aiohttp
import discord

from imagegen.model import Job

log = logging.getLogger(__name__)

# How long Discord accepts an interaction's token, and how long before that the bot stops using it.
TOKEN_LIFETIME = datetime.timedelta(minutes=15)
TOKEN_MARGIN = datetime.timedelta(seconds=30)
# What a request to Discord raises when it does not go through: Discord's refusal, or the connection to it cut off
# or out of reach (aiohttp's errors are not discord.py's, and discord.py does not wrap them).
DISCORD_FAILURES = (discord.HTTPException, aiohttp.ClientError, OSError)
# Discord's name, on an interaction's webhook, for the original response (discord.py's types expect a message id).
ORIGINAL = cast("int", "@original")


def token_dead(error: discord.HTTPException) -> bool:
    """Whether an error says the token is gone (expired or unknown): never use it again then."""
    return error.status == 401 or isinstance(error, discord.NotFound)


def handover(interaction: discord.Interaction) -> dict[str, Any]:
    """What another process needs to answer this interaction: its id (the token's age), application and token
    (which opens nothing but this interaction's replies, and only for 15 minutes)."""
    return {
        "interaction": {
            "id": str(interaction.id),
            "application_id": str(interaction.application_id),
            "token": interaction.token,
        }
    }


class Conversation:
    """Replies to one interaction: edit the original response, send followups, answer privately, while the token
    lives; ``channel_id`` and ``user_id`` say where and whom to tell after that."""

    def __init__(
        self,
        webhook: discord.Webhook | None,
        *,
        expires_at: datetime.datetime,
        locale: discord.Locale,
        user_id: int,
        channel_id: int | None,
        filesize_limit: int,
        response: discord.InteractionResponse[Any] | None = None,
    ) -> None:
        self.webhook = webhook
        self.expires_at = expires_at
        self.locale = locale
        self.user_id = user_id
        self.channel_id = channel_id
        self.filesize_limit = filesize_limit
        # The live interaction's first answer; None for a handed-over job, whose interaction was deferred already.
        self.response = response
        self.dead = webhook is None

    @classmethod
    def of(cls, interaction: discord.Interaction) -> Conversation:
        """The conversation of an interaction this process received."""
        return cls(
            interaction.followup,
            expires_at=interaction.expires_at,
            locale=interaction.locale,
            user_id=interaction.user.id,
            channel_id=interaction.channel_id,
            filesize_limit=interaction.filesize_limit,
            response=interaction.response,
        )

    @classmethod
    def resumed(
        cls, client: discord.Client, session: aiohttp.ClientSession, job: Job, default_upload_limit: int
    ) -> Conversation:
        """The conversation of a job another process accepted, from its handover: the interaction's webhook,
        through ``session`` (this process's way out to Discord); only the channel when there is no token."""
        stored = (job.handover or {}).get("interaction") or {}
        webhook = None
        expires_at = discord.utils.utcnow()
        if stored.get("token") and stored.get("application_id") and stored.get("id"):
            webhook = discord.Webhook.partial(
                int(stored["application_id"]), stored["token"], session=session, client=client
            )
            # A partial webhook is an incoming one; an interaction's token is the application's webhook, which
            # alone may send private (ephemeral) followups.
            webhook.type = discord.WebhookType.application
            expires_at = discord.utils.snowflake_time(int(stored["id"])) + TOKEN_LIFETIME
        try:
            locale = discord.Locale(job.locale)
        except ValueError:
            locale = discord.Locale.american_english
        return cls(
            webhook,
            expires_at=expires_at,
            locale=locale,
            user_id=job.user_id,
            channel_id=job.channel_id or None,
            filesize_limit=job.upload_limit or default_upload_limit,
        )

    @property
    def usable(self) -> bool:
        """Whether the token can still take edits and followups (with a margin)."""
        return not self.dead and discord.utils.utcnow() < self.expires_at - TOKEN_MARGIN

    def _hook(self) -> discord.Webhook:
        if self.webhook is None:
            raise RuntimeError("this conversation has no interaction token")
        return self.webhook

    async def edit_original(self, **fields: Any) -> None:
        """Edit the original response; raises discord.HTTPException (and marks the token dead when it is)."""
        await self._guarded(self._hook().edit_message(ORIGINAL, **fields))

    async def send(self, content: str, **fields: Any) -> None:
        """Send a followup; raises discord.HTTPException (and marks the token dead when it is)."""
        await self._guarded(self._hook().send(content, wait=True, **fields))

    async def answer(self, content: str, file: discord.File | None = None, view: discord.ui.View | None = None) -> None:
        """Answer privately, whether or not the interaction was already answered; raises discord.HTTPException.

        Once the public status message exists, the private answer follows it and the status message goes.
        """
        files = [file] if file is not None else discord.utils.MISSING
        shown = view if view is not None else discord.utils.MISSING
        if self.response is not None and not self.response.is_done():
            await self.response.send_message(content, ephemeral=True, files=files, view=shown)
            return
        await self.send(content, ephemeral=True, files=files, view=shown)
        await self.drop_status()

    async def drop_status(self) -> None:
        """Delete the public status message once its job is answered otherwise (privately, or in the channel), when
        the original response is one and the token still takes it."""
        deferred = discord.InteractionResponseType.deferred_channel_message
        if not self.usable or (self.response is not None and self.response.type is not deferred):
            return  # gone, or the original response is not a status message of ours (a button's message, say)
        try:
            await self._hook().delete_message(ORIGINAL)
        except DISCORD_FAILURES as error:
            log.debug("could not delete the status message: %s", error)

    async def _guarded(self, call: Awaitable[object]) -> None:
        try:
            await call
        except discord.HTTPException as error:
            self.dead = self.dead or token_dead(error)
            raise
