"""The video client against the fake relay: both shapes submitted, followed and downloaded, failures in words."""

from __future__ import annotations

import io
import math
from collections.abc import AsyncIterator

import aiohttp
import av
import pytest
from PIL import Image

from imagegen.api import tasks
from imagegen.api.tasks import TaskGone
from imagegen.api.video import Videos, VideoTask, failure_of
from imagegen.catalogue.entries import BUNDLED, Catalogue
from imagegen.catalogue.prices import PriceTable
from imagegen.errors import AuthFailed, Refused, UpstreamFailed, UpstreamTimeout
from imagegen.imaging.clips import shrink
from imagegen.model import ImageRequest
from imagegen.settings import Secret, Settings
from tests.conftest import API_KEY
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import FakeImageAPI, png
from tests.fakes.video import Style, clip, completes, fails, mp4, never_ends, refused
from tests.helpers import callback_of

CATALOGUE = Catalogue.load(BUNDLED)


@pytest.fixture
async def videos(image_api: FakeImageAPI, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Videos]:
    """The bot's video client, polling every hundredth of a second."""
    monkeypatch.setattr(tasks, "POLL_INTERVALS", ((math.inf, 0.01),))
    settings = Settings(discord_token=Secret("token"), openai_api_key=Secret(API_KEY), openai_base_url=image_api.url)
    async with aiohttp.ClientSession() as session:
        client = Videos(session, settings)
        yield client
        await client.close()


async def nothing(task: VideoTask) -> None:
    return None


def still() -> bytes:
    return png(300, 200, (20, 120, 200))


async def made(videos: Videos, request: ImageRequest, within: float = 10.0) -> tuple[VideoTask, bytes | None]:
    """Submit, follow and download one clip."""
    info = CATALOGUE.lookup(request.model)
    task_id = await videos.submit(request, info)
    task = await videos.follow(task_id, info, nothing, within)
    return task, await videos.content(task, info) if task.status == "done" else None


async def test_sora_gets_the_still_at_exactly_the_clips_size_and_the_clip_is_downloaded_from_its_content(
    videos: Videos, image_api: FakeImageAPI
) -> None:
    clip = mp4(50_000, seed=3)
    image_api.video.then(completes(steps=[40, 80], mp4=clip))
    request = ImageRequest("waves roll in", "sora-2", size="720x1280", seconds=8, references=(still(),))
    task, data = await made(videos, request)
    assert (task.status, data) == ("done", clip)
    [submit] = image_api.video.submits
    assert submit.path == "/v1/videos"
    assert submit.body == {"prompt": "waves roll in", "model": "sora-2", "seconds": "8", "size": "720x1280"}
    [(field, _, sent)] = submit.files
    assert field == "input_reference" and Image.open(io.BytesIO(sent)).size == (720, 1280)
    assert submit.headers["Authorization"] == f"Bearer {API_KEY}"


@pytest.mark.parametrize("style", ["code", "docs"])
async def test_the_unified_shape_takes_the_still_as_a_data_url_and_its_link_is_read_once(
    videos: Videos, image_api: FakeImageAPI, style: Style
) -> None:
    clip = mp4(20_000, seed=5)
    image_api.video.then(completes(steps=[30, 60], mp4=clip, style=style, expire_after_one_read=True))
    request = ImageRequest("a fox turns its head", "veo3-fast", size="1280x720", references=(still(),))
    _, data = await made(videos, request)
    assert data == clip
    [submit] = image_api.video.submits
    assert submit.path == "/v1/video/generations" and submit.body["image"].startswith("data:image/png;base64,")
    assert (submit.body["duration"], submit.body["width"], submit.body["height"]) == (8, 1280, 720)


async def test_a_clip_turned_down_by_the_vendors_moderation_is_a_refusal_and_any_other_failure_a_failure(
    videos: Videos, image_api: FakeImageAPI
) -> None:
    image_api.video.then(fails(), fails("internal_error", "The render farm is on fire"))
    request = ImageRequest("a kiss", "kling-v2-1", references=(still(),))
    first, _ = await made(videos, request)
    assert isinstance(failure_of(first, request.prompt), Refused)
    second, _ = await made(videos, request)
    error = failure_of(second, request.prompt)
    assert type(error) is UpstreamFailed and "render farm" in error.detail


async def test_a_submit_the_relay_refuses_is_the_same_error_as_for_images(
    videos: Videos, image_api: FakeImageAPI
) -> None:
    image_api.video.then(refused(401, "invalid token"))
    with pytest.raises(AuthFailed):
        await videos.submit(ImageRequest("x", "sora-2", references=(still(),)), CATALOGUE.lookup("sora-2"))


async def test_a_task_that_never_ends_is_given_up_and_one_the_relay_forgot_is_gone(
    videos: Videos, image_api: FakeImageAPI
) -> None:
    image_api.video.then(never_ends(), never_ends())
    request = ImageRequest("slow", "ray-2", references=(still(),))
    with pytest.raises(UpstreamTimeout):
        await made(videos, request, within=0.2)
    info = CATALOGUE.lookup("ray-2")
    task_id = await videos.submit(request, info)
    image_api.video.forget(task_id)
    with pytest.raises(TaskGone):
        await videos.follow(task_id, info, nothing, 10)


def test_a_clip_is_priced_by_the_second_and_video_models_are_not_image_models() -> None:
    prices = PriceTable(CATALOGUE)
    assert prices.per_image(ImageRequest("x", "sora-2", seconds=8)) == pytest.approx(0.8)
    assert prices.per_image(ImageRequest("x", "sora-2-pro")) == pytest.approx(0.3 * 12)
    assert CATALOGUE.lookup("veo3").video and not CATALOGUE.lookup("gpt-image-2").video


async def test_video_models_the_relay_lists_are_never_offered_to_draw_images(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    listed = ("sora-2", "veo3-fast", "kling-v2-1")
    image_api.models += [{"id": name, "supported_endpoint_types": ["image-generation"]} for name in listed]
    await start_bot()
    sent = await fake_discord.autocomplete("imagine", {"prompt": "x", "model": ""}, focused="model")
    offered = [
        choice["value"] for choice in (await callback_of(fake_discord, sent["token"])).payload["data"]["choices"]
    ]
    assert "gpt-image-2" in offered and not set(listed) & set(offered)


def test_a_clip_is_made_smaller_to_fit_keeping_its_sound_and_none_when_even_the_floor_is_too_large() -> None:
    made = clip(seconds=1)
    smaller = shrink(made, len(made) // 8)
    assert smaller is not None and len(smaller) < len(made) // 8
    with av.open(io.BytesIO(smaller), mode="r") as played:
        assert sum(1 for _ in played.decode(video=0)) == 24 and played.streams.audio
    assert shrink(made, 2_000) is None
    assert shrink(b"\x00\x00\x00\x18ftypmp42 not a clip", 1_000) is None


def test_new_apis_wrapped_task_is_read_with_its_result_url() -> None:
    wrapped = {"code": "success", "data": {"status": "SUCCESS", "progress": "100%", "result_url": "https://cdn/x.mp4"}}
    task = VideoTask.read(wrapped, "t1")
    assert task is not None and (task.status, task.progress, task.url) == ("done", 100, "https://cdn/x.mp4")
    failed = VideoTask.read({"data": {"status": "FAILURE", "fail_reason": "quota"}}, "t2")
    assert failed is not None and (failed.status, failed.error) == ("failed", "quota")
