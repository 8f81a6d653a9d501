"""Errors become words in one place: discord.py's own errors get their own kind sentences."""

from __future__ import annotations

from typing import Any

import pytest
from discord import app_commands

from cogs.utils.answers import cause_of, describe
from cogs.utils.tree import BadOption
from imagegen.errors import InvalidRequest


@pytest.mark.parametrize(
    ("error", "words"),
    [
        (app_commands.BotMissingPermissions(["attach_files"]), "missing permissions in this channel (attach files)"),
        (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 60), 30), "short pause"),
        (app_commands.NoPrivateMessage(), "works in servers only"),
        (app_commands.MissingPermissions(["manage_guild"]), "Manage Server permission"),
        (app_commands.CheckFailure(), "cannot use this command here"),
    ],
)
def test_discord_py_errors_get_their_own_kind_sentences(error: Exception, words: str) -> None:
    bot: Any = None
    assert words in describe(bot, "en-US", error).content


def test_the_cause_inside_discord_py_wrappers_is_what_is_answered() -> None:
    invalid = InvalidRequest("invalid.option.integer", option="n")
    assert cause_of(BadOption(invalid)) is invalid
    assert describe(None, "zh-CN", cause_of(BadOption(invalid))).content.startswith("选项 **n**")  # type: ignore[arg-type]
