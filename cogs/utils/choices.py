"""Autocomplete answers shared by the commands that take a size, a model or a style."""

from __future__ import annotations

from collections.abc import Iterable

import discord
from discord import app_commands

from imagegen import texts
from imagegen.catalogue.entries import aspect
from imagegen.model import size_choices

from .items import bot_of

# Discord refuses a whole autocomplete answer when one choice's name or value is longer than this, or when it has
# more choices than this, and the member then sees no choices at all.
MAX_CHOICE_LENGTH = 100
MAX_CHOICES = 25


async def sizes(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The sizes the chosen model takes, labelled by their shape, ``auto`` first; what the member typed first when
    the model takes it."""
    core = bot_of(interaction).core
    model = str(getattr(interaction.namespace, "model", None) or core.default_model(interaction.guild_id))
    rule = core.model(model).sizes
    offered = size_choices(rule)
    typed = rule.normalise(current) if current.strip() else None
    needle = current.strip().lower()
    matching = [size for size in offered if needle in size or needle in _size_label(interaction.locale, size)]
    values = list(dict.fromkeys([*([typed] if typed else []), *(matching or offered)]))[:MAX_CHOICES]
    return [app_commands.Choice(name=_size_label(interaction.locale, value), value=value) for value in values]


def _size_label(locale: object, size: str) -> str:
    if size == "auto":
        return texts.t(locale, "choice.size.auto")
    shape, ratio = aspect(size)
    label = texts.t(locale, f"size.{shape}", ratio=ratio)
    return label if ":" in size else texts.t(locale, "size.pixels", shape=label, size=size.replace("x", "×"))


async def models(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The image models the API lists (or the configured ones) that this server allows; one whose id Discord
    would refuse as a choice (a relay's may be longer than 100 characters) is left out, as it cannot be sent."""
    names = await bot_of(interaction).core.search_models(current, interaction.guild_id)
    return offerable((name, name) for name in names)[:MAX_CHOICES]


async def styles(interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
    """The styles that answer what the member typed, best first (names in either language, then aliases and
    phrases), named in the member's language."""
    found = bot_of(interaction).core.search_styles(current, interaction.guild_id, interaction.locale)
    return offerable((style.label(interaction.locale), style.name) for style in found)


def offerable(choices: Iterable[tuple[str, str]]) -> list[app_commands.Choice[str]]:
    """``(label, value)`` pairs as choices Discord takes: a label too long is cut with an ellipsis, but a value too
    long is left out, since a cut value would name something else (or nothing)."""
    return [
        app_commands.Choice(name=_fit(label), value=value)
        for label, value in choices
        if value and len(value) <= MAX_CHOICE_LENGTH
    ]


def _fit(label: str) -> str:
    return label if len(label) <= MAX_CHOICE_LENGTH else label[: MAX_CHOICE_LENGTH - 1] + "…"
