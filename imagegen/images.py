"""Checking and resizing image bytes. All but ``prepare_async`` block: run them in a thread."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image

from . import workers

# A message carries at most 10 files, and Discord refuses one request much over 25 MiB.
MAX_FILES_PER_MESSAGE = 10
MAX_BYTES_PER_MESSAGE = 25 * 1024 * 1024
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
    """Return the image in ``data`` if it is a whole PNG, JPEG, WebP or GIF, else None."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                extension = _EXTENSIONS.get(image.format or "")
                size = image.size
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


def fit(image: ImageFile, limit: int) -> ImageFile:
    """Return ``image`` if it is under ``limit`` bytes, else a WebP re-encoding that is, keeping transparency."""
    if len(image.data) < limit:
        return image
    with Image.open(io.BytesIO(image.data)) as opened:
        picture = opened.convert("RGBA" if _has_alpha(opened) else "RGB")
    scale = min(1.0, WEBP_MAX_SIDE / max(picture.size))
    while True:
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
            if buffer.tell() < limit or max(candidate.size) <= 16:
                return ImageFile(buffer.getvalue(), "webp", *candidate.size)
        scale *= 0.7


def _has_alpha(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)


def batches(images: list[ImageFile]) -> list[list[ImageFile]]:
    """Group images into messages Discord accepts: at most 10 files and 25 MiB each."""
    groups: list[list[ImageFile]] = []
    current: list[ImageFile] = []
    total = 0
    for image in images:
        size = len(image.data)
        if current and (len(current) == MAX_FILES_PER_MESSAGE or total + size > MAX_BYTES_PER_MESSAGE):
            groups.append(current)
            current, total = [], 0
        current.append(image)
        total += size
    if current:
        groups.append(current)
    return groups


def prepare(images: list[ImageFile], limit: int) -> list[list[ImageFile]]:
    """Shrink what is over the per-file ``limit`` and group the result into messages."""
    return batches([fit(image, min(limit, MAX_BYTES_PER_MESSAGE)) for image in images])


async def prepare_async(images: list[ImageFile], limit: int) -> list[list[ImageFile]]:
    """``prepare`` on the image worker thread, so re-encoding never blocks the event loop."""
    return await workers.run(prepare, images, limit)
