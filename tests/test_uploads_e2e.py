"""Reference images: edits through the API's multipart endpoint, and hostile uploads turned away kindly."""

from __future__ import annotations

import io
import struct
import tracemalloc
import zlib
from typing import Any

import pytest
from PIL import Image

from imagegen.errors import UploadRejected
from imagegen.imaging import uploads
from imagegen.model import JobState
from tests.fakes.discord import FakeDiscord, Recorded
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.helpers import stored_jobs

ALICE = 500000000000000005


def crafted_png(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width``×``height``: a decompression bomb's shape, without the bomb's cost."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    rows = zlib.compress(b"\x00" * (width * 3 + 1) * 8)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def animated(format_: str) -> bytes:
    frames = [Image.new("RGB", (16, 16), color) for color in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, format_, save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


async def private_answer(fake: FakeDiscord, token: str) -> Recorded:
    found = await fake.wait_for(
        lambda: [r for r in fake.for_token(token) if r.method == "POST" and r.flags & 64 and r.content]
    )
    return found[0]


async def test_a_reference_image_goes_to_the_edits_endpoint_as_multipart_without_moderation(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(moderation="low")
    reference = png(64, 48, (0, 128, 255, 128))
    image_api.then(b64_images(png(8, 8, (4, 4, 4))))
    options: dict[str, Any] = {"prompt": "make it night", "size": "1024x1024", "quality": "high"}
    options["image"] = fake_discord.upload("photo.png", reference)
    options["image2"] = fake_discord.upload("second.jpg", jpeg(40, 30), "image/jpeg")
    sent = await fake_discord.slash("imagine", options, user_id=ALICE)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    [call] = image_api.edit_calls
    assert call.body == {"model": "gpt-image-2", "prompt": "make it night", "n": "1", "size": "1024x1024",
                         "quality": "high"}  # fmt: skip
    assert [(name, filename) for name, filename, _ in call.files] == [
        ("image[]", "reference_1.png"),
        ("image[]", "reference_2.jpeg"),
    ]
    with Image.open(io.BytesIO(call.files[0][2])) as sent_image:
        assert sent_image.size == (64, 48) and sent_image.mode == "RGBA"
    assert call.headers["Authorization"].startswith("Bearer ")
    assert image_api.generation_calls == []


async def test_a_large_reference_is_shrunk_before_it_is_sent(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.slash(
        "imagine", {"prompt": "wider", "image": fake_discord.upload("big.jpg", jpeg(3000, 2000), "image/jpeg")}
    )
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    with Image.open(io.BytesIO(image_api.edit_calls[0].files[0][2])) as sent_image:
        assert sent_image.size == (1536, 1024)


async def test_a_reroll_of_an_edit_sends_the_same_reference_again(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.slash("imagine", {"prompt": "again", "image": fake_discord.upload("a.png", png(20, 20))})
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    message = fake_discord.original(sent["token"])
    reroll = next(
        c["custom_id"] for row in message["components"] for c in row["components"] if "reroll" in c["custom_id"]
    )
    click = await fake_discord.click(message, reroll)
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(click["token"]) if r.files])
    first, second = image_api.edit_calls
    assert first.files == second.files and first.body == second.body


@pytest.mark.parametrize(
    ("filename", "blob", "content_type", "expected"),
    [
        ("notes.png", b"this is a shopping list, not a picture\n" * 50, "image/png", "not an image I can read"),
        ("cut.png", png(200, 200, noise=True)[:3000], "image/png", "not an image I can read"),
        ("bomb.png", crafted_png(30000, 30000), "image/png", "more than 50 million pixels"),
        ("party.gif", animated("GIF"), "image/gif", "PNG, JPEG or WebP"),
        ("moving.png", animated("PNG"), "image/png", "Animated images"),
        ("script.sh", b"#!/bin/sh\necho hi\n", "text/x-shellscript", "not an image I can read"),
    ],
)
async def test_hostile_uploads_get_a_clear_private_message_and_never_reach_the_api(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, filename: str, blob: bytes, content_type: str,
    expected: str,
) -> None:  # fmt: skip
    sent = await fake_discord.slash(
        "imagine", {"prompt": "use this", "image": fake_discord.upload(filename, blob, content_type)}
    )
    answer = await private_answer(fake_discord, sent["token"])
    assert expected in answer.content
    assert image_api.calls == [call for call in image_api.calls if call.path.endswith("/models")]
    assert await stored_jobs(bot, list(JobState)) == []


async def test_a_file_declared_over_the_limit_is_refused_before_it_is_read(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    huge = fake_discord.upload("huge.png", png(), size=uploads.MAX_UPLOAD_BYTES + 1)
    sent = await fake_discord.slash("imagine", {"prompt": "too big", "image": huge})
    answer = await private_answer(fake_discord, sent["token"])
    assert answer.path.endswith("/callback") and "the most I take is 25 MB" in answer.content
    assert not [r for r in fake_discord.requests if r.path.startswith("/attachments/")]
    assert image_api.edit_calls == []


async def test_a_reference_is_refused_for_a_model_that_cannot_use_one(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    sent = await fake_discord.slash(
        "imagine", {"prompt": "x", "model": "dall-e-3", "image": fake_discord.upload("a.png", png())}
    )
    answer = await private_answer(fake_discord, sent["token"])
    assert "dall-e-3 cannot work from a reference image" in answer.content


def test_a_decompression_bomb_is_refused_from_its_header_in_bounded_memory() -> None:
    bomb = crafted_png(30000, 30000)
    tracemalloc.start()
    try:
        with pytest.raises(UploadRejected) as caught:
            uploads.prepare_reference(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert caught.value.key == "upload.too_many_pixels"
    assert peak < 5 * 1024 * 1024


@pytest.mark.parametrize("format_", ["PNG", "WEBP"])
def test_animated_png_and_webp_are_refused(format_: str) -> None:
    with pytest.raises(UploadRejected) as caught:
        uploads.prepare_reference(animated(format_))
    assert caught.value.key == "upload.animated"
