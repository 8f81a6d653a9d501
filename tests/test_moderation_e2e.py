"""Moderation end to end: server word lists and members barred from the bot."""

from __future__ import annotations

from typing import Any

import pytest

from bot import ImageBot
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, MANAGE_MESSAGES, OTHER_CHANNEL_ID, Channel, FakeDiscord, User
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.helpers import answer_of, custom_ids

ALICE, BOB, ADMIN = 500000000000000005, 500000000000000006, 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00


async def admin(fake: FakeDiscord, subcommand: str, **options: Any) -> str:
    sent = await fake.slash("imagine-admin", options, subcommand=subcommand, user_id=ADMIN, permissions=MANAGE_SERVER)
    return (await answer_of(fake, sent["token"])).content


async def imagine(fake: FakeDiscord, prompt: str, user_id: int = ALICE) -> str:
    sent = await fake.slash("imagine", {"prompt": prompt}, user_id=user_id)
    answer = await answer_of(fake, sent["token"])
    return "drawn" if answer.files else answer.content


@pytest.mark.parametrize(
    "prompt",
    [
        "an NSFW poster",
        "an Ｎ\u200bS\u200bＦ\u200bW poster",  # full width and zero-width spaces
        "an nSfW poster",
        "画一个血腥的战场",  # Chinese inside a sentence
    ],
)
async def test_a_blocked_phrase_is_refused_before_any_call_however_it_is_written(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, prompt: str
) -> None:
    assert "Blocked: nsfw" in await admin(fake_discord, "blocked-words", action="add", phrase="nsfw")
    assert "(2 in all)" in await admin(fake_discord, "blocked-words", action="add", phrase="血腥")
    assert "does not allow one of the words" in await imagine(fake_discord, prompt)
    assert image_api.generation_calls == []
    assert await imagine(fake_discord, "a poster of unsafe-for-work-free fun") == "drawn"


async def test_the_list_is_shown_changed_bounded_and_kept_over_a_restart(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first: ImageBot = await start_bot()
    await admin(fake_discord, "blocked-words", action="add", phrase="gore")
    await admin(fake_discord, "blocked-words", action="add", phrase="[free](https://x.example)")
    listed = await admin(fake_discord, "blocked-words", action="list")
    assert "(2): gore, \\[free\\]" in listed and "https://" not in listed
    assert "not on this server's list" in await admin(fake_discord, "blocked-words", action="remove", phrase="nope")
    assert "(1 left)" in await admin(fake_discord, "blocked-words", action="remove", phrase="[free](https://x.example)")
    await first.close()
    second: ImageBot = await start_bot()
    assert second.core.server(GUILD_ID).blocked_words == ("gore",)
    await second.core.change_server(GUILD_ID, ADMIN, blocked_words=tuple(f"w{i}" for i in range(500)))
    assert "at most 500" in await admin(fake_discord, "blocked-words", action="add", phrase="one more")


async def test_a_barred_member_is_told_privately_and_everyone_else_draws(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a kite"}, user_id=BOB)
    await answer_of(fake_discord, sent["token"])
    result = fake_discord.original(sent["token"])
    assert "can no longer use the bot here" in await admin(fake_discord, "bar", user=User(ALICE))
    sent = await fake_discord.slash("imagine", {"prompt": "a boat"}, user_id=ALICE)
    refused = await answer_of(fake_discord, sent["token"])
    assert refused.flags & 64 and "cannot use the bot in this server" in refused.content
    reroll = next(custom_id for custom_id in custom_ids(result) if "reroll" in custom_id)
    click = await fake_discord.click(result, reroll, user_id=ALICE)
    assert "cannot use the bot" in (await answer_of(fake_discord, click["token"])).content
    assert len(image_api.generation_calls) == 1
    assert await imagine(fake_discord, "a boat", user_id=BOB) == "drawn"
    assert "can use the bot here again" in await admin(fake_discord, "unbar", user=User(ALICE))
    assert await imagine(fake_discord, "a boat") == "drawn"
    assert "Barred members: none" in await admin(fake_discord, "show")


async def test_a_member_reports_a_result_once_and_a_moderator_removes_it_from_the_log_channel(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await admin(fake_discord, "log-channel", channel=Channel(OTHER_CHANNEL_ID))
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a **loud** poster"}, user_id=BOB)
    await answer_of(fake_discord, sent["token"])
    result = fake_discord.original(sent["token"])
    report = next(custom_id for custom_id in custom_ids(result) if "report" in custom_id)
    click = await fake_discord.click(result, report, user_id=ALICE)
    thanks = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(click["token"]) if r.flags & 64 and r.content]
    )
    assert "moderators have been told" in thanks[0].content
    posts = [r for r in fake_discord.requests if r.path == f"/channels/{OTHER_CHANNEL_ID}/messages"]
    assert len(posts) == 1 and f"<@{ALICE}> reported a result drawn for <@{BOB}>" in posts[0].content
    assert f"/channels/{GUILD_ID}/{CHANNEL_ID}/{result['id']}" in posts[0].content and "\\*\\*loud" in posts[0].content
    again = await fake_discord.click(result, report, user_id=ALICE)
    assert "already reported" in (await answer_of(fake_discord, again["token"])).content
    note_message = next(m for m in fake_discord.messages.values() if "reported a result" in m["content"])
    remove = custom_ids(note_message)[0]
    denied = await fake_discord.click(note_message, remove, user_id=ALICE, channel_id=OTHER_CHANNEL_ID)
    assert "Only the person who asked" in (await answer_of(fake_discord, denied["token"])).content
    removed = await fake_discord.click(
        note_message, remove, user_id=ADMIN, channel_id=OTHER_CHANNEL_ID, permissions=MANAGE_MESSAGES
    )
    done = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(removed["token"]) if r.flags & 64 and r.content]
    )
    assert "removed" in done[0].content and result["id"] not in fake_discord.messages
    assert [r for r in fake_discord.requests if r.method == "DELETE" and r.path.endswith(f"/{result['id']}")]
