"""/imagine end to end: the real bot against the fake Discord and the fake image API."""

from __future__ import annotations

from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import FakeImageAPI, b64_images, png


async def test_result_is_posted_with_the_image_bytes_prompt_model_and_requester(
    bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image = png(32, 32, (1, 2, 3))
    image_api.then(b64_images(image))
    sent = await fake_discord.slash("imagine", {"prompt": "a white siamese cat"})
    token = sent["token"]
    final = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(token) if r.files])
    edit = final[0]
    assert edit.method == "PATCH" and edit.path.endswith("/messages/@original")
    assert list(edit.files.values())[0] == ("image_1.png", image)
    assert "a white siamese cat" in edit.content
    assert "gpt-image-1" in edit.content
    assert "<@500000000000000005>" in edit.content
    assert edit.payload["allowed_mentions"] == {"parse": []}
    callback = fake_discord.for_token(token)[0]
    assert callback.path.endswith("/callback") and callback.payload["type"] == 5
    body = image_api.generation_calls[0].body
    assert body == {"model": "gpt-image-1", "prompt": "a white siamese cat", "n": 1}
    assert image_api.generation_calls[0].headers["Authorization"] == "Bearer sk-fake-api-key-SECRET"
