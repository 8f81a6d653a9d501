"""Named styles for /imagine's style option: the bundled ones (``data/styles.toml``), an operator's ``STYLES_FILE``
and each server's own, each a name (English and Chinese), the phrase it adds to the prompt and, for some, other
words members look for it by."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import InvalidRequest
from ..safety.artists import CJK

BUNDLED = Path(__file__).parent.parent / "data" / "styles.toml"
# A server's own styles: how many, and how long their names and phrases may be.
MAX_SERVER_STYLES = 50
MAX_STYLE_NAME = 50
MAX_STYLE_PHRASE = 300
# Discord offers at most 25 choices in an autocomplete.
OFFERED = 25
# A server's style as it is stored: its name and its phrase.
ServerStyle = tuple[str, str]


class StylesError(Exception):
    """A styles file that cannot be used; the message says where and why."""


@dataclass(frozen=True)
class Style:
    """A style: its names, the phrase added to prompts (``phrase_zh`` for Chinese ones), other words it is known by
    (``aliases``), and whose it is."""

    name: str
    phrase: str
    name_zh: str = ""
    phrase_zh: str = ""
    server: bool = False
    aliases: tuple[str, ...] = ()

    def label(self, locale: object) -> str:
        """The name to show in ``locale``."""
        return self.name_zh if self.name_zh and str(locale).startswith("zh") else self.name

    def phrase_for(self, prompt: str) -> str:
        """The phrase to add to ``prompt``: in Chinese when the prompt is written in it and the style has one."""
        return self.phrase_zh if self.phrase_zh and CJK.search(prompt) else self.phrase

    def called(self, text: str, aliases: bool = False) -> bool:
        """Whether ``text`` is one of this style's names (or, with ``aliases``, of its aliases), in any case, spaces
        trimmed."""
        wanted = text.strip().casefold()
        names = self.aliases if aliases else (self.name, self.name_zh)
        return wanted in (name.casefold() for name in names)

    def rank(self, needle: str) -> int | None:
        """How well this style answers ``needle`` (casefolded), best first: 0 a name starts with it, 1 a name holds
        it, 2 an alias does, 3 a phrase does (a member told to write 吉卜力风格 looks for that, not for the
        style's name); None when nothing does."""
        names = (self.name.casefold(), self.name_zh.casefold())
        if any(name.startswith(needle) for name in names):
            return 0
        if any(needle in name for name in names):
            return 1
        if any(needle in alias.casefold() for alias in self.aliases):
            return 2
        if needle in self.phrase.casefold() or needle in self.phrase_zh.casefold():
            return 3
        return None


class StyleBook:
    """The bundled and operator's styles; a server's own are passed in where they count."""

    def __init__(self, styles: list[Style]) -> None:
        self.styles = styles

    @classmethod
    def load(cls, *paths: Path) -> StyleBook:
        """The styles of each file in order; a later file's style replaces an earlier one of the same name."""
        found: dict[str, Style] = {}
        for path in paths:
            try:
                with path.open("rb") as file:
                    data = tomllib.load(file)
            except (OSError, tomllib.TOMLDecodeError) as error:
                raise StylesError(f"{path}: {error}") from error
            for index, entry in enumerate(data.get("style", []), start=1):
                style = _style(entry)
                if style is None:
                    raise StylesError(
                        f"{path}: style {index} needs a name and a phrase (name_zh, phrase_zh optional, aliases a list "
                        "of words)"
                    )
                found[style.name.casefold()] = style
        return cls(list(found.values()))

    def every(self, server: Iterable[ServerStyle] = ()) -> list[Style]:
        """The styles that can be chosen in a server: its own first, then the others it has not replaced."""
        own = [Style(name, phrase, server=True) for name, phrase in server]
        taken = {style.name.casefold() for style in own}
        return own + [style for style in self.styles if style.name.casefold() not in taken]

    def find(self, text: str, server: Iterable[ServerStyle] = ()) -> Style:
        """The style named ``text`` (in either language, or by an alias); raises InvalidRequest naming it when there
        is none."""
        every = self.every(server)
        # A name wins over another style's alias, whatever their order.
        found = next((style for style in every if style.called(text)), None) or next(
            (style for style in every if style.called(text, aliases=True)), None
        )
        if found is None:
            raise InvalidRequest("invalid.style", style=text.strip()[:MAX_STYLE_NAME])
        return found

    def search(self, text: str, locale: object, server: Iterable[ServerStyle] = ()) -> list[Style]:
        """Styles to offer for what a member typed, best matches first (see ``Style.rank``); in their order among
        equals, so a server's own come first."""
        needle = text.strip().casefold()
        every = self.every(server)
        if not needle:
            return every[:OFFERED]
        ranked = [(rank, index, style) for index, style in enumerate(every) if (rank := style.rank(needle)) is not None]
        return [style for _, _, style in sorted(ranked, key=lambda found: found[:2])][:OFFERED]


def check_server_style(name: str, phrase: str) -> ServerStyle:
    """A server's new style, tidied; raises InvalidRequest when its name or phrase will not do."""
    name, phrase = " ".join(name.split()), " ".join(phrase.split())
    if not name or not phrase:
        raise InvalidRequest("admin.styles.need_phrase")
    if len(name) > MAX_STYLE_NAME or len(phrase) > MAX_STYLE_PHRASE:
        raise InvalidRequest("admin.styles.too_long", name_limit=MAX_STYLE_NAME, phrase_limit=MAX_STYLE_PHRASE)
    return name, phrase


def _style(entry: object) -> Style | None:
    if not isinstance(entry, dict):
        return None
    values = {key: entry.get(key, "") for key in ("name", "phrase", "name_zh", "phrase_zh")}
    if not all(isinstance(value, str) for value in values.values()) or not values["name"] or not values["phrase"]:
        return None
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(alias, str) and alias.strip() for alias in aliases):
        return None
    return Style(**values, aliases=tuple(alias.strip() for alias in aliases))
