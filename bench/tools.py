"""What the single-image tools cost the bot before the API is called: rendering each tool's request (decoding the
picked image, building canvas and mask, encoding them) on the image worker, and the bytes sent and stored.

Usage: uv run python bench/tools.py; prints one line per tool and picture size (median of 5 runs, CPU seconds of
this process, so a noisy machine shows less) and writes them to bench/TOOLS.md.
"""

from __future__ import annotations

import io
import os
import platform
import resource
import statistics
import sys
from pathlib import Path

from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imagegen.catalogue.entries import BUNDLED, Catalogue
from imagegen.imaging import tools
from imagegen.model import ImageRequest

RUNS = 5
GPT2 = Catalogue.load(BUNDLED).lookup("gpt-image-2")


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def photo(width: int, height: int) -> bytes:
    """A PNG as hard to compress as a photograph's noise (the worst case for PNG)."""
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), os.urandom(width * height * 3)).save(buffer, "PNG")
    return buffer.getvalue()


def main() -> None:
    machine = platform.processor() or platform.machine()
    lines = [
        "# What the image tools cost before the API is called",
        "",
        "Written by `uv run python bench/tools.py`: rendering each tool's request from a picked image whose PNG is",
        "as incompressible as noise (the worst case), on "
        f"{machine}, {os.cpu_count()} cores, Python {platform.python_version()}. Canvases are at most 1536 px a",
        "side (the size asked of the API is the one shown); the picture is decoded and checked as any upload.",
        "",
        "| picture | tool | size asked | render CPU s (median of 5) | image + mask bytes sent and kept |",
        "|---|---|---|---|---|",
    ]
    for width, height in ((1024, 1024), (1536, 1024), (3840, 2160)):
        data = photo(width, height)
        for tool in ("subtle", "zoom-2", "pan-right", "upscale"):
            try:
                planned = tools.plan(ImageRequest("a kite", "gpt-image-2"), tool, width, height, GPT2)
            except Exception as refused:
                lines.append(f"| {width}x{height} | {tool} | refused: {type(refused).__name__} | | |")
                continue
            times, rendered = [], planned
            for _ in range(RUNS):
                started = cpu()
                rendered = tools.render(planned, data)
                times.append(cpu() - started)
            sent = sum(map(len, rendered.references)) + len(rendered.mask or b"")
            lines.append(f"| {width}x{height} | {tool} | {planned.size} | {statistics.median(times):.3f} | {sent:,} |")
    text = "\n".join(lines) + "\n"
    print(text, end="")
    Path(__file__).with_name("TOOLS.md").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
