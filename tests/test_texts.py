"""The text catalogue: every text in both languages, with the same blanks to fill, and no Discord markup."""

from __future__ import annotations

import string

import pytest

from imagegen import texts


def blanks(text: texts.Text) -> set[str]:
    forms = text.values() if isinstance(text, dict) else [text]
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


@pytest.mark.parametrize("key", sorted(texts.CATALOGUE))
def test_every_text_has_english_and_chinese_with_the_same_blanks(key: str) -> None:
    entry = texts.CATALOGUE[key]
    assert set(entry) == set(texts.LANGUAGES)
    assert all(str(entry[language]).strip() for language in texts.LANGUAGES)
    assert blanks(entry["en"]) == blanks(entry["zh"])
    assert "<t:" not in str(entry["en"]) + str(entry["zh"]) and "<@" not in str(entry["en"])


def test_plural_forms_are_chosen_by_the_count() -> None:
    assert texts.t("en-US", "count", count=1) == "1 image"
    assert texts.t("en-US", "count", count=3) == "3 images"
    assert texts.t("zh-CN", "count", count=1) == "1 张图片"


def test_chinese_locales_get_chinese_and_every_other_locale_english() -> None:
    assert texts.language("zh-CN") == texts.language("zh-TW") == texts.CHINESE
    assert texts.language("en-US") == texts.language("fr") == texts.ENGLISH


def test_shorten_and_elapsed() -> None:
    assert texts.shorten("abcdef", 4) == "abc…" and texts.shorten("abc", 4) == "abc"
    assert texts.elapsed(0) == "0:00" and texts.elapsed(62.7) == "1:02"
