"""The model list offered in autocomplete and the default model: fetched, cached, ranked, never slow."""

from __future__ import annotations

import datetime
import logging
from typing import Any

import aiohttp
import pytest

from imagegen.api.client import ImageClient, ListedModel, is_image_model
from imagegen.catalogue import offered as models
from imagegen.catalogue.entries import BUNDLED, Catalogue
from imagegen.catalogue.offered import ModelCatalog
from imagegen.errors import UpstreamUnavailable
from imagegen.settings import Settings
from tests.fakes.image_api import FakeImageAPI

CATALOGUE = Catalogue.load(BUNDLED)
TODAY = datetime.date(2026, 11, 29)


def test_image_models_are_told_by_endpoint_types_or_else_by_name() -> None:
    assert is_image_model({"id": "anything", "supported_endpoint_types": ["image-generation"]})
    assert not is_image_model({"id": "gpt-image-1", "supported_endpoint_types": ["openai"]})
    assert is_image_model({"id": "flux-1.1-pro"}) and is_image_model({"id": "dall-e-3"})
    assert not is_image_model({"id": "gpt-4o"})


def catalog_for(session: aiohttp.ClientSession, settings: Settings, configured: str | None = None) -> ModelCatalog:
    client = ImageClient(session, settings, CATALOGUE)
    return ModelCatalog(client, CATALOGUE, configured, (), ttl=60, today=lambda: TODAY)


async def test_the_list_is_cached_until_it_goes_stale(image_api: FakeImageAPI, settings: Settings) -> None:
    now = [0.0]
    async with aiohttp.ClientSession() as session:
        client = ImageClient(session, settings, CATALOGUE)
        catalog = ModelCatalog(client, CATALOGUE, None, (), ttl=60, clock=lambda: now[0], today=lambda: TODAY)
        assert await catalog.search("") == ["gpt-image-2"]
        assert await catalog.search("dall") == []
        assert len(image_api.calls) == 1
        image_api.models.append({"id": "gpt-image-2.6-sunburst", "supported_endpoint_types": ["image-generation"]})
        now[0] = 61
        await catalog.search("")
        await catalog.refresh()
        assert await catalog.search("") == ["gpt-image-2.6-sunburst", "gpt-image-2"]
        assert len(image_api.calls) == 2


def image(model: str, **extra: Any) -> dict[str, Any]:
    return {"id": model, "supported_endpoint_types": ["image-generation"], **extra}


@pytest.mark.parametrize(
    ("listed", "chosen"),
    [
        ([image("gpt-image-1"), image("gpt-image-2"), image("gpt-image-2.5-flare")], "gpt-image-2.5-flare"),
        ([image("gpt-image-2.5-flare", shutdown_date="2026-11-20"), image("gpt-image-2")], "gpt-image-2"),
        ([image("gpt-image-2.5-flare", shutdown_date=1795000000), image("gpt-image-2")], "gpt-image-2"),
        ([image("gpt-image-2.5-flare", shutdown_date="2027-06-01T00:00:00Z"), image("gpt-image-2")],
         "gpt-image-2.5-flare"),
        ([image("gpt-image-1"), image("dall-e-3"), image("gemini-3.1-flash-image")], "gemini-3.1-flash-image"),
        ([image("gpt-image-1"), image("house-model")], "gpt-image-2.6-flare"),
    ],
)  # fmt: skip
async def test_the_default_is_the_most_preferred_listed_model_not_shut_down(
    image_api: FakeImageAPI, settings: Settings, listed: list[dict[str, Any]], chosen: str
) -> None:
    image_api.models = listed
    async with aiohttp.ClientSession() as session:
        catalog = catalog_for(session, settings)
        await catalog.refresh()
        assert catalog.default == chosen


async def test_without_a_list_the_default_is_the_catalogues_and_a_configured_one_always_wins(
    image_api: FakeImageAPI, settings: Settings
) -> None:
    image_api.models_status = 500
    async with aiohttp.ClientSession() as session:
        catalog = catalog_for(session, settings)
        await catalog.refresh()
        assert catalog.default == CATALOGUE.fallback() == "gpt-image-2.6-flare"
        configured = catalog_for(session, settings, configured="flux-pro")
        await configured.refresh()
        assert configured.default == "flux-pro"


