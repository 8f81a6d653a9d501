"""Jobs end to end: the queue as users see it, cancelling, late delivery and restarts."""

from __future__ import annotations

import asyncio
import datetime
from typing import Any

import asyncpg
import pytest

from bot import ImageBot
from imagegen.core import open_storage
from imagegen.jobs.shared_ledger import LEDGER_LOCK
from imagegen.model import ImageRequest, Job, JobState
from imagegen.storage.sqlite import SqliteStorage
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.helpers import (
    POSTGRES_ONLY,
    SQLITE_ONLY,
    custom_ids,
    eventually,
    kept_images,
    private_reply,
    refusal_of,
    refusal_so_far,
    result_of,
    status_edits,
    stored_jobs,
)

ALICE, BOB, CAROL = 500000000000000005, 500000000000000006, 500000000000000007


def announcing(bot: ImageBot) -> asyncio.Task[None] | None:
    """The task telling requesters of jobs a previous process left unfinished (extensions load a fresh module)."""
    task: asyncio.Task[None] | None = getattr(bot.get_cog("Imagine"), "announcing")  # noqa: B009
    return task


async def shown(fake: FakeDiscord, payload: dict[str, Any]) -> None:
    """Wait until the interaction's status message was first written."""
    await fake.wait_for(lambda: status_edits(fake, payload["token"]))


