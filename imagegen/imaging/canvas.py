"""Canvases for the single-image tools: zoom out and pan (the picture on a larger transparent canvas, with a mask
marking the new area), and the sizes a model takes for them and for an upscale.

Blocking: run these on the image worker. Sizes follow the model's size rule, so what is sent is always a size it
takes; the mask is the canvas's size, transparent exactly where new pixels go (the edits endpoint's convention).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image

from ..catalogue.entries import SizeRule, dimensions
from .uploads import decode

# Which way a pan extends the picture: the side the new area goes on.
DIRECTIONS = ("left", "right", "up", "down")
ZOOMS = (1.5, 2.0)
# A pan adds half the picture on one side.
PAN_GROWTH = 1.5


@dataclass(frozen=True)
class Canvas:
    """What an outpainting edit sends: the canvas (PNG, transparent where new pixels go), its mask, and its size."""

    image: bytes
    mask: bytes
    size: str


def fit(width: int, height: int, rule: SizeRule) -> str | None:
    """The size the model takes that is closest to ``width``×``height`` in shape, then in pixels; None when the
    model takes no size but ``auto``."""
    if rule.kind == "free":
        return "x".join(map(str, _free(width, height, rule, width * height)))
    candidates = [size for size in rule.sizes if size != "auto"]
    if not candidates:
        return None
    if rule.kind == "ratio":
        return min(candidates, key=lambda ratio: abs(math.log(_shape(ratio) / (width / height))))
    return min(candidates, key=lambda size: _distance(size, width, height))


def largest(width: int, height: int, rule: SizeRule) -> str | None:
    """The largest size of this shape the model takes, if it is larger than ``width``×``height``."""
    pixels = width * height
    if rule.kind == "free":
        most = rule.max_pixels or rule.max_side**2 or pixels
        found = _free(width, height, rule, most)
    elif rule.kind == "list":
        shaped = [dimensions(size) for size in rule.sizes if abs(math.log(_shape(size) / (width / height))) < 0.02]
        found = max(shaped, key=math.prod, default=(0, 0))
    else:
        return None
    return "x".join(map(str, found)) if math.prod(found) > pixels else None


def pan_size(width: int, height: int, direction: str, rule: SizeRule) -> str | None:
    """The size a pan of a ``width``×``height`` picture towards ``direction`` is drawn at: grown by half that way,
    as near as the model takes; None when no size it takes has room that way."""
    across = direction in ("left", "right")
    wanted = (round(width * PAN_GROWTH), height) if across else (width, round(height * PAN_GROWTH))
    size = fit(*wanted, rule)
    if size is None or "x" not in size:
        return None
    new_width, new_height = dimensions(size)
    # The picture keeps its shape and fills the canvas the other way; what is left over is the new area.
    room = new_width - width * new_height / height if across else new_height - height * new_width / width
    return size if room >= max(new_width, new_height) * 0.05 else None


def within(size: str, side: int) -> str:
    """``size`` (WxH) scaled down, keeping its shape, so its longer side is at most ``side``.

    A canvas need not be as large as the image asked for (the ``size`` sent says that): the API reads its inputs
    at about this size anyway, and a smaller canvas is faster to make, to send and to keep.
    """
    width, height = dimensions(size)
    scale = min(1.0, side / max(width, height))
    return f"{max(1, round(width * scale))}x{max(1, round(height * scale))}"


def zoom_out(data: bytes, factor: float, size: str) -> Canvas:
    """The picture shrunk by ``factor`` in the middle of a canvas of ``size`` (WxH)."""
    picture = decode(data).convert("RGBA")
    width, height = dimensions(size)
    inner = (max(1, round(width / factor)), max(1, round(height / factor)))
    left, top = (width - inner[0]) // 2, (height - inner[1]) // 2
    return _outpaint(picture, (width, height), (left, top, left + inner[0], top + inner[1]))


def pan(data: bytes, direction: str, size: str) -> Canvas:
    """The picture on a canvas of ``size`` (WxH), filling it across and against the side opposite ``direction``."""
    picture = decode(data).convert("RGBA")
    width, height = dimensions(size)
    scale = min(width / picture.width, height / picture.height)
    inner = (max(1, round(picture.width * scale)), max(1, round(picture.height * scale)))
    left = {"left": width - inner[0], "right": 0}.get(direction, (width - inner[0]) // 2)
    top = {"up": height - inner[1], "down": 0}.get(direction, (height - inner[1]) // 2)
    return _outpaint(picture, (width, height), (left, top, left + inner[0], top + inner[1]))


def _outpaint(picture: Image.Image, size: tuple[int, int], box: tuple[int, int, int, int]) -> Canvas:
    """``picture`` resized into ``box`` of a transparent canvas; the mask is opaque over the box only."""
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    canvas.paste(picture.resize((box[2] - box[0], box[3] - box[1]), Image.Resampling.LANCZOS), box[:2])
    mask = Image.new("RGBA", size, (0, 0, 0, 0))
    mask.paste((255, 255, 255, 255), box)
    return Canvas(_png(canvas), _png(mask), f"{size[0]}x{size[1]}")


def _free(width: int, height: int, rule: SizeRule, pixels: int) -> tuple[int, int]:
    """A size of about ``pixels`` in the shape of ``width``×``height``, within the rule's bounds."""
    ratio = min(max(width / height, rule.min_ratio), rule.max_ratio)
    pixels = max(pixels, rule.min_pixels)
    if rule.max_pixels:
        pixels = min(pixels, rule.max_pixels)
    w, h = math.sqrt(pixels * ratio), math.sqrt(pixels / ratio)
    if rule.max_side and max(w, h) > rule.max_side:
        shrink = rule.max_side / max(w, h)
        w, h = w * shrink, h * shrink
    step = rule.multiple
    # Rounded down, so the bounds above still hold; up again if that fell below the least pixels.
    # (A hair over, so a side that is a whole multiple in exact arithmetic is not lost to rounding.)
    fw, fh = max(step, int((w + 1e-6) // step) * step), max(step, int((h + 1e-6) // step) * step)
    if fw * fh < rule.min_pixels:
        fw, fh = math.ceil(w / step) * step, math.ceil(h / step) * step
    return fw, fh


def _shape(size: str) -> float:
    width, height = (int(part) for part in size.replace(":", "x").split("x"))
    return width / height


def _distance(size: str, width: int, height: int) -> tuple[float, float]:
    w, h = dimensions(size)
    return abs(math.log((w / h) / (width / height))), abs(math.log((w * h) / (width * height)))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()
