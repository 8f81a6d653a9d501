"""Daily limits, the cooldown, exempt roles and /usage, end to end."""

from __future__ import annotations

import datetime
from typing import Any

from bot import ImageBot
from tests.fakes.discord import ARTIST_ROLE_ID, FakeDiscord, Recorded
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, b64_images, png, raw_json
from tests.helpers import RunningClock, answer_of, refusal_of

ALICE, BOB = 500000000000000005, 500000000000000006
MIDNIGHT = datetime.datetime(2026, 11, 26, tzinfo=datetime.UTC).timestamp()


async def draw(fake: FakeDiscord, api: FakeImageAPI, images: int, **kwargs: Any) -> Recorded:
    api.then(b64_images(*[png(4, 4, (i, i, i)) for i in range(images)]))
    sent = await fake.slash("imagine", {"prompt": "a lamp", "n": images}, **kwargs)
    return await answer_of(fake, sent["token"])


async def test_a_user_draws_up_to_the_daily_limit_and_is_then_told_when_it_resets(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(daily_images_per_user=3, max_concurrent_jobs=1)
    assert (await draw(fake_discord, image_api, 2, user_id=ALICE)).files
    assert (await draw(fake_discord, image_api, 1, user_id=ALICE)).files
    calls = len(image_api.generation_calls)
    sent = await fake_discord.slash("imagine", {"prompt": "one more"}, user_id=ALICE)
    refused = await refusal_of(fake_discord, sent["token"])
    assert "You have had all 3 of your images for today" in refused.content and ":R>" in refused.content
    assert len(image_api.generation_calls) == calls
    assert (await draw(fake_discord, image_api, 1, user_id=BOB)).files


async def test_refused_jobs_do_not_use_up_the_quota(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(daily_images_per_user=1)
    image_api.then(raw_json(MODERATION_BODY, 400))
    sent = await fake_discord.slash("imagine", {"prompt": "refused"}, user_id=ALICE)
    await answer_of(fake_discord, sent["token"])
    await bot.core.settled()
    assert (await draw(fake_discord, image_api, 1, user_id=ALICE)).files


async def test_the_limit_lifts_at_midnight_utc(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, clock: RunningClock
) -> None:
    await start_bot(daily_images_per_user=1)
    clock.set(MIDNIGHT - 60)
    assert (await draw(fake_discord, image_api, 1, user_id=ALICE)).files
    refused = await draw(fake_discord, image_api, 1, user_id=ALICE)
    assert f"<t:{int(MIDNIGHT)}:R>" in refused.content
    clock.set(MIDNIGHT + 1)
    assert (await draw(fake_discord, image_api, 1, user_id=ALICE)).files


async def test_exempt_roles_skip_the_limit_and_the_cooldown(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(daily_images_per_user=1, cooldown_seconds=600, exempt_role_ids=frozenset({ARTIST_ROLE_ID}))
    for _ in range(3):
        assert (await draw(fake_discord, image_api, 1, user_id=ALICE, roles=(ARTIST_ROLE_ID,))).files
    assert (await draw(fake_discord, image_api, 1, user_id=BOB)).files
    assert "A short pause" in (await draw(fake_discord, image_api, 1, user_id=BOB)).content


async def test_the_count_survives_a_restart(start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI) -> None:
    first: ImageBot = await start_bot(daily_images_per_user=2)
    assert (await draw(fake_discord, image_api, 2, user_id=ALICE)).files
    await first.core.settled()
    await first.close()
    await start_bot(daily_images_per_user=2)
    assert "images for today" in (await draw(fake_discord, image_api, 1, user_id=ALICE)).content


async def test_usage_tells_a_user_what_is_left(start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI) -> None:
    bot: ImageBot = await start_bot(daily_images_per_user=5)
    await draw(fake_discord, image_api, 2, user_id=ALICE)
    await bot.core.settled()
    sent = await fake_discord.slash("usage", {}, user_id=ALICE, locale="zh-CN")
    answer = await answer_of(fake_discord, sent["token"])
    assert answer.flags & 64 and "今天你已用 2 张，额度 5 张，还剩 3 张" in answer.content