async def test_models_that_are_gone_or_going_are_warned_about_with_a_replacement(
    image_api: FakeImageAPI, settings: Settings
) -> None:
    image_api.models = [image("gpt-image-1.5"), image("gpt-image-2", shutdown_date="2026-12-20"), image("flux-pro")]
    async with aiohttp.ClientSession() as session:
        catalog = catalog_for(session, settings)
        await catalog.refresh()
        warnings = catalog.warnings(["gpt-image-1.5", "gpt-image-2", "dall-e-3", "flux-pro"])
    assert warnings == [
        "model gpt-image-1.5 shuts down on 2026-12-01; use gpt-image-2.6-flare instead",
        "model gpt-image-2 shuts down on 2026-12-20",
        "model dall-e-3 was shut down on 2026-05-12; use gpt-image-2 instead",
    ]


class Unreachable:
    """An image client whose API cannot be reached for the first ``failures`` tries."""

    def __init__(self, settings: Settings, failures: int) -> None:
        self.settings = settings
        self.failures = failures
        self.calls = 0

    async def list_models(self) -> list[ListedModel]:
        self.calls += 1
        if self.calls <= self.failures:
            raise UpstreamUnavailable("cannot connect: [Errno 111] Connection refused")
        return [ListedModel("gpt-image-2")]


async def test_an_image_api_out_of_reach_at_start_is_tried_again_until_it_answers(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(models, "FIRST_RETRY_WAIT", 0.001)
    client = Unreachable(settings, failures=3)
    catalog = ModelCatalog(client, CATALOGUE, None, (), ttl=60, today=lambda: TODAY)  # type: ignore[arg-type]
    await catalog.refresh()
    assert client.calls == 4 and catalog.default == "gpt-image-2"
    lines = [record.getMessage() for record in caplog.records if "cannot reach the image API" in record.getMessage()]
    assert len(lines) == 3 and lines[0].startswith(f"cannot reach the image API at {settings.openai_base_url} (")
    assert [line.rsplit(" ", 2)[1] for line in lines] == ["0.001", "0.002", "0.004"]


async def test_at_start_the_log_warns_about_configured_models_that_are_gone(
    start_bot, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, "imagegen.catalogue.offered")
    bot = await start_bot(image_models=("gpt-image-1",), allowed_models=("gpt-image-2", "gpt-image-1"))
    await bot.core.refresh_models()
    assert "model gpt-image-1 was shut down on 2026-10-23; use gpt-image-2 instead" in caplog.text
    assert "default model: gpt-image-2, the most preferred of the 2 image models the API lists" in caplog.text


@pytest.mark.parametrize(
    ("listed", "configured", "chosen"),
    [
        (["gpt-4o", "gpt-4o-mini", "claude-sonnet-4"], None, "gpt-4o-mini"),
        (["openai/gpt-4.1", "gemini-2.5-flash"], None, "openai/gpt-4.1"),
        (["qwen2.5-vl-72b-instruct", "text-embedding-3-small"], None, "qwen2.5-vl-72b-instruct"),
        (["text-embedding-3-small", "whisper-1"], None, None),
        (["gpt-4o"], "my-vision-model", "my-vision-model"),
    ],
)
def test_describe_uses_vision_model_else_the_most_preferred_chat_model_listed(
    settings: Settings, listed: list[str], configured: str | None, chosen: str | None
) -> None:
    catalog = ModelCatalog(ImageClient(None, settings, CATALOGUE), CATALOGUE, None, (), ttl=60, vision=configured)  # type: ignore[arg-type]
    catalog.use([ListedModel("gpt-image-2"), *(ListedModel(name, draws=False) for name in listed)])
    assert catalog.vision == chosen
    # Chat models are never offered for drawing.
    assert catalog.models == ("gpt-image-2",)
