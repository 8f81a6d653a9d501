"""What each model family is sent, and what is refused before any call."""

from __future__ import annotations

import pytest

from imagegen.errors import InvalidRequest
from imagegen.request import Family, ImageRequest, family_of


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("gpt-image-1", Family.GPT_IMAGE),
        ("gpt-image-2", Family.GPT_IMAGE),
        ("openai/gpt-image-1.5", Family.GPT_IMAGE),
        ("chatgpt-image-latest", Family.GPT_IMAGE),
        ("dall-e-3", Family.DALL_E_3),
        ("dall-e-2", Family.DALL_E_2),
        ("flux-pro", Family.OTHER),
    ],
)
def test_model_families_are_recognised(model: str, family: Family) -> None:
    assert family_of(model) == family


def test_gpt_image_gets_its_extras_but_never_response_format_or_an_auto_size() -> None:
    request = ImageRequest("cat", "gpt-image-1", n=3, quality="low", background="opaque", moderation="low")
    assert request.body() == {
        "model": "gpt-image-1", "prompt": "cat", "n": 3, "quality": "low", "background": "opaque", "moderation": "low",
    }  # fmt: skip


def test_other_vendors_get_the_plain_openai_shape() -> None:
    assert ImageRequest("cat", "flux-pro", size="1024x1536", moderation="low").body() == {
        "model": "flux-pro", "prompt": "cat", "n": 1, "size": "1024x1536",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("request_", "key"),
    [
        (ImageRequest("x" * 4001, "dall-e-3"), "invalid.prompt_too_long"),
        (ImageRequest("x" * 32001, "gpt-image-1"), "invalid.prompt_too_long"),
        (ImageRequest("cat", "dall-e-3", n=2), "invalid.n_model"),
        (ImageRequest("cat", "gpt-image-1", n=5), "invalid.n_range"),
        (ImageRequest("cat", "gpt-image-1", size="512x512"), "invalid.size"),
        (ImageRequest("cat", "dall-e-2", size="1024x1536"), "invalid.size_model"),
        (ImageRequest("cat", "dall-e-3", quality="hd"), "invalid.quality"),
        (ImageRequest("cat", "flux-pro", quality="high"), "invalid.quality_model"),
        (ImageRequest("cat", "dall-e-3", background="transparent"), "invalid.background_model"),
        (ImageRequest("cat", "bad model name"), "invalid.model"),
        (ImageRequest("  ", "gpt-image-1"), "invalid.prompt_empty"),
    ],
)
def test_impossible_requests_are_refused_with_what_to_change(request_: ImageRequest, key: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        request_.validate(max_images=4)
    assert caught.value.key == key


def test_the_longest_allowed_prompt_passes() -> None:
    ImageRequest("x" * 4000, "dall-e-3").validate(max_images=4)
    ImageRequest("x", "gpt-image-1", n=4).validate(max_images=4)
