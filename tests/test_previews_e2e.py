"""Live previews end to end: partial images in the status message, never after the result; relays that do not
stream; streams cut short."""

from __future__ import annotations

import asyncio

from bot import ImageBot
from tests.fakes.discord import FakeDiscord, Recorded
from tests.fakes.image_api import FakeImageAPI, b64_images, png, streamed

ALICE = 500000000000000005


def previews(fake: FakeDiscord, token: str) -> list[Recorded]:
    return [r for r in fake.for_token(token) if any(name == "preview.webp" for name, _ in r.files.values())]


def results(fake: FakeDiscord, token: str) -> list[Recorded]:
    return [r for r in fake.for_token(token) if any(name.startswith("image_") for name, _ in r.files.values())]


async def test_partial_images_show_in_the_status_message_and_never_after_the_result(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(preview_images=2)
    gate = asyncio.Event()
    image_api.then(streamed([png(600, 400, (10, 10, 10)), png(600, 400, (20, 20, 20))], png(), after_partials=gate))
    sent = await fake_discord.slash("imagine", {"prompt": "a slow sunrise"}, user_id=ALICE)
    shown = await fake_discord.wait_for(lambda: previews(fake_discord, sent["token"]))
    name, blob = next(iter(shown[0].files.values()))
    assert name == "preview.webp" and len(blob) < 20_000
    gate.set()
    await fake_discord.wait_for(lambda: results(fake_discord, sent["token"]))
    await bot.core.settled()
    edits = fake_discord.for_token(sent["token"])
    last_preview = max(edits.index(r) for r in previews(fake_discord, sent["token"]))
    assert last_preview < edits.index(results(fake_discord, sent["token"])[0])
    assert not [r for r in edits[edits.index(results(fake_discord, sent["token"])[0]) + 1 :] if r.method == "PATCH"]
    body = image_api.generation_calls[0].body
    assert body["stream"] is True and body["partial_images"] == 2
    job = await bot.core.job(1)
    assert job is not None and job.usage == {"input_tokens": 10, "output_tokens": 4160}


async def test_a_relay_that_ignores_stream_is_read_as_plain_json_without_asking_twice(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(preview_images=1)
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "plain"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: results(fake_discord, sent["token"]))
    assert len(image_api.generation_calls) == 1 and image_api.generation_calls[0].body["stream"] is True


async def test_a_stream_cut_before_the_image_is_complete_is_said_and_not_retried(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(preview_images=1)
    image_api.then(streamed([png(64, 64)], None))
    sent = await fake_discord.slash("imagine", {"prompt": "cut"}, user_id=ALICE)
    answer = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(sent["token"]) if r.flags & 64 and r.content]
    )
    assert "stopped part way through drawing" in answer[0].content
    assert len(image_api.generation_calls) == 1


async def test_no_stream_is_asked_for_several_images_without_previews_or_on_a_model_that_cannot(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(preview_images=0)
    image_api.then(b64_images(png()))
    sent = await fake_discord.slash("imagine", {"prompt": "one"}, user_id=ALICE)
    await fake_discord.wait_for(lambda: results(fake_discord, sent["token"]))
    assert "stream" not in image_api.generation_calls[-1].body
    bot: ImageBot = await start_bot(preview_images=2)
    for options in ({"prompt": "two", "n": 2}, {"prompt": "flux", "model": "flux-pro"}):
        image_api.then(b64_images(png(), png()))
        sent = await fake_discord.slash("imagine", options, user_id=ALICE)
        await fake_discord.wait_for(lambda: results(fake_discord, sent["token"]))  # noqa: B023
        assert "stream" not in image_api.generation_calls[-1].body
    await bot.core.settled()


async def test_an_edit_streams_its_previews_too(start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI) -> None:
    bot: ImageBot = await start_bot(preview_images=1)
    gate = asyncio.Event()
    image_api.then(streamed([png(300, 300, (9, 9, 9))], png(), after_partials=gate, kind="image_edit"))
    upload = fake_discord.upload("ref.png", png(32, 32))
    sent = await fake_discord.slash("imagine", {"prompt": "make it night", "image": upload}, user_id=ALICE)
    await fake_discord.wait_for(lambda: previews(fake_discord, sent["token"]))
    gate.set()
    await fake_discord.wait_for(lambda: results(fake_discord, sent["token"]))
    await bot.core.settled()
    assert image_api.edit_calls[0].body["stream"] == "true" and image_api.edit_calls[0].body["partial_images"] == "1"
