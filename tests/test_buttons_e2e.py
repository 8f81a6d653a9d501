"""The buttons under results and refusals, end to end, including clicks after a restart."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from bot import ImageBot
from tests.fakes.discord import CHANNEL_ID, MANAGE_MESSAGES, FakeDiscord, Recorded
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, b64_images, png, raw_json
from tests.helpers import callback_of, custom_ids, result_of

ALICE, BOB = 500000000000000005, 500000000000000006


def pixel(blob: bytes) -> tuple[int, ...]:
    """The colour of an image's first pixel."""
    with Image.open(io.BytesIO(blob)) as image:
        return tuple(image.convert("RGB").tobytes()[:3])


def near(found: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """Colours equal but for JPEG's rounding (opaque references are sent as JPEG)."""
    return all(abs(a - b) <= 4 for a, b in zip(found, expected, strict=True))


async def deleted(fake: FakeDiscord, token: str) -> Recorded:
    """The DELETE an interaction's token made."""
    return (await fake.wait_for(lambda: [r for r in fake.for_token(token) if r.method == "DELETE"]))[0]


async def a_result(fake: FakeDiscord, api: FakeImageAPI, **options: Any) -> tuple[dict[str, Any], int]:
    """Alice draws something; returns the posted result message and its job id."""
    api.then(b64_images(png(9, 9, (1, 2, 3))))
    sent = await fake.slash("imagine", {"prompt": "a red kite", **options}, user_id=ALICE)
    await result_of(fake, sent["token"])
    message = fake.original(sent["token"])
    job_id = int(custom_ids(message)[0].rsplit(":", 1)[1])
    return message, job_id


async def test_a_result_carries_reroll_remix_delete_report_and_the_single_image_tools(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_result(fake_discord, image_api)
    tools = ("subtle", "strong", "zoom-1.5", "zoom-2", "pan-left", "pan-right", "pan-up", "pan-down", "upscale", "edit")
    assert custom_ids(message) == [
        *(f"imagine:{action}:{job_id}" for action in ("reroll", "remix", "delete", "report")),
        *(f"imagine:tool:{job_id}:{tool}" for tool in tools),
    ]


async def test_anyone_may_reroll_and_the_new_job_is_theirs_with_the_same_options(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_result(fake_discord, image_api, n=2, size="1024x1536", quality="low")
    image_api.then(b64_images(png(), png()))
    click = await fake_discord.click(message, f"imagine:reroll:{job_id}", user_id=BOB)
    edit = await result_of(fake_discord, click["token"])
    assert f"<@{BOB}>" in edit.content and "a red kite" in edit.content
    first, second = (call.body for call in image_api.generation_calls)
    assert (
        first
        == second
        == {"model": "gpt-image-2", "prompt": "a red kite", "n": 2, "size": "1024x1536", "quality": "low"}
    )


async def test_remix_opens_the_prompt_and_runs_the_edited_one(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_result(fake_discord, image_api, size="1536x1024")
    click = await fake_discord.click(message, f"imagine:remix:{job_id}", user_id=BOB)
    modal = await callback_of(fake_discord, click["token"])
    assert modal.payload["type"] == 9
    assert modal.payload["data"]["custom_id"] == f"imagine:remix-modal:{job_id}"
    assert "a red kite" in str(modal.payload["data"]["components"])
    image_api.then(b64_images(png()))
    submit = await fake_discord.submit_modal(f"imagine:remix-modal:{job_id}", {"prompt": "a blue kite"}, user_id=BOB)
    await result_of(fake_discord, submit["token"])
    assert image_api.generation_calls[-1].body == {
        "model": "gpt-image-2", "prompt": "a blue kite", "n": 1, "size": "1536x1024",
    }  # fmt: skip


async def test_buttons_and_modals_work_after_a_restart(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first: ImageBot = await start_bot()
    message, job_id = await a_result(fake_discord, image_api)
    await first.close()
    await start_bot()
    image_api.then(b64_images(png()), b64_images(png()))
    click = await fake_discord.click(message, f"imagine:reroll:{job_id}", user_id=BOB)
    await result_of(fake_discord, click["token"])
    submit = await fake_discord.submit_modal(f"imagine:remix-modal:{job_id}", {"prompt": "a kite at dusk"})
    await result_of(fake_discord, submit["token"])
    assert [call.body["prompt"] for call in image_api.generation_calls] == [
        "a red kite",
        "a red kite",
        "a kite at dusk",
    ]


async def test_only_the_requester_or_a_moderator_may_delete(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    message, job_id = await a_result(fake_discord, image_api)
    stranger = await fake_discord.click(message, f"imagine:delete:{job_id}", user_id=BOB)
    refused = await callback_of(fake_discord, stranger["token"])
    assert refused.flags & 64 and "Only the person who asked" in refused.content
    assert not [r for r in fake_discord.for_token(stranger["token"]) if r.method == "DELETE"]

    for user, permissions in ((BOB, MANAGE_MESSAGES | 0xC00), (ALICE, 0xC00)):
        click = await fake_discord.click(message, f"imagine:delete:{job_id}", user_id=user, permissions=permissions)
        assert (await deleted(fake_discord, click["token"])).path.endswith("/messages/@original")


async def test_a_click_on_a_job_the_database_does_not_know_says_so(bot, fake_discord: FakeDiscord) -> None:
    message = fake_discord._message(
        {"content": "old", "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "Reroll", "custom_id": "imagine:reroll:4242"}]}]}, {}
    )  # fmt: skip
    click = await fake_discord.click(message, "imagine:reroll:4242")
    answer = await callback_of(fake_discord, click["token"])
    assert answer.flags & 64 and "no longer have a record" in answer.content
    submit = await fake_discord.submit_modal("imagine:remix-modal:4242", {"prompt": "x"})
    answer = await callback_of(fake_discord, submit["token"])
    assert "no longer have a record" in answer.content


@pytest.mark.parametrize(
    ("custom_id", "expected"),
    [
        *((f"imagine:{action}:4242", "no longer have a record") for action in (
            "reroll", "rerun", "remix", "try", "delete", "cancel", "report")),
        *((custom_id, "no longer have a record") for custom_id in (
            "imagine:vary:4242:2", "imagine:pick:4242:1", "imagine:remove:4242:99", "imagine:tool:4242:zoom-2")),
        ("imagine:idea:4242:1", "no longer have that description"),
    ],
)  # fmt: skip
async def test_a_button_of_every_kind_an_earlier_version_posted_is_still_answered(
    bot, fake_discord: FakeDiscord, custom_id: str, expected: str
) -> None:
    message = fake_discord._message(
        {"content": "old", "components": [{"type": 1, "components": [
            {"type": 2, "style": 2, "label": "old", "custom_id": custom_id}]}]}, {}
    )  # fmt: skip
    click = await fake_discord.click(message, custom_id)
    answer = await callback_of(fake_discord, click["token"])
    assert answer.flags & 64 and expected in answer.content


async def test_an_edit_form_an_earlier_version_opened_is_still_answered(bot, fake_discord: FakeDiscord) -> None:
    submit = await fake_discord.submit_modal(f"imagine:edit-modal:{CHANNEL_ID}:4242:0", {"prompt": "a hat"})
    answer = await callback_of(fake_discord, submit["token"])
    assert answer.flags & 64 and "no longer on the message" in answer.content


async def test_try_this_instead_runs_the_rewritten_prompt(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(raw_json(MODERATION_BODY, 400))
    sent = await fake_discord.slash("imagine", {"prompt": "a harbour by Makoto Shinkai"}, user_id=ALICE)
    reply = (
        await fake_discord.wait_for(
            lambda: [r for r in fake_discord.for_token(sent["token"]) if r.method == "POST" and r.flags & 64]
        )
    )[0]
    [custom_id] = custom_ids(reply.message or {})
    assert custom_id.startswith("imagine:try:")
    [message] = [m for m in fake_discord.messages.values() if custom_ids(m) == [custom_id]]
    image_api.then(b64_images(png()))
    click = await fake_discord.click(message, custom_id, user_id=ALICE)
    await result_of(fake_discord, click["token"])
    assert image_api.generation_calls[-1].body["prompt"] == (
        "a harbour by bright modern Japanese anime style with luminous skies and detailed light"
    )


async def test_vary_on_a_result_posted_before_pick_existed_still_uses_its_chosen_image(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    first, second = png(12, 12, (200, 0, 0)), png(12, 12, (0, 200, 0))
    image_api.then(b64_images(first, second))
    sent = await fake_discord.slash("imagine", {"prompt": "two kites", "n": 2}, user_id=ALICE)
    await result_of(fake_discord, sent["token"])
    message = fake_discord.original(sent["token"])
    job_id = int(custom_ids(message)[0].rsplit(":", 1)[1])
    # Results posted by earlier versions carry a Vary button per image.
    varies = [f"imagine:vary:{job_id}:1", f"imagine:vary:{job_id}:2"]
    message["components"] = [{"type": 1, "components": [
        {"type": 2, "style": 2, "label": "Vary", "custom_id": custom_id} for custom_id in varies]}]  # fmt: skip
    image_api.then(b64_images(png()))
    click = await fake_discord.click(message, varies[1], user_id=BOB)
    await result_of(fake_discord, click["token"])
    [call] = image_api.edit_calls
    assert call.body["prompt"] == "two kites" and call.body["n"] == "2"
    assert near(pixel(call.files[0][2]), (0, 200, 0))


async def test_edit_image_on_any_message_asks_for_a_prompt_and_edits_that_image(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    photo = fake_discord.upload("cat.png", png(30, 30, (9, 90, 190)))
    message = fake_discord._message({"content": "my cat"}, {})
    message["attachments"] = [photo]
    menu = await fake_discord.message_command("Edit image", message, user_id=BOB)
    modal = await callback_of(fake_discord, menu["token"])
    assert modal.payload["type"] == 9
    custom_id = modal.payload["data"]["custom_id"]
    assert custom_id.startswith("imagine:edit-modal:")
    image_api.then(b64_images(png()))
    submit = await fake_discord.submit_modal(custom_id, {"prompt": "give it a hat"}, user_id=BOB)
    await result_of(fake_discord, submit["token"])
    [call] = image_api.edit_calls
    assert call.body == {"model": "gpt-image-2", "prompt": "give it a hat", "n": "1"}
    assert near(pixel(call.files[0][2]), (9, 90, 190))


async def test_edit_image_on_a_message_without_an_image_says_so(bot, fake_discord: FakeDiscord) -> None:
    message = fake_discord._message({"content": "just words"}, {})
    menu = await fake_discord.message_command("Edit image", message)
    answer = await callback_of(fake_discord, menu["token"])
    assert answer.flags & 64 and "no image I can edit" in answer.content
