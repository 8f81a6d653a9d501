"""Finding living artists' names in prompts and proposing a style instead."""

from __future__ import annotations

from pathlib import Path

from imagegen.safety.artists import BUNDLED, ArtistList

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


def test_characters_brands_and_celebrities_are_listed_thirty_of_each_at_least() -> None:
    kinds = [artist.kind for artist in ARTISTS.artists]
    assert all(kinds.count(kind) >= 30 for kind in ("character", "brand", "celebrity"))


def test_a_character_brand_or_celebrity_gets_a_generic_description_in_the_prompts_language() -> None:
    pikachu = ARTISTS.suggest("Pikachu surfing a wave")
    assert pikachu is not None and pikachu.kind == "character"
    assert pikachu.prompt == "a small yellow electric mouse creature with red cheeks surfing a wave"
    spider = ARTISTS.suggest("画一个蜘蛛侠在城市里")
    assert spider is not None and spider.prompt == "画一个身穿红蓝紧身衣、戴面罩的灵巧超级英雄在城市里"
    brand = ARTISTS.suggest("a can of Coca-Cola on a beach")
    assert brand is not None and brand.kind == "brand" and "Coca-Cola" not in brand.prompt
    person = ARTISTS.suggest("Taylor Swift singing")
    assert person is not None and person.kind == "celebrity"


def test_operators_add_their_own_characters(tmp_path: Path) -> None:
    extra = tmp_path / "more.toml"
    extra.write_text('[[character]]\nnames = ["Blorbo"]\ninstead_en = "a round blob"\ninstead_zh = "圆团子"\n')
    found = ArtistList.load(BUNDLED, extra).suggest("Blorbo at dawn")
    assert found is not None and (found.kind, found.prompt) == ("character", "a round blob at dawn")
