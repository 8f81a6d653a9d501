"""The one place where errors become words: every command's failures are answered here."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from imagegen import texts
from imagegen.errors import (
    AuthFailed,
    ImageGenError,
    InvalidRequest,
    ModelNotFound,
    QuotaExhausted,
    Refused,
    UpstreamRejected,
)

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
# Errors the operator must act on: logged loudly, with the details users never see.
OPERATOR_ERRORS = (AuthFailed, QuotaExhausted, ModelNotFound, UpstreamRejected)


class ErrorHandler(commands.Cog):
    """Replies to failed commands privately and kindly, and logs what the operator needs."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot
        self._previous = bot.tree.on_error

    async def cog_load(self) -> None:
        self.bot.tree.on_error = self.on_app_command_error  # type: ignore[method-assign]

    async def cog_unload(self) -> None:
        self.bot.tree.on_error = self._previous  # type: ignore[method-assign]

    async def on_app_command_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """Turn any error into a private reply; log what is unexpected."""
        cause = error.original if isinstance(error, app_commands.CommandInvokeError) else error
        locale = interaction.locale
        if isinstance(cause, Refused):
            log.info(
                "refused (%s) for user %s: %s",
                cause.reason,
                interaction.user.id,
                cause.detail,
            )
            content, file = self.refusal(interaction, cause)
            await reply(interaction, content, file)
            return
        if isinstance(cause, InvalidRequest):
            await reply(interaction, texts.t(locale, cause.key, **cause.params))
            return
        if isinstance(cause, ImageGenError):
            level = logging.ERROR if isinstance(cause, OPERATOR_ERRORS) else logging.WARNING
            log.log(level, "image API: %s: %s", type(cause).__name__, cause.detail)
            await reply(interaction, texts.t(locale, cause.key, **cause.params))
            return
        command = interaction.command.qualified_name if interaction.command else "?"
        log.error("unexpected error in /%s", command, exc_info=cause)
        await reply(interaction, texts.t(locale, "error.unexpected"))

    def refusal(self, interaction: discord.Interaction, refused: Refused) -> tuple[str, discord.File | None]:
        """The kind, private answer to a refused prompt: why, how to rephrase, and the prompt to copy."""
        locale = interaction.locale
        parts = [texts.t(locale, refused.key)]
        suggestion = self.bot.artists.suggest(refused.prompt)
        if suggestion is not None:
            parts.append(
                texts.t(
                    locale,
                    "refused.artist",
                    name=suggestion.name,
                    style=suggestion.style,
                )
            )
            parts.append(texts.t(locale, "refused.suggested") + "\n" + _code(suggestion.prompt))
        parts.append(texts.t(locale, "refused.tips"))
        inline = "\n\n".join(
            [
                *parts,
                texts.t(locale, "refused.your_prompt") + "\n" + _code(refused.prompt),
            ]
        )
        if len(inline) <= MESSAGE_LIMIT:
            return inline, None
        # Too long to quote: the prompt travels as a file instead, whole.
        parts = [part for part in parts if "```" not in part]
        content = "\n\n".join([*parts, texts.t(locale, "refused.prompt_attached")])
        file = discord.File(io.BytesIO(refused.prompt.encode()), filename="prompt.txt")
        return texts.shorten(content, MESSAGE_LIMIT), file


def _code(text: str) -> str:
    # A code block shows the text as typed, easy to copy; a ``` inside it would end the block early.
    return "```\n" + text.replace("```", "`\u200b``") + "\n```"


async def reply(interaction: discord.Interaction, content: str, file: discord.File | None = None) -> None:
    """Answer privately, whether or not the interaction was already answered.

    Once the public progress message exists, the private answer follows it and the progress message goes.
    """
    files = [file] if file is not None else discord.utils.MISSING
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(content, ephemeral=True, files=files)
            return
        await interaction.followup.send(content, ephemeral=True, files=files)
        await interaction.delete_original_response()
    except discord.HTTPException as error:
        log.warning("could not answer interaction %s: %s", interaction.id, error)


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(ErrorHandler(bot))
