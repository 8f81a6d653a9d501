"""Buttons that outlive the process: the job id is in the ``custom_id``, everything else in the database."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from ..imagine import Imagine


def _imagine(interaction: discord.Interaction) -> Imagine:
    cog = interaction.client.get_cog("Imagine")  # type: ignore[attr-defined]
    if cog is None:
        raise RuntimeError("the Imagine cog is not loaded")
    return cog  # type: ignore[no-any-return]


class CancelButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"imagine:cancel:(?P<job>[0-9]+)"):
    """Cancels a queued job; only its requester may."""

    def __init__(self, job_id: int, label: str = "Cancel") -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=discord.ButtonStyle.secondary, custom_id=f"imagine:cancel:{job_id}"
        )
        super().__init__(button)
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> CancelButton:
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _imagine(interaction).cancel(interaction, self.job_id)


class RerunButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"imagine:rerun:(?P<job>[0-9]+)"):
    """Runs an interrupted job again, as a new job of whoever clicks."""

    def __init__(self, job_id: int, label: str = "Run again") -> None:
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=discord.ButtonStyle.primary, emoji="🔄", custom_id=f"imagine:rerun:{job_id}"
        )
        super().__init__(button)
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> RerunButton:
        return cls(int(match["job"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await _imagine(interaction).rerun(interaction, self.job_id)


def one_button(item: discord.ui.Item[Any]) -> discord.ui.View:
    """A view holding one persistent button."""
    view = discord.ui.View(timeout=None)
    view.add_item(item)
    return view
