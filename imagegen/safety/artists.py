"""The curated names that get prompts refused (living artists, copyrighted characters, brands, celebrities) and
what to write instead: a style phrase, or a generic description."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

BUNDLED = Path(__file__).parent.parent / "data" / "artists.toml"
# The kinds of names, as the TOML tables that list them; living artists come with a style, the others with a
# generic description.
KINDS = ("artist", "character", "brand", "celebrity")
CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")


@dataclass(frozen=True)
class Artist:
    """One name to avoid, of one kind: the spellings people type and what to write instead, in English and
    Chinese."""

    names: tuple[str, ...]
    style_en: str
    style_zh: str
    kind: str = "artist"


@dataclass(frozen=True)
class Suggestion:
    """A name found in a prompt, what kind it is, the phrase to use instead, and the prompt rewritten with it."""

    name: str
    style: str
    prompt: str
    kind: str = "artist"


def _pattern(name: str) -> re.Pattern[str]:
    escaped = re.escape(name)
    if CJK.search(name):
        return re.compile(escaped)
    # Latin names must stand as words: "Loish" should not match inside another word.
    return re.compile(rf"(?<![\w]){escaped}(?![\w])", re.IGNORECASE)


class ArtistList:
    """Finds artists' names in prompts."""

    def __init__(self, artists: list[Artist]) -> None:
        self.artists = artists
        # Longest names first, so "Hayao Miyazaki" wins over "Miyazaki".
        pairs = [(name, artist) for artist in artists for name in artist.names]
        pairs.sort(key=lambda pair: len(pair[0]), reverse=True)
        self._patterns = [(_pattern(name), artist) for name, artist in pairs]

    @classmethod
    def load(cls, *paths: Path) -> ArtistList:
        """Read the artists from TOML files; later files add to earlier ones."""
        artists: list[Artist] = []
        for path in paths:
            with path.open("rb") as file:
                data = tomllib.load(file)
            for entry in data.get("artist", []):
                artists.append(Artist(tuple(entry["names"]), entry["style_en"], entry["style_zh"]))
            for kind in KINDS[1:]:
                for entry in data.get(kind, []):
                    artists.append(Artist(tuple(entry["names"]), entry["instead_en"], entry["instead_zh"], kind))
        return cls(artists)

    def suggest(self, prompt: str) -> Suggestion | None:
        """The first listed artist the prompt names, with every mention replaced by the style phrase."""
        for pattern, artist in self._patterns:
            match = pattern.search(prompt)
            if match is None:
                continue
            style = artist.style_zh if CJK.search(prompt) else artist.style_en
            rewritten = prompt
            for name in sorted(artist.names, key=len, reverse=True):
                rewritten = _pattern(name).sub(style, rewritten)
            return Suggestion(name=match.group(0), style=style, prompt=_tidy(rewritten, style), kind=artist.kind)
        return None


def _tidy(prompt: str, style: str) -> str:
    # "in Hayao Miyazaki's style" becomes "in <style>'s style"; drop the possessive left behind.
    return re.sub(rf"({re.escape(style)})['’]s\b", r"\1", prompt)
