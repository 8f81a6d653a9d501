"""What each model is sent, and what is refused before any call, by what the catalogue says it takes."""

from __future__ import annotations

import pytest

from imagegen.catalogue.entries import BUNDLED, Catalogue
from imagegen.errors import InvalidRequest
from imagegen.model import ImageRequest

CATALOGUE = Catalogue.load(BUNDLED)


def checked(request: ImageRequest, max_images: int = 4) -> ImageRequest:
    return request.validated(CATALOGUE.lookup(request.model), max_images)


def body(request: ImageRequest) -> dict[str, object]:
    return checked(request, 10).body(CATALOGUE.lookup(request.model))


def test_gpt_image_gets_its_extras_but_never_response_format_or_an_auto_size() -> None:
    request = ImageRequest("cat", "gpt-image-2", n=3, quality="low", background="opaque", moderation="low")
    assert body(request) == {
        "model": "gpt-image-2", "prompt": "cat", "n": 3, "quality": "low", "background": "opaque", "moderation": "low",
    }  # fmt: skip


def test_other_vendors_get_only_what_they_take() -> None:
    assert body(ImageRequest("cat", "flux-pro", size="16:9", moderation="low")) == {
        "model": "flux-pro", "prompt": "cat", "n": 1, "size": "16:9",
    }  # fmt: skip


def test_an_unknown_model_gets_prompt_n_and_size_only() -> None:
    request = ImageRequest("cat", "brand-new-drawer", n=2, size="1536x1024", moderation="low")
    assert body(request) == {"model": "brand-new-drawer", "prompt": "cat", "n": 2, "size": "1536x1024"}


def test_a_ratio_or_a_typed_size_becomes_what_the_model_takes() -> None:
    assert checked(ImageRequest("cat", "gpt-image-2", size="1536×864")).size == "1536x864"
    assert checked(ImageRequest("cat", "gpt-image-2", size="16:9")).size == "1536x864"
    assert checked(ImageRequest("cat", "gpt-image-1.5", size="3:2")).size == "1536x1024"
    assert checked(ImageRequest("cat", "gemini-3.1-flash-image", size="1920x1080")).size == "16:9"


def test_references_go_to_edits_or_into_the_json_as_the_model_takes_them() -> None:
    png = b"\x89PNG fake"
    edited = ImageRequest("cat", "gpt-image-2", references=(png,))
    assert edited.endpoint(CATALOGUE.lookup("gpt-image-2")) == "images/edits"
    kontext = ImageRequest("cat", "flux-kontext-pro", references=(png,))
    assert kontext.endpoint(CATALOGUE.lookup("flux-kontext-pro")) == "images/generations"
    assert body(kontext)["image"] == ["data:image/png;base64,iVBORyBmYWtl"]


@pytest.mark.parametrize(
    ("request_", "key"),
    [
        (ImageRequest("x" * 4001, "dall-e-3"), "invalid.prompt_too_long"),
        (ImageRequest("x" * 32001, "gpt-image-2"), "invalid.prompt_too_long"),
        (ImageRequest("cat", "dall-e-3", n=2), "invalid.n_model"),
        (ImageRequest("cat", "gpt-image-2", n=5), "invalid.n_range"),
        (ImageRequest("cat", "gpt-image-1", size="512x512"), "invalid.size_model"),
        (ImageRequest("cat", "dall-e-2", size="1024x1536"), "invalid.size_model"),
        (ImageRequest("cat", "gpt-image-2", size="1000x1000"), "invalid.size_free"),
        (ImageRequest("cat", "gemini-3-pro-image", size="7:1"), "invalid.size_ratio"),
        (ImageRequest("cat", "grok-2-image", size="1024x1024"), "invalid.size_auto"),
        (ImageRequest("cat", "dall-e-3", quality="hd"), "invalid.quality"),
        (ImageRequest("cat", "flux-pro", quality="high"), "invalid.quality_model"),
        (ImageRequest("cat", "gpt-image-2", quality="xhigh"), "invalid.quality_some"),
        (ImageRequest("cat", "dall-e-3", background="transparent"), "invalid.background_model"),
        (ImageRequest("cat", "flux-pro", references=(b"x",)), "invalid.reference_model"),
        (ImageRequest("cat", "bad model name"), "invalid.model"),
        (ImageRequest("  ", "gpt-image-2"), "invalid.prompt_empty"),
    ],
)
def test_impossible_requests_are_refused_with_what_to_change(request_: ImageRequest, key: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        checked(request_)
    assert caught.value.key == key


def test_a_refused_quality_names_the_ones_the_model_has() -> None:
    with pytest.raises(InvalidRequest) as caught:
        checked(ImageRequest("cat", "gpt-image-2", quality="max"))
    assert caught.value.params["qualities"] == "low, medium, high"
    checked(ImageRequest("cat", "gpt-image-2.5-flare", quality="max"))


def test_the_longest_allowed_prompt_and_the_largest_n_pass_unchanged() -> None:
    longest = ImageRequest("x" * 4000, "dall-e-3")
    assert checked(longest) == longest
    largest = ImageRequest("x", "gpt-image-2", n=4)
    assert checked(largest, max_images=4) == largest and body(largest)["n"] == 4


def test_previews_ask_for_a_stream_on_models_that_stream_and_edits_say_so_in_their_fields() -> None:
    info = CATALOGUE.lookup("gpt-image-2")
    streamed = ImageRequest("cat", "gpt-image-2", previews=2, references=(b"\x89PNG",))
    assert streamed.edit_fields(info)["stream"] == "true" and streamed.edit_fields(info)["partial_images"] == "2"
    assert "stream" not in ImageRequest("cat", "flux-pro", previews=2).body(CATALOGUE.lookup("flux-pro"))


def test_a_mask_needs_a_model_that_takes_edits_and_the_prompt_limit_counts_the_style() -> None:
    catalogue = Catalogue.load(BUNDLED)
    masked = ImageRequest("a kite", "flux-kontext-pro", references=(b"x",), mask=b"m")
    with pytest.raises(InvalidRequest) as refused:
        masked.validated(catalogue.lookup("flux-kontext-pro"), 4)
    assert refused.value.key == "invalid.mask_model"
    long = ImageRequest("x" * 990, "dall-e-2", addition="y" * 20)
    with pytest.raises(InvalidRequest) as refused:
        long.validated(catalogue.lookup("dall-e-2"), 4)
    assert refused.value.key == "invalid.prompt_too_long"
    assert (
        ImageRequest("a kite", "gpt-image-2", addition="watercolor").body(catalogue.lookup("gpt-image-2"))["prompt"]
        == "a kite, watercolor"
    )


def test_a_model_takes_at_most_its_number_of_reference_images() -> None:
    catalogue = Catalogue.load(BUNDLED)
    two = ImageRequest("blend them", "flux-kontext-pro", references=(b"a", b"b"))
    with pytest.raises(InvalidRequest) as refused:
        two.validated(catalogue.lookup("flux-kontext-pro"), 4)
    assert refused.value.key == "invalid.references_many" and refused.value.params["limit"] == 1
    with pytest.raises(InvalidRequest):
        ImageRequest("blend", "gpt-image-2").validated(catalogue.lookup("gpt-image-2"), 4, references=17)
    assert ImageRequest("blend", "gpt-image-2").validated(catalogue.lookup("gpt-image-2"), 4, references=5)
