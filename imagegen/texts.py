"""Every sentence users see, keyed, in one data file per language (``locales/*.toml``). Code never builds one.

Plural forms are the catalogue's business: a text whose value is a table of forms (``one``, ``other``) is chosen
by its ``count``. Discord markup (timestamps, mentions, channel links) is not in the texts: the bot fills it in.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ENGLISH = "en"
CHINESE = "zh"
LANGUAGES = (ENGLISH, CHINESE)
LOCALES = Path(__file__).with_name("locales")
FILES = {ENGLISH: "en.toml", CHINESE: "zh-CN.toml"}

Text = str | dict[str, str]


def _load() -> dict[str, dict[str, Text]]:
    by_language = {language: tomllib.loads((LOCALES / name).read_text("utf-8")) for language, name in FILES.items()}
    keys = {key for texts in by_language.values() for key in texts}
    return {key: {language: by_language[language][key] for language in LANGUAGES} for key in sorted(keys)}


# key -> language -> text (or plural forms); read once, at import.
CATALOGUE: dict[str, dict[str, Text]] = _load()


def language(locale: object) -> str:
    """The catalogue language for a Discord locale such as ``zh-CN`` or ``en-US``: Chinese or English."""
    return CHINESE if str(locale).lower().startswith("zh") else ENGLISH


def plural_form(language: str, count: object) -> str:
    """The plural form for ``count`` in ``language``: English has one and other; Chinese has other only."""
    return "one" if language == ENGLISH and count == 1 else "other"


def t(locale: object, key: str, **params: Any) -> str:
    """The text ``key`` in the language of ``locale``, filled in with ``params``."""
    lang = language(locale)
    text = CATALOGUE[key][lang]
    if isinstance(text, dict):
        text = text.get(plural_form(lang, params.get("count"))) or text["other"]
    return text.format(**params)


def shorten(text: str, limit: int) -> str:
    """``text`` cut to at most ``limit`` characters, with an ellipsis where it was cut."""
    if len(text) <= limit:
        return text
    return text[: max(0, limit - 1)].rstrip() + "…"


def elapsed(seconds: float) -> str:
    """Elapsed time as ``m:ss``."""
    whole = max(0, int(seconds))
    return f"{whole // 60}:{whole % 60:02d}"
