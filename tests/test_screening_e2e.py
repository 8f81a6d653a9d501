"""Screening prompts before any image is paid for, end to end against the fake moderation endpoint."""

from __future__ import annotations

from typing import Any

import pytest

from bot import ImageBot
from tests.fakes.discord import GUILD_ID, NSFW_CHANNEL_ID, OTHER_CHANNEL_ID, Channel, FakeDiscord, Recorded
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, api_error, b64_images, png, raw_json
from tests.helpers import answer_of

ALICE, ADMIN = 500000000000000005, 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00


async def admin(fake: FakeDiscord, subcommand: str, **options: Any) -> str:
    sent = await fake.slash("imagine-admin", options, subcommand=subcommand, user_id=ADMIN, permissions=MANAGE_SERVER)
    return (await answer_of(fake, sent["token"])).content


async def imagine(fake: FakeDiscord, prompt: str, **kwargs: Any) -> Recorded:
    sent = await fake.slash("imagine", {"prompt": prompt}, user_id=ALICE, **kwargs)
    return await answer_of(fake, sent["token"])


def log_posts(fake: FakeDiscord) -> list[Recorded]:
    return [r for r in fake.requests if r.path == f"/channels/{OTHER_CHANNEL_ID}/messages"]


async def test_a_flagged_prompt_is_blocked_before_any_image_kindly_and_reported(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(screening="block", daily_images_per_user=2, refusals_before_cooloff=2)
    await admin(fake_discord, "log-channel", channel=Channel(OTHER_CHANNEL_ID))
    image_api.flag("violence", "violence/graphic")
    refused = await imagine(fake_discord, "a brutal fight")
    assert refused.flags & 64 and "flagged it as violence." in refused.content and "0.97" not in refused.content
    assert "What usually passes" in refused.content  # the same rephrasing help as refusals
    report = await fake_discord.wait_for(lambda: log_posts(fake_discord))
    assert "blocked by screening (violence)" in report[0].content and "a brutal fight" in report[0].content
    assert image_api.generation_calls == []
    call = image_api.moderation_calls[0]
    assert call.body == {"model": "omni-moderation-latest", "input": [{"type": "text", "text": "a brutal fight"}]}
    assert (await imagine(fake_discord, "a calm lake")).files
    await bot.core.settled()
    assert (await bot.core.member_usage(ALICE, GUILD_ID)).used == 1  # the blocked prompt used none of the allowance
    image_api.flag("hate")
    second = await imagine(fake_discord, "something hateful")
    assert "take a short break" in second.content  # two refusals in the window: cooling off


async def test_in_log_mode_a_flagged_prompt_is_drawn_and_moderators_hear_of_it(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(screening="log")
    await admin(fake_discord, "log-channel", channel=Channel(OTHER_CHANNEL_ID))
    image_api.flag("harassment/threatening")
    assert (await imagine(fake_discord, "a mean caricature")).files
    report = await fake_discord.wait_for(lambda: log_posts(fake_discord))
    assert "flagged by screening (harassment) and drawn" in report[0].content


@pytest.mark.parametrize(
    ("category", "channel", "drawn"),
    [
        ("sexual", NSFW_CHANNEL_ID, True),  # age-restricted: sexual does not count
        ("sexual", None, False),
        ("sexual/minors", NSFW_CHANNEL_ID, False),  # always counts
    ],
)
async def test_age_restricted_channels_allow_sexual_content_but_never_with_minors(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, category: str, channel: int | None, drawn: bool
) -> None:
    await start_bot(screening="block")
    image_api.flag(category)
    where = {"channel_id": channel} if channel else {}
    answer = await imagine(fake_discord, "a figure study", **where)
    assert bool(answer.files) is drawn
    if not drawn:
        assert "sexual content" in answer.content


@pytest.mark.parametrize(("on_error", "drawn"), [("allow", True), ("block", False)])
async def test_when_the_moderation_endpoint_is_down_the_operator_decides(
    start_bot,
    fake_discord: FakeDiscord,
    image_api: FakeImageAPI,
    caplog: pytest.LogCaptureFixture,
    on_error: str,
    drawn: bool,
) -> None:
    await start_bot(screening="block", screening_on_error=on_error)
    image_api.verdicts.append(lambda request: _down())
    answer = await imagine(fake_discord, "a lighthouse")
    assert bool(answer.files) is drawn
    assert "screening failed" in caplog.text
    if not drawn:
        assert "the check is not available right now" in answer.content and image_api.generation_calls == []


async def _down() -> Any:
    return api_error(503, "new_api_error", "do_request_failed", "upstream down")


async def test_a_server_screens_its_own_categories_and_cannot_loosen_the_operator(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(screening="off")
    assert "Saved" in await admin(fake_discord, "screening", mode="block", categories="hate, illicit")
    image_api.flag("violence")
    assert (await imagine(fake_discord, "a duel")).files
    image_api.flag("illicit/violent")
    assert "illicit activity" in (await imagine(fake_discord, "a heist")).content
    assert "Please pick categories among" in await admin(fake_discord, "screening", mode="block", categories="gore")


async def test_an_operator_that_blocks_is_not_loosened_by_a_server_turning_screening_off(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(screening="block")
    await admin(fake_discord, "screening", mode="off")
    image_api.flag("hate")
    assert "flagged it as hate" in (await imagine(fake_discord, "x")).content


async def test_reference_images_are_screened_with_the_prompt(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(screening="block")
    upload = fake_discord.upload("ref.png", png(32, 32))
    sent = await fake_discord.slash("imagine", {"prompt": "like this", "image": upload}, user_id=ALICE)
    await answer_of(fake_discord, sent["token"])
    inputs = image_api.moderation_calls[0].body["input"]
    assert inputs[0] == {"type": "text", "text": "like this"}
    assert inputs[1]["type"] == "image_url" and inputs[1]["image_url"]["url"].startswith("data:image/")


async def test_a_flagged_image_is_withheld_the_others_posted_and_moderators_told(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(screen_results=True)
    await admin(fake_discord, "log-channel", channel=Channel(OTHER_CHANNEL_ID))
    violent, calm = png(8, 8, (200, 0, 0)), png(8, 8, (0, 0, 200))
    image_api.violent_images.add(violent)
    image_api.then(b64_images(violent, calm))
    sent = await fake_discord.slash("imagine", {"prompt": "two knights", "n": 2}, user_id=ALICE)
    result = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    assert [blob for _, blob in result[0].files.values()] == [calm]
    private = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.flags & 64 and "withheld" in r.content]
    )
    assert "One of your images was withheld by this server's screening (violence)" in private[0].content
    report = await fake_discord.wait_for(lambda: [r for r in log_posts(fake_discord) if "withheld" in r.content])
    assert "An image for <@" in report[0].content and violent not in [b for _, b in report[0].files.values()]
    await bot.core.settled()
    job = await bot.core.job(1)
    assert job is not None and (job.images_made, job.images_withheld, job.images_delivered) == (2, 1, 2)
    sent = await fake_discord.slash("usage", {}, user_id=ADMIN, permissions=MANAGE_SERVER)
    assert "Withheld by screening: 1 today" in (await answer_of(fake_discord, sent["token"])).content


async def test_a_result_withheld_whole_shows_nothing_and_age_restricted_channels_are_not_screened(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot()
    assert "Saved" in await admin(fake_discord, "screening", results="on")
    violent = png(8, 8, (200, 0, 0))
    image_api.violent_images.add(violent)
    image_api.then(b64_images(violent))
    sent = await fake_discord.slash("imagine", {"prompt": "a knight"}, user_id=ALICE)
    await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.flags & 64 and "withheld" in r.content]
    )
    assert "withheld the result" in fake_discord.original(sent["token"])["content"]
    assert not [r for r in fake_discord.for_token(sent["token"]) if r.files]
    calls = len(image_api.moderation_calls)
    image_api.then(b64_images(violent))
    answer = await imagine(fake_discord, "a knight", channel_id=NSFW_CHANNEL_ID)
    assert answer.files and len(image_api.moderation_calls) == calls


async def test_a_refusal_naming_a_character_says_which_and_offers_a_rewrite_to_run(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(raw_json(MODERATION_BODY, 400))
    answer = await imagine(fake_discord, "Pikachu at the beach")
    assert "**Pikachu**, a copyrighted character" in answer.content
    assert "a small yellow electric mouse creature with red cheeks at the beach" in answer.content
    view = (answer.message or {}).get("components") or []
    assert any("imagine:try:" in c["custom_id"] for row in view for c in row["components"])


async def test_moderators_see_a_withheld_image_behind_a_spoiler_if_asked_and_settings_survive_a_restart(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first: ImageBot = await start_bot()
    await admin(fake_discord, "log-channel", channel=Channel(OTHER_CHANNEL_ID))
    await admin(fake_discord, "screening", mode="log", categories="violence", results="on", log_images="on")
    await first.close()
    await start_bot()
    shown = await admin(fake_discord, "show")
    assert "Screening: log" in shown
    violent = png(8, 8, (200, 0, 0))
    image_api.violent_images.add(violent)
    image_api.then(b64_images(violent))
    await fake_discord.slash("imagine", {"prompt": "a knight"}, user_id=ALICE)
    report = await fake_discord.wait_for(lambda: [r for r in log_posts(fake_discord) if "withheld" in r.content])
    assert [(name, blob) for name, blob in report[0].files.values()] == [("SPOILER_withheld_1.png", violent)]
