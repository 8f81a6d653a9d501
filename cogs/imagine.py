"""The /imagine command."""

from __future__ import annotations

import io
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from imagegen import images, texts
from imagegen.client import Generation
from imagegen.images import ImageFile
from imagegen.request import ImageRequest

from .utils.progress import Progress
from .utils.translator import localised

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
# The prompt picker in Discord takes at most 6000 characters; the model's own limit is checked later.
PROMPT_LIMIT = 6000

SIZE_CHOICES = [
    app_commands.Choice(name=localised("choice.size.auto"), value="auto"),
    app_commands.Choice(name=localised("choice.size.square"), value="1024x1024"),
    app_commands.Choice(name=localised("choice.size.landscape"), value="1536x1024"),
    app_commands.Choice(name=localised("choice.size.portrait"), value="1024x1536"),
]
QUALITY_CHOICES = [
    app_commands.Choice(name=localised(f"choice.quality.{value}"), value=value)
    for value in ("auto", "low", "medium", "high")
]
BACKGROUND_CHOICES = [
    app_commands.Choice(name=localised(f"choice.background.{value}"), value=value)
    for value in ("auto", "transparent", "opaque")
]


class Imagine(commands.Cog):
    """Turns a prompt into images posted in the channel."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot
        # Discord shows the operator's maximum in the picker; the request is checked against it again anyway.
        self.imagine._params["n"].max_value = bot.settings.max_images

    @app_commands.command(name="imagine", description=localised("cmd.imagine"))
    @app_commands.describe(
        prompt=localised("opt.prompt"),
        n=localised("opt.n"),
        size=localised("opt.size"),
        quality=localised("opt.quality"),
        background=localised("opt.background"),
        model=localised("opt.model"),
    )
    @app_commands.choices(size=SIZE_CHOICES, quality=QUALITY_CHOICES, background=BACKGROUND_CHOICES)
    @app_commands.guild_only()
    async def imagine(
        self,
        interaction: discord.Interaction,
        prompt: app_commands.Range[str, 1, PROMPT_LIMIT],
        n: app_commands.Range[int, 1, 10] = 1,
        size: str = "auto",
        quality: str = "auto",
        background: str = "auto",
        model: str | None = None,
    ) -> None:
        """Draw ``n`` images from ``prompt`` and post them in the channel."""
        settings = self.bot.settings
        request = ImageRequest(
            prompt=prompt,
            model=(model or settings.image_model).strip(),
            n=n,
            size=size,
            quality=quality,
            background=background,
            moderation=settings.moderation,
        )
        request.validate(settings.max_images)
        await interaction.response.defer(thinking=True)

        count = texts.t(interaction.locale, "count.one" if n == 1 else "count.many", n=n)

        def render(seconds: float) -> str:
            return texts.t(
                interaction.locale,
                "progress",
                count=count,
                model=request.model,
                elapsed=texts.elapsed(seconds),
            )

        async with Progress(interaction, render, settings.progress_interval):
            generation = await self.bot.images.generate(request)
        log.info(
            "job done: user=%s model=%s asked=%d got=%d usage=%s",
            interaction.user.id, request.model, n, len(generation.images), generation.usage,
        )  # fmt: skip
        groups = await images.prepare_async(generation.images, interaction.filesize_limit)
        await self._post(interaction, request, generation, groups)

    @imagine.autocomplete("model")
    async def model_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Offer the image models the API lists, or the configured ones."""
        return [app_commands.Choice(name=name, value=name) for name in await self.bot.models.search(current)]

    def _caption(
        self,
        interaction: discord.Interaction,
        request: ImageRequest,
        generation: Generation,
    ) -> str:
        locale = interaction.locale
        size = request.size if request.size != "auto" else texts.t(locale, "result.size_auto")
        fields = {
            "user": interaction.user.mention,
            "model": request.model,
            "size": size,
        }
        extra = ""
        if generation.missing:
            extra = "\n" + texts.t(
                locale,
                "result.partial",
                got=len(generation.images),
                asked=generation.asked,
            )
        room = MESSAGE_LIMIT - len(texts.t(locale, "result", prompt="", **fields)) - len(extra)
        return (
            texts.t(
                locale,
                "result",
                prompt=texts.shorten(request.prompt.strip(), room),
                **fields,
            )
            + extra
        )

    async def _post(
        self,
        interaction: discord.Interaction,
        request: ImageRequest,
        generation: Generation,
        groups: list[list[ImageFile]],
    ) -> None:
        caption = self._caption(interaction, request, generation)
        numbered = _numbered(groups)
        for index, group in enumerate(numbered):
            try:
                if index == 0:
                    await interaction.edit_original_response(content=caption, attachments=_files(group))
                else:
                    note = texts.t(
                        interaction.locale,
                        "result.continued",
                        part=index + 1,
                        parts=len(numbered),
                    )
                    await interaction.followup.send(note, files=_files(group))
            except discord.HTTPException as error:
                # The images are paid for: when the interaction cannot take them, post with the bot's own access.
                log.warning(
                    "could not post through the interaction (%s); posting in the channel",
                    error,
                )
                await self._post_in_channel(interaction, caption, numbered[index:])
                return

    async def _post_in_channel(
        self,
        interaction: discord.Interaction,
        caption: str,
        numbered: list[list[tuple[str, ImageFile]]],
    ) -> None:
        channel = interaction.channel
        if not isinstance(channel, discord.abc.Messageable):
            log.error("result lost: channel %s cannot take messages", interaction.channel_id)
            return
        mention = discord.AllowedMentions(everyone=False, roles=False, users=[interaction.user])
        for index, group in enumerate(numbered):
            await channel.send(
                caption if index == 0 else None,
                files=_files(group),
                allowed_mentions=mention,
            )


def _numbered(groups: list[list[ImageFile]]) -> list[list[tuple[str, ImageFile]]]:
    numbered, index = [], 0
    for group in groups:
        named = []
        for image in group:
            index += 1
            named.append((f"image_{index}.{image.extension}", image))
        numbered.append(named)
    return numbered


def _files(group: list[tuple[str, ImageFile]]) -> list[discord.File]:
    return [discord.File(io.BytesIO(image.data), filename=name) for name, image in group]


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Imagine(bot))
