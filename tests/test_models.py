"""The model list offered in autocomplete: fetched, cached, and never slow."""

from __future__ import annotations

import aiohttp

from imagegen.client import ImageClient, is_image_model
from imagegen.models import ModelCatalog
from imagegen.settings import Settings
from tests.fakes.image_api import FakeImageAPI


def test_image_models_are_told_by_endpoint_types_or_else_by_name() -> None:
    assert is_image_model({"id": "anything", "supported_endpoint_types": ["image-generation"]})
    assert not is_image_model({"id": "gpt-image-1", "supported_endpoint_types": ["openai"]})
    assert is_image_model({"id": "flux-1.1-pro"}) and is_image_model({"id": "dall-e-3"})
    assert not is_image_model({"id": "gpt-4o"})


async def test_the_list_is_cached_until_it_goes_stale(image_api: FakeImageAPI, settings: Settings) -> None:
    now = [0.0]
    async with aiohttp.ClientSession() as session:
        catalog = ModelCatalog(ImageClient(session, settings), ("gpt-image-1",), ttl=60, clock=lambda: now[0])
        assert await catalog.search("") == ["gpt-image-1", "dall-e-3"]
        assert await catalog.search("dall") == ["dall-e-3"]
        assert len(image_api.calls) == 1
        image_api.models.append({"id": "gpt-image-2", "supported_endpoint_types": ["image-generation"]})
        now[0] = 61
        await catalog.search("")
        await catalog.refresh()
        assert "gpt-image-2" in await catalog.search("")
        assert len(image_api.calls) == 2
