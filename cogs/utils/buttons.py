"""Buttons that outlive the process: the action and job id are in the ``custom_id``, the rest in the database."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import discord

if TYPE_CHECKING:
    from ..imagine import Imagine

# What each action looks like.
STYLES: dict[str, tuple[discord.ButtonStyle, str | None]] = {
    "cancel": (discord.ButtonStyle.secondary, None),
    "rerun": (discord.ButtonStyle.primary, "🔄"),
}


class JobButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"imagine:(?P<action>cancel|rerun):(?P<job>\d+)"
):
    """A button about one job, ``imagine:<action>:<job id>``: it works for days and across restarts."""

    def __init__(self, action: str, job_id: int, label: str) -> None:
        style, emoji = STYLES[action]
        button: discord.ui.Button[Any] = discord.ui.Button(
            label=label, style=style, emoji=emoji, custom_id=f"imagine:{action}:{job_id}"
        )
        super().__init__(button)
        self.action = action
        self.job_id = job_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> JobButton:
        return cls(match["action"], int(match["job"]), getattr(item, "label", None) or match["action"])

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: Imagine | None = interaction.client.get_cog("Imagine")  # type: ignore[attr-defined]
        if cog is not None:
            await cog.on_button(interaction, self.action, self.job_id)


def one_button(item: discord.ui.Item[Any]) -> discord.ui.View:
    """A view holding one persistent button."""
    view = discord.ui.View(timeout=None)
    view.add_item(item)
    return view
