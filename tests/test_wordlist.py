"""Word lists: phrases found however they are disguised, and only where they are words."""

from __future__ import annotations

import pytest

from imagegen.safety.wordlist import blocked, normalise


@pytest.mark.parametrize(
    "prompt",
    [
        "an NSFW scene",
        "an nsfw scene",
        "an ＮＳＦＷ scene",  # full width
        "an N\u200bS\u200bF\u200bW scene",  # zero-width spaces
        "an Ｎ\u200bS\u200bＦW scene",  # both, mixed case
        "an n\u0301sfw scene",  # a combining accent
    ],
)
def test_a_latin_phrase_is_found_however_it_is_disguised(prompt: str) -> None:
    assert blocked(prompt, ("nsfw",)) == "nsfw"


def test_a_latin_phrase_matches_whole_words_only() -> None:
    assert blocked("a classic car", ("ass",)) is None
    assert blocked("a gun, drawn", ("gun",)) == "gun"
    assert blocked("red  panda", ("red panda",)) == "red panda"


def test_a_chinese_phrase_matches_inside_a_sentence() -> None:
    assert blocked("画一个血腥的战场场面", ("血腥",)) == "血腥"
    assert blocked("一只可爱的猫", ("血腥",)) is None


def test_normalising_folds_width_and_case_and_drops_what_is_invisible() -> None:
    assert normalise("ＡＢＣ\u200d def") == "abc def"
