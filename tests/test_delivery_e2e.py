"""A paid image is never lost, end to end: Discord's upload limit, refusals, retries, restarts, failed writes."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Any

import aiosqlite
import discord
import discord.http
import discord.webhook.async_
import pytest

from bot import ImageBot
from imagegen.imaging import images
from imagegen.jobs import runner as jobs
from imagegen.model import Job, JobState
from imagegen.storage.sqlite import RESULTS_DIRECTORY
from tests.fakes.discord import CHANNEL_ID, DISCONNECT, FakeDiscord, Recorded
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, b64_images, png, raw_json
from tests.helpers import SQLITE_ONLY, RunningClock, database_rows, kept_images, says, stored_jobs

ALICE = 500000000000000005
CHANNEL_POSTS = f"/channels/{CHANNEL_ID}/messages"


def uploads(fake: FakeDiscord) -> list[Recorded]:
    """Every request that carried files and was accepted."""
    return [r for r in fake.requests if r.files and r.status < 300 and not r.path.endswith("/callback")]


@pytest.fixture(autouse=True)
def quick_discord_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """discord.py tries a request five times on a 5xx, waiting 1, 3, 5, 7 and 9 s: the same tries, without the waits."""
    pause = asyncio.sleep

    class Quick:
        def __getattr__(self, name: str) -> Any:
            return getattr(asyncio, name)

        @staticmethod
        async def sleep(delay: float, result: Any = None) -> Any:
            return await pause(0, result)

    monkeypatch.setattr(discord.webhook.async_, "asyncio", Quick())
    monkeypatch.setattr(discord.http, "asyncio", Quick())


async def kept_job(fake: FakeDiscord, bot: ImageBot) -> Job:
    """Wait until the requester is told their images will follow, then return the job whose result is kept."""
    await fake.wait_for(lambda: [r for r in fake.requests if "images are made" in r.content])
    found = await stored_jobs(bot, [JobState.DELIVERING])
    assert len(found) == 1
    return found[0]


async def refuse_results(fake: FakeDiscord, image_api: FakeImageAPI, bot: ImageBot, **options: Any) -> Job:
    """Alice draws; Discord answers every upload with a server error, through the interaction and the channel."""
    fake.fail("PATCH", "@original", 500, times=1000, files_only=True)
    fake.fail("POST", CHANNEL_POSTS, 500, times=1000, files_only=True)
    image_api.then(b64_images(png(8, 8, (1, 2, 3))))
    await fake.slash("imagine", {"prompt": "a kept lamp", **options}, user_id=ALICE)
    return await kept_job(fake, bot)


def accept_results(fake: FakeDiscord) -> None:
    fake.failures.clear()


async def test_four_large_images_are_grouped_so_no_request_passes_the_upload_limit(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    big = png(420, 420, noise=True)
    fake_discord.upload_limit = len(big) * 2 + 256 * 1024
    image_api.then(b64_images(big, big, big, big))
    sent = await fake_discord.slash(
        "imagine", {"prompt": "four", "n": 4}, user_id=ALICE, size_limit=fake_discord.upload_limit
    )
    await fake_discord.wait_for(lambda: sum(len(r.files) for r in uploads(fake_discord)) == 4)
    await bot.core.settled()
    posted = uploads(fake_discord)
    assert len(posted) == 2 and all(r.path.split("/")[2] == sent["token"] or "webhooks" in r.path for r in posted)
    assert all(sum(len(blob) for _, blob in r.files.values()) <= fake_discord.upload_limit for r in posted)
    stored = await bot.core.job(1)
    assert stored is not None and stored.state is JobState.DONE and stored.images_delivered == 4


async def test_an_image_that_cannot_fit_is_replaced_by_a_note(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    fake_discord.upload_limit = 100 * 1024
    image_api.then(b64_images(png(1200, 1200, noise=True), png(8, 8)))
    sent = await fake_discord.slash("imagine", {"prompt": "two", "n": 2}, user_id=ALICE, size_limit=100 * 1024)
    result = (await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files]))[0]
    assert len(result.files) == 1 and "One image was too large to post here" in result.content


async def test_a_result_discord_refuses_is_kept_and_the_requester_is_told_at_once(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    job = await refuse_results(fake_discord, image_api, bot)
    assert job.state is JobState.DELIVERING and job.images_made == 1 and job.delivery_attempts == 1
    assert len(await kept_images(bot, job.id)) == 1
    token = f"tok{job.interaction_id}"
    private = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(token) if r.method == "POST" and r.flags & 64]
    )
    assert "Your images are made" in private[0].content and "/usage" in private[0].content
    status = fake_discord.original(token)["content"]
    assert "Drawn" in status and "Drawing" not in status


async def test_usage_posts_kept_results_at_once_and_then_forgets_them(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    job = await refuse_results(fake_discord, image_api, bot)
    accept_results(fake_discord)
    sent = await fake_discord.slash("usage", {}, user_id=ALICE)
    answer = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.method == "POST" and r.flags & 64 and r.content]
    )
    assert f"Your kept images (1) have just been posted in <#{CHANNEL_ID}>" in answer[0].content
    posted = [r for r in uploads(fake_discord) if r.path == CHANNEL_POSTS]
    assert len(posted) == 1 and f"<@{ALICE}>" in posted[0].content and "Posted later" in posted[0].content
    assert posted[0].payload["allowed_mentions"]["users"] == [ALICE]
    stored = await bot.core.job(job.id)
    assert stored is not None and stored.state is JobState.DONE and stored.images_delivered == 1
    assert await kept_images(bot, job.id) == []


async def test_kept_results_are_tried_again_with_backoff_and_given_up_after_the_retention(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, clock: RunningClock
) -> None:
    bot: ImageBot = await start_bot(result_retention_seconds=7200.0)
    job = await refuse_results(fake_discord, image_api, bot)
    retry = bot.get_cog("Imagine").post_kept_results  # type: ignore[union-attr]
    waits = []
    for attempt in range(1, 6):
        stored = await bot.core.job(job.id)
        assert stored is not None and stored.delivery_attempts == attempt and stored.next_delivery_at is not None
        waits.append(round(stored.next_delivery_at - clock()))
        clock.set(stored.next_delivery_at - 1)
        await retry()
        assert (await bot.core.job(job.id)).delivery_attempts == attempt  # type: ignore[union-attr]
        clock.set(stored.next_delivery_at)
        await retry()
    assert waits[:4] == [60, 300, 1800, 3600]
    stored = await bot.core.job(job.id)
    assert stored is not None and stored.next_delivery_at == (job.started_at or 0) + 7200
    clock.set(stored.next_delivery_at)
    await retry()
    given_up = await bot.core.job(job.id)
    assert given_up is not None and given_up.state is JobState.UNDELIVERABLE
    assert "cannot post in channel" in (given_up.delivery_error or "")
    assert await kept_images(bot, job.id) == []


async def test_a_kept_result_is_posted_after_a_restart_and_still_counts_today(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, clock: RunningClock
) -> None:
    first: ImageBot = await start_bot(daily_images_per_user=1)
    job = await refuse_results(fake_discord, image_api, first)
    await first.close()
    accept_results(fake_discord)
    second: ImageBot = await start_bot(daily_images_per_user=1)
    sent = await fake_discord.slash("imagine", {"prompt": "another"}, user_id=ALICE)
    refused = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.flags & 64 and r.content]
    )
    assert "all 1 of your images" in refused[0].content
    clock.set(clock() + 61)
    await second.get_cog("Imagine").post_kept_results()  # type: ignore[union-attr]
    assert [r.path for r in uploads(fake_discord)] == [CHANNEL_POSTS]
    stored = await second.core.job(job.id)
    assert stored is not None and stored.state is JobState.DONE


@SQLITE_ONLY
async def test_a_database_write_that_fails_after_the_image_was_paid_for_is_retried(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(jobs, "WRITE_RETRY_DELAYS", (0.0, 0.0, 0.0))
    first: ImageBot = await start_bot()
    gate = image_api.hold("paid for")
    sent = await fake_discord.slash("imagine", {"prompt": "paid for"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: image_api.prompts)
    commit = aiosqlite.Connection.commit
    failures = [2]

    async def flaky_commit(connection: aiosqlite.Connection) -> None:
        if failures[0]:
            failures[0] -= 1
            raise sqlite3.OperationalError("database is locked")
        await commit(connection)

    # The database is locked twice just as the paid image is recorded, as another writer would lock it.
    monkeypatch.setattr(aiosqlite.Connection, "commit", flaky_commit)
    gate["paid for"].set()
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    await first.core.settled()
    assert failures == [0]
    stored = await first.core.job(1)
    assert stored is not None and stored.state is JobState.DONE
    await first.close()
    second: ImageBot = await start_bot()
    assert await stored_jobs(second, [JobState.INTERRUPTED]) == []


@pytest.mark.parametrize(("status", "code", "tries"), [(500, 0, 5), (502, 0, 5), (413, 40005, 1)])
async def test_discord_refusing_the_result_never_loses_it(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, status: int, code: int, tries: int
) -> None:
    fake_discord.fail("PATCH", "@original", status, code=code, times=tries, files_only=True)
    fake_discord.fail("POST", CHANNEL_POSTS, status, code=code, times=tries, files_only=True)
    image_api.then(b64_images(png()))
    await fake_discord.slash("imagine", {"prompt": "refused upload"}, user_id=ALICE)
    job = await kept_job(fake_discord, bot)
    assert job.state is JobState.DELIVERING and len(await kept_images(bot, job.id)) == 1


async def test_a_result_posted_in_the_channel_after_the_interaction_refused_it_ends_the_status_message(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    fake_discord.fail("PATCH", "@original", 413, code=40005, files_only=True)
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "too large here"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in uploads(fake_discord) if r.path == CHANNEL_POSTS])
    await bot.core.settled()
    status = fake_discord.original(sent["token"])
    assert "posted in the channel below" in status["content"] and not status["attachments"]


async def test_a_result_on_its_way_to_discord_is_not_offered_as_kept(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    fake_discord.upload_gate = asyncio.Event()
    image_api.then(b64_images(png()))
    await fake_discord.slash("imagine", {"prompt": "in flight"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: fake_discord.uploads_waiting)
    sent = await fake_discord.slash("usage", {}, user_id=ALICE)
    answer = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.content])
    assert "Today you have 1 images" in answer[0].content and "kept" not in answer[0].content
    fake_discord.upload_gate.set()
    await bot.core.settled()
    assert [r.path for r in uploads(fake_discord) if r.path == CHANNEL_POSTS] == []


async def test_while_too_many_images_wait_to_be_posted_no_new_request_is_taken(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(max_queue_size=1, max_images=1)
    await refuse_results(fake_discord, image_api, bot)
    sent = await fake_discord.slash("imagine", {"prompt": "more"}, user_id=500000000000000006)
    refused = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.flags & 64 and r.content]
    )
    assert "takes no new requests until it posts them" in refused[0].content
    assert len(image_api.generation_calls) == 1
    accept_results(fake_discord)
    usage = await fake_discord.slash("usage", {}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(usage["token"]) if "kept" in r.content])
    sent = await fake_discord.slash("imagine", {"prompt": "more"}, user_id=500000000000000006)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])


async def test_a_kept_result_whose_files_are_gone_is_given_up_with_the_reason(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, clock: RunningClock
) -> None:
    job = await refuse_results(fake_discord, image_api, bot)
    if bot.settings.database_url:
        await database_rows(bot, "DELETE FROM job_results")
    else:
        for kept in (bot.settings.data_dir / RESULTS_DIRECTORY).iterdir():
            kept.unlink()
    accept_results(fake_discord)
    clock.set(clock() + 61)
    await bot.get_cog("Imagine").post_kept_results()  # type: ignore[union-attr]
    stored = await bot.core.job(job.id)
    assert stored is not None and stored.state is JobState.UNDELIVERABLE
    assert stored.delivery_error == "the kept images are missing"
    assert [r for r in uploads(fake_discord) if r.path == CHANNEL_POSTS] == []


async def test_an_answer_that_cannot_reach_discord_is_logged_and_the_bot_goes_on(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, caplog: pytest.LogCaptureFixture
) -> None:
    fake_discord.fail("POST", "/callback", DISCONNECT)
    await fake_discord.slash("imagine", {"prompt": "a boat", "size": "5x5"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.requests if r.status == DISCONNECT])
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a boat"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    assert any("Discord cannot be reached" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_a_result_whose_upload_is_cut_off_is_posted_in_the_channel_and_the_status_says_so(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    fake_discord.fail("PATCH", "@original", DISCONNECT, files_only=True)
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "cut off"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in uploads(fake_discord) if r.path == CHANNEL_POSTS])
    await bot.core.settled()
    assert says(fake_discord.original(sent["token"])["content"], "result.in_channel")


async def test_a_result_cut_off_on_its_way_through_the_interaction_and_the_channel_is_kept_and_announced(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    fake_discord.fail("PATCH", "@original", DISCONNECT, files_only=True)
    fake_discord.fail("POST", CHANNEL_POSTS, DISCONNECT, files_only=True)
    image_api.then(b64_images(png()))
    await fake_discord.slash("imagine", {"prompt": "cut off twice"}, user_id=ALICE)
    job = await kept_job(fake_discord, bot)
    assert job.state is JobState.DELIVERING and len(await kept_images(bot, job.id)) == 1


async def test_an_error_whose_private_answer_is_cut_off_is_told_in_the_channel(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(raw_json(MODERATION_BODY, 400))
    fake_discord.fail("POST", "/webhooks/", DISCONNECT)
    sent = await fake_discord.slash("imagine", {"prompt": "refused, then cut off"}, user_id=ALICE)
    told = await fake_discord.wait_for(lambda: [r for r in fake_discord.requests if r.path == CHANNEL_POSTS])
    assert f"<@{ALICE}>" in told[0].content and says(told[0].content, "refused.moderation")
    # The status message goes too: the member was answered, in the channel.
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.method == "DELETE"])


async def test_an_error_whose_private_answer_and_channel_post_are_cut_off_is_told_at_the_next_try(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(raw_json(MODERATION_BODY, 400))
    fake_discord.fail("POST", "/webhooks/", DISCONNECT)
    fake_discord.fail("POST", CHANNEL_POSTS, DISCONNECT)
    await fake_discord.slash("imagine", {"prompt": "refused, then cut off twice"}, user_id=ALICE)
    told = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == CHANNEL_POSTS and r.status == 200]
    )
    assert says(told[0].content, "refused.moderation")


@pytest.mark.parametrize("cut", [1, 2])
async def test_a_status_edit_cut_off_neither_stops_the_job_nor_tells_the_member_it_failed(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, cut: int
) -> None:
    fake_discord.fail("PATCH", "@original", DISCONNECT, times=cut)
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a status cut off"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    await bot.core.settled()
    assert not [r for r in fake_discord.for_token(sent["token"]) if says(r.content, "error.unexpected")]


async def test_a_kept_result_posted_later_ends_the_status_message_while_the_token_lives(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, clock: RunningClock
) -> None:
    await refuse_results(fake_discord, image_api, bot)
    token = next(iter(fake_discord.acknowledged))
    assert says(fake_discord.original(token)["content"], "result.postponed_status")
    accept_results(fake_discord)
    clock.set(clock() + 61)
    await bot.get_cog("Imagine").post_kept_results()  # type: ignore[union-attr]
    assert says(fake_discord.original(token)["content"], "result.in_channel")


async def test_a_result_whose_posting_fails_unforeseen_is_kept_and_announced(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a fault no one foresaw")

    monkeypatch.setattr(images, "prepare_async", broken)
    image_api.then(b64_images(png()))
    await fake_discord.slash("imagine", {"prompt": "unforeseen"}, user_id=ALICE)
    job = await kept_job(fake_discord, bot)
    assert job.state is JobState.DELIVERING and len(await kept_images(bot, job.id)) == 1
