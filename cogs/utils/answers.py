"""The one place where errors become words: commands, buttons, forms and background jobs are all answered here.

A leaf module: it imports no cog, so every cog and helper can use it.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from imagegen import texts
from imagegen.errors import (
    AuthFailed,
    ImageGenError,
    InvalidRequest,
    LimitReached,
    ModelNotFound,
    QueueFull,
    QuotaExhausted,
    Refused,
    ShuttingDown,
    UpstreamRejected,
    UserQueueFull,
)

from .buttons import TryInstead
from .channel import post_in_channel
from .conversation import DISCORD_FAILURES, Conversation
from .items import buttons
from .markup import inert, with_times

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
# Errors the operator must act on: logged loudly, with the details users never see.
OPERATOR_ERRORS = (AuthFailed, QuotaExhausted, ModelNotFound, UpstreamRejected)
# Answers to the user's own request, not faults: nothing to log.
EXPECTED = (InvalidRequest, QueueFull, UserQueueFull, ShuttingDown, LimitReached)


@dataclass
class Answer:
    """What to say about an error: the text, the prompt as a file when too long to quote, and buttons."""

    content: str
    file: discord.File | None = None
    view: discord.ui.View | None = None


async def answer_error(
    bot: ImageBot,
    target: discord.Interaction | Conversation,
    error: BaseException,
    *,
    ping_in_channel: bool = False,
    job_id: int | None = None,
) -> None:
    """Tell the user what went wrong: privately through the interaction while its token lives, else (or when
    Discord will not take it there) in the channel, mentioning them.

    With the ``job_id`` of a refused job whose prompt named a listed artist, the answer offers to run the
    rewritten prompt.
    """
    conversation = target if isinstance(target, Conversation) else Conversation.of(target)
    answer = describe(bot, conversation.locale, error, job_id)
    content, file = answer.content, answer.file
    if not ping_in_channel and conversation.usable:
        try:
            await conversation.answer(content, file, answer.view)
            return
        except DISCORD_FAILURES as failure:
            # Refused, cut off, or Discord out of reach: the channel is tried (a bot that stops says nothing).
            reason = failure if isinstance(failure, discord.HTTPException) else f"Discord cannot be reached ({failure})"
            log.warning("could not answer user %s privately: %s; telling them in the channel",
                        conversation.user_id, reason)  # fmt: skip
            file = _reopened(file)
    if conversation.channel_id is None:
        log.warning("could not tell user %s: their interaction is over and has no channel", conversation.user_id)
        return
    late = texts.shorten(texts.t(conversation.locale, "job.late", user=f"<@{conversation.user_id}>", text=content),
                         MESSAGE_LIMIT)  # fmt: skip
    # A connection cut off is tried once more (discord.py tries again only what Discord answered); a refusal is not.
    for last in (False, True):
        try:
            await post_in_channel(bot, conversation.channel_id, late, ping=conversation.user_id,
                                  files=[file] if file else [], view=answer.view)  # fmt: skip
            break
        except DISCORD_FAILURES as failure:
            if last or isinstance(failure, discord.HTTPException):
                log.warning("could not tell user %s in channel %s: %s", conversation.user_id,
                            conversation.channel_id, failure)  # fmt: skip
                return
            file = _reopened(file)
    await conversation.drop_status()


def describe(bot: ImageBot, locale: object, error: BaseException, job_id: int | None = None) -> Answer:
    """The words for an error; logs what needs logging."""
    if isinstance(error, Refused):
        log.info("refused (%s): %s", error.reason, error.detail)
        return refusal(bot, locale, error, job_id)
    if isinstance(error, EXPECTED):
        return Answer(texts.t(locale, error.key, **shown_params(error)))
    if isinstance(error, ImageGenError):
        level = logging.ERROR if isinstance(error, OPERATOR_ERRORS) else logging.WARNING
        log.log(level, "image API: %s: %s", type(error).__name__, error.detail)
        return Answer(texts.t(locale, error.key, **shown_params(error)))
    key = discord_error_key(error)
    if key is not None:
        log.info("interaction refused by discord.py: %s", error)
        return Answer(texts.t(locale, key, **with_times(_discord_params(locale, error))))
    log.error("unexpected error", exc_info=error)
    return Answer(texts.t(locale, "error.unexpected"))


def cause_of(error: BaseException) -> BaseException:
    """What an error raised around a command is about: the exception inside discord.py's wrapper."""
    if isinstance(error, app_commands.CommandInvokeError):
        return error.original
    invalid = getattr(error, "invalid", None)
    return invalid if isinstance(invalid, ImageGenError) else error


