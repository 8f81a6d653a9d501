"""Server word lists: phrases refused before any call, matched however a member disguises them."""

from __future__ import annotations

import re
import unicodedata

# Characters that show nothing but split a word: zero-width spaces and joiners, the word joiner, the BOM.
INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))
MAX_PHRASES = 500
MAX_PHRASE_LENGTH = 100


def normalise(text: str) -> str:
    """``text`` as it is compared: compatibility forms folded (full width to half width), case folded, invisible
    and combining characters removed, spaces collapsed."""
    decomposed = unicodedata.normalize("NFKD", text.translate(INVISIBLE))
    bare = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(unicodedata.normalize("NFKC", bare).casefold().split())


def _is_cjk(char: str) -> bool:
    return unicodedata.name(char, "").startswith(("CJK", "HIRAGANA", "KATAKANA", "HANGUL"))


def blocked(prompt: str, phrases: tuple[str, ...]) -> str | None:
    """The first of ``phrases`` that ``prompt`` contains, or None. Chinese (and other CJK) phrases match inside
    words, since those languages do not space words; Latin ones match whole words only."""
    text = normalise(prompt)
    for phrase in phrases:
        wanted = normalise(phrase)
        if not wanted:
            continue
        if any(_is_cjk(char) for char in wanted):
            if wanted in text:
                return phrase
        elif re.search(rf"(?<!\w){re.escape(wanted)}(?!\w)", text):
            return phrase
    return None
