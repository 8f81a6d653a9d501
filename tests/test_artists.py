"""Finding living artists' names in prompts and proposing a style instead."""

from __future__ import annotations

from pathlib import Path

from imagegen.artists import BUNDLED, ArtistList

ARTISTS = ArtistList.load(BUNDLED)


def test_an_english_name_is_found_and_replaced_by_the_english_style() -> None:
    found = ARTISTS.suggest("a cat in Hayao Miyazaki's style")
    assert found is not None
    assert found.name == "Hayao Miyazaki"
    assert found.prompt == f"a cat in {found.style} style"
    assert "Ghibli" in found.style


def test_a_chinese_prompt_gets_the_chinese_style() -> None:
    found = ARTISTS.suggest("新海诚的天空")
    assert found is not None and found.name == "新海诚"
    assert found.prompt == "明亮的现代日式动漫风格，通透的天空与细腻的光影的天空"


def test_names_match_regardless_of_case_but_only_as_whole_words() -> None:
    assert ARTISTS.suggest("GREG RUTKOWSKI castle") is not None
    assert ARTISTS.suggest("a banksyesque mural") is None
    assert ARTISTS.suggest("Van Gogh starry night") is None


def test_operators_add_artists_in_their_own_file(tmp_path: Path) -> None:
    extra = tmp_path / "more.toml"
    extra.write_text('[[artist]]\nnames = ["Jane Doe", "简·多伊"]\nstyle_en = "soft pastel"\nstyle_zh = "柔和粉彩"\n')
    artists = ArtistList.load(BUNDLED, extra)
    found = artists.suggest("portrait by Jane Doe")
    assert found is not None and found.prompt == "portrait by soft pastel"
    assert artists.suggest("Makoto Shinkai sky") is not None
