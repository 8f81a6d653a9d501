"""/animate end to end: a member's picture into a clip through either video API, under the seconds and the budget."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import av
import pytest

from bot import ImageBot
from imagegen.model import Job, JobState
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.fakes.video import clip, completes, fails, mp4, never_ends
from tests.helpers import answer_of, callback_of, custom_ids, eventually, result_of, says, stored_jobs

ALICE, BOB, ADMIN = 500000000000000005, 500000000000000006, 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00
SOLD = ("sora-2", "veo3-fast")


async def animate(fake: FakeDiscord, user_id: int = ALICE, **options: object) -> str:
    """One /animate of a fresh upload; its token."""
    picture = fake.upload("picture.png", png(320, 240, (200, 120, 40)))
    sent = await fake.slash("animate", {"image": picture, **options}, user_id=user_id)
    return str(sent["token"])


async def test_without_video_models_there_is_no_animate_command(bot: ImageBot) -> None:
    assert bot.tree.get_command("animate") is None


async def test_a_picture_becomes_a_clip_through_openais_shape_posted_as_an_mp4_with_its_length(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(video_models=SOLD)
    clip = mp4(30_000, seed=1)
    image_api.video.then(completes(steps=[40], mp4=clip))
    token = await animate(fake_discord, prompt="the leaves sway", model="sora-2", seconds=8, size="1280x720")
    posted = await result_of(fake_discord, token)
    assert list(posted.files.values()) == [("video_1.mp4", clip)]
    assert "the leaves sway" in posted.content and "8 s" in posted.content
    assert [i.split(":")[1] for i in custom_ids(fake_discord.original(token))] == ["reroll", "delete"]
    [submit] = image_api.video.submits
    assert submit.path == "/v1/videos" and submit.body["seconds"] == "8"
    assert 'imagine_videos_total{model="sora-2",outcome="done"} 1.0' in bot.core.metrics_page().decode()
    # Made with its picture shown, and how far along it is.
    edits = [
        edit for edit in fake_discord.for_token(token) if edit.method == "PATCH" and not edit.files.get("video_1.mp4")
    ]
    assert any("preview.webp" in str(edit.files) for edit in edits)
    assert any(says(edit.content, "status.video") and "40%" in edit.content for edit in edits)


async def test_the_unified_shape_gets_the_default_model_its_length_and_a_default_motion(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=("veo3-fast",))
    await result_of(fake_discord, await animate(fake_discord))
    [submit] = image_api.video.submits
    assert submit.path == "/v1/video/generations" and submit.body["model"] == "veo3-fast"
    assert submit.body["duration"] == 8 and submit.body["prompt"].startswith("Bring this picture to life")


async def test_a_server_that_turned_video_off_is_told_so_and_nothing_is_submitted(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=SOLD)
    sent = await fake_discord.slash(
        "imagine-admin", {"state": "off"}, subcommand="video", user_id=ADMIN, permissions=MANAGE_SERVER
    )
    await answer_of(fake_discord, sent["token"])
    answer = await answer_of(fake_discord, await animate(fake_discord))
    assert says(answer.content, "video.off") and image_api.video.submits == []


async def test_a_burst_of_clips_makes_no_more_seconds_than_the_members_limit(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=SOLD, daily_video_seconds_per_user=16, max_queued_per_user=10)
    tokens = await asyncio.gather(*(animate(fake_discord, model="sora-2", seconds=8) for _ in range(5)))
    answers = [await answer_of(fake_discord, token) for token in tokens]
    assert sum(1 for answer in answers if answer.files) == 2
    refused = [answer for answer in answers if not answer.files]
    assert all(says(answer.content, "limit.video_day") for answer in refused)
    assert len(image_api.video.submits) == 2


async def test_a_clip_counts_against_the_servers_budget_by_the_second(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    # sora-2 at an estimated $0.10 a second: one 8-second clip fits $1, a second does not.
    await start_bot(video_models=SOLD, daily_budget_per_server=1.0)
    await result_of(fake_discord, await animate(fake_discord, model="sora-2", seconds=8))
    answer = await answer_of(fake_discord, await animate(fake_discord, user_id=BOB, model="sora-2", seconds=8))
    assert says(answer.content, "limit.budget")


async def test_a_clip_the_vendors_moderation_turns_down_is_a_kind_refusal(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(video_models=SOLD)
    image_api.video.then(fails())
    answer = await answer_of(fake_discord, await animate(fake_discord, prompt="a kiss"))
    assert says(answer.content, "refused.moderation")
    [job] = await stored_jobs(bot, [JobState.REFUSED])
    assert job.images_made == 0


@pytest.mark.parametrize(
    ("model", "seconds", "key"), [("kling-v2-1", 5, "video.model"), ("sora-2", 7, "video.seconds")]
)
async def test_a_model_not_sold_or_a_length_it_does_not_make_is_refused_in_words(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, model: str, seconds: int, key: str
) -> None:
    await start_bot(video_models=SOLD)
    answer = await answer_of(fake_discord, await animate(fake_discord, model=model, seconds=seconds))
    assert says(answer.content, key) and image_api.video.submits == []


async def test_a_clip_being_made_when_the_bot_stops_is_followed_on_after_the_restart_never_submitted_twice(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first: ImageBot = await start_bot(video_models=SOLD, job_lease_seconds=2)
    image_api.video.then(never_ends(40))
    token = await animate(fake_discord, model="sora-2", seconds=4)
    await fake_discord.wait_for(lambda: image_api.video.polls)
    await first.close()
    image_api.video.finish(image_api.video.last_task.id)
    await start_bot(video_models=SOLD, job_lease_seconds=2)
    posted = await result_of(fake_discord, token)
    assert next(iter(posted.files.values()))[0] == "video_1.mp4" and len(image_api.video.submits) == 1


async def test_animate_with_midjourney_sends_its_video_task(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=("midjourney",))
    posted = await result_of(fake_discord, await animate(fake_discord, model="midjourney", loop=True))
    [submit] = image_api.mj.submits
    assert submit.path == "/mj/submit/video" and submit.body["loop"] is True and submit.body["motion"] == "low"
    assert next(iter(posted.files.values()))[0] == "video_1.mp4"


async def a_drawing(fake: FakeDiscord, image_api: FakeImageAPI) -> tuple[dict[str, Any], int]:
    """Alice draws one image; returns the posted result and its job id."""
    image_api.then(b64_images(png(64, 48, (10, 160, 90))))
    sent = await fake.slash("imagine", {"prompt": "a green kite"}, user_id=ALICE)
    await result_of(fake, sent["token"])
    message = fake.original(sent["token"])
    return message, int(custom_ids(message)[0].rsplit(":", 1)[1])


async def test_a_single_image_carries_animate_which_asks_how_it_moves_and_makes_the_clip_as_the_clickers_job(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(video_models=SOLD)
    message, job_id = await a_drawing(fake_discord, image_api)
    assert f"imagine:animate:{job_id}" in custom_ids(message)
    click = await fake_discord.click(message, f"imagine:animate:{job_id}", user_id=BOB)
    form = await callback_of(fake_discord, click["token"])
    custom_id = form.payload["data"]["custom_id"]
    assert form.payload["type"] == 9 and custom_id.startswith("imagine:animate-modal:")
    sent = await fake_discord.submit_modal(custom_id, {"prompt": ""}, user_id=BOB)
    posted = await result_of(fake_discord, sent["token"])
    assert next(iter(posted.files.values()))[0] == "video_1.mp4"

    async def clips() -> list[Job]:
        return [job for job in await stored_jobs(bot, [JobState.DONE]) if job.request.tool == "animate"]

    # A job ends just after its result is posted.
    [made] = await eventually(clips)
    assert made.user_id == BOB and image_api.video.last_task.image is not None


async def test_without_video_models_a_result_has_no_animate_button(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, _ = await a_drawing(fake_discord, image_api)
    assert not [custom_id for custom_id in custom_ids(message) if custom_id.startswith("imagine:animate:")]


async def test_animate_image_on_a_members_own_picture_makes_its_clip(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=SOLD)
    photo = fake_discord.upload("dog.png", png(64, 64, (90, 60, 30)))
    message = fake_discord._message({"content": "my dog"}, {})
    message["attachments"] = [photo]
    menu = await fake_discord.message_command("Animate image", message, user_id=BOB)
    form = await callback_of(fake_discord, menu["token"])
    sent = await fake_discord.submit_modal(form.payload["data"]["custom_id"], {"prompt": "it wags its tail"})
    await result_of(fake_discord, sent["token"])
    assert image_api.video.last_task.prompt == "it wags its tail"


async def test_animate_image_on_a_message_without_a_picture_says_so(start_bot, fake_discord: FakeDiscord) -> None:
    await start_bot(video_models=SOLD)
    message = fake_discord._message({"content": "just words"}, {})
    menu = await fake_discord.message_command("Animate image", message)
    answer = await callback_of(fake_discord, menu["token"])
    assert answer.flags & 64 and says(answer.content, "animate.no_image")


async def test_a_clip_larger_than_the_channel_takes_is_made_smaller_to_fit_and_still_plays(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=SOLD)
    made = clip()
    limit = len(made) // 10
    image_api.video.then(completes(mp4=made))
    picture = fake_discord.upload("picture.png", png(320, 240, (200, 120, 40)))
    sent = await fake_discord.slash("animate", {"image": picture, "model": "sora-2"}, size_limit=limit)
    posted = await result_of(fake_discord, sent["token"])
    name, data = next(iter(posted.files.values()))
    assert name == "video_1.mp4" and len(data) < limit
    with av.open(io.BytesIO(data), mode="r") as played:
        frames = sum(1 for _ in played.decode(video=0))
        assert frames == 48 and played.streams.audio


async def test_a_pattern_in_video_models_offers_the_video_models_the_relay_lists_and_the_default_is_preferred(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.models += [{"id": name, "supported_endpoint_types": ["video"]} for name in ("veo3", "veo3-fast")]
    bot: ImageBot = await start_bot(video_models=("veo3*",))
    await bot.core.refresh_models()
    assert sorted(bot.core.video_models) == ["veo3", "veo3-fast"]
    await result_of(fake_discord, await animate(fake_discord))
    assert image_api.video.submits[0].body["model"] == "veo3-fast"


async def test_a_server_that_allows_only_some_image_models_still_makes_clips(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=SOLD)
    sent = await fake_discord.slash(
        "imagine-admin", {"allowed": "gpt-image-2"}, subcommand="models", user_id=ADMIN, permissions=MANAGE_SERVER
    )
    await answer_of(fake_discord, sent["token"])
    await result_of(fake_discord, await animate(fake_discord, model="sora-2"))


# -- what a review found ----------------------------------------------------------------------------------------


async def test_a_clip_still_being_made_across_a_restart_keeps_its_seconds_counted(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first: ImageBot = await start_bot(video_models=SOLD, daily_video_seconds_per_user=8, job_lease_seconds=2)
    image_api.video.then(never_ends(40), never_ends(40))
    await animate(fake_discord, model="sora-2", seconds=8)
    await fake_discord.wait_for(lambda: image_api.video.polls)
    await first.close()
    await start_bot(video_models=SOLD, daily_video_seconds_per_user=8, job_lease_seconds=2)
    refused = await answer_of(fake_discord, await animate(fake_discord, model="sora-2", seconds=8))
    assert says(refused.content, "limit.video_day") and len(image_api.video.submits) == 1


async def test_reroll_of_a_clip_is_refused_once_the_server_turned_video_off(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=SOLD)
    token = await animate(fake_discord, model="sora-2", seconds=4)
    await result_of(fake_discord, token)
    message = fake_discord.original(token)
    sent = await fake_discord.slash(
        "imagine-admin", {"state": "off"}, subcommand="video", user_id=ADMIN, permissions=MANAGE_SERVER
    )
    await answer_of(fake_discord, sent["token"])
    click = await fake_discord.click(message, custom_ids(message)[0], user_id=BOB)
    answer = await answer_of(fake_discord, click["token"])
    assert says(answer.content, "video.off") and len(image_api.video.submits) == 1


async def test_a_midjourney_clip_counts_its_own_length_whatever_length_was_asked_for(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=("midjourney",), daily_video_seconds_per_user=9)
    posted = await result_of(fake_discord, await animate(fake_discord, model="midjourney", seconds=1))
    assert "5 s" in posted.content
    refused = await answer_of(fake_discord, await animate(fake_discord, model="midjourney", seconds=1))
    assert says(refused.content, "limit.video_day_fewer")


async def test_a_portrait_picture_becomes_a_portrait_clip_when_no_size_is_asked_for(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(video_models=SOLD)
    picture = fake_discord.upload("tall.png", png(240, 320, (20, 20, 200)))
    sent = await fake_discord.slash("animate", {"image": picture, "model": "sora-2"})
    await result_of(fake_discord, sent["token"])
    assert image_api.video.submits[0].body["size"] == "720x1280"