async def test_queue_positions_are_shown_and_move_as_the_queue_moves(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(max_concurrent_jobs=1)
    gates = image_api.hold("first", "second")
    first = await fake_discord.slash("imagine", {"prompt": "first"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: image_api.prompts == ["first"])
    second = await fake_discord.slash("imagine", {"prompt": "second"}, user_id=BOB)
    # Queued one after the other (two requests arriving together may be queued in either order).
    await fake_discord.wait_for(lambda: status_edits(fake_discord, second["token"]))
    third = await fake_discord.slash("imagine", {"prompt": "third"}, user_id=CAROL)
    await fake_discord.wait_for(
        lambda: any("position 2" in r.content for r in status_edits(fake_discord, third["token"]))
    )
    assert "Queued, position 1" in status_edits(fake_discord, second["token"])[0].content
    gates["first"].set()
    await result_of(fake_discord, first["token"])
    await fake_discord.wait_for(
        lambda: any("position 1" in r.content for r in status_edits(fake_discord, third["token"]))
    )
    await fake_discord.wait_for(
        lambda: any("Drawing" in r.content for r in status_edits(fake_discord, second["token"]))
    )
    gates["second"].set()
    await result_of(fake_discord, third["token"])
    assert image_api.prompts == ["first", "second", "third"]


async def test_one_users_many_requests_do_not_hold_everyone_else_back(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(max_concurrent_jobs=1)
    gates = image_api.hold("blocker")
    await fake_discord.slash("imagine", {"prompt": "blocker"}, user_id=CAROL)
    await fake_discord.wait_for(lambda: image_api.prompts == ["blocker"])
    sent = []
    for prompt in ("alice 1", "alice 2", "alice 3"):
        sent.append(await fake_discord.slash("imagine", {"prompt": prompt}, user_id=ALICE))
        await fake_discord.wait_for(lambda: len(status_edits(fake_discord, sent[-1]["token"])) >= 1)
    bob = await fake_discord.slash("imagine", {"prompt": "bob 1"}, user_id=BOB)
    await fake_discord.wait_for(lambda: len(status_edits(fake_discord, bob["token"])) >= 1)
    gates["blocker"].set()
    await result_of(fake_discord, sent[-1]["token"])
    assert image_api.prompts == ["blocker", "alice 1", "bob 1", "alice 2", "alice 3"]


async def test_a_user_over_their_queue_limit_is_told_at_once(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(max_concurrent_jobs=1, max_queued_per_user=2)
    image_api.hold("one", "two")
    for prompt in ("one", "two"):
        await shown(fake_discord, await fake_discord.slash("imagine", {"prompt": prompt}, user_id=ALICE))
    third = await fake_discord.slash("imagine", {"prompt": "three"}, user_id=ALICE)
    assert "You already have 2 requests" in (await refusal_of(fake_discord, third["token"])).content
    other = await fake_discord.slash("imagine", {"prompt": "bob"}, user_id=BOB)
    await fake_discord.wait_for(lambda: status_edits(fake_discord, other["token"]))


async def test_a_full_queue_is_said_at_once(start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI) -> None:
    await start_bot(max_concurrent_jobs=1, max_queue_size=1)
    image_api.hold("running", "waiting")
    for prompt, user in (("running", ALICE), ("waiting", BOB)):
        await shown(fake_discord, await fake_discord.slash("imagine", {"prompt": prompt}, user_id=user))
    refused = await fake_discord.slash("imagine", {"prompt": "late"}, user_id=CAROL)
    assert "queue is full" in (await refusal_of(fake_discord, refused["token"])).content


async def test_the_requester_cancels_a_queued_job_and_others_cannot(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(max_concurrent_jobs=1)
    gates = image_api.hold("busy")
    await fake_discord.slash("imagine", {"prompt": "busy"}, user_id=BOB)
    await fake_discord.wait_for(lambda: image_api.prompts == ["busy"])
    queued = await fake_discord.slash("imagine", {"prompt": "never mind"}, user_id=ALICE)
    message = await fake_discord.wait_for(
        lambda: custom_ids(fake_discord.original(queued["token"])) and fake_discord.original(queued["token"])
    )
    [custom_id] = custom_ids(message)
    assert custom_id.startswith("imagine:cancel:")
    job_id = int(custom_id.rsplit(":", 1)[1])

    stranger = await fake_discord.click(message, custom_id, user_id=CAROL)
    assert "Only the person who asked" in (await private_reply(fake_discord, stranger["token"])).content

    await fake_discord.click(message, custom_id, user_id=ALICE)
    await fake_discord.wait_for(lambda: "Cancelled" in fake_discord.original(queued["token"])["content"])
    assert custom_ids(fake_discord.original(queued["token"])) == []
    job = await bot.core.job(job_id)
    assert job is not None and job.state is JobState.CANCELLED
    gates["busy"].set()
    await asyncio.wait_for(bot.core.settled(), 15)
    assert image_api.prompts == ["busy"]


async def test_a_result_after_the_token_died_is_posted_in_the_channel_mentioning_the_requester(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image = png(10, 10, (8, 8, 8))
    image_api.then(b64_images(image))
    gates = image_api.hold("slow")
    sent = await fake_discord.slash("imagine", {"prompt": "slow"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: image_api.prompts == ["slow"])
    fake_discord.fail("PATCH", sent["token"], 401, code=50027, times=1000)
    fake_discord.fail("POST", f"/webhooks/100000000000000001/{sent['token']}", 401, code=50027, times=1000)
    gates["slow"].set()
    posts = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]
    )
    post = posts[0]
    assert next(iter(post.files.values()))[1] == image
    assert f"<@{ALICE}>" in post.content
    assert post.payload["allowed_mentions"] == {"parse": [], "users": [ALICE]}
    token_uses = [r for r in fake_discord.for_token(sent["token"]) if r.files]
    assert len(token_uses) == 1, "a dead token is used once, then never again"


async def test_an_interaction_older_than_fifteen_minutes_is_answered_in_the_channel(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "late"}, user_id=ALICE, age=datetime.timedelta(minutes=16))
    await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages" and r.files]
    )
    assert [r.method for r in fake_discord.for_token(sent["token"])] == ["POST"]  # the acknowledgement alone


async def test_an_error_after_the_token_died_reaches_the_requester_in_the_channel(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images())
    sent = await fake_discord.slash("imagine", {"prompt": "empty"}, user_id=ALICE, age=datetime.timedelta(minutes=16))
    posts = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]
    )
    assert posts[0].content.startswith(f"<@{ALICE}> ") and "drew nothing" in posts[0].content
    assert posts[0].payload["allowed_mentions"]["users"] == [ALICE]
    assert [r.method for r in fake_discord.for_token(sent["token"])] == ["POST"]  # the token was not used again


async def test_a_result_for_a_channel_the_bot_cannot_post_in_is_kept_recorded_and_logged(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, caplog: pytest.LogCaptureFixture
) -> None:
    image_api.then(b64_images(png()))
    fake_discord.fail("POST", f"/channels/{CHANNEL_ID}/messages", 403, code=50001, times=10)
    await fake_discord.slash("imagine", {"prompt": "nowhere"}, user_id=ALICE, age=datetime.timedelta(minutes=16))
    await fake_discord.wait_for(lambda: image_api.prompts)
    await asyncio.wait_for(bot.core.settled(), 15)
    stored = await stored_jobs(bot, [JobState.DELIVERING])
    assert len(stored) == 1 and stored[0].images_made == 1 and stored[0].images_delivered == 0
    assert "cannot post in channel" in (stored[0].delivery_error or "")
    assert len(await kept_images(bot, stored[0].id)) == 1
    assert "could not be posted (attempt 1)" in caplog.text


async def test_a_finished_job_records_what_happened(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png(), usage={"input_tokens": 12, "output_tokens": 4160}))
    sent = await fake_discord.slash("imagine", {"prompt": "record me", "n": 2}, user_id=ALICE)
    await result_of(fake_discord, sent["token"])
    await asyncio.wait_for(bot.core.settled(), 15)
    [job] = await stored_jobs(bot, [JobState.DONE])
    assert (job.user_id, job.guild_id, job.channel_id) == (ALICE, GUILD_ID, CHANNEL_ID)
    assert (job.request.prompt, job.request.n, job.images_delivered) == ("record me", 2, 1)
    assert job.usage == {"input_tokens": 12, "output_tokens": 4160}
    assert job.interaction_id == int(sent["id"]) and job.message_id is not None
    assert job.created_at <= (job.started_at or 0) <= (job.finished_at or 0)


