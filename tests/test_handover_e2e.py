"""Two bots on one PostgreSQL: a job one accepted and the other drew is answered through the
interaction's token (it was acknowledged already), or in its channel once the token is gone, whatever the outcome."""

from __future__ import annotations

import asyncio

import pytest
from aiohttp import web

from tests.conftest import BotFactory
from tests.fakes.discord import CHANNEL_ID, FakeDiscord, Recorded
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, api_error, raw_json
from tests.helpers import POSTGRES_ONLY, eventually

ALICE = 500000000000000005
BOB = 500000000000000006
BUSY = "keeps the first bot busy"
CHANNEL_POSTS = f"/channels/{CHANNEL_ID}/messages"

pytestmark = POSTGRES_ONLY


async def drawn_by_the_other(start_bot: BotFactory, fake: FakeDiscord, image_api: FakeImageAPI) -> dict[str, object]:
    """Alice's /imagine, accepted by a first bot busy with as many jobs as it may run, then drawn by a second bot
    started after it; returns the interaction sent."""
    await start_bot(max_concurrent_jobs=1)
    image_api.hold(BUSY)
    await fake.slash("imagine", {"prompt": BUSY}, user_id=BOB)
    await eventually(lambda: image_api.prompts == [BUSY])
    sent = await fake.slash("imagine", {"prompt": "a fox in the snow"}, user_id=ALICE)
    await fake.wait_for(lambda: [r for r in fake.for_token(sent["token"]) if "/callback" in r.path])
    await start_bot(max_concurrent_jobs=2)
    await eventually(lambda: image_api.prompts == [BUSY, "a fox in the snow"])
    return sent


def followups(fake: FakeDiscord, token: str) -> list[Recorded]:
    return [r for r in fake.for_token(token) if r.method == "POST" and r.path.startswith("/webhooks/")]


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (raw_json(MODERATION_BODY, 400), "safety"),
        (api_error(500, "server_error", None), "error of its own"),
    ],
)
async def test_a_refusal_or_an_error_of_a_job_the_other_bot_drew_is_answered_privately_and_the_status_goes(
    start_bot: BotFactory, fake_discord: FakeDiscord, image_api: FakeImageAPI, answer: web.Response, said: str
) -> None:
    image_api.then(*[answer] * 4)
    sent = await drawn_by_the_other(start_bot, fake_discord, image_api)
    token = str(sent["token"])
    private = await fake_discord.wait_for(lambda: [r for r in followups(fake_discord, token) if r.flags & 64])
    assert said in private[0].content.lower()
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(token) if r.method == "DELETE"])
    requests = fake_discord.for_token(token)
    assert [r.status for r in requests if "/callback" in r.path] == [200]  # the first bot's acknowledgement only
    assert all(r.status < 400 for r in requests)


async def test_a_refusal_of_a_job_the_other_bot_drew_after_its_token_expired_is_told_in_the_channel(
    start_bot: BotFactory, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    gate = image_api.hold("a fox in the snow")
    image_api.then(raw_json(MODERATION_BODY, 400))
    sent = await drawn_by_the_other(start_bot, fake_discord, image_api)
    fake_discord.expire(str(sent["token"]))
    gate["a fox in the snow"].set()
    told = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == CHANNEL_POSTS and r.content]
    )
    assert f"<@{ALICE}>" in told[0].content and "safety" in told[0].content.lower()
    assert [int(user) for user in told[0].payload["allowed_mentions"]["users"]] == [ALICE]


async def test_a_job_handed_back_at_shutdown_stops_showing_its_progress_from_the_bot_that_stopped(
    start_bot: BotFactory, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first = await start_bot(max_concurrent_jobs=1)
    image_api.hold(BUSY)
    await fake_discord.slash("imagine", {"prompt": BUSY}, user_id=BOB)
    await eventually(lambda: image_api.prompts == [BUSY])
    showing = [task for task in asyncio.all_tasks() if "StatusMessage" in repr(task.get_coro())]
    await start_bot(max_concurrent_jobs=1)
    await first.close()
    await eventually(lambda: image_api.prompts == [BUSY, BUSY])  # the second bot draws it
    assert showing and all(task.done() and task.exception() is None for task in showing)
