"""The Midjourney task client against the fake relay: followers, submit answers in words, prompts."""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator

import aiohttp
import pytest

from imagegen.api import tasks
from imagegen.api.midjourney import Midjourney, Task, prompt_for, submit_failure
from imagegen.errors import Refused, UpstreamBusy, UpstreamUnavailable
from imagegen.model import ImageRequest
from imagegen.settings import Secret, Settings
from tests.conftest import API_KEY
from tests.fakes.image_api import FakeImageAPI
from tests.fakes.midjourney import Step, never_ends
from tests.helpers import eventually


@pytest.fixture
async def relay(image_api: FakeImageAPI, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Midjourney]:
    """The bot's Midjourney client, polling every hundredth of a second."""
    monkeypatch.setattr(tasks, "POLL_INTERVALS", ((math.inf, 0.01),))
    settings = Settings(discord_token=Secret("token"), openai_api_key=Secret(API_KEY), openai_base_url=image_api.url)
    async with aiohttp.ClientSession() as session:
        client = Midjourney(session, settings)
        yield client
        await client.close()


async def nothing(task: Task) -> None:
    return None


async def test_two_jobs_following_one_task_both_hear_how_it_ends(relay: Midjourney, image_api: FakeImageAPI) -> None:
    image_api.mj.then(never_ends("30%"))
    submitted = await relay.submit("imagine", {"prompt": "a kite"}, "midjourney", "a kite")
    # Two members clicked one button and the relay answered both with the same task.
    first = asyncio.create_task(relay.follow(submitted.task_id, nothing, 30))
    second = asyncio.create_task(relay.follow(submitted.task_id, nothing, 30))
    await eventually(lambda: len(image_api.mj.polls) >= 2)
    image_api.mj.last_task.timeline.append(Step("SUCCESS", "100%"))
    ended = await asyncio.wait_for(asyncio.gather(first, second), 10)
    assert [task.status for task in ended] == ["SUCCESS", "SUCCESS"]


@pytest.mark.parametrize(
    ("code", "description", "properties", "kind"),
    [
        (24, "可能包含敏感词", {"bannedWord": "blood"}, Refused),
        (24, "prompt contains banned words", {}, Refused),
        (24, "账号不可用", {}, UpstreamUnavailable),
        (24, "account blocked", {}, UpstreamUnavailable),
        (23, "队列已满，请稍后尝试", {}, UpstreamBusy),
    ],
)
def test_a_submit_answer_means_what_its_words_say_where_the_relays_codes_disagree(
    code: int, description: str, properties: dict[str, str], kind: type
) -> None:
    assert type(submit_failure(code, description, properties, "a prompt")) is kind


def test_speed_flags_are_taken_out_however_the_dash_is_typed() -> None:
    request = ImageRequest("a fox —turbo --fast --Relax --stylize 50", "midjourney", size="2:3")
    assert prompt_for(request) == "a fox --stylize 50 --ar 2:3"
