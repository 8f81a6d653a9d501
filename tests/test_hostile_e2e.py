"""What a hostile member tries, end to end: markup in prompts, buttons from elsewhere, options of the wrong type."""

from __future__ import annotations

from typing import Any

import pytest

from bot import ImageBot
from tests.fakes.discord import CHANNEL_ID, OTHER_CHANNEL_ID, Channel, FakeDiscord
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, b64_images, png, raw_json
from tests.helpers import answer_of, custom_ids

ALICE, MALLORY, ADMIN = 500000000000000005, 500000000000000066, 500000000000000009
OTHER_GUILD = 200000000000000077
MANAGE_SERVER = 0x20 | 0xC00
PHISHING = "[free nitro](https://nitro.example/claim) @everyone <t:1800000000:R> ||x|| discord.gg/abc **big**"


async def a_result(fake: FakeDiscord, api: FakeImageAPI) -> tuple[dict[str, Any], int]:
    api.then(b64_images(png()))
    sent = await fake.slash("imagine", {"prompt": "a quiet harbour"}, user_id=ALICE)
    await answer_of(fake, sent["token"])
    message = fake.original(sent["token"])
    return message, int(custom_ids(message)[0].rsplit(":", 1)[1])


def assert_inert(text: str) -> None:
    assert "https://" not in text and "discord.gg/" not in text
    assert "\\[free nitro\\]" in text and "\\<t:" in text and "\\|\\|x\\|\\|" in text and "\\@everyone" in text