async def test_a_refused_job_is_recorded_as_refused_with_its_reason(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images())
    sent = await fake_discord.slash("imagine", {"prompt": "nothing"}, user_id=ALICE)
    await private_reply(fake_discord, sent["token"])
    await asyncio.wait_for(bot.core.settled(), 15)
    [job] = await stored_jobs(bot, [JobState.REFUSED])
    assert job.error_code == "empty" and job.images_delivered == 0


async def test_stopping_interrupts_queued_and_running_jobs_and_says_so(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(max_concurrent_jobs=1, shutdown_grace=0.2)
    image_api.hold("running")
    running = await fake_discord.slash("imagine", {"prompt": "running"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: image_api.prompts == ["running"])
    queued = await fake_discord.slash("imagine", {"prompt": "queued"}, user_id=BOB)
    await fake_discord.wait_for(lambda: custom_ids(fake_discord.original(queued["token"])))
    await bot.close()
    for payload in (running, queued):
        message = fake_discord.original(payload["token"])
        assert "interrupted" in message["content"]
        assert custom_ids(message)[0].startswith("imagine:rerun:")
    jobs = await stored_jobs(bot, [JobState.INTERRUPTED])
    assert sorted(job.request.prompt for job in jobs) == ["queued", "running"]
    assert all(job.notified for job in jobs)
    assert image_api.prompts == ["running"]


@SQLITE_ONLY
async def test_after_a_crash_the_next_start_tells_each_requester_and_runs_it_again_on_click(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, settings
) -> None:
    storage = await SqliteStorage.open(settings.data_dir)
    left = Job(user_id=ALICE, channel_id=CHANNEL_ID, guild_id=GUILD_ID, request=ImageRequest("lost cat", "gpt-image-1"))
    left.state = JobState.RUNNING
    await storage.add_job(left)
    await storage.close()

    bot: ImageBot = await start_bot()
    notices = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]
    )
    notice = notices[0]
    assert f"<@{ALICE}>" in notice.content and "lost cat" in notice.content
    assert notice.payload["allowed_mentions"] == {"parse": [], "users": [ALICE]}
    [custom_id] = [c["custom_id"] for row in notice.payload["components"] for c in row["components"]]
    assert custom_id == f"imagine:rerun:{left.id}"
    task = announcing(bot)
    assert task is not None
    await asyncio.wait_for(task, 15)
    stored = await bot.core.job(left.id)
    assert stored is not None and stored.state is JobState.INTERRUPTED and stored.notified

    [message] = [m for m in fake_discord.messages.values() if custom_ids(m) == [custom_id]]
    image_api.then(b64_images(png(6, 6, (1, 1, 1))))
    click = await fake_discord.click(message, custom_id, user_id=BOB)
    edit = await result_of(fake_discord, click["token"])
    assert next(iter(edit.files.values()))[1] == png(6, 6, (1, 1, 1))
    assert f"<@{BOB}>" in edit.content and "lost cat" in edit.content


async def test_a_rerun_click_on_a_job_the_database_does_not_know_gets_a_clear_message(
    bot, fake_discord: FakeDiscord
) -> None:
    message = fake_discord._message(
        {"content": "old", "components": [{"type": 1, "components": [
            {"type": 2, "style": 1, "label": "Run again", "custom_id": "imagine:rerun:999"}]}]}, {}
    )  # fmt: skip
    click = await fake_discord.click(message, "imagine:rerun:999")
    assert "no longer have a record" in (await private_reply(fake_discord, click["token"])).content


