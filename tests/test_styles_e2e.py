"""Named styles end to end: offered by autocomplete from the bundled list, STYLES_FILE and the server's own, added
to the prompt, named in the caption, managed with /imagine-admin styles."""

from __future__ import annotations

from pathlib import Path

from bot import ImageBot
from tests.conftest import BotFactory
from tests.fakes.discord import GUILD_ID, FakeDiscord
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.helpers import answer_of, callback_of, private_reply, result_of

ALICE, ADMIN = 500000000000000005, 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00


async def offered(fake: FakeDiscord, typed: str, locale: str = "en-US") -> list[tuple[str, str]]:
    """The styles autocomplete offers for ``typed``: (shown name, value)."""
    sent = await fake.autocomplete("imagine", {"prompt": "x", "style": typed}, focused="style", locale=locale)
    choices = (await callback_of(fake, sent["token"])).payload["data"]["choices"]
    return [(choice["name"], choice["value"]) for choice in choices]


async def styles_admin(fake: FakeDiscord, action: str, **options: object) -> str:
    sent = await fake.slash("imagine-admin", options, subcommand=f"styles {action}", user_id=ADMIN,
                            permissions=MANAGE_SERVER)  # fmt: skip
    return (await answer_of(fake, sent["token"])).content


async def test_autocomplete_offers_the_bundled_styles_in_the_members_language(
    bot: ImageBot, fake_discord: FakeDiscord
) -> None:
    assert len(await offered(fake_discord, "")) == 25
    assert ("Chinese ink wash", "Chinese ink wash") in await offered(fake_discord, "ink")
    # Typed in Chinese, shown in Chinese, sent as the style's own name.
    assert ("水墨", "Chinese ink wash") in await offered(fake_discord, "水墨", locale="zh-CN")
    # The artist list's style phrases are styles too, under names that are not the artists'.
    assert ("Hand-painted anime", "Hand-painted anime") in await offered(fake_discord, "hand-painted")


async def test_autocomplete_finds_a_style_by_the_phrase_a_refusal_proposed(
    bot: ImageBot, fake_discord: FakeDiscord
) -> None:
    # A member told to write 吉卜力风格 instead of an artist's name types that, not the style's name.
    assert (await offered(fake_discord, "吉卜力", locale="zh-CN"))[0] == ("手绘动画", "Hand-painted anime")
    assert (await offered(fake_discord, "ghibli"))[0] == ("Hand-painted anime", "Hand-painted anime")


async def test_a_style_is_added_to_the_prompt_and_named_in_the_caption(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a quiet lake", "style": "watercolor"}, user_id=ALICE)
    result = await result_of(fake_discord, sent["token"])
    assert image_api.prompts == ["a quiet lake, loose watercolor painting with soft washes and visible paper texture"]
    assert "**a quiet lake**" in result.content and "🎨 Style: Watercolor" in result.content


async def test_a_chinese_prompt_gets_the_chinese_phrase_and_a_reroll_keeps_the_style(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png()), b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "湖边小屋", "style": "水墨"}, user_id=ALICE, locale="zh-CN")
    result = await result_of(fake_discord, sent["token"])
    assert image_api.prompts[0] == "湖边小屋, 中国传统水墨画，写意笔法，大量留白"
    assert "风格：水墨" in result.content
    message = fake_discord.original(sent["token"])
    job_id = message["components"][0]["components"][0]["custom_id"].rsplit(":", 1)[1]
    click = await fake_discord.click(message, f"imagine:reroll:{job_id}")
    await result_of(fake_discord, click["token"])
    assert image_api.prompts[1] == image_api.prompts[0]


async def test_an_unknown_style_is_refused_kindly_and_nothing_is_drawn(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.slash("imagine", {"prompt": "a lake", "style": "no such style"}, user_id=ALICE)
    answer = await private_reply(fake_discord, sent["token"])
    assert "no style called “no such style”" in answer.content and not image_api.generation_calls


async def test_styles_file_adds_and_replaces_styles(
    start_bot: BotFactory, fake_discord: FakeDiscord, image_api: FakeImageAPI, tmp_path: Path
) -> None:
    mine = tmp_path / "styles.toml"
    mine.write_text(
        '[[style]]\nname = "Blueprint"\nname_zh = "蓝图"\nphrase = "technical blueprint drawing"\n\n'
        '[[style]]\nname = "Watercolor"\nphrase = "wet-on-wet watercolor"\n',
        encoding="utf-8",
    )
    await start_bot(styles_file=mine)
    assert ("蓝图", "Blueprint") in await offered(fake_discord, "蓝", locale="zh-CN")
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a bridge", "style": "Watercolor"}, user_id=ALICE)
    await result_of(fake_discord, sent["token"])
    assert image_api.prompts == ["a bridge, wet-on-wet watercolor"]


async def test_a_style_whose_name_discord_would_refuse_is_left_out_and_a_long_label_is_shortened(
    start_bot: BotFactory, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    long_name, long_label = "Zz " + "very long name " * 8, "长" * 110
    mine = tmp_path / "styles.toml"
    mine.write_text(
        f'[[style]]\nname = "{long_name}"\nphrase = "x"\n\n'
        f'[[style]]\nname = "Zz short"\nname_zh = "{long_label}"\nphrase = "y"\n',
        encoding="utf-8",
    )
    await start_bot(styles_file=mine)
    # A cut value would name no style at all: such a style can still be typed in full, but is not offered.
    assert await offered(fake_discord, "zz", locale="zh-CN") == [(long_label[:99] + "…", "Zz short")]


async def test_a_servers_own_styles_are_added_listed_offered_first_and_removed(
    start_bot: BotFactory, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first = await start_bot()
    assert "Style Club poster added" in await styles_admin(
        fake_discord, "add", name="Club poster", phrase="our club's <@1> **poster** look"
    )
    listed = await styles_admin(fake_discord, "list")
    # What an admin typed is shown, never rendered: no mention, no bold.
    assert "Club poster" in listed and "<@1>" not in listed and "**poster**" not in listed
    assert (await offered(fake_discord, ""))[0] == ("Club poster", "Club poster")
    await first.close()
    # Kept over a restart, and used as any other style.
    await start_bot()
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a gig", "style": "club poster"}, user_id=ALICE)
    await result_of(fake_discord, sent["token"])
    assert image_api.prompts == ["a gig, our club's <@1> **poster** look"]
    assert "removed (0 left)" in await styles_admin(fake_discord, "remove", name="Club poster")
    assert "no styles of its own" in await styles_admin(fake_discord, "list")
    assert "has no style of its own called" in await styles_admin(fake_discord, "remove", name="Watercolor")


async def test_members_without_manage_server_cannot_add_styles(bot: ImageBot, fake_discord: FakeDiscord) -> None:
    sent = await fake_discord.slash("imagine-admin", {"name": "x", "phrase": "y"}, subcommand="styles add",
                                    user_id=ALICE)  # fmt: skip
    answer = await answer_of(fake_discord, sent["token"])
    assert "Only members with the Manage Server permission" in answer.content
    assert bot.core.server(GUILD_ID).styles == ()
