"""Poll requests per task-minute with many Midjourney tasks in flight: one list-by-condition a round, against a
relay without it (a fetch per task), side by side in one run.

The bot's own client follows tasks at the fake relay of the tests. Time runs SCALE times faster than the poll
intervals say (each interval divided by SCALE), so minutes of tasks take seconds; figures are given in the
intervals' own minutes.

    uv run python bench/polling.py [--tasks 50] [--seconds 90] [--scale 10]
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402

from imagegen.api import tasks as rounds  # noqa: E402
from imagegen.api.midjourney import Midjourney, Task  # noqa: E402
from imagegen.settings import Secret, Settings  # noqa: E402
from tests.fakes.image_api import FakeImageAPI  # noqa: E402
from tests.fakes.midjourney import Step, StepLike, succeeds  # noqa: E402


def polls_for(seconds: float) -> int:
    """How many polls the client makes of a task that runs ``seconds``, by its intervals."""
    count, age = 0, 0.0
    while age < seconds:
        age += rounds.interval(age)
        count += 1
    return count


async def run(tasks: int, seconds: float, scale: float, batch: bool) -> tuple[float, float]:
    """Poll requests per task-minute, and how many tasks one request asked about on average."""
    api = FakeImageAPI()
    await api.start()
    api.mj.list_by_condition = batch
    # Each task ends after as many polls as the intervals give a task of ``seconds``.
    steps: list[StepLike] = [Step("IN_PROGRESS", "50%")] * (polls_for(seconds) - 1)
    api.mj.then(*(succeeds(steps=steps) for _ in range(tasks)))
    settings = Settings(discord_token=Secret("x"), openai_api_key=Secret("k"), openai_base_url=api.url)
    scaled = tuple((below / scale, wait / scale) for below, wait in rounds.POLL_INTERVALS)
    original, rounds.POLL_INTERVALS = rounds.POLL_INTERVALS, scaled
    try:
        async with aiohttp.ClientSession() as session:
            client = Midjourney(session, settings)
            spans: list[float] = []

            async def one(delay: float) -> None:
                await asyncio.sleep(delay)
                submitted = await client.submit("imagine", {"prompt": "bench"}, "midjourney", "bench")
                began = time.monotonic()

                async def ignore(task: Task) -> None:
                    return None

                await client.follow(submitted.task_id, ignore, 3600)
                spans.append((time.monotonic() - began) * scale)

            random.seed(1)
            # The tasks arrive over the first tenth of their run, as a busy server's would.
            await asyncio.gather(*(one(random.uniform(0, seconds / scale / 10)) for _ in range(tasks)))
            await client.close()
    finally:
        rounds.POLL_INTERVALS = original
        await api.close()
    requests = len(api.mj.polls)
    asked = sum(len((call.body or {}).get("ids", [])) or 1 for call in api.mj.polls)
    return requests / (sum(spans) / 60), asked / requests


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--scale", type=float, default=10.0)
    options = parser.parse_args()
    machine = f"{platform.machine()}, Python {platform.python_version()}"
    print(f"{options.tasks} tasks of ~{options.seconds:g} s each, time x{options.scale:g}, {machine}")
    print("| relay | poll requests per task-minute | tasks asked about per request |")
    print("|---|---|---|")
    for batch in (True, False):
        rate, per_request = await run(options.tasks, options.seconds, options.scale, batch)
        name = "list-by-condition" if batch else "fetch per task"
        print(f"| {name} | {rate:.2f} | {per_request:.1f} |")


if __name__ == "__main__":
    asyncio.run(main())
