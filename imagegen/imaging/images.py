"""Checking and resizing image bytes. All but ``prepare_async`` block: run them in a thread."""

from __future__ import annotations

import base64
import binascii
import io
import warnings
from dataclasses import dataclass

from PIL import Image, ImageOps

from . import clips, workers

# A message carries at most 10 files. Discord applies its upload limit to the whole request, not to each file,
# and the request carries the message's text and buttons too: files get all of the limit but this much.
MAX_FILES_PER_MESSAGE = 10
REQUEST_OVERHEAD = 64 * 1024
# An image that fits the limit only when shrunk below this many pixels a side is left out, with a note, instead.
MIN_SIDE = 256
# Live previews are shown this large at most (pixels a side): enough to see the picture coming.
PREVIEW_SIDE = 384
# WebP cannot hold a side longer than this.
WEBP_MAX_SIDE = 16383
_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp", "GIF": "gif"}


@dataclass(frozen=True)
class ImageFile:
    """Image bytes known to decode, with what they are."""

    data: bytes
    extension: str
    width: int
    height: int


def inspect(data: bytes) -> ImageFile | None:
    """Return the image in ``data`` if it is a whole PNG, JPEG, WebP or GIF, else None.

    A PNG is checked by its structure (every chunk read and its checksum verified, as far as IEND) without decoding
    a pixel: a tenth of the CPU of a full decode (bench/). Other formats have no such check and are decoded.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                extension = _EXTENSIONS.get(image.format or "")
                size = image.size
                if image.format == "PNG":
                    image.verify()
                else:
                    image.load()
    except (
        OSError,
        ValueError,
        SyntaxError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ):
        return None
    if extension is None:
        return None
    return ImageFile(data, extension, *size)


def media(data: bytes) -> ImageFile | None:
    """The image in ``data`` (as ``inspect`` finds it), or the MP4 video it holds: Midjourney's Animate results."""
    if is_video(data):
        return ImageFile(data, "mp4", 0, 0)
    return inspect(data)


def is_video(data: bytes) -> bool:
    """Whether ``data`` is an MP4 (its first box is ``ftyp``)."""
    return data[4:8] == b"ftyp"


def fit(image: ImageFile, limit: int) -> ImageFile | None:
    """``image`` if it is under ``limit`` bytes, else a WebP re-encoding that is, keeping transparency; None when
    it would have to shrink below ``MIN_SIDE`` pixels to fit; a video, re-encoded smaller (``clips.shrink``)."""
    if len(image.data) < limit:
        return image
    if image.extension == "mp4":
        smaller = clips.shrink(image.data, limit)
        return ImageFile(smaller, "mp4", 0, 0) if smaller is not None else None
    with Image.open(io.BytesIO(image.data)) as opened:
        picture = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    scale = min(1.0, WEBP_MAX_SIDE / max(picture.size))
    smallest = min(1.0, MIN_SIDE / max(picture.size))
    while scale >= smallest:
        if scale < 1.0:
            size = (
                max(1, round(picture.width * scale)),
                max(1, round(picture.height * scale)),
            )
            candidate = picture.resize(size, Image.Resampling.LANCZOS)
        else:
            candidate = picture
        for quality in (90, 80, 65, 50):
            buffer = io.BytesIO()
            candidate.save(buffer, "WEBP", quality=quality, method=4)
            if buffer.tell() < limit:
                return ImageFile(buffer.getvalue(), "webp", *candidate.size)
        scale *= 0.7
    return None


def covering(data: bytes, width: int, height: int) -> bytes:
    """The image in ``data`` scaled to cover ``width`` × ``height`` and cropped to it, centred, as PNG: the still a
    video API wants at exactly the clip's size."""
    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    fitted = ImageOps.fit(picture, (width, height), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    fitted.save(buffer, "PNG")
    return buffer.getvalue()


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def preview(encoded: str) -> bytes | None:
    """A small WebP of a base64 partial image, for a status message; None if it is not an image."""
    try:
        data = base64.b64decode(encoded.partition(",")[2] if encoded.startswith("data:") else encoded)
    except (binascii.Error, ValueError):
        return None
    return preview_of(data)


def preview_of(data: bytes) -> bytes | None:
    """A small WebP of an image, for a status message; None if it is not an image."""
    if inspect(data) is None:
        return None
    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    picture.thumbnail((PREVIEW_SIDE, PREVIEW_SIDE))
    buffer = io.BytesIO()
    picture.save(buffer, "WEBP", quality=70)
    return buffer.getvalue()


def batches(images: list[ImageFile], limit: int) -> list[list[ImageFile]]:
    """Group images into messages Discord accepts: at most 10 files, and together under ``limit`` bytes."""
    groups: list[list[ImageFile]] = []
    current: list[ImageFile] = []
    total = 0
    for image in images:
        size = len(image.data)
        if current and (len(current) == MAX_FILES_PER_MESSAGE or total + size > limit):
            groups.append(current)
            current, total = [], 0
        current.append(image)
        total += size
    if current:
        groups.append(current)
    return groups


@dataclass(frozen=True)
class Prepared:
    """Images grouped into messages that fit, and how many could not be made to fit at all."""

    groups: list[list[ImageFile]]
    left_out: int


def prepare(images: list[ImageFile], limit: int) -> Prepared:
    """Shrink what is over the upload ``limit`` of one request and group the rest into messages under it."""
    room = max(1, limit - REQUEST_OVERHEAD)
    fitted = [fit(image, room) for image in images]
    kept = [image for image in fitted if image is not None]
    return Prepared(batches(kept, room), len(fitted) - len(kept))


async def prepare_async(images: list[ImageFile], limit: int) -> Prepared:
    """``prepare`` on the image worker thread, so re-encoding never blocks the event loop."""
    return await workers.run(prepare, images, limit)
