"""The single-image tools' sizes, canvases and masks, and the requests they make, without Discord."""

from __future__ import annotations

import dataclasses
import io

import pytest
from PIL import Image

from imagegen.catalogue.entries import BUNDLED, Catalogue, ModelInfo
from imagegen.catalogue.prices import PriceTable
from imagegen.errors import InvalidRequest
from imagegen.imaging import canvas, tools
from imagegen.model import ImageRequest
from tests.fakes.image_api import png

CATALOGUE = Catalogue.load(BUNDLED)
GPT2 = CATALOGUE.lookup("gpt-image-2")
GPT15 = CATALOGUE.lookup("gpt-image-1.5")
FLUX = CATALOGUE.lookup("flux-kontext-pro")


@pytest.mark.parametrize(
    ("info", "width", "height", "fitted", "largest"),
    [
        (GPT2, 1024, 1024, "1024x1024", "2880x2880"),
        (GPT2, 1536, 1024, "1536x1024", "3520x2336"),
        (GPT2, 3840, 2160, "3840x2160", None),
        (GPT2, 700, 700, "816x816", "2880x2880"),
        (GPT15, 1024, 1536, "1024x1536", None),
        (GPT15, 1600, 900, "1536x1024", None),
        (FLUX, 1600, 900, "16:9", None),
    ],
)
def test_sizes_follow_each_models_rule(
    info: ModelInfo, width: int, height: int, fitted: str, largest: str | None
) -> None:
    assert canvas.fit(width, height, info.sizes) == fitted
    assert canvas.largest(width, height, info.sizes) == largest
    for size in (fitted, largest):
        if size is not None:
            assert info.sizes.normalise(size) == size


@pytest.mark.parametrize(
    ("info", "width", "height", "direction", "size"),
    [
        (GPT2, 1024, 1024, "left", "1536x1024"),
        (GPT2, 1024, 1024, "up", "1024x1536"),
        (GPT2, 3840, 2160, "right", "3840x1440"),
        (GPT15, 1024, 1024, "right", "1536x1024"),
        (GPT15, 1536, 1024, "left", None),
        (GPT15, 1536, 1024, "down", "1024x1024"),
    ],
)
def test_a_pan_grows_the_canvas_that_way_as_far_as_the_model_allows(
    info: ModelInfo, width: int, height: int, direction: str, size: str | None
) -> None:
    assert canvas.pan_size(width, height, direction, info.sizes) == size


def test_the_mask_is_the_canvas_size_and_transparent_exactly_where_new_pixels_go() -> None:
    made = canvas.pan(png(1536, 1024, (0, 0, 200)), "down", "1024x1024")
    with Image.open(io.BytesIO(made.mask)) as mask, Image.open(io.BytesIO(made.image)) as image:
        assert mask.size == image.size == (1024, 1024)
        alpha = mask.convert("RGBA").getchannel("A")
        # The picture, 1024×683, at the top; the band below it is new.
        assert alpha.getbbox() == (0, 0, 1024, 683) and alpha.histogram()[255] == 1024 * 683
        assert image.convert("RGBA").getchannel("A").getbbox() == (0, 0, 1024, 683)


def test_each_model_offers_only_the_tools_it_can_do() -> None:
    assert tools.offered(GPT2) == [*tools.VARY, *tools.ZOOM, *tools.PAN, "upscale", "edit"]
    assert "upscale" not in tools.offered(GPT15)
    assert tools.offered(FLUX) == ["subtle", "strong", "edit"]
    assert tools.offered(CATALOGUE.lookup("qwen-image-3.0")) == ["edit"]


def test_a_tool_request_is_one_image_at_its_planned_size_priced_as_such() -> None:
    request = ImageRequest("a kite", "gpt-image-2", n=4, quality="low", style="Watercolor", addition="watercolor")
    upscale = tools.plan(request, "upscale", 1024, 1024, GPT2)
    assert (upscale.n, upscale.size, upscale.tool, upscale.fidelity) == (1, "2880x2880", "upscale", "high")
    assert upscale.text.startswith("a kite, watercolor, the same image at a higher resolution")
    # The admission prices what is drawn: an upscale costs about eight 1024×1024 images.
    prices = PriceTable.load(CATALOGUE)
    square = dataclasses.replace(request, size="1024x1024")
    assert prices.estimate(upscale, 1) == pytest.approx(prices.estimate(square, 1) * 2880 * 2880 / 1024**2)
    with pytest.raises(InvalidRequest) as refused:
        tools.plan(request, "pan-left", 1536, 1024, GPT15)
    assert refused.value.key == "tool.no_room"
    with pytest.raises(InvalidRequest) as refused:
        tools.plan(request, "zoom-2", 1024, 1024, FLUX)
    assert refused.value.key == "tool.unavailable"


def test_rendering_a_planned_zoom_sends_canvas_and_mask_at_that_size() -> None:
    planned = tools.plan(ImageRequest("a kite", "gpt-image-2"), "zoom-2", 1024, 1024, GPT2)
    rendered = tools.render(planned, png(1024, 1024))
    assert rendered.mask is not None and len(rendered.references) == 1
    fields = rendered.edit_fields(GPT2)
    assert fields["size"] == "1024x1024" and "input_fidelity" not in fields

    subtle = tools.plan(ImageRequest("a kite", "gpt-image-1.5"), "subtle", 1024, 1024, GPT15)
    strong = tools.plan(ImageRequest("a kite", "gpt-image-1.5"), "strong", 1024, 1024, GPT15)
    # A model that takes input_fidelity gets the tool's: subtle keeps close to the image, strong lets it move.
    assert subtle.edit_fields(GPT15)["input_fidelity"] == "high"
    assert strong.edit_fields(GPT15)["input_fidelity"] == "low"
    assert "input_fidelity" not in subtle.edit_fields(GPT2)


def test_a_large_pictures_canvas_is_made_small_while_the_size_asked_stays() -> None:
    planned = tools.plan(ImageRequest("a kite", "gpt-image-2"), "pan-right", 3840, 2160, GPT2)
    rendered = tools.render(planned, png(3840, 2160))
    assert rendered.mask is not None
    with Image.open(io.BytesIO(rendered.references[0])) as image, Image.open(io.BytesIO(rendered.mask)) as mask:
        assert image.size == mask.size == (1536, 576)
    assert rendered.size == "3840x1440"


def test_a_tool_on_a_tool_result_gives_its_instruction_once_and_keeps_the_style() -> None:
    request = ImageRequest("a kite", "gpt-image-2", style="Watercolor", addition="watercolor")
    once = tools.plan(request, "zoom-2", 1024, 1024, GPT2)
    twice = tools.plan(once, "zoom-2", 1024, 1024, GPT2)
    then_pan = tools.plan(twice, "pan-left", 1024, 1024, GPT2)
    assert twice.addition == once.addition and twice.addition.startswith("watercolor, zoomed out")
    assert then_pan.addition.startswith("watercolor, keep the picture unchanged") and "zoomed" not in then_pan.addition
