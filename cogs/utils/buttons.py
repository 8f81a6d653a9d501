"""Buttons and forms that outlive the process: what they look like when sent. Each action's answer to a click is
its own ``DynamicItem`` class, in the cog that owns the action."""

from __future__ import annotations

from typing import Any

import discord

from . import custom_ids

# What each action looks like.
STYLES: dict[str, tuple[discord.ButtonStyle, str | None]] = {
    "cancel": (discord.ButtonStyle.secondary, None),
    "rerun": (discord.ButtonStyle.primary, "🔄"),
    "reroll": (discord.ButtonStyle.secondary, "🔄"),
    "remix": (discord.ButtonStyle.secondary, "✏️"),
    "delete": (discord.ButtonStyle.secondary, "🗑️"),
    "try": (discord.ButtonStyle.primary, "✨"),
    "vary": (discord.ButtonStyle.secondary, "🎲"),
    "report": (discord.ButtonStyle.secondary, "🚩"),
    "remove": (discord.ButtonStyle.danger, "🗑️"),
    "pick": (discord.ButtonStyle.primary, None),
}
# What each single-image tool looks like; the pans show only their arrow.
TOOL_EMOJI = {
    "subtle": "🎨", "strong": "🎨", "zoom-1.5": "🔍", "zoom-2": "🔍", "pan-left": "⬅️", "pan-right": "➡️",
    "pan-up": "⬆️", "pan-down": "⬇️", "upscale": "✨", "edit": "✏️",
}  # fmt: skip


def job_button(action: str, job_id: int, label: str, index: int | None = None) -> discord.ui.Button[Any]:
    """A button about one job (and one of its images), as it is sent."""
    style, emoji = STYLES[action]
    return discord.ui.Button(
        label=label, style=style, emoji=emoji, custom_id=custom_ids.job_action(action, job_id, index)
    )


def tool_button(job_id: int, tool: str, label: str) -> discord.ui.Button[Any]:
    """The button of a single-image tool (``label`` is kept for screen readers but not shown for the pans)."""
    shown = None if tool.startswith("pan-") else label
    return discord.ui.Button(label=shown, style=discord.ButtonStyle.secondary, emoji=TOOL_EMOJI[tool],
                             custom_id=custom_ids.tool(job_id, tool))  # fmt: skip


def idea_button(description_id: int, index: int) -> discord.ui.Button[Any]:
    """The button that draws prompt ``index`` of a /describe answer."""
    return discord.ui.Button(label=str(index), style=discord.ButtonStyle.primary, emoji="🎨",
                             custom_id=custom_ids.idea(description_id, index))  # fmt: skip


def buttons(*items: discord.ui.Item[Any]) -> discord.ui.View:
    """A view holding persistent buttons."""
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    return view


class PromptModal(discord.ui.Modal):
    """Asks for a prompt: a Remix form (pre-filled with the job's prompt) or an Edit image form.

    Its submission is answered by the Imagine cog's ``on_interaction`` listener, not here, so that a form opened
    before a restart (which discord.py has forgotten) is answered the same way as one opened since.
    """

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