@SQLITE_ONLY
async def test_a_restart_does_not_announce_a_job_twice(start_bot, fake_discord: FakeDiscord, settings) -> None:
    storage = await SqliteStorage.open(settings.data_dir)
    job = Job(user_id=ALICE, channel_id=CHANNEL_ID, guild_id=GUILD_ID, request=ImageRequest("once", "gpt-image-1"))
    job.state = JobState.QUEUED
    await storage.add_job(job)
    await storage.close()
    first = await start_bot()
    await fake_discord.wait_for(lambda: [r for r in fake_discord.requests if "/channels/" in r.path])
    task = announcing(first)
    assert task is not None
    await asyncio.wait_for(task, 15)
    await first.close()
    second = await start_bot()
    assert announcing(second) is None
    stored = await second.core.job(job.id)
    assert stored is not None and stored.notified


@POSTGRES_ONLY
async def test_jobs_left_interrupted_and_untold_are_told_once_by_the_processes_that_start(
    start_bot, fake_discord: FakeDiscord, settings
) -> None:
    # As migrate-to-postgres leaves the jobs the SQLite bot had not finished.
    storage = await open_storage(settings)
    left = Job(user_id=ALICE, channel_id=CHANNEL_ID, guild_id=GUILD_ID, request=ImageRequest("moved", "gpt-image-2"))
    left.state = JobState.INTERRUPTED
    await storage.add_job(left)
    await storage.close()
    bots = [await start_bot(), await start_bot()]
    notices = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]
    )
    for bot in bots:
        task = announcing(bot)
        if task is not None:
            await asyncio.wait_for(task, 15)
    assert len([r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages"]) == 1
    assert f"<@{ALICE}>" in notices[0].content and "moved" in notices[0].content


async def test_a_burst_larger_than_the_queue_is_answered_at_once_and_never_half_accepted(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(max_concurrent_jobs=1, max_queue_size=2)
    image_api.hold(*(f"burst {index}" for index in range(8)))
    sent = await asyncio.gather(
        *(fake_discord.slash("imagine", {"prompt": f"burst {index}"}, user_id=600 + index) for index in range(8))
    )
    tokens = [payload["token"] for payload in sent]
    # Each one is answered: in line (its status message), or refused (privately, its "thinking" message gone).
    answers = await fake_discord.wait_for(
        lambda: (
            all(status_edits(fake_discord, token) or refusal_so_far(fake_discord, token) for token in tokens)
            and [refusal_so_far(fake_discord, token) for token in tokens]
        )
    )
    refused = [answer for answer in answers if answer]
    assert len(tokens) - len(refused) == 3  # one drawing, two waiting
    assert len(refused) == 5 and all("queue is full" in answer[0].content for answer in refused)


async def test_a_request_acknowledged_as_the_bot_stops_is_told_to_try_again_before_it_goes(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    fake_discord.download_gate = asyncio.Event()
    reference = fake_discord.upload("cat.png", png(32, 32))
    sent = await fake_discord.slash("imagine", {"prompt": "my cat as a knight", "image": reference}, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.requests if "/attachments/" in r.path])
    stopping = asyncio.create_task(bot.close())
    await eventually(lambda: bot.core.closing)
    fake_discord.download_gate.set()
    answer = await private_reply(fake_discord, sent["token"])
    await stopping
    assert "restarting" in answer.content
    assert image_api.generation_calls == [] and image_api.edit_calls == []


@POSTGRES_ONLY
async def test_requests_still_being_admitted_as_the_bot_stops_are_told_to_try_again(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, caplog: pytest.LogCaptureFixture
) -> None:
    # Another transaction holds the ledger: admissions wait for it, after Discord has its answer.
    holder = await asyncpg.connect(bot.settings.database_url.get())  # type: ignore[union-attr]
    await holder.execute("SELECT pg_advisory_lock($1)", LEDGER_LOCK)
    sent = await asyncio.gather(
        *(fake_discord.slash("imagine", {"prompt": f"late {n}"}, user_id=600 + n) for n in range(3))
    )
    await fake_discord.wait_for(lambda: len(fake_discord.acknowledged) == 3)
    stopping = asyncio.create_task(bot.close())
    await eventually(lambda: bot.core.closing)
    await holder.close()
    answers = [await private_reply(fake_discord, payload["token"]) for payload in sent]
    await stopping
    assert all("restarting" in answer.content for answer in answers)
    assert image_api.generation_calls == []
    assert not [record for record in caplog.records if record.levelname == "ERROR"]
