"""What an operator scrapes and probes, end to end: /metrics after real jobs, /healthz and /readyz."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import ImageBot
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, b64_images, png, raw_json
from tests.helpers import answer_of

ALICE = 500000000000000005


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as response:
        return response.status, await response.text()


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_count_jobs_images_refusals_waits_and_spend_without_unbounded_labels(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI, http: aiohttp.ClientSession
) -> None:
    port = free_port()
    bot: ImageBot = await start_bot(metrics_port=port)
    image_api.then(b64_images(png(), png()), raw_json(MODERATION_BODY, 400), b64_images(png()))
    for options in ({"prompt": "two", "n": 2}, {"prompt": "refused"}, {"prompt": "odd", "model": "my-own-model"}):
        sent = await fake_discord.slash("imagine", options, user_id=ALICE)
        await answer_of(fake_discord, sent["token"])
        await bot.core.settled()
    status, text = await get(http, f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    found = samples(text)
    assert found[("imagine_jobs_total", (("model", "gpt-image-2"), ("state", "done")))] == 1
    assert found[("imagine_jobs_total", (("model", "gpt-image-2"), ("state", "refused")))] == 1
    assert found[("imagine_jobs_total", (("model", "other"), ("state", "done")))] == 1  # a typed model
    assert found[("imagine_images_delivered_total", (("model", "gpt-image-2"),))] == 2
    assert found[("imagine_refusals_total", (("reason", "moderation"),))] == 1
    assert found[("imagine_upstream_seconds_count", (("model", "gpt-image-2"), ("outcome", "ok")))] == 1
    assert found[("imagine_upstream_seconds_count", (("model", "gpt-image-2"), ("outcome", "refused")))] == 1
    assert found[("imagine_acknowledge_seconds_count", ())] == 3 and found[("imagine_wait_seconds_count", ())] == 3
    assert found[("imagine_estimated_spend_dollars_total", (("model", "gpt-image-2"),))] > 0
    assert found[("imagine_jobs_queued", ())] == 0 and found[("imagine_guilds", ())] == 1
    assert "prompt" not in text and str(ALICE) not in text


async def test_health_answers_and_readiness_follows_the_gateway(
    start_bot, fake_discord: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    port = free_port()
    await start_bot(metrics_port=port)
    base = f"http://127.0.0.1:{port}"
    assert await get(http, f"{base}/healthz") == (200, "ok\n")
    assert await get(http, f"{base}/readyz") == (200, "ready\n")
    await fake_discord.drop_gateway()
    assert await readiness_becomes(http, base, 503) == "not connected to the Discord gateway\n"
    fake_discord.reopen_gateway()
    assert await readiness_becomes(http, base, 200) == "ready\n"


async def readiness_becomes(http: aiohttp.ClientSession, base: str, status: int) -> str:
    """Ask /readyz until it answers ``status`` (the bot notices a dropped or restored gateway on its own time)."""
    async with asyncio.timeout(30):
        while True:
            found, text = await get(http, f"{base}/readyz")
            if found == status:
                return text


def test_the_dashboard_asks_only_for_metrics_the_bot_serves() -> None:
    import json
    import re
    from pathlib import Path

    from imagegen.ops.metrics import Metrics

    metrics = Metrics()
    metrics.jobs.labels(state="done", model="m").inc()
    metrics.upstream.labels(model="m", outcome="ok").observe(1)
    metrics.delivered.labels(model="m").inc()
    metrics.refusals.labels(reason="r").inc()
    metrics.errors.labels(model="m", kind="k").inc()
    metrics.spend.labels(model="m").inc()
    metrics.gateway.labels(shard="0").set(0.1)
    served = {
        sample.name for family in text_string_to_metric_families(metrics.render().decode()) for sample in family.samples
    }
    dashboard = json.loads((Path(__file__).parent.parent / "deploy" / "grafana-dashboard.json").read_text())
    asked = {name for panel in dashboard["panels"] for target in panel["targets"]
             for name in re.findall(r"imagine_[a-z_]+", target["expr"])}  # fmt: skip
    assert asked and asked <= served
