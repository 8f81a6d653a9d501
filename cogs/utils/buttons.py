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
    "reroll": (discord.ButtonStyle.secondary, "🔄"),
    "remix": (discord.ButtonStyle.secondary, "✏️"),
    "delete": (discord.ButtonStyle.secondary, "🗑️"),
    "try": (discord.ButtonStyle.primary, "✨"),
    "vary": (discord.ButtonStyle.secondary, "🎲"),
}
TEMPLATE = r"imagine:(?P<action>" + "|".join(STYLES) + r"):(?P<job>\d+)(?::(?P<index>\d+))?"


class JobButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=TEMPLATE):
    """A button about one job, ``imagine:<action>:<job id>[:<image>]``: it works for days and across restarts."""

    def __init__(self, action: str, job_id: int, label: str, index: int | None = None) -> None:
        style, emoji = STYLES[action]
        custom_id = f"imagine:{action}:{job_id}" + (f":{index}" if index is not None else "")
        button: discord.ui.Button[Any] = discord.ui.Button(label=label, style=style, emoji=emoji, custom_id=custom_id)
        super().__init__(button)
        self.action = action
        self.job_id = job_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> JobButton:
        index = int(match["index"]) if match["index"] else None
        return cls(match["action"], int(match["job"]), getattr(item, "label", None) or match["action"], index)

    async def callback(self, interaction: discord.Interaction) -> None:
        cog: Imagine | None = interaction.client.get_cog("Imagine")  # type: ignore[attr-defined]
        if cog is not None:
            await cog.on_button(interaction, self.action, self.job_id, self.index)


def buttons(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view holding persistent buttons."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


class PromptModal(discord.ui.Modal):
    """Asks for a prompt: ``imagine:remix-modal:<job id>`` (pre-filled) or ``imagine:edit-modal:<channel>:<message>``.

    Its submission is answered by the Imagine cog's ``on_interaction`` listener, not here, so that a modal opened
    before a restart (which discord.py has forgotten) is answered the same way as one opened since.
    """

    REMIX = "imagine:remix-modal:"
    EDIT = "imagine:edit-modal:"

    def __init__(self, custom_id: str, title: str, label: str, prompt: str = "") -> None:
        # discord.py keeps an open modal in memory until it times out; the listener answers it after that too.
        super().__init__(title=title, custom_id=custom_id, timeout=900)
        self.add_item(
            discord.ui.TextInput(
                label=label,
                custom_id="prompt",
                style=discord.TextStyle.paragraph,
                default=prompt[:4000] or None,
                max_length=4000,
            )
        )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        """Answered by the cog's listener; see the class docstring."""


def submitted_text(data: Any, custom_id: str) -> str | None:
    """The value of the text input ``custom_id`` in a modal submission's raw data, however it is nested."""
    if isinstance(data, dict):
        value = data.get("value")
        if data.get("custom_id") == custom_id and isinstance(value, str):
            return value
        children = [data.get("component"), *(data.get("components") or [])]
        data = [child for child in children if child is not None]
    if isinstance(data, list):
        for child in data:
            found = submitted_text(child, custom_id)
            if found is not None:
                return found
    return None