async def test_a_prompt_full_of_markup_is_posted_as_plain_text(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": PHISHING}, user_id=ALICE)
    result = await answer_of(fake_discord, sent["token"])
    assert_inert(result.content)
    assert image_api.prompts == [PHISHING]


async def test_the_log_channel_shows_a_refused_prompt_as_plain_text(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    options = {"channel": Channel(OTHER_CHANNEL_ID)}
    sent = await fake_discord.slash("imagine-admin", options, subcommand="log-channel", user_id=ADMIN,
                                    permissions=MANAGE_SERVER)  # fmt: skip
    await answer_of(fake_discord, sent["token"])
    image_api.then(raw_json(MODERATION_BODY, 400))
    await fake_discord.slash("imagine", {"prompt": PHISHING}, user_id=ALICE)
    report = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{OTHER_CHANNEL_ID}/messages"]
    )
    assert_inert(report[0].content)


async def test_a_model_name_with_a_link_is_not_a_link_in_the_status_message(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    gate = image_api.hold("harbour")
    sent = await fake_discord.slash("imagine", {"prompt": "harbour", "model": "https://evil.example/x"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: image_api.prompts)
    status = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.method == "PATCH" and "Drawing" in r.content]
    )
    assert "evil" in status[0].content and "https://" not in status[0].content
    gate["harbour"].set()


@pytest.mark.parametrize(
    ("where", "button"),
    [
        ({"guild_id": OTHER_GUILD}, "imagine:reroll:{job}"),
        ({"guild_id": OTHER_GUILD}, "imagine:remix:{job}"),
        ({"guild_id": OTHER_GUILD}, "imagine:delete:{job}"),
        ({"channel_id": OTHER_CHANNEL_ID}, "imagine:reroll:{job}"),
        ({"guild_id": OTHER_GUILD}, "imagine:tool:{job}:zoom-2"),
        ({"channel_id": OTHER_CHANNEL_ID}, "imagine:tool:{job}:upscale"),
    ],
)
async def test_a_button_from_another_server_or_channel_does_nothing_there(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, where: dict[str, int], button: str
) -> None:
    message, job_id = await a_result(fake_discord, image_api)
    click = await fake_discord.click(message, button.format(job=job_id), user_id=MALLORY, **where)
    answer = await answer_of(fake_discord, click["token"])
    assert answer.flags & 64 and "belongs to a request made somewhere else" in answer.content
    assert len(image_api.generation_calls) == 1 and not image_api.edit_calls
    assert not [r for r in fake_discord.for_token(click["token"]) if r.method == "DELETE"]
    # The image of the result is not even read.
    assert not [r for r in fake_discord.requests if "/attachments/" in r.path]


async def test_a_describe_button_from_another_channel_draws_nothing(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    photo = fake_discord.upload("photo.png", png(30, 30))
    sent = await fake_discord.slash("describe", {"image": photo}, user_id=ALICE)
    await fake_discord.wait_for(lambda: custom_ids(fake_discord.original(sent["token"])))
    message = fake_discord.original(sent["token"])
    click = await fake_discord.click(message, custom_ids(message)[0], user_id=MALLORY, channel_id=OTHER_CHANNEL_ID)
    answer = await answer_of(fake_discord, click["token"])
    assert answer.flags & 64 and "somewhere else" in answer.content and not image_api.generation_calls


async def test_a_remix_form_sent_from_another_server_does_nothing_there(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    _, job_id = await a_result(fake_discord, image_api)
    submit = await fake_discord.submit_modal(
        f"imagine:remix-modal:{job_id}", {"prompt": "stolen"}, user_id=MALLORY, guild_id=OTHER_GUILD
    )
    assert "somewhere else" in (await answer_of(fake_discord, submit["token"])).content
    assert len(image_api.generation_calls) == 1


async def test_an_edit_form_naming_a_message_of_another_channel_reads_nothing(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, _ = await a_result(fake_discord, image_api)
    custom_id = f"imagine:edit-modal:{CHANNEL_ID}:{message['id']}:0"
    submit = await fake_discord.submit_modal(
        custom_id, {"prompt": "x"}, user_id=MALLORY, guild_id=OTHER_GUILD, channel_id=OTHER_CHANNEL_ID
    )
    assert "somewhere else" in (await answer_of(fake_discord, submit["token"])).content
    assert not [r for r in fake_discord.requests if r.method == "GET" and r.path.endswith(f"/{message['id']}")]
    assert image_api.edit_calls == []


@pytest.mark.parametrize(
    ("command", "subcommand", "options", "expected"),
    [
        ("imagine", None, {"prompt": "a cat", "n": "four"}, "**n** takes a whole number from 1 to 4"),
        ("imagine", None, {"prompt": "a cat", "n": 99}, "**n** takes a whole number from 1 to 4"),
        ("imagine", None, {"prompt": 42}, "**prompt** takes text"),
        ("imagine-admin", "budget", {"daily_budget_per_server": "lots"}, "budget\\_per\\_server** takes a number"),
        ("imagine-admin", "log-channel", {"channel": "general"}, "**channel** takes one of the things"),
        ("imagine", None, {"prompt": "a cat", "quality": "ultra"}, "**quality** takes one of: auto, low, medium"),
        ("imagine-admin", "channels", {"action": "everything"}, "**action** takes one of: add, remove, everywhere"),
    ],
)
async def test_an_option_of_the_wrong_type_is_bad_input_not_a_crash(
    bot: ImageBot,
    fake_discord: FakeDiscord,
    image_api: FakeImageAPI,
    caplog: pytest.LogCaptureFixture,
    command: str,
    subcommand: str | None,
    options: dict[str, Any],
    expected: str,
) -> None:
    sent = await fake_discord.slash(command, options, subcommand=subcommand, user_id=ADMIN, permissions=MANAGE_SERVER)
    answer = await answer_of(fake_discord, sent["token"])
    assert answer.flags & 64 and expected in answer.content
    assert "Traceback" not in caplog.text and "TypeError" not in caplog.text and "went wrong" not in answer.content
    assert image_api.generation_calls == []


async def test_a_command_error_after_the_token_died_is_said_in_the_channel_to_the_requester(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    fake_discord.fail("POST", "/callback", 404, code=10062)  # Unknown interaction: the token is gone
    await fake_discord.slash("imagine", {"prompt": "a cat", "n": "four"}, user_id=ALICE)
    posts = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages" and r.content]
    )
    assert posts[0].content.startswith(f"<@{ALICE}> ") and "takes a whole number" in posts[0].content
    assert posts[0].payload["allowed_mentions"]["users"] == [ALICE]


@pytest.mark.parametrize("route", ["button", "form"])
async def test_a_button_or_form_that_fails_is_answered_kindly_and_logged_once(
    bot: ImageBot,
    fake_discord: FakeDiscord,
    image_api: FakeImageAPI,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
    route: str,
) -> None:
    message, job_id = await a_result(fake_discord, image_api)

    async def broken(job_id: int) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bot.core, "job", broken)
    if route == "button":
        sent = await fake_discord.click(message, f"imagine:reroll:{job_id}", user_id=ALICE)
    else:
        sent = await fake_discord.submit_modal(f"imagine:remix-modal:{job_id}", {"prompt": "again"}, user_id=ALICE)
    answer = await answer_of(fake_discord, sent["token"])
    assert answer.flags & 64 and "Something went wrong on the bot's side" in answer.content
    assert "Ignoring exception" not in caplog.text and "the database went away" in caplog.text
