"""Image checks and fitting results into Discord's limits."""

from __future__ import annotations

import io

from PIL import Image

from imagegen.imaging import images
from tests.fakes.image_api import png

MIB = 1024 * 1024


def test_inspect_accepts_images_and_rejects_everything_else() -> None:
    found = images.inspect(png(10, 20))
    assert found is not None and (found.extension, found.width, found.height) == ("png", 10, 20)
    assert images.inspect(b"<html>nope</html>") is None
    assert images.inspect(png(10, 20)[:40]) is None
    assert images.inspect(b"") is None


def test_a_png_damaged_anywhere_is_rejected_without_decoding_it() -> None:
    whole = png(200, 200, noise=True)
    middle = len(whole) // 2
    flipped = whole[:middle] + bytes([whole[middle] ^ 0xFF]) + whole[middle + 1 :]
    assert images.inspect(whole) is not None
    assert images.inspect(flipped) is None  # a chunk's checksum no longer matches
    assert images.inspect(whole[:-100]) is None  # cut before its end


def test_a_jpeg_is_decoded_to_be_checked() -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 20, 30)).save(buffer, "JPEG")
    assert images.inspect(buffer.getvalue()) is not None
    assert images.inspect(buffer.getvalue()[: len(buffer.getvalue()) // 2]) is None


def test_an_image_under_the_limit_is_left_alone() -> None:
    image = images.inspect(png(50, 50))
    assert image is not None and images.fit(image, 10_000_000) is image


def test_an_image_over_the_limit_becomes_a_smaller_webp_with_its_transparency() -> None:
    image = images.inspect(png(600, 600, noise=True))
    assert image is not None
    fitted = images.fit(image, 150_000)
    assert fitted is not None and fitted.extension == "webp" and len(fitted.data) < 150_000
    with Image.open(io.BytesIO(fitted.data)) as opened:
        assert opened.mode == "RGBA"


def test_an_opaque_image_stays_opaque_when_reencoded() -> None:
    image = images.inspect(_opaque_noise())
    assert image is not None
    fitted = images.fit(image, 50_000)
    assert fitted is not None
    with Image.open(io.BytesIO(fitted.data)) as opened:
        assert opened.mode == "RGB"


def _opaque_noise() -> bytes:
    noisy = Image.open(io.BytesIO(png(300, 300, noise=True))).convert("RGB")
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    return buffer.getvalue()


def test_batches_hold_at_most_ten_files_and_together_stay_under_the_limit() -> None:
    small = images.ImageFile(b"x" * 10, "png", 1, 1)
    assert [len(group) for group in images.batches([small] * 23, MIB)] == [10, 10, 3]
    big = images.ImageFile(b"x" * (3 * MIB), "png", 1, 1)
    assert [len(group) for group in images.batches([big] * 4, 10 * MIB)] == [3, 1]
    assert [len(group) for group in images.batches([big] * 4, 6 * MIB)] == [2, 2]


def test_four_large_images_are_shrunk_and_grouped_so_no_request_passes_the_limit() -> None:
    image = images.inspect(png(700, 700, noise=True))
    assert image is not None
    limit = len(image.data) + images.REQUEST_OVERHEAD + 1000
    prepared = images.prepare([image] * 4, limit)
    assert prepared.left_out == 0 and sum(len(group) for group in prepared.groups) == 4
    for group in prepared.groups:
        assert sum(len(member.data) for member in group) <= limit - images.REQUEST_OVERHEAD


def test_an_image_that_cannot_be_made_to_fit_is_left_out_and_counted() -> None:
    image = images.inspect(png(600, 600, noise=True))
    assert image is not None
    prepared = images.prepare([image], images.REQUEST_OVERHEAD + 200)
    assert prepared.groups == [] and prepared.left_out == 1