def discord_error_key(error: BaseException) -> str | None:
    """The text for one of discord.py's own errors about a command, if it is one."""
    if isinstance(error, app_commands.BotMissingPermissions):
        return "error.bot_permissions"
    if isinstance(error, app_commands.CommandOnCooldown):
        return "error.cooldown"
    if isinstance(error, app_commands.MissingPermissions):
        return "admin.not_allowed"
    if isinstance(error, app_commands.NoPrivateMessage):
        return "error.guild_only"
    if isinstance(error, app_commands.TransformerError):
        return "error.option"
    if isinstance(error, app_commands.CheckFailure):
        return "error.check"
    return None


def _discord_params(locale: object, error: BaseException) -> dict[str, object]:
    if isinstance(error, app_commands.BotMissingPermissions):
        return {"permissions": ", ".join(permission_name(locale, name) for name in error.missing_permissions)}
    if isinstance(error, app_commands.CommandOnCooldown):
        return {"ready": int(discord.utils.utcnow().timestamp() + error.retry_after + 0.999)}
    return {}


def permission_name(locale: object, permission: str) -> str:
    """A Discord permission as the reader's Discord names it; one the catalogue lacks, as discord.py spells it."""
    key = f"permission.{permission}"
    return texts.t(locale, key) if key in texts.CATALOGUE else permission.replace("_", " ")


def shown_params(error: ImageGenError) -> dict[str, object]:
    """An error's values as shown in Discord: what a user typed made inert, channel ids as channel links."""
    shown: dict[str, object] = {}
    for key, value in error.params.items():
        if key == "channels" and isinstance(value, tuple):
            shown[key] = " ".join(f"<#{channel}>" for channel in value)
        elif isinstance(value, str):
            shown[key] = inert(value)
        else:
            shown[key] = value
    return with_times(shown)


def category_names(locale: object, categories: list[str]) -> str:
    """Screening categories in the reader's language."""
    return ", ".join(texts.t(locale, f"category.{category}") for category in categories)


def refusal(bot: ImageBot, locale: object, refused: Refused, job_id: int | None = None) -> Answer:
    """The kind answer to a refused prompt: why, how to rephrase, the prompt to copy, and a rewrite to run."""
    categories = category_names(locale, refused.categories)
    parts = [texts.t(locale, refused.key, categories=categories, **shown_params(refused))]
    view = None
    suggestion = bot.core.suggest(refused.prompt)
    if suggestion is not None:
        parts.append(texts.t(locale, f"refused.{suggestion.kind}", name=suggestion.name, style=suggestion.style))
        parts.append(texts.t(locale, "refused.suggested") + "\n" + _code(suggestion.prompt))
        if job_id is not None:
            view = buttons(TryInstead(job_id, label=texts.t(locale, "button.try")))
    parts.append(texts.t(locale, "refused.tips"))
    if refused.cooloff_until is not None:
        parts.insert(1, texts.t(locale, "refused.cooloff", **with_times({"ready": refused.cooloff_until})))
    inline = "\n\n".join([*parts, texts.t(locale, "refused.your_prompt") + "\n" + _code(refused.prompt)])
    if len(inline) <= MESSAGE_LIMIT - 100:
        return Answer(inline, view=view)
    # Too long to quote: the prompt travels as a file instead, whole.
    parts = [part for part in parts if "```" not in part]
    content = "\n\n".join([*parts, texts.t(locale, "refused.prompt_attached")])
    return Answer(texts.shorten(content, MESSAGE_LIMIT - 100), _prompt_file(refused.prompt), view)


def _prompt_file(prompt: str) -> discord.File:
    return discord.File(io.BytesIO(prompt.encode()), filename="prompt.txt")


def _reopened(file: discord.File | None) -> discord.File | None:
    # A File is spent once sent; a second attempt needs a fresh one.
    if file is None:
        return None
    file.reset()
    return file


def _code(text: str) -> str:
    # A code block shows the text as typed, easy to copy; a ``` inside it would end the block early.
    return "```\n" + text.replace("```", "`\u200b``") + "\n```"
