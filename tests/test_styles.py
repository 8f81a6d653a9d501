"""The styles: the bundled list, an operator's file and a server's own, found by either name."""

from __future__ import annotations

import tomllib

import pytest

from imagegen.artists import BUNDLED as ARTISTS
from imagegen.errors import InvalidRequest
from imagegen.styles import BUNDLED, MAX_STYLE_PHRASE, StyleBook, check_server_style

BOOK = StyleBook.load(BUNDLED)


def test_the_bundled_list_has_thirty_or_more_styles_in_both_languages_with_the_artist_lists_phrases() -> None:
    assert len(BOOK.styles) >= 30
    assert all(style.name and style.name_zh and style.phrase and style.phrase_zh for style in BOOK.styles)
    with ARTISTS.open("rb") as file:
        artists = tomllib.load(file)["artist"]
    phrases = {style.phrase for style in BOOK.styles}
    assert all(artist["style_en"] in phrases for artist in artists)
    # No style is named after a living artist.
    names = " ".join(style.name.lower() for style in BOOK.styles)
    assert not [artist for artist in artists if artist["names"][0].lower() in names]


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


def test_a_servers_new_style_is_tidied_and_limited() -> None:
    assert check_server_style("  Club   poster ", " bold   lines ") == ("Club poster", "bold lines")
    for name, phrase in (("", "x"), ("x", " "), ("x", "y" * (MAX_STYLE_PHRASE + 1))):
        with pytest.raises(InvalidRequest):
            check_server_style(name, phrase)
