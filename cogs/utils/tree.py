"""The command tree: every command's options are checked against their declared types before the command runs."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.enums import AppCommandOptionType

from imagegen.errors import InvalidRequest
from imagegen.ops import logs

from .answers import answer_error, cause_of

# Option types that carry a subcommand's options rather than a value.
_GROUPS = (AppCommandOptionType.subcommand.value, AppCommandOptionType.subcommand_group.value)
# Users, channels, roles and files arrive as their ids.
_BY_ID = (
    AppCommandOptionType.user,
    AppCommandOptionType.channel,
    AppCommandOptionType.role,
    AppCommandOptionType.mentionable,
    AppCommandOptionType.attachment,
)


class BadOption(app_commands.AppCommandError):
    """An option arrived with a value of the wrong type or out of range: bad input, answered as such."""

    def __init__(self, invalid: InvalidRequest) -> None:
        super().__init__(invalid.detail)
        self.invalid = invalid


class ImageTree(app_commands.CommandTree[Any]):
    """The command tree: the one place where a failed command, context menu, button or form is answered, and
    where every command's options are checked before it runs (Discord checks them in its own client, but an
    interaction can be sent by anything)."""

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        """Answer a failure, whether or not the interaction was answered already: discord.py's, with a command's
        error inside its wrapper, or (from cogs/utils/items.py) whatever a button or form raised."""
        await answer_error(self.client, interaction, cause_of(error))

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        logs.about(guild=interaction.guild_id, interaction=interaction.id)
        command = interaction.command
        if interaction.type is not discord.InteractionType.application_command:
            return True
        if not isinstance(command, app_commands.Command):
            return True
        parameters = {parameter.name: parameter for parameter in command.parameters}
        for option in _leaf_options(interaction.data or {}):
            parameter = parameters.get(str(option.get("name")))
            if parameter is not None:
                check_option(parameter, option.get("value"))
        return True


def _leaf_options(data: Any) -> list[dict[str, Any]]:
    options: list[dict[str, Any]] = list(data.get("options") or [])
    while options and options[0].get("type") in _GROUPS:
        options = list(options[0].get("options") or [])
    return options


def check_option(parameter: app_commands.Parameter, value: object) -> None:
    """Raise BadOption, saying what the option takes, unless ``value`` is one of its choices (if it has any), of
    its type and within its range."""
    kind = parameter.type
    choices = [choice.value for choice in parameter.choices]
    if choices and value not in choices:
        listed = ", ".join(str(choice) for choice in choices)
        raise BadOption(InvalidRequest("invalid.option.choice", option=parameter.name, choices=listed))
    low, high = parameter.min_value, parameter.max_value
    if kind is AppCommandOptionType.integer:
        fits = isinstance(value, int) and not isinstance(value, bool)
        expected = "integer"
    elif kind is AppCommandOptionType.number:
        fits = isinstance(value, int | float) and not isinstance(value, bool)
        expected = "number"
    elif kind is AppCommandOptionType.boolean:
        fits, expected, low, high = isinstance(value, bool), "boolean", None, None
    elif kind in _BY_ID:
        fits, expected, low, high = isinstance(value, str | int) and str(value).isdigit(), "pick", None, None
    else:
        fits, expected, low, high = isinstance(value, str), "string", None, None
    if fits and isinstance(value, int | float):
        fits = (low is None or value >= low) and (high is None or value <= high)
    if fits:
        return
    if low is not None and high is not None:
        expected += "_range"
    shown = {"low": f"{low:g}" if low is not None else None, "high": f"{high:g}" if high is not None else None}
    raise BadOption(InvalidRequest(f"invalid.option.{expected}", option=parameter.name, **shown))
