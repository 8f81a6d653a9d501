"""A /describe answer: its numbered prompts beside the image, and a button to draw each."""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import discord

from imagegen import texts
from imagegen.imaging.uploads import kind
from imagegen.model import Description, ImageRequest
from imagegen.ops import logs

from .buttons import start
from .items import Item, bot_of, buttons
from .markup import inert

log = logging.getLogger(__name__)


def described_answer(locale: object, description: Description, thumbnail: bytes | None) -> dict[str, Any]:
    """The message that answers /describe (as keyword arguments of an edit): the prompts numbered, made inert,
    the image as a thumbnail (when it is at hand), and an Idea button for each prompt."""
    numbered = "\n\n".join(f"**{n}.** {inert(prompt, 900)}" for n, prompt in enumerate(description.prompts, 1))
    embed = discord.Embed(description=numbered)
    files = []
    if thumbnail is not None:
        name = f"describe.{kind(thumbnail)}"
        embed.set_thumbnail(url=f"attachment://{name}")
        files.append(discord.File(io.BytesIO(thumbnail), filename=name))
    view = buttons(*(Idea(description.id, n) for n in range(1, len(description.prompts) + 1)))
    return {"content": texts.t(locale, "describe.result"), "embed": embed, "attachments": files, "view": view}


class Idea(Item, custom_id=r"imagine:idea:{description}:{index:\d}"):
    """Draws one prompt (numbered from 1) of a /describe answer, as the clicker's job, where the answer was given."""

    style = discord.ButtonStyle.primary
    emoji = "🎨"

    def __init__(self, description_id: int, index: int) -> None:
        super().__init__(self.button(str(index), description=description_id, index=index))
        self.description_id = description_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Idea:
        return cls(int(match["description"]), int(match["index"]))

    async def clicked(self, interaction: discord.Interaction) -> None:
        logs.about(guild=interaction.guild_id, interaction=interaction.id)
        bot = bot_of(interaction)
        described = await bot.core.description(self.description_id)
        if described is None or not 1 <= self.index <= len(described.prompts):
            await interaction.response.send_message(texts.t(interaction.locale, "describe.gone"), ephemeral=True)
            return
        if (described.guild_id, described.channel_id) != (interaction.guild_id, interaction.channel_id):
            log.warning("description %d clicked from channel %s", described.id, interaction.channel_id)
            await interaction.response.send_message(texts.t(interaction.locale, "button.elsewhere"), ephemeral=True)
            return
        request = ImageRequest(
            prompt=described.prompts[self.index - 1],
            model=described.model or bot.core.default_model(interaction.guild_id),
            moderation=bot.settings.moderation,
        )
        await start(bot, interaction, request)
