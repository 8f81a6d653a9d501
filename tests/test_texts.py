"""The text catalogue: every text in both languages, with the same blanks to fill."""

from __future__ import annotations

import string

import pytest

from imagegen import texts


def blanks(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(texts.CATALOGUE))
def test_every_text_has_english_and_chinese_with_the_same_blanks(key: str) -> None:
    entry = texts.CATALOGUE[key]
    assert set(entry) == set(texts.LANGUAGES)
    assert entry["en"].strip() and entry["zh"].strip()
    assert blanks(entry["en"]) == blanks(entry["zh"])


def test_chinese_locales_get_chinese_and_every_other_locale_english() -> None:
    assert texts.language("zh-CN") == texts.language("zh-TW") == texts.CHINESE
    assert texts.language("en-US") == texts.language("fr") == texts.ENGLISH


def test_shorten_and_elapsed() -> None:
    assert texts.shorten("abcdef", 4) == "abc…" and texts.shorten("abc", 4) == "abc"
    assert texts.elapsed(0) == "0:00" and texts.elapsed(62.7) == "1:02"
