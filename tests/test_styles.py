"""The styles: the bundled list, an operator's file and a server's own, found by either name."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from imagegen.catalogue.styles import BUNDLED, MAX_STYLE_PHRASE, StyleBook, StylesError, check_server_style
from imagegen.errors import InvalidRequest
from imagegen.safety.artists import BUNDLED as ARTISTS

BOOK = StyleBook.load(BUNDLED)


def test_the_bundled_list_has_thirty_or_more_styles_in_both_languages_with_the_artist_lists_phrases() -> None:
    assert len(BOOK.styles) >= 30
    assert all(style.name and style.name_zh and style.phrase and style.phrase_zh for style in BOOK.styles)
    with ARTISTS.open("rb") as file:
        artists = tomllib.load(file)["artist"]
    phrases = {style.phrase for style in BOOK.styles}
    assert all(artist["style_en"] in phrases for artist in artists)
    # No style is named after a living artist, nor found by one's name.
    names = " ".join(name.casefold() for style in BOOK.styles for name in (style.name, style.name_zh, *style.aliases))
    assert not [name for artist in artists for name in artist["names"] if name.casefold() in names]


def test_a_style_is_found_by_either_name_in_any_case_and_speaks_the_prompts_language() -> None:
    ink = BOOK.find("  chinese INK wash ")
    assert BOOK.find("水墨") == ink and ink.label("zh-CN") == "水墨" and ink.label("en-GB") == "Chinese ink wash"
    assert ink.phrase_for("a lake") == ink.phrase and ink.phrase_for("湖") == ink.phrase_zh
    with pytest.raises(InvalidRequest) as refused:
        BOOK.find("no such style")
    assert refused.value.key == "invalid.style"


def test_a_servers_styles_come_first_and_replace_a_bundled_one_of_the_same_name() -> None:
    own = (("Watercolor", "our watercolor"), ("Club", "club look"))
    assert [style.name for style in BOOK.search("", "en", own)[:2]] == ["Watercolor", "Club"]
    assert BOOK.find("watercolor", own).phrase == "our watercolor"
    assert BOOK.find("watercolor").phrase != "our watercolor"
    assert [style.name for style in BOOK.search("club", "en", own)] == ["Club"]


def test_search_puts_names_that_start_with_the_text_first_and_offers_at_most_25() -> None:
    found = [style.name for style in BOOK.search("pa", "en")]
    assert found[0].lower().startswith("pa") and len(BOOK.search("", "en")) == 25


def test_search_finds_a_style_by_the_words_of_its_phrase_and_its_aliases_in_either_language() -> None:
    # Told to write 吉卜力风格 instead of an artist's name, a member looks for that.
    for typed in ("ghibli", "吉卜力", "Studio Ghibli"):
        assert BOOK.search(typed, "en")[0].name == "Hand-painted anime"
        assert BOOK.search(typed, "zh-CN")[0].name == "Hand-painted anime"
    assert BOOK.find("ghibli").name == "Hand-painted anime" and BOOK.find("吉卜力").name == "Hand-painted anime"
    assert len(BOOK.search("a", "en")) == 25


def test_search_ranks_name_prefixes_then_names_then_aliases_then_phrases(tmp_path: Path) -> None:
    styles = tmp_path / "styles.toml"
    styles.write_text(
        '[[style]]\nname = "Lamp"\nphrase = "soft glow light"\n'
        '[[style]]\nname = "Bright"\nphrase = "bright"\naliases = ["glowing", "glow"]\n'
        '[[style]]\nname = "Neon glow"\nphrase = "neon"\n'
        '[[style]]\nname = "Other"\nphrase = "other"\n'
        '[[style]]\nname = "Soft"\nname_zh = "辉光"\nphrase = "soft"\nphrase_zh = "柔和的Glow"\n'
        '[[style]]\nname = "Glow"\nphrase = "glow"\n',
        encoding="utf-8",
    )
    book = StyleBook.load(styles)
    assert [style.name for style in book.search("glow", "en")] == ["Glow", "Neon glow", "Bright", "Lamp", "Soft"]
    assert [style.name for style in book.search("辉", "zh-CN")] == ["Soft"]
    # Typed in full, a name wins over an alias of another style, whatever their order.
    assert book.find("glowing").name == "Bright" and book.find("GLOW").name == "Glow"


def test_aliases_must_be_a_list_of_words(tmp_path: Path) -> None:
    styles = tmp_path / "styles.toml"
    styles.write_text('[[style]]\nname = "Glow"\nphrase = "glow"\naliases = "shine"\n', encoding="utf-8")
    with pytest.raises(StylesError, match="style 1"):
        StyleBook.load(styles)


def test_a_servers_new_style_is_tidied_and_limited() -> None:
    assert check_server_style("  Club   poster ", " bold   lines ") == ("Club poster", "bold lines")
    for name, phrase in (("", "x"), ("x", " "), ("x", "y" * (MAX_STYLE_PHRASE + 1))):
        with pytest.raises(InvalidRequest):
            check_server_style(name, phrase)
