"""Working on one image of a result, end to end: pick, the single-image tools, /blend and /describe."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import ImageBot
from tests.conftest import BotFactory
from tests.fakes.discord import FakeDiscord, Recorded
from tests.fakes.image_api import FakeImageAPI, api_error, b64_images, png
from tests.helpers import callback_of, custom_ids, private_reply, result_of

ALICE, BOB = 500000000000000005, 500000000000000006
RED, GREEN = (200, 0, 0), (0, 200, 0)


def opened(blob: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(blob))
    image.load()
    return image


def pixel(blob: bytes, where: tuple[int, int] = (5, 5)) -> tuple[int, ...]:
    """The colour of an image at ``where``."""
    found = opened(blob).convert("RGB").getpixel(where)
    assert isinstance(found, tuple)
    return found


def opaque_box(blob: bytes) -> tuple[int, int, int, int] | None:
    """Where an image is not transparent, after checking its alpha is all or nothing and the opaque part a box."""
    alpha = opened(blob).convert("RGBA").getchannel("A")
    counts = alpha.histogram()
    assert counts[0] + counts[255] == alpha.width * alpha.height
    box = alpha.getbbox()
    if box is not None:
        assert counts[255] == (box[2] - box[0]) * (box[3] - box[1])
    return box


async def a_result(fake: FakeDiscord, api: FakeImageAPI, *images: bytes, **options: Any) -> tuple[dict[str, Any], int]:
    """Alice draws ``images``; returns the posted result message and its job id."""
    api.then(b64_images(*images))
    sent = await fake.slash("imagine", {"prompt": "a red kite", "n": len(images), **options}, user_id=ALICE)
    await result_of(fake, sent["token"])
    message = fake.original(sent["token"])
    return message, int(custom_ids(message)[0].rsplit(":", 1)[1])


async def picked(fake: FakeDiscord, api: FakeImageAPI, index: int = 2) -> tuple[dict[str, Any], int]:
    """A result of two 1024×1024 images (red, green), and image ``index`` picked by Bob: the new message, job id."""
    message, job_id = await a_result(fake, api, png(1024, 1024, RED), png(1024, 1024, GREEN))
    click = await fake.click(message, f"imagine:pick:{job_id}:{index}", user_id=BOB)
    await result_of(fake, click["token"])
    return fake.original(click["token"]), job_id


async def tool_call(fake: FakeDiscord, api: FakeImageAPI, message: dict[str, Any], job_id: int, tool: str) -> Any:
    """Bob clicks ``tool`` under ``message``; returns the edit request it made, once its result is posted."""
    api.then(b64_images(png(16, 16)))
    click = await fake.click(message, f"imagine:tool:{job_id}:{tool}", user_id=BOB)
    await result_of(fake, click["token"])
    return api.edit_calls[-1]


def files_named(call: Any, name: str) -> list[bytes]:
    return [blob for field, _, blob in call.files if field == name]


async def test_picking_posts_that_image_alone_with_the_tools_and_a_link_without_drawing(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_result(fake_discord, image_api, png(64, 64, RED), png(64, 64, GREEN))
    assert [c for c in custom_ids(message) if ":pick:" in c] == [f"imagine:pick:{job_id}:1", f"imagine:pick:{job_id}:2"]
    assert not [c for c in custom_ids(message) if ":tool:" in c]
    calls = len(image_api.calls)
    click = await fake_discord.click(message, f"imagine:pick:{job_id}:2", user_id=BOB)
    posted = await result_of(fake_discord, click["token"])
    single = fake_discord.original(click["token"])
    assert len(image_api.calls) == calls
    [attachment] = single["attachments"]
    assert pixel(fake_discord.uploads[attachment["id"]]) == GREEN
    assert f"/{message['channel_id']}/{message['id']}" in posted.content and f"<@{ALICE}>" in posted.content
    assert not posted.payload.get("allowed_mentions", {}).get("users")
    assert f"imagine:tool:{job_id}:zoom-2" in custom_ids(single) and f"imagine:tool:{job_id}:edit" in custom_ids(single)


@pytest.mark.parametrize(("tool", "box"), [("zoom-2", (256, 256, 768, 768)), ("zoom-1.5", (170, 170, 853, 853))])
async def test_zoom_out_sends_the_image_shrunk_on_a_transparent_canvas_with_a_mask_of_its_size(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, tool: str, box: tuple[int, ...]
) -> None:
    single, job_id = await picked(fake_discord, image_api)
    call = await tool_call(fake_discord, image_api, single, job_id, tool)
    [canvas], [mask] = files_named(call, "image[]"), files_named(call, "mask")
    assert opened(canvas).size == opened(mask).size == (1024, 1024) and call.body["size"] == "1024x1024"
    assert opaque_box(mask) == opaque_box(canvas) == box
    assert pixel(canvas, (512, 512)) == GREEN
    assert call.body["n"] == "1" and call.body["prompt"].startswith("a red kite, zoomed out")


@pytest.mark.parametrize(
    ("direction", "size", "box"),
    [
        ("left", (1536, 1024), (512, 0, 1536, 1024)),
        ("right", (1536, 1024), (0, 0, 1024, 1024)),
        ("up", (1024, 1536), (0, 512, 1024, 1536)),
        ("down", (1024, 1536), (0, 0, 1024, 1024)),
    ],
)
async def test_pan_extends_the_canvas_by_half_on_one_side_and_masks_only_the_new_part(
    bot: ImageBot,
    fake_discord: FakeDiscord,
    image_api: FakeImageAPI,
    direction: str,
    size: tuple[int, int],
    box: tuple[int, ...],
) -> None:
    single, job_id = await picked(fake_discord, image_api)
    call = await tool_call(fake_discord, image_api, single, job_id, f"pan-{direction}")
    [canvas], [mask] = files_named(call, "image[]"), files_named(call, "mask")
    assert opened(canvas).size == opened(mask).size == size and call.body["size"] == "x".join(map(str, size))
    assert opaque_box(mask) == opaque_box(canvas) == box


async def test_vary_and_upscale_edit_the_image_itself_at_the_size_the_model_takes(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    single, job_id = await picked(fake_discord, image_api)
    subtle = await tool_call(fake_discord, image_api, single, job_id, "subtle")
    strong = await tool_call(fake_discord, image_api, single, job_id, "strong")
    upscale = await tool_call(fake_discord, image_api, single, job_id, "upscale")
    for call in (subtle, strong, upscale):
        [reference] = files_named(call, "image[]")
        assert not files_named(call, "mask")
        assert pixel(reference) == GREEN
        # gpt-image-2's catalogue entry does not take input_fidelity: it is left out, not sent and refused.
        assert "input_fidelity" not in call.body
    assert subtle.body["size"] == strong.body["size"] == "1024x1024"
    assert "subtle variation" in subtle.body["prompt"] and "strong variation" in strong.body["prompt"]
    # The largest square gpt-image-2 draws: 8,294,400 pixels at most, sides multiples of 16.
    assert upscale.body["size"] == "2880x2880"


async def test_a_tool_result_names_the_tool_and_carries_the_tools_again(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    single, job_id = await picked(fake_discord, image_api)
    image_api.then(b64_images(png(16, 16)))
    click = await fake_discord.click(single, f"imagine:tool:{job_id}:zoom-2", user_id=BOB)
    result = await result_of(fake_discord, click["token"])
    assert "Zoom out 2×" in result.content and f"<@{BOB}>" in result.content
    new_job = int(custom_ids(fake_discord.original(click["token"]))[0].rsplit(":", 1)[1])
    assert new_job != job_id
    assert f"imagine:tool:{new_job}:pan-left" in custom_ids(fake_discord.original(click["token"]))


@pytest.mark.parametrize(
    ("model", "tools"),
    [
        ("qwen-image-3.0", ["edit"]),
        ("flux-kontext-pro", ["subtle", "strong", "edit"]),
    ],
)
async def test_tools_a_model_cannot_do_are_not_offered(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, model: str, tools: list[str]
) -> None:
    message, _ = await a_result(fake_discord, image_api, png(64, 64), model=model)
    assert [c.rsplit(":", 1)[1] for c in custom_ids(message) if ":tool:" in c] == tools


@pytest.mark.parametrize(
    ("model", "size", "tool", "said"),
    [
        ("qwen-image-3.0", "auto", "zoom-2", "qwen-image-3.0 cannot do that"),
        # gpt-image-1.5 draws 1536x1024 at its widest: a landscape image cannot be panned sideways.
        ("gpt-image-1.5", "1536x1024", "pan-right", "no size with more room that way"),
    ],
)
async def test_a_tool_that_cannot_run_is_refused_kindly_and_draws_nothing(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, model: str, size: str, tool: str, said: str
) -> None:
    message, job_id = await a_result(fake_discord, image_api, png(1536, 1024), model=model, size=size)
    custom_id = f"imagine:tool:{job_id}:{tool}"
    if custom_id not in custom_ids(message):
        # As on a result posted before the catalogue said the model cannot do it.
        button = {"type": 2, "style": 2, "label": tool, "custom_id": custom_id}
        message["components"].append({"type": 1, "components": [button]})
    calls = len(image_api.calls)
    click = await fake_discord.click(message, custom_id, user_id=BOB)
    answer = await private_reply(fake_discord, click["token"])
    assert said in answer.content and len(image_api.calls) == calls


async def test_edit_opens_the_form_for_that_image(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    single, job_id = await picked(fake_discord, image_api)
    click = await fake_discord.click(single, f"imagine:tool:{job_id}:edit", user_id=BOB)
    modal = await callback_of(fake_discord, click["token"])
    form = modal.payload["data"]["custom_id"]
    assert modal.payload["type"] == 9 and form == f"imagine:edit-modal:{single['channel_id']}:{single['id']}:0"
    image_api.then(b64_images(png()))
    submit = await fake_discord.submit_modal(form, {"prompt": "give it a hat"}, user_id=BOB)
    await result_of(fake_discord, submit["token"])
    [reference] = files_named(image_api.edit_calls[-1], "image[]")
    assert pixel(reference) == GREEN


async def test_pick_and_tools_work_after_a_restart(
    start_bot: BotFactory, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first = await start_bot()
    message, job_id = await a_result(fake_discord, image_api, png(1024, 1024, RED), png(1024, 1024, GREEN))
    await first.close()
    await start_bot()
    click = await fake_discord.click(message, f"imagine:pick:{job_id}:1", user_id=BOB)
    await result_of(fake_discord, click["token"])
    single = fake_discord.original(click["token"])
    call = await tool_call(fake_discord, image_api, single, job_id, "zoom-2")
    assert pixel(files_named(call, "image[]")[0], (512, 512)) == RED


@pytest.mark.parametrize("count", [2, 5])
async def test_blend_sends_every_upload_to_the_edits_endpoint_with_a_default_prompt(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI, count: int
) -> None:
    colours = [(10 * n, 40, 200 - 10 * n) for n in range(count)]
    options = {
        f"image{n + 1}": fake_discord.upload(f"{n}.png", png(40, 40, colour)) for n, colour in enumerate(colours)
    }
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("blend", options, user_id=ALICE)
    result = await result_of(fake_discord, sent["token"])
    [call] = image_api.edit_calls
    sent_colours = [pixel(blob) for blob in files_named(call, "image[]")]
    assert all(abs(a - b) <= 4 for found, wanted in zip(sent_colours, colours, strict=True)
               for a, b in zip(found, wanted, strict=True))  # fmt: skip
    assert call.body["prompt"].startswith("Blend these images into one")
    assert "Blend" in result.content


async def test_blend_with_a_prompt_and_size_sends_them(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    options = {"image1": fake_discord.upload("a.png", png(40, 40)), "image2": fake_discord.upload("b.png", png(40, 40)),
               "prompt": "a cat made of clouds", "size": "1536x1024"}  # fmt: skip
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("blend", options, user_id=ALICE)
    await result_of(fake_discord, sent["token"])
    [call] = image_api.edit_calls
    assert call.body["prompt"] == "a cat made of clouds" and call.body["size"] == "1536x1024"


async def describe(
    fake: FakeDiscord, options: dict[str, Any] | None = None, **kwargs: Any
) -> tuple[Recorded, dict[str, Any]]:
    """Alice describes a photo (with more ``options``); returns the answer and its message."""
    photo = fake.upload("photo.png", png(300, 200, (30, 90, 160)))
    sent = await fake.slash("describe", {"image": photo, **(options or {})}, user_id=ALICE, **kwargs)
    answer = await result_of(fake, sent["token"])
    return answer, fake.original(sent["token"])


async def test_describe_shows_four_prompts_with_the_image_and_a_button_for_each(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    _, message = await describe(fake_discord)
    [call] = image_api.chat_calls
    assert call.body["model"] == "gpt-4o"
    image_part = call.body["messages"][1]["content"][0]
    assert image_part["image_url"]["url"].startswith("data:image/")
    assert "English" in call.body["messages"][0]["content"]
    [embed] = message["embeds"]
    assert "**1.** a red fox in snow" in embed["description"] and "**4.** a fox, pixel art" in embed["description"]
    assert embed["thumbnail"]["url"] == f"attachment://{message['attachments'][0]['filename']}"
    ids = custom_ids(message)
    assert len(ids) == 4 and all(c.startswith("imagine:idea:") for c in ids)
    image_api.then(b64_images(png()))
    click = await fake_discord.click(message, ids[2], user_id=BOB)
    result = await result_of(fake_discord, click["token"])
    assert image_api.generation_calls[-1].body["prompt"] == "a fox at dusk"
    assert f"<@{BOB}>" in result.content
    assert 'imagine_describes_total{outcome="ok"} 1.0' in bot.core.metrics_page().decode()


async def test_describe_asks_in_chinese_for_chinese_members_and_reads_a_fenced_or_numbered_answer(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.answer_chat("好的：\n1. 雪中的红狐狸\n2) 水彩狐狸\n- 黄昏的狐狸\n4. 像素狐狸 <@123> **粗体**")
    answer, message = await describe(fake_discord, locale="zh-CN")
    assert "Simplified Chinese" in image_api.chat_calls[0].body["messages"][0]["content"]
    description = message["embeds"][0]["description"]
    assert "**2.** 水彩狐狸" in description and "**3.** 黄昏的狐狸" in description
    # What the model wrote cannot ping anyone or render as markup.
    assert "<@123>" not in description and "**粗体**" not in description
    assert "点数字即可画出" in answer.content


async def test_describe_buttons_use_the_chosen_model_after_a_restart(
    start_bot: BotFactory, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first = await start_bot()
    _, message = await describe(fake_discord, {"model": "gpt-image-2.5-flare"})
    await first.close()
    await start_bot()
    image_api.then(b64_images(png()))
    click = await fake_discord.click(message, custom_ids(message)[0], user_id=BOB)
    await result_of(fake_discord, click["token"])
    assert image_api.generation_calls[-1].body["model"] == "gpt-image-2.5-flare"


async def test_describe_without_a_model_that_reads_images_says_so(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.models = [model for model in image_api.models if model["id"] != "gpt-4o"]
    await bot.core.refresh_models()
    photo = fake_discord.upload("photo.png", png(30, 30))
    sent = await fake_discord.slash("describe", {"image": photo}, user_id=ALICE)
    answer = await private_reply(fake_discord, sent["token"])
    assert "VISION_MODEL" in answer.content and not image_api.chat_calls


async def test_describe_with_a_vision_model_the_api_lacks_tells_the_member_it_is_the_operators_to_change(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.answer_chat(api_error(503, "new_api_error", "model_not_found"))
    photo = fake_discord.upload("photo.png", png(30, 30))
    sent = await fake_discord.slash("describe", {"image": photo}, user_id=ALICE)
    answer = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.content])
    assert "no model called gpt-4o" in answer[0].content and "VISION_MODEL" in answer[0].content
    assert "request id" not in answer[0].content
    assert 'imagine_describes_total{outcome="error"} 1.0' in bot.core.metrics_page().decode()


async def test_a_tool_on_a_message_whose_image_is_gone_says_so_and_draws_nothing(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_result(fake_discord, image_api, png(64, 64))
    message["attachments"] = []
    calls = len(image_api.calls)
    for custom_id in (f"imagine:tool:{job_id}:zoom-2", f"imagine:tool:{job_id}:subtle"):
        click = await fake_discord.click(message, custom_id, user_id=BOB)
        answer = await private_reply(fake_discord, click["token"])
        assert "no longer on the message" in answer.content
    assert len(image_api.calls) == calls
