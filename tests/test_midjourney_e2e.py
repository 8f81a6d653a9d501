"""Midjourney through the relay's task API: /imagine model:midjourney submits a task, follows it, posts its grid."""

from __future__ import annotations

from typing import Any

import pytest

from bot import ImageBot
from imagegen.api.midjourney import MISSING_ROUNDS
from imagegen.model import Job, JobState
from tests.conftest import API_KEY
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import Call, FakeImageAPI, b64_images, png
from tests.fakes.midjourney import (
    Script,
    Step,
    banned,
    cancelled,
    fails,
    http_error,
    needs_modal,
    never_ends,
    queue_full,
    queued,
    refused_at_submit,
    succeeds,
)
from tests.helpers import (
    answer_of,
    callback_of,
    custom_ids,
    eventually,
    kept_images,
    private_reply,
    result_of,
    says,
    status_edits,
    stored_jobs,
)

BOB, ADMIN = 500000000000000006, 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00


async def imagine(fake: FakeDiscord, **options: object) -> str:
    """One /imagine with Midjourney (unless ``model`` says otherwise); its token."""
    sent = await fake.slash("imagine", {"model": "midjourney", **options})
    return str(sent["token"])


async def test_a_prompt_is_submitted_as_an_imagine_task_followed_and_its_grid_posted(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    grid = png(96, 96, (10, 200, 30))
    image_api.mj.then(succeeds(steps=[("IN_PROGRESS", "45%")], image=grid))
    token = await imagine(fake_discord, prompt="a lighthouse at dusk --fast --stylize 250", size="16:9")
    result = await result_of(fake_discord, token)
    assert next(iter(result.files.values()))[1] == grid
    assert "a lighthouse at dusk" in result.content and "midjourney" in result.content
    [submit] = image_api.mj.submits
    assert submit.path == "/mj/submit/imagine"
    # Its own parameters pass through; the speed is the operator's; the size becomes --ar; no n is sent.
    assert submit.body == {"prompt": "a lighthouse at dusk --stylize 250 --ar 16:9", "botType": "MID_JOURNEY"}
    assert submit.headers["Authorization"] == f"Bearer {API_KEY}" and submit.headers["mj-api-secret"] == API_KEY
    assert any("45%" in edit.content for edit in status_edits(fake_discord, token))
    # A job ends just after its result is posted.
    [job] = await eventually(lambda: stored_jobs(bot, [JobState.DONE]))
    assert job.task_id == image_api.mj.last_task.id and job.images_delivered == 1
    assert image_api.generation_calls == []


async def test_an_aspect_ratio_typed_in_the_prompt_is_kept_and_niji_draws_with_its_own_bot(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    token = await imagine(fake_discord, prompt="a fox --ar 2:3", model="niji", size="16:9")
    await result_of(fake_discord, token)
    assert image_api.mj.submits[0].body == {"prompt": "a fox --ar 2:3", "botType": "NIJI_JOURNEY"}


async def test_mj_mode_sends_every_call_under_its_speeds_path(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(mj_mode="relax")
    await result_of(fake_discord, await imagine(fake_discord, prompt="a quiet harbour"))
    assert image_api.mj.modes == ["relax"]
    assert {call.path.split("/mj/")[0] for call in image_api.mj.polls} == {"/mj-relax"}


async def test_the_status_says_how_many_wait_before_it_in_the_relays_queue(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.mj.then(queued(3))
    token = await imagine(fake_discord, prompt="a red kite")
    await result_of(fake_discord, token)
    assert any("3 ahead" in edit.content for edit in status_edits(fake_discord, token))


async def test_the_grid_as_far_as_it_is_drawn_is_the_live_preview_where_previews_are_on(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(preview_images=2)
    image_api.mj.then(succeeds(steps=[("IN_PROGRESS", "45%", png(40, 40, (200, 0, 0)))]))
    token = await imagine(fake_discord, prompt="a red barn")
    await result_of(fake_discord, token)
    previews = [edit for edit in fake_discord.for_token(token) if "preview.webp" in str(edit.files)]
    assert len(previews) == 1 and "45%" in previews[0].content


async def test_a_banned_prompt_is_refused_kindly_naming_the_word_and_nothing_is_followed(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.mj.then(banned("blood"))
    answer = await answer_of(fake_discord, await imagine(fake_discord, prompt="a blood moon"))
    assert says(answer.content, "refused.banned_word") and "**blood**" in answer.content
    assert image_api.mj.polls == []
    [job] = await stored_jobs(bot, [JobState.REFUSED])
    assert job.images_made == 0 and job.task_id is None


@pytest.mark.parametrize(
    ("script", "key"),
    [
        (queue_full(), "error.busy"),
        (refused_at_submit(23, "系统繁忙，请稍后再试"), "error.busy"),
        (refused_at_submit(25, "余额不足"), "error.quota"),
        (refused_at_submit(24, "account unavailable"), "error.unavailable"),
        (http_error(401, "invalid token"), "error.auth"),
    ],
)
async def test_a_submit_the_relay_turns_down_is_said_in_words(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, script: Script, key: str
) -> None:
    image_api.mj.then(script)
    answer = await answer_of(fake_discord, await imagine(fake_discord, prompt="a teapot"))
    assert says(answer.content, key), answer.content
    assert "{" not in answer.content and API_KEY not in answer.content
    [job] = await stored_jobs(bot, [JobState.FAILED])
    assert job.images_made == 0


@pytest.mark.parametrize(
    ("script", "key", "shown"),
    [
        (fails("[Invalid parameter] Unrecognized parameter --foo"), "error.parameter", "--foo"),
        (fails("Banned prompt detected: gore"), "refused.sensitive_words", None),
        (fails("Midjourney account 7 is being rate limited"), "error.upstream_failed", None),
        (cancelled(), "error.upstream_failed", None),
    ],
)
async def test_a_task_that_ends_without_a_result_is_told_in_words_never_its_raw_reason(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, script: Script, key: str, shown: str | None
) -> None:
    image_api.mj.then(script)
    answer = await answer_of(fake_discord, await imagine(fake_discord, prompt="a teapot --foo"))
    assert says(answer.content, key), answer.content
    if shown is not None:
        assert shown in answer.content
    assert "account 7" not in answer.content and image_api.mj.last_task.id not in answer.content


async def test_a_task_unfinished_past_the_timeout_is_given_up_and_no_longer_polled(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot = await start_bot(mj_timeout=0.3)
    image_api.mj.then(never_ends("30%"))
    answer = await answer_of(fake_discord, await imagine(fake_discord, prompt="a slow boat"))
    assert says(answer.content, "error.timeout")
    [job] = await stored_jobs(bot, [JobState.FAILED])
    assert job.task_id is not None
    polled = asked_about(image_api, job.task_id)
    # The job has ended: while another is followed to its end, its task is no longer asked about.
    image_api.mj.then(succeeds(steps=[("IN_PROGRESS", "10%"), ("IN_PROGRESS", "60%")]))
    await result_of(fake_discord, await imagine(fake_discord, prompt="a quick sketch"))
    assert asked_about(image_api, job.task_id) == polled


def asked_about(image_api: FakeImageAPI, task_id: str) -> int:
    """How many polls asked about the task."""
    return sum(task_id in ids_of(call) or task_id in call.path for call in image_api.mj.polls)


async def test_a_task_the_relay_no_longer_knows_interrupts_the_job_with_a_way_to_run_it_again(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.mj.then(never_ends("20%"))
    token = await imagine(fake_discord, prompt="a lost lantern")
    await fake_discord.wait_for(lambda: [edit for edit in status_edits(fake_discord, token) if "20%" in edit.content])
    image_api.mj.forget(image_api.mj.last_task.id)
    ended = await fake_discord.wait_for(
        lambda: [edit for edit in status_edits(fake_discord, token) if says(edit.content, "job.interrupted")]
    )
    assert custom_ids(ended[0].payload)[0].startswith("imagine:rerun:")
    [job] = await stored_jobs(bot, [JobState.INTERRUPTED])
    assert job.error_code == "task_gone"


async def test_a_relay_without_list_by_condition_is_polled_one_task_at_a_time(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.mj.list_by_condition = False
    image_api.mj.then(succeeds(steps=[("IN_PROGRESS", f"{percent}%") for percent in range(10, 100, 10)]))
    await result_of(fake_discord, await imagine(fake_discord, prompt="a castle"))
    paths = [call.path.rsplit("/", 1)[-1] for call in image_api.mj.polls]
    # A missing route is believed only once it stays missing: a proxy may answer 404 for a moment.
    last_list = max(index for index, path in enumerate(paths) if path == "list-by-condition")
    assert paths.count("list-by-condition") == MISSING_ROUNDS
    assert paths[last_list + 1 :] and all(path == "fetch" for path in paths[last_list + 1 :])


async def test_tasks_in_flight_together_are_polled_in_one_request_a_round(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.mj.then(never_ends("10%"), never_ends("10%"))
    tokens = [await imagine(fake_discord, prompt=prompt) for prompt in ("a wolf", "a bear")]
    await fake_discord.wait_for(lambda: [call for call in image_api.mj.polls if len(ids_of(call)) == 2])
    for task in image_api.mj.tasks.values():
        task.timeline.append(Step("SUCCESS", "100%"))
    for token in tokens:
        await result_of(fake_discord, token)
    assert all(call.path.endswith("/list-by-condition") for call in image_api.mj.polls)


def ids_of(call: Call) -> list[str]:
    """The task ids a poll asked about."""
    return list((call.body or {}).get("ids", []))


async def test_quality_and_background_are_refused_naming_the_model_before_anything_is_submitted(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.slash("imagine", {"prompt": "a kite", "model": "midjourney", "quality": "high"})
    answer = await answer_of(fake_discord, sent["token"])
    assert says(answer.content, "invalid.quality_mj") and "--q 4" in answer.content
    sent = await fake_discord.slash("imagine", {"prompt": "a kite", "model": "niji", "background": "transparent"})
    answer = await answer_of(fake_discord, sent["token"])
    assert says(answer.content, "invalid.background_mj") and "niji" in answer.content
    assert image_api.mj.submits == []


async def test_midjourney_and_niji_are_offered_when_the_relay_lists_mj_imagine(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.models += [{"id": name, "supported_endpoint_types": ["mj"]} for name in ("mj_imagine", "mj_upscale")]
    await start_bot()
    sent = await fake_discord.autocomplete("imagine", {"prompt": "x", "model": ""}, focused="model")
    callback = await callback_of(fake_discord, sent["token"])
    offered = [choice["value"] for choice in callback.payload["data"]["choices"]]
    assert "midjourney" in offered and "niji" in offered
    assert not any(name.startswith("mj_") for name in offered)


async def test_a_task_drawing_when_the_bot_stops_is_followed_on_after_the_restart_never_submitted_twice(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first: ImageBot = await start_bot(job_lease_seconds=2)
    image_api.mj.then(never_ends("40%"))
    token = await imagine(fake_discord, prompt="a long night")
    await fake_discord.wait_for(lambda: [edit for edit in status_edits(fake_discord, token) if "40%" in edit.content])
    await first.close()
    task = image_api.mj.last_task
    task.timeline.append(Step("SUCCESS", "100%"))
    second: ImageBot = await start_bot(job_lease_seconds=2)
    await result_of(fake_discord, token)
    assert len(image_api.mj.submits) == 1
    [job] = await eventually(lambda: stored_jobs(second, [JobState.DONE]))
    assert job.task_id == task.id and job.images_delivered == 1


# -- Midjourney's buttons ----------------------------------------------------------------------------------------


async def a_grid(fake: FakeDiscord, image_api: FakeImageAPI) -> tuple[dict[str, Any], int]:
    """Alice draws a grid with Midjourney; returns the posted result message and its job id."""
    token = await imagine(fake, prompt="a red kite")
    await result_of(fake, token)
    message = fake.original(token)
    job_id = int(custom_ids(message)[0].split(":")[2])
    return message, job_id


async def until_done(bot: ImageBot, count: int) -> list[Job]:
    """The jobs done, once there are ``count`` of them (a job ends just after its result is posted)."""
    done: list[Job] = await eventually(lambda: _done_when(bot, count))
    return done


async def _done_when(bot: ImageBot, count: int) -> list[Job] | None:
    found = await stored_jobs(bot, [JobState.DONE])
    return found if len(found) >= count else None


def labels(message: dict[str, Any]) -> list[str]:
    """The buttons of a message, each by its label or else its emoji."""
    found = [c for row in message.get("components", []) for c in row["components"]]
    return [button.get("label") or button.get("emoji", {}).get("name", "") for button in found]


async def test_a_grid_carries_midjourneys_own_buttons_and_a_click_acts_on_its_task_as_the_clickers_job(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_grid(fake_discord, image_api)
    grid = image_api.mj.last_task
    assert labels(message)[:9] == ["U1", "U2", "U3", "U4", "🔄", "V1", "V2", "V3", "V4"]
    assert custom_ids(message)[1] == f"imagine:mj:{job_id}:1"
    click = await fake_discord.click(message, f"imagine:mj:{job_id}:1", user_id=BOB)
    await result_of(fake_discord, click["token"])
    action = image_api.mj.submits[-1]
    assert action.path == "/mj/submit/action"
    assert action.body == {"customId": grid.buttons[1]["customId"], "taskId": grid.id}
    upscaled = fake_discord.original(click["token"])
    shown = labels(upscaled)
    assert "Vary (Subtle)" in shown and "Zoom Out 2x" in shown and "Animate (High motion)" in shown
    # Vary (Region) needs a drawn mask, and the bookmark means nothing here.
    assert "Vary (Region)" not in shown and "❤️" not in shown
    [_, second] = sorted(await until_done(bot, 2), key=lambda job: job.id)
    assert (second.user_id, second.request.action, second.request.parent_task) == (
        BOB, grid.buttons[1]["customId"], grid.id
    )  # fmt: skip


async def test_custom_zoom_asks_for_the_prompt_then_sends_midjourneys_form(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_grid(fake_discord, image_api)
    click = await fake_discord.click(message, f"imagine:mj:{job_id}:0")
    await result_of(fake_discord, click["token"])
    upscaled = fake_discord.original(click["token"])
    upscale_job = int(custom_ids(upscaled)[0].split(":")[2])
    zoom = labels(upscaled).index("Custom Zoom")
    opened = await fake_discord.click(upscaled, f"imagine:mj:{upscale_job}:{zoom}")
    form = await callback_of(fake_discord, opened["token"])
    assert form.payload["type"] == 9 and "a red kite --zoom 2" in str(form.payload["data"]["components"])
    sent = await fake_discord.submit_modal(f"imagine:mj-zoom:{upscale_job}:{zoom}", {"prompt": "a red kite --zoom 1.5"})
    await result_of(fake_discord, sent["token"])
    action, modal = image_api.mj.submits[-2:]
    assert action.path.endswith("/submit/action") and modal.path.endswith("/submit/modal")
    assert modal.body["prompt"] == "a red kite --zoom 1.5"


async def test_midjourneys_buttons_work_after_a_restart_and_count_against_the_budget_at_their_price(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    # An Imagine is estimated at $0.10 and an upscale at $0.05: the budget leaves room for one upscale only.
    first: ImageBot = await start_bot(daily_budget_per_server=0.16)
    message, job_id = await a_grid(fake_discord, image_api)
    await first.close()
    await start_bot(daily_budget_per_server=0.16)
    click = await fake_discord.click(message, f"imagine:mj:{job_id}:0", user_id=BOB)
    await result_of(fake_discord, click["token"])
    again = await fake_discord.click(message, f"imagine:mj:{job_id}:2", user_id=BOB)
    refused = await answer_of(fake_discord, again["token"])
    assert says(refused.content, "limit.budget")
    assert [call.path.rsplit("/", 1)[-1] for call in image_api.mj.submits] == ["imagine", "action"]


async def an_upscale(fake: FakeDiscord, image_api: FakeImageAPI) -> tuple[dict[str, Any], int]:
    """A grid, then its U1; returns the upscale's message and its job id."""
    message, job_id = await a_grid(fake, image_api)
    click = await fake.click(message, f"imagine:mj:{job_id}:0")
    await result_of(fake, click["token"])
    upscaled = fake.original(click["token"])
    return upscaled, int(custom_ids(upscaled)[0].split(":")[2])


MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 20


async def test_animate_posts_the_video_midjourney_made_as_an_mp4(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    upscaled, job_id = await an_upscale(fake_discord, image_api)
    animate = labels(upscaled).index("Animate (High motion)")
    image_api.mj.then(succeeds(videos=[MP4]))
    click = await fake_discord.click(upscaled, f"imagine:mj:{job_id}:{animate}")
    posted = await result_of(fake_discord, click["token"])
    assert list(posted.files.values()) == [("video_1.mp4", MP4)]
    # Counted as a video (its model is "other" here: the fake relay does not list Midjourney).
    assert 'imagine_videos_total{model="other",outcome="done"} 1.0' in bot.core.metrics_page().decode()
    assert "Extend (High motion)" in labels(fake_discord.original(click["token"]))


async def test_a_video_larger_than_the_channel_takes_is_kept_and_the_member_told_why(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    upscaled, job_id = await an_upscale(fake_discord, image_api)
    animate = labels(upscaled).index("Animate (Low motion)")
    image_api.mj.then(succeeds(videos=[MP4]))
    click = await fake_discord.click(upscaled, f"imagine:mj:{job_id}:{animate}", size_limit=len(MP4) // 2)
    told = await private_reply(fake_discord, click["token"])
    assert says(told.content, "result.too_large")
    assert any(says(edit.content, "result.too_large_status") for edit in status_edits(fake_discord, click["token"]))
    [kept] = await stored_jobs(bot, [JobState.DELIVERING])
    assert kept.images_made == 1 and await kept_images(bot, kept.id) == [MP4]


# -- /describe and /blend with Midjourney ------------------------------------------------------------------------


async def test_describe_with_midjourney_asks_midjourney_and_its_numbered_prompts_get_buttons_that_draw_with_it(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    photo = fake_discord.upload("photo.png", png(300, 200, (30, 90, 160)))
    sent = await fake_discord.slash("describe", {"image": photo, "model": "midjourney"})
    await result_of(fake_discord, sent["token"])
    message = fake_discord.original(sent["token"])
    [submit] = image_api.mj.submits
    assert submit.path == "/mj/submit/describe" and submit.body["base64"].startswith("data:image/")
    description = message["embeds"][0]["description"]
    assert "**1.** " in description and "**4.** " in description and "1️⃣" not in description
    assert image_api.chat_calls == []
    click = await fake_discord.click(message, custom_ids(message)[1], user_id=BOB)
    await result_of(fake_discord, click["token"])
    drawn = image_api.mj.submits[-1]
    assert drawn.path == "/mj/submit/imagine" and drawn.body["prompt"] in description


async def test_blend_with_midjourney_sends_the_images_and_the_shape_of_its_size(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    options = {"image1": fake_discord.upload("a.png", png(40, 40)), "image2": fake_discord.upload("b.png", png(40, 40)),
               "model": "midjourney", "size": "9:16"}  # fmt: skip
    sent = await fake_discord.slash("blend", options)
    await result_of(fake_discord, sent["token"])
    [submit] = image_api.mj.submits
    assert submit.path == "/mj/submit/blend" and submit.body["dimensions"] == "PORTRAIT"
    assert len(submit.body["base64Array"]) == 2 and image_api.edit_calls == []


# -- what a review found ----------------------------------------------------------------------------------------


async def test_a_task_given_up_after_the_relay_accepted_it_stays_on_the_budget(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    # $0.10 an Imagine: a budget of $0.15 has room for one, whether it was delivered or not.
    await start_bot(mj_timeout=0.3, daily_budget_per_server=0.15)
    image_api.mj.then(never_ends("30%"))
    assert says((await answer_of(fake_discord, await imagine(fake_discord, prompt="slow"))).content, "error.timeout")
    refused = await answer_of(fake_discord, await imagine(fake_discord, prompt="again"))
    assert says(refused.content, "limit.budget") and len(image_api.mj.submits) == 1


async def test_an_action_midjourney_answers_with_its_form_gets_the_jobs_prompt(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_grid(fake_discord, image_api)
    # Remix mode on the relay's account: a variation waits for a prompt before it draws.
    image_api.mj.then(needs_modal())
    click = await fake_discord.click(message, f"imagine:mj:{job_id}:5")
    await result_of(fake_discord, click["token"])
    action, modal = image_api.mj.submits[-2:]
    assert action.path.endswith("/submit/action") and modal.path.endswith("/submit/modal")
    assert modal.body == {"taskId": image_api.mj.last_task.id, "prompt": "a red kite"}


async def test_remix_of_a_midjourney_action_draws_the_new_prompt_instead_of_repeating_the_action(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    _, job_id = await an_upscale(fake_discord, image_api)
    sent = await fake_discord.submit_modal(f"imagine:remix-modal:{job_id}", {"prompt": "a blue kite"})
    await result_of(fake_discord, sent["token"])
    last = image_api.mj.submits[-1]
    assert last.path.endswith("/submit/imagine") and last.body["prompt"] == "a blue kite"


async def test_a_button_whose_emoji_only_midjourney_can_send_is_labelled_by_its_name(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    own = [{"customId": "MJ::JOB::upsample::1::x", "label": "", "emoji": "upscale_1", "type": 2, "style": 2},
           {"customId": "MJ::JOB::reroll::0::x::SOLO", "label": "", "emoji": "🔄", "type": 2, "style": 2}]  # fmt: skip
    image_api.mj.then(succeeds(buttons=own))
    token = await imagine(fake_discord, prompt="a kite")
    await result_of(fake_discord, token)
    found = [c for row in fake_discord.original(token)["components"] for c in row["components"]][:2]
    assert found[0]["label"] == "upscale_1" and "emoji" not in found[0]
    assert found[1]["emoji"]["name"] == "🔄"


async def test_describe_with_midjourney_is_refused_where_the_server_does_not_allow_it(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.slash(
        "imagine-admin", {"allowed": "gpt-image-2"}, subcommand="models", user_id=ADMIN, permissions=MANAGE_SERVER
    )
    await answer_of(fake_discord, sent["token"])
    photo = fake_discord.upload("photo.png", png(300, 200, (30, 90, 160)))
    asked = await fake_discord.slash("describe", {"image": photo, "model": "midjourney"})
    answer = await answer_of(fake_discord, asked["token"])
    assert says(answer.content, "limit.model") and image_api.mj.submits == []


async def test_describe_with_midjourney_is_billed_to_the_budget_but_draws_no_image_of_the_day(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    # A Describe is estimated at $0.05 and an Imagine at $0.10: $0.12 has room for the one, not both.
    await start_bot(daily_budget_per_server=0.12, daily_images_per_user=1)
    photo = fake_discord.upload("photo.png", png(300, 200, (30, 90, 160)))
    sent = await fake_discord.slash("describe", {"image": photo, "model": "midjourney"})
    await result_of(fake_discord, sent["token"])
    refused = await answer_of(fake_discord, await imagine(fake_discord, prompt="a heron"))
    assert says(refused.content, "limit.budget")
    assert [call.path.rsplit("/", 1)[-1] for call in image_api.mj.submits] == ["describe"]


async def test_describe_with_midjourney_leaves_the_members_images_of_the_day_untouched(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(daily_images_per_user=1)
    photo = fake_discord.upload("photo.png", png(300, 200, (30, 90, 160)))
    sent = await fake_discord.slash("describe", {"image": photo, "model": "midjourney"})
    await result_of(fake_discord, sent["token"])
    await result_of(fake_discord, await imagine(fake_discord, prompt="a heron"))


async def test_a_task_drawing_at_the_relay_leaves_its_slot_so_a_drawing_does_not_wait_for_it(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(max_concurrent_jobs=1)
    image_api.mj.then(never_ends("30%"))
    slow = await imagine(fake_discord, prompt="a relaxed fox")
    await fake_discord.wait_for(lambda: [edit for edit in status_edits(fake_discord, slow) if "30%" in edit.content])
    image_api.then(b64_images(png()))
    quick = await imagine(fake_discord, prompt="a quick sketch", model="gpt-image-2")
    await result_of(fake_discord, quick)
    image_api.mj.last_task.timeline.append(Step("SUCCESS", "100%"))
    await result_of(fake_discord, slow)
