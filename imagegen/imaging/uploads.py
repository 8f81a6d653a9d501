"""Images users upload as references: untrusted, so checked before reading, decoded under limits, and shrunk."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from ..errors import UploadRejected

# A reference larger than this is refused before it is read.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
# More pixels than this is refused from the header, before any decoding: decompression bombs stop here.
MAX_UPLOAD_PIXELS = 50_000_000
# References are sent upstream at most this large on their longest side (the API works at about 1024-1536).
MAX_REFERENCE_SIDE = 1536
FORMATS = {"PNG": "png", "JPEG": "jpeg", "WEBP": "webp"}


def check_declared(size: int, content_type: str | None) -> None:
    """Refuse a file from what Discord says of it, before reading a byte."""
    if size > MAX_UPLOAD_BYTES:
        raise UploadRejected("upload.too_large", size_mb=f"{size / 1024 / 1024:.1f}", limit_mb=MAX_UPLOAD_BYTES >> 20)
    if content_type is not None and not content_type.startswith("image/"):
        raise UploadRejected("upload.not_image")


def prepare_reference(data: bytes) -> bytes:
    """The upload as PNG (with transparency) or JPEG, at most MAX_REFERENCE_SIDE wide; raises UploadRejected.

    Blocking: run it on the image worker.
    """
    return _reencode(decode(data))


def decode(data: bytes) -> Image.Image:
    """An untrusted image, decoded; raises UploadRejected. Whatever the file's name says, only a whole, still PNG,
    JPEG or WebP of at most MAX_UPLOAD_BYTES and MAX_UPLOAD_PIXELS passes. Blocking: run it on the image worker."""
    if len(data) > MAX_UPLOAD_BYTES:
        raise UploadRejected(
            "upload.too_large", size_mb=f"{len(data) / 1024 / 1024:.1f}", limit_mb=MAX_UPLOAD_BYTES >> 20
        )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # Not closed on the way out: that would free the pixels just decoded (the bytes are in memory anyway).
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width * height > MAX_UPLOAD_PIXELS:
                raise _too_many_pixels()
            if image.format not in FORMATS:
                raise UploadRejected("upload.format")
            if getattr(image, "n_frames", 1) > 1:
                raise UploadRejected("upload.animated")
            image.load()
            return image
    except UploadRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        # Pillow's own guard can fire while the header is read, before the check above.
        raise _too_many_pixels() from error
    except (OSError, ValueError, SyntaxError) as error:
        raise UploadRejected("upload.not_image") from error


def kind(data: bytes) -> str:
    """The format of a reference as ``prepare_reference`` (or a canvas) makes it: ``png`` or ``jpeg``."""
    return "png" if data.startswith(b"\x89PNG") else "jpeg"


def _too_many_pixels() -> UploadRejected:
    return UploadRejected("upload.too_many_pixels", limit=f"{MAX_UPLOAD_PIXELS // 1_000_000}")


def _reencode(image: Image.Image) -> bytes:
    alpha = image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info)
    picture = image.convert("RGBA" if alpha else "RGB")
    picture.thumbnail((MAX_REFERENCE_SIDE, MAX_REFERENCE_SIDE), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    if alpha:
        picture.save(buffer, "PNG", optimize=False)
    else:
        picture.save(buffer, "JPEG", quality=90)
    return buffer.getvalue()
