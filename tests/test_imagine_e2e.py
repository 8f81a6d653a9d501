"""/imagine end to end: the real bot against the fake Discord and the fake image API."""

from __future__ import annotations

import asyncio
import io
import logging

import pytest
from aiohttp import web
from PIL import Image

from tests.conftest import API_KEY, DISCORD_TOKEN
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, FakeDiscord, Recorded
from tests.fakes.image_api import FakeImageAPI, api_error, b64_images, gated, png, raw_json, truncated
from tests.helpers import callback_of, private_reply, result_of

ADMIN = 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00

USER = "<@500000000000000005>"


def text_of(entry: Recorded) -> str:
    return entry.content


# -- results ----------------------------------------------------------------------------------------------------


async def test_result_is_posted_with_the_image_bytes_prompt_model_and_requester(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image = png(32, 32, (1, 2, 3))
    image_api.then(b64_images(image))
    sent = await fake_discord.slash("imagine", {"prompt": "a white siamese cat"})
    edit = await result_of(fake_discord, sent["token"])
    assert edit.method == "PATCH" and edit.path.endswith("/messages/@original")
    assert next(iter(edit.files.values())) == ("image_1.png", image)
    assert "a white siamese cat" in edit.content
    assert "gpt-image-2" in edit.content
    assert USER in edit.content
    assert edit.payload["allowed_mentions"] == {"parse": []}
    callback = fake_discord.for_token(sent["token"])[0]
    assert callback.path.endswith("/callback") and callback.payload["type"] == 5
    call = image_api.generation_calls[0]
    assert call.body == {"model": "gpt-image-2", "prompt": "a white siamese cat", "n": 1}
    assert call.headers["Authorization"] == f"Bearer {API_KEY}"


async def test_images_given_as_urls_are_downloaded_and_empty_strings_count_as_missing(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first, second = png(20, 20, (9, 9, 9)), png(24, 24, (7, 7, 7))
    data = [
        {"url": image_api.file_url("a.png", first), "b64_json": ""},
        {"url": "", "b64_json": ""},
        {"url": image_api.file_url("b.png", second)},
    ]
    image_api.then(raw_json({"created": 1, "data": data}))
    sent = await fake_discord.slash("imagine", {"prompt": "three foxes", "n": 3})
    edit = await result_of(fake_discord, sent["token"])
    assert [blob for _, blob in edit.files.values()] == [first, second]
    assert "2 of 3" in edit.content


async def test_a_url_that_is_not_an_image_is_not_posted(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    data = [
        {"url": image_api.file_url("x.png", b"<html>not an image</html>")},
        {"url": image_api.file_url("y.png", png())},
    ]
    image_api.then(raw_json({"created": 1, "data": data}))
    sent = await fake_discord.slash("imagine", {"prompt": "two owls", "n": 2})
    edit = await result_of(fake_discord, sent["token"])
    assert [blob for _, blob in edit.files.values()] == [png()]
    assert "1 of 2" in edit.content


async def test_fewer_images_than_asked_says_how_many_and_why(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png(), png(30, 30)))
    sent = await fake_discord.slash("imagine", {"prompt": "four dragons", "n": 4})
    edit = await result_of(fake_discord, sent["token"])
    assert len(edit.files) == 2
    assert "Only 2 of 4 images came back" in edit.content
    assert "safety filter" in edit.content


async def test_progress_shows_elapsed_time_until_the_result_replaces_it(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    gate = asyncio.Event()
    image_api.then(gated(gate, b64_images(png())))
    sent = await fake_discord.slash("imagine", {"prompt": "a slow sunset", "quality": "high"})
    token = sent["token"]

    def progress() -> list[Recorded]:
        return [r for r in fake_discord.for_token(token) if r.method == "PATCH" and not r.files]

    updates = await fake_discord.wait_for(lambda: len(progress()) >= 3 and progress())
    assert "Drawing 1 image with gpt-image-2" in updates[0].content
    assert updates[0].content.endswith("0:00")
    gate.set()
    await result_of(fake_discord, token)
    # Once the job is over, nothing can edit its message any more: whatever landed has landed.
    await bot.core.settled()
    requests = fake_discord.for_token(token)
    assert requests[-1].files, "no progress edit may land after the result"


async def test_the_request_carries_only_what_the_model_family_takes(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    options = {"prompt": "a lighthouse", "size": "1536x1024", "quality": "high", "background": "transparent"}
    await fake_discord.slash("imagine", options)
    await fake_discord.wait_for(lambda: image_api.generation_calls)
    assert image_api.generation_calls[0].body == {
        "model": "gpt-image-2",
        "prompt": "a lighthouse",
        "n": 1,
        "size": "1536x1024",
        "quality": "high",
        "background": "transparent",
    }
    sent = await fake_discord.slash("imagine", {"prompt": "a harbour", "model": "dall-e-3"})
    await result_of(fake_discord, sent["token"])
    assert image_api.generation_calls[1].body == {"model": "dall-e-3", "prompt": "a harbour", "n": 1}


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({"prompt": "cats", "n": 2, "model": "dall-e-3"}, "dall-e-3 makes only 1 image per request. Set n to 1"),
        ({"prompt": "cats", "n": 5}, "a whole number from 1 to 4"),
        ({"prompt": "x" * 1001, "model": "dall-e-2"}, "Your prompt has 1001 characters; dall-e-2 takes at most 1000"),
        ({"prompt": "cats", "model": "dall-e-3", "size": "1536x1024"}, "dall-e-3 cannot draw 1536x1024"),
        ({"prompt": "cats", "model": "dall-e-3", "background": "transparent"}, "Leave background on auto"),
        ({"prompt": "cats", "model": "dall-e-2", "quality": "high"}, "leave quality on auto"),
        ({"prompt": "   "}, "Please describe what to draw"),
    ],
)
async def test_impossible_requests_are_refused_before_any_api_call(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, options: dict[str, object], expected: str
) -> None:
    sent = await fake_discord.slash("imagine", options)
    reply = await private_reply(fake_discord, sent["token"])
    assert reply.path.endswith("/callback") and reply.payload["type"] == 4
    assert expected in text_of(reply)
    assert image_api.generation_calls == []


# -- refusals ---------------------------------------------------------------------------------------------------

MODERATION = api_error(
    400,
    "image_generation_user_error",
    "moderation_blocked",
    "Your request was rejected by the safety system. If you believe this is an error, contact us at "
    "help.openai.com and include the request ID b68e…. (request id: 2026112512000012345)",
)


async def test_a_moderation_refusal_is_private_kind_and_gives_the_prompt_back(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(MODERATION)
    sent = await fake_discord.slash("imagine", {"prompt": "a knight in shining armour"})
    reply = await private_reply(fake_discord, sent["token"])
    text = text_of(reply)
    assert "safety system turned this prompt down" in text
    assert "```\na knight in shining armour\n```" in text
    assert "Studio Ghibli style" in text  # the general guidance
    assert "request id" not in text.lower() and "{" not in text
    await fake_discord.wait_for(
        lambda: any(
            r.method == "DELETE" and r.path.endswith("@original") for r in fake_discord.for_token(sent["token"])
        )
    )
    assert len(image_api.generation_calls) == 1


async def test_a_refusal_names_the_living_artist_and_proposes_a_style_in_chinese(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(MODERATION)
    sent = await fake_discord.slash("imagine", {"prompt": "宫崎骏风格的猫咪在屋顶上"}, locale="zh-CN")
    text = text_of(await private_reply(fake_discord, sent["token"]))
    assert "在世艺术家 **宫崎骏**" in text
    assert "吉卜力风格" in text
    assert "```\n吉卜力风格，手绘动画质感，柔和的水彩背景风格的猫咪在屋顶上\n```" in text
    assert "```\n宫崎骏风格的猫咪在屋顶上\n```" in text


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (api_error(400, "invalid_request_error", "content_policy_violation"), "content policy"),
        (api_error(500, "new_api_error", "sensitive_words_detected", "sensitive words detected"), "word filter"),
        (raw_json({"created": 1, "data": []}), "drew nothing"),
        (raw_json({"error": {"type": "image_generation_user_error", "code": "moderation_blocked"}}), "safety system"),
    ],
)
async def test_every_kind_of_refusal_gets_the_kind_private_reply(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, response: web.Response, expected: str
) -> None:
    image_api.then(response)
    sent = await fake_discord.slash("imagine", {"prompt": "Greg Rutkowski dragon"})
    text = text_of(await private_reply(fake_discord, sent["token"]))
    assert expected in text
    assert "**Greg Rutkowski**" in text and "epic digital fantasy painting" in text
    assert len(image_api.generation_calls) == 1


async def test_a_long_refused_prompt_comes_back_whole_as_a_file(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(MODERATION)
    prompt = "a very detailed castle " * 200
    sent = await fake_discord.slash("imagine", {"prompt": prompt.strip()})
    reply = await private_reply(fake_discord, sent["token"])
    assert len(text_of(reply)) <= 2000
    assert next(iter(reply.files.values())) == ("prompt.txt", prompt.strip().encode())


# -- other errors -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("responses", "calls", "expected"),
    [
        ([api_error(429, "insufficient_quota", "insufficient_quota")], 1, "image credit is used up"),
        ([api_error(403, "new_api_error", "insufficient_user_quota")], 1, "image credit is used up"),
        ([api_error(401, "new_api_error", None, "invalid token sk-fake-api-key-SECRET")], 1, "cannot sign in"),
        ([api_error(503, "new_api_error", "model_not_found")], 1, "**gpt-image-2**, the bot's default model, is no"),
        ([web.Response(status=504, text="<html>Gateway Time-out</html>")], 1, "took too long"),
        ([web.Response(status=524, text="<html>timeout</html>")], 1, "took too long"),
        ([api_error(429, "rate_limit_exceeded", "rate_limit_exceeded")] * 3, 3, "busy right now"),
        ([web.Response(status=502, text="<html>Bad Gateway</html>")] * 3, 3, "cannot be reached"),
        ([api_error(500, "new_api_error", "do_request_failed")] * 3, 3, "cannot be reached"),
        ([api_error(500, "new_api_error", "invalid_request", "invalid size")], 1, "did not accept these settings"),
        ([web.Response(status=500, text="<!DOCTYPE html><h1>Internal error</h1>")], 1, "error of its own"),
        ([web.Response(status=200, text="garbage{{", content_type="application/json")], 1, "not a usable answer"),
        ([truncated()], 1, "not a usable answer"),
    ],
)
async def test_each_upstream_failure_gets_its_own_clear_message(
    bot,
    fake_discord: FakeDiscord,
    image_api: FakeImageAPI,
    caplog: pytest.LogCaptureFixture,
    responses: list[web.Response],
    calls: int,
    expected: str,
) -> None:
    image_api.then(*responses)
    sent = await fake_discord.slash("imagine", {"prompt": "a teapot"})
    text = text_of(await private_reply(fake_discord, sent["token"]))
    assert expected in text
    assert len(image_api.generation_calls) == calls
    for secret in ("request id", "sk-", "Traceback", "<html", "{"):
        assert secret not in text
    assert API_KEY not in caplog.text and DISCORD_TOKEN not in caplog.text


async def test_a_rate_limit_is_retried_after_retry_after_and_then_succeeds(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    limited = api_error(429, "rate_limit_exceeded", "rate_limit_exceeded", "当前分组上游负载已饱和，请稍后再试")
    limited.headers["Retry-After"] = "0"
    image_api.then(limited, b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "a bicycle"})
    await result_of(fake_discord, sent["token"])
    assert len(image_api.generation_calls) == 2


async def test_a_retry_after_longer_than_the_bot_waits_is_not_retried(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    limited = api_error(429, "rate_limit_exceeded", "rate_limit_exceeded")
    limited.headers["Retry-After"] = "3600"
    image_api.then(limited)
    sent = await fake_discord.slash("imagine", {"prompt": "a bicycle"})
    assert "busy right now" in text_of(await private_reply(fake_discord, sent["token"]))
    assert len(image_api.generation_calls) == 1


async def test_a_read_timeout_is_reported_and_never_retried(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(timeout_high=0.3)
    gate = asyncio.Event()
    image_api.then(gated(gate, b64_images(png())))
    sent = await fake_discord.slash("imagine", {"prompt": "a glacier"})
    assert "took too long" in text_of(await private_reply(fake_discord, sent["token"]))
    gate.set()
    assert len(image_api.generation_calls) == 1


async def test_an_unreachable_api_is_reported(start_bot, fake_discord: FakeDiscord) -> None:
    await start_bot(openai_base_url="http://127.0.0.1:9/v1")
    sent = await fake_discord.slash("imagine", {"prompt": "a comet"})
    assert "cannot be reached" in text_of(await private_reply(fake_discord, sent["token"]))


async def test_operator_details_go_to_the_log_without_secrets(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, caplog: pytest.LogCaptureFixture
) -> None:
    image_api.then(api_error(401, "new_api_error", None, f"invalid token {API_KEY} (request id: 42)"))
    with caplog.at_level(logging.INFO):
        sent = await fake_discord.slash("imagine", {"prompt": "a teapot"})
        await private_reply(fake_discord, sent["token"])
    assert "AuthFailed" in caplog.text and "HTTP 401" in caplog.text


async def test_the_bot_keeps_serving_after_garbage_and_one_failure_does_not_disturb_others(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    gate = asyncio.Event()
    image_api.then(truncated(), gated(gate, b64_images(png(40, 40, (5, 5, 5)))))
    broken = await fake_discord.slash("imagine", {"prompt": "first"})
    await private_reply(fake_discord, broken["token"])
    good = await fake_discord.slash("imagine", {"prompt": "second"})
    await fake_discord.wait_for(lambda: len(image_api.generation_calls) == 2)
    image_api.then(api_error(500, "new_api_error", "weird_failure"))
    failing = await fake_discord.slash("imagine", {"prompt": "third"})
    await private_reply(fake_discord, failing["token"])
    gate.set()
    edit = await result_of(fake_discord, good["token"])
    assert next(iter(edit.files.values()))[1] == png(40, 40, (5, 5, 5))


# -- fitting Discord --------------------------------------------------------------------------------------------


async def test_an_image_over_the_attachment_limit_is_reencoded_as_webp_keeping_transparency(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    big = png(400, 400, noise=True)
    limit = 200_000
    assert len(big) > limit
    image_api.then(b64_images(big))
    sent = await fake_discord.slash("imagine", {"prompt": "static"}, size_limit=limit)
    edit = await result_of(fake_discord, sent["token"])
    name, blob = next(iter(edit.files.values()))
    assert name.endswith(".webp") and len(blob) < limit
    with Image.open(io.BytesIO(blob)) as image:
        assert image.format == "WEBP" and image.mode == "RGBA"


async def test_nothing_the_bot_sends_can_ping_anyone(bot, fake_discord: FakeDiscord, image_api: FakeImageAPI) -> None:
    image_api.then(b64_images(png()), MODERATION)
    prompt = f"@everyone @here <@&{GUILD_ID}> <@1> look"
    first = await fake_discord.slash("imagine", {"prompt": prompt})
    await result_of(fake_discord, first["token"])
    second = await fake_discord.slash("imagine", {"prompt": prompt})
    await private_reply(fake_discord, second["token"])
    messages = [r.message for r in fake_discord.requests if r.message and "content" in r.message]
    assert len(messages) >= 4
    for message in messages:
        assert message["allowed_mentions"] == {"parse": []}


async def test_a_result_the_interaction_cannot_take_is_posted_in_the_channel(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image = png(12, 12, (3, 3, 3))
    image_api.then(b64_images(image))
    fake_discord.fail("PATCH", "/messages/@original", 404, code=10015, times=100)
    await fake_discord.slash("imagine", {"prompt": "a lost parcel"})
    posts = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{CHANNEL_ID}/messages" and r.files]
    )
    assert next(iter(posts[0].files.values()))[1] == image
    assert posts[0].payload["allowed_mentions"] == {"parse": [], "users": [500000000000000005]}
    assert "a lost parcel" in posts[0].content


# -- languages, commands, models --------------------------------------------------------------------------------


async def test_replies_follow_the_users_locale(bot, fake_discord: FakeDiscord, image_api: FakeImageAPI) -> None:
    image_api.then(api_error(429, "insufficient_quota", "insufficient_quota"))
    sent = await fake_discord.slash("imagine", {"prompt": "猫"}, locale="zh-CN")
    assert "图像额度已经用完" in text_of(await private_reply(fake_discord, sent["token"]))
    progress = [r for r in fake_discord.for_token(sent["token"]) if r.method == "PATCH"]
    assert "正在用 gpt-image-2 生成" in progress[0].content


async def test_commands_sync_to_the_guild_at_start_with_chinese_descriptions(
    start_bot, fake_discord: FakeDiscord
) -> None:
    await start_bot(discord_guild_id=GUILD_ID, max_images=6)
    synced = [r for r in fake_discord.requests if r.method == "PUT" and r.path.endswith("/commands")]
    assert [r.path for r in synced] == [f"/applications/100000000000000001/guilds/{GUILD_ID}/commands"]
    imagine = next(c for c in synced[0].payload if c["name"] == "imagine")
    assert imagine["description_localizations"]["zh-CN"] == "根据文字描述生成图片"
    options = {o["name"]: o for o in imagine["options"]}
    assert list(options) == ["prompt", "n", "size", "quality", "background", "model", "image", "image2", "style"]
    assert options["n"]["max_value"] == 6 and options["n"]["min_value"] == 1
    assert options["size"]["autocomplete"] is True and "choices" not in options["size"]
    assert [c["value"] for c in options["quality"]["choices"]] == ["auto", "low", "medium", "high", "xhigh", "max"]
    assert options["quality"]["choices"][5]["name_localizations"]["zh-CN"].startswith("最高")
    assert options["model"]["autocomplete"] is True


async def test_each_bot_offers_its_own_operators_maximum_number_of_images(start_bot, fake_discord: FakeDiscord) -> None:
    # /imagine is built with each bot's settings, so two bots in one process do not share a maximum.
    await start_bot(discord_guild_id=GUILD_ID, max_images=6)
    await start_bot(discord_guild_id=GUILD_ID, max_images=2)
    synced = [r for r in fake_discord.requests if r.method == "PUT" and r.path.endswith("/commands")]
    options = [{o["name"]: o for o in next(c for c in r.payload if c["name"] == "imagine")["options"]} for r in synced]
    assert [found["n"]["max_value"] for found in options] == [6, 2]


async def test_nothing_syncs_at_start_without_a_guild(bot, fake_discord: FakeDiscord) -> None:
    assert not [r for r in fake_discord.requests if r.method == "PUT"]


async def test_model_autocomplete_offers_the_image_models_the_api_lists(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.autocomplete("imagine", {"prompt": "x", "model": ""}, focused="model")
    found = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.path.endswith("/callback")]
    )
    assert found[0].payload["type"] == 8
    # dall-e-3 is listed too, but it was shut down in May 2026.
    assert [c["value"] for c in found[0].payload["data"]["choices"]] == ["gpt-image-2"]


async def test_model_autocomplete_leaves_out_a_model_whose_name_discord_would_refuse(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    # A relay's id past Discord's 100 characters for a choice, and one of exactly 100 that fits.
    too_long, longest = "relay/" + "very-long-" * 15, "relay/" + "p" * 94
    assert (len(too_long), len(longest)) == (156, 100)
    image_api.models += [{"id": name, "supported_endpoint_types": ["image-generation"]} for name in (too_long, longest)]
    await start_bot()
    sent = await fake_discord.autocomplete("imagine", {"prompt": "x", "model": "relay"}, focused="model")
    answer = await callback_of(fake_discord, sent["token"])
    assert answer.status == 200, answer
    assert [(c["name"], c["value"]) for c in answer.payload["data"]["choices"]] == [(longest, longest)]


async def test_model_autocomplete_offers_25_when_more_match_though_one_is_left_out(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    many = [f"relay/flux-{index:02}" for index in range(30)]
    image_api.models += [{"id": name, "supported_endpoint_types": ["image-generation"]}
                         for name in ["relay/" + "very-long-" * 15, *many]]  # fmt: skip
    await start_bot()
    sent = await fake_discord.autocomplete("imagine", {"prompt": "x", "model": "relay"}, focused="model")
    answer = await callback_of(fake_discord, sent["token"])
    assert [c["value"] for c in answer.payload["data"]["choices"]] == many[:25]


async def test_model_autocomplete_falls_back_to_the_configured_list(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.models_status = 401
    await start_bot(image_models=("gpt-image-1", "flux-pro"))
    sent = await fake_discord.autocomplete("imagine", {"prompt": "x", "model": "flux"}, focused="model")
    found = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.path.endswith("/callback")]
    )
    assert [c["value"] for c in found[0].payload["data"]["choices"]] == ["flux-pro"]


async def test_fifty_requests_at_once_each_get_their_own_image(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    async def echo(request: web.Request) -> web.StreamResponse:
        body = await request.json()
        shade = int(body["prompt"].split()[-1])
        return b64_images(png(8, 8, (shade, shade, shade)))

    image_api.then(*[echo] * 50)
    sent = await asyncio.gather(
        *(fake_discord.slash("imagine", {"prompt": f"shade {i}"}, user_id=700 + i) for i in range(50))
    )
    for index, payload in enumerate(sent):
        edit = await result_of(fake_discord, payload["token"])
        assert next(iter(edit.files.values()))[1] == png(8, 8, (index, index, index))
    acks = [r for r in fake_discord.requests if r.path.endswith("/callback")]
    assert len(acks) == 50 and all(r.payload["type"] == 5 for r in acks)


async def size_choices_for(fake: FakeDiscord, **options: str) -> list[dict[str, str]]:
    sent = await fake.autocomplete("imagine", {"prompt": "x", "size": "", **options}, focused="size")
    found = await fake.wait_for(lambda: [r for r in fake.for_token(sent["token"]) if r.path.endswith("/callback")])
    return list(found[0].payload["data"]["choices"])


async def test_size_autocomplete_offers_what_the_chosen_model_takes_labelled_by_shape(
    bot, fake_discord: FakeDiscord
) -> None:
    default = await size_choices_for(fake_discord)
    assert default[0] == {"name": "Auto (the model decides)", "value": "auto"}
    assert {"name": "Landscape 16:9 — 1536×864", "value": "1536x864"} in default
    gemini = await size_choices_for(fake_discord, model="gemini-3.1-flash-image")
    assert [choice["value"] for choice in gemini][:3] == ["auto", "1:1", "3:2"]
    assert gemini[1]["name"] == "Square 1:1"
    typed = await size_choices_for(fake_discord, size="1920x1088")
    assert typed[0] == {"name": "Landscape 16:9 — 1920×1088", "value": "1920x1088"}


async def test_a_typed_size_the_model_does_not_take_is_refused_with_what_it_takes(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.slash("imagine", {"prompt": "x", "size": "1000x1000"})
    answer = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.content])
    assert "multiples of 16" in answer[0].content and "1536x1024" in answer[0].content
    assert image_api.generation_calls == []
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "wide", "size": "16:9"})
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    assert image_api.generation_calls[0].body["size"] == "1536x864"


async def test_a_model_that_is_gone_names_whose_choice_to_change(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, caplog: pytest.LogCaptureFixture
) -> None:
    image_api.then(api_error(404, "invalid_request_error", "model_deprecated"))
    sent = await fake_discord.slash("imagine", {"prompt": "x", "model": "gpt-image-1.5"})
    answer = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.flags & 64])
    assert "no model called **gpt-image-1.5**" in answer[0].content
    assert "model gpt-image-1.5 is not available upstream" in caplog.text
    assert "suggests gpt-image-2.6-flare" in caplog.text
    admin = await fake_discord.slash(
        "imagine-admin", {"model": "flux-pro"}, subcommand="model", user_id=ADMIN, permissions=MANAGE_SERVER
    )
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(admin["token"]) if r.content])
    image_api.then(api_error(503, "new_api_error", "model_not_found"))
    sent = await fake_discord.slash("imagine", {"prompt": "y"})
    answer = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.flags & 64])
    assert "this server's default model" in answer[0].content and "/imagine-admin model" in answer[0].content


async def test_urls_that_cannot_be_downloaded_are_left_out_and_none_at_all_is_said_kindly(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    missing = image_api.url.replace("/v1", "/files/gone.png")
    data = [{"url": missing}, {"url": image_api.file_url("ok.png", png())}]
    image_api.then(raw_json({"created": 1, "data": data}))
    sent = await fake_discord.slash("imagine", {"prompt": "two owls", "n": 2})
    edit = await result_of(fake_discord, sent["token"])
    assert [blob for _, blob in edit.files.values()] == [png()] and "1 of 2" in edit.content
    image_api.then(raw_json({"created": 1, "data": [{"url": missing}]}))
    sent = await fake_discord.slash("imagine", {"prompt": "one owl"})
    answer = await private_reply(fake_discord, sent["token"])
    assert "not a usable answer" in answer.content and "gone.png" not in answer.content
