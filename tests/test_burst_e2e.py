"""Limits under pressure, end to end: bursts of requests at the same instant, and the operator's ceiling."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot import ImageBot
from tests.fakes.discord import GUILD_ID, FakeDiscord, Recorded
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.helpers import answer_of

ALICE, BOB = 500000000000000005, 500000000000000006
ADMIN = 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00
# Many users, so that only the limit under test can turn requests away.
MEMBERS = [500000000000000100 + number for number in range(8)]
BURST = {"max_queued_per_user": 10, "max_concurrent_jobs": 10}


async def at_once(fake: FakeDiscord, requests: list[dict[str, Any]]) -> list[Recorded]:
    """Send these /imagine requests together, without waiting for any answer in between; return their answers."""
    sent = await asyncio.gather(*(fake.slash("imagine", {"prompt": "burst"}, **kwargs) for kwargs in requests))
    return list(await asyncio.gather(*(answer_of(fake, payload["token"]) for payload in sent)))


async def imagine(fake: FakeDiscord, user_id: int, **options: object) -> Recorded:
    """One /imagine, and its answer."""
    sent = await fake.slash("imagine", options, user_id=user_id)
    return await answer_of(fake, sent["token"])


async def admin(fake: FakeDiscord, subcommand: str, **options: object) -> str:
    sent = await fake.slash("imagine-admin", options, subcommand=subcommand, user_id=ADMIN, permissions=MANAGE_SERVER)
    return (await answer_of(fake, sent["token"])).content


@pytest.mark.parametrize(
    ("limit", "one_member", "drawn", "refusal"),
    [
        ({"daily_images_per_user": 3}, True, 3, "all 3 of your images for today"),
        ({"daily_images_per_server": 3}, False, 3, "This server has used its 3 images"),
        ({"daily_budget_per_server": 0.6}, False, 2, "spent today's image budget"),  # ~$0.25 an image at auto
        ({"cooldown_seconds": 600}, True, 1, "A short pause"),
    ],
)
async def test_eight_requests_at_once_draw_no_more_than_a_limit_allows(
    start_bot,
    fake_discord: FakeDiscord,
    image_api: FakeImageAPI,
    limit: dict[str, float],
    one_member: bool,
    drawn: int,
    refusal: str,
) -> None:
    bot: ImageBot = await start_bot(**limit, **BURST)
    answers = await at_once(fake_discord, [{"user_id": ALICE if one_member else member} for member in MEMBERS])
    await bot.core.settled()
    assert len(image_api.generation_calls) == drawn
    assert sum(1 for answer in answers if answer.files) == drawn
    assert sum(1 for answer in answers if refusal in answer.content) == 8 - drawn


async def test_eight_reroll_clicks_at_once_draw_no_more_than_the_daily_limit(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(daily_images_per_user=3, **BURST)
    sent = await fake_discord.slash("imagine", {"prompt": "a kite"}, user_id=BOB)
    await answer_of(fake_discord, sent["token"])
    message = fake_discord.original(sent["token"])
    ids = [component["custom_id"] for row in message["components"] for component in row["components"]]
    reroll = next(custom_id for custom_id in ids if "reroll" in custom_id)
    clicks = await asyncio.gather(*(fake_discord.click(message, reroll, user_id=ALICE) for _ in range(8)))
    answers = [await answer_of(fake_discord, click["token"]) for click in clicks]
    await bot.core.settled()
    assert len(image_api.generation_calls) == 1 + 3
    assert sum(1 for answer in answers if answer.files) == 3


async def test_a_request_refused_after_its_acknowledgement_gives_its_allowance_back(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(daily_images_per_user=1)
    upload = fake_discord.upload("fake.png", b"not an image at all")
    assert "not an image I can read" in (await imagine(fake_discord, ALICE, prompt="from this", image=upload)).content
    image_api.then(b64_images(png()))
    assert (await imagine(fake_discord, ALICE, prompt="plain")).files


async def test_a_server_cannot_loosen_the_operators_limits_and_its_zero_keeps_them(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(daily_images_per_user=1, daily_budget_per_server=2.0)
    refused = await admin(fake_discord, "limits", daily_images_per_user=5)
    assert "at most 1 images per member per day" in refused and "not 5" in refused
    assert "at most $2 a day" in await admin(fake_discord, "budget", daily_budget_per_server=5)
    assert bot.core.server(GUILD_ID).own_limits.daily_images_per_user == 0
    assert "Saved" in await admin(fake_discord, "limits", daily_images_per_user=0)
    shown = await admin(fake_discord, "show")
    assert "Images per member per day: 1 (the bot operator's limit)" in shown
    assert "Daily budget: 2 (the bot operator's limit)" in shown
    assert "Images per day for the server: no limit" in shown
    assert (await imagine(fake_discord, ALICE, prompt="one")).files
    assert "all 1 of your images" in (await imagine(fake_discord, ALICE, prompt="two")).content


async def test_a_server_cannot_shorten_the_operators_cooldown(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(cooldown_seconds=60)
    assert "at least 60 seconds" in await admin(fake_discord, "limits", cooldown_seconds=10)
    assert "Cooldown: 60 (the bot operator's limit)" in await admin(fake_discord, "show")
    assert "Saved" in await admin(fake_discord, "limits", cooldown_seconds=120)
    assert "Cooldown: 120 (set by this server)" in await admin(fake_discord, "show")


async def test_a_server_may_tighten_the_operators_limits_and_show_says_so(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(daily_images_per_user=5)
    assert "Saved" in await admin(fake_discord, "limits", daily_images_per_user=1, cooldown_seconds=30)
    shown = await admin(fake_discord, "show")
    assert "Images per member per day: 1 (set by this server)" in shown
    assert "Cooldown: 30 (set by this server)" in shown
    assert (await imagine(fake_discord, ALICE, prompt="one")).files
    assert "A short pause" in (await imagine(fake_discord, ALICE, prompt="two")).content


async def test_a_request_that_would_pass_the_budget_says_how_many_images_are_left(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(daily_budget_per_server=0.8)  # about $0.25 an image at auto quality
    image_api.then(b64_images(png(), png()))
    assert (await imagine(fake_discord, ALICE, prompt="two", n=2)).files
    answer = (await imagine(fake_discord, BOB, prompt="four", n=4)).content
    assert "would pass this server's budget for today: about 1 of these images' worth is left" in answer
    assert "has spent" not in answer
