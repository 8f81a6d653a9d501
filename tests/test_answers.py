"""Errors become words in one place: discord.py's own errors get their own kind sentences."""

from __future__ import annotations

from typing import Any

import pytest
from discord import app_commands

from cogs.utils.answers import cause_of, describe
from cogs.utils.tree import BadOption
from imagegen.errors import InvalidRequest
from tests.helpers import said, says


@pytest.mark.parametrize(
    ("error", "key"),
    [
        (app_commands.BotMissingPermissions(["attach_files"]), "error.bot_permissions"),
        (app_commands.CommandOnCooldown(app_commands.Cooldown(1, 60), 30), "error.cooldown"),
        (app_commands.NoPrivateMessage(), "error.guild_only"),
        (app_commands.MissingPermissions(["manage_guild"]), "admin.not_allowed"),
        (app_commands.CheckFailure(), "error.check"),
    ],
)
def test_discord_py_errors_get_their_own_kind_sentences(error: Exception, key: str) -> None:
    bot: Any = None
    assert says(describe(bot, "en-US", error).content, key)
    assert says(describe(bot, "zh-CN", error).content, key, "zh-CN")


def test_missing_permissions_are_named_as_the_reader_s_discord_names_them() -> None:
    missing = app_commands.BotMissingPermissions(["attach_files", "use_soundboard"])
    english = describe(None, "en-US", missing).content  # type: ignore[arg-type]
    assert english == said("en", "error.bot_permissions", permissions="attach files, use soundboard")
    chinese = describe(None, "zh-CN", missing).content  # type: ignore[arg-type]
    assert chinese == said("zh-CN", "error.bot_permissions", permissions="附加文件, use soundboard")


def test_the_cause_inside_discord_py_wrappers_is_what_is_answered() -> None:
    invalid = InvalidRequest("invalid.option.integer", option="n")
    assert cause_of(BadOption(invalid)) is invalid
    answer = describe(None, "zh-CN", cause_of(BadOption(invalid))).content  # type: ignore[arg-type]
    assert answer == said("zh-CN", "invalid.option.integer", option="n")
