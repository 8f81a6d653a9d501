"""Localised command and option descriptions, read from the text catalogue."""

from __future__ import annotations

import discord
from discord import app_commands

from imagegen import texts


def localised(key: str) -> app_commands.locale_str:
    """A command string whose English comes from the catalogue and whose translations the Translator finds."""
    return app_commands.locale_str(texts.t(texts.ENGLISH, key), key=key)


class CatalogueTranslator(app_commands.Translator):
    """Gives Discord the Chinese of every command string; English is the strings themselves."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        key = string.extras.get("key")
        if key is None or texts.language(locale.value) == texts.ENGLISH:
            return None
        return texts.t(locale.value, key)
