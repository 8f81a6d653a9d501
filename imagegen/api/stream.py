"""Streamed answers (Server-Sent Events): partial images as they come, then the finished image and its usage."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from ..errors import BadUpstreamResponse, StreamCut

PARTIAL_EVENTS = ("image_generation.partial_image", "image_edit.partial_image")
COMPLETED_EVENTS = ("image_generation.completed", "image_edit.completed")

# Receives each partial image's base64 as it arrives.
OnPartial = Callable[[str], Awaitable[None]]


class EventParser:
    """Splits a byte stream into ``(event, data)`` pairs as the Server-Sent Events format defines them."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._scanned = 0
        self._event: str | None = None
        self._data: list[str] = []

    def feed(self, chunk: bytes) -> list[tuple[str | None, str]]:
        """The events that ``chunk`` completes."""
        self._buffer += chunk
        events: list[tuple[str | None, str]] = []
        start = 0
        # An image is one data line of megabytes: search only what has not been searched yet.
        while (newline := self._buffer.find(b"\n", max(start, self._scanned))) >= 0:
            line = bytes(self._buffer[start:newline]).rstrip(b"\r")
            start = newline + 1
            self._scanned = start
            if not line:
                if self._data:
                    events.append((self._event, "\n".join(self._data)))
                self._event, self._data = None, []
                continue
            if line.startswith(b":"):
                continue
            name, _, value = line.partition(b":")
            text = value[1:] if value.startswith(b" ") else value
            if name == b"event":
                self._event = text.decode("utf-8", "replace")
            elif name == b"data":
                self._data.append(text.decode("utf-8", "replace"))
        del self._buffer[:start]
        self._scanned = len(self._buffer)
        return events


async def read_stream(chunks: AsyncIterator[bytes], on_partial: OnPartial | None, cap: int) -> dict[str, Any]:
    """Read a streamed answer into the shape of a plain one (``data`` and ``usage``, or ``error``), showing each
    partial image on the way; raises StreamCut when the stream ends before an image is complete."""
    parser = EventParser()
    finished: list[dict[str, Any]] = []
    usage: dict[str, Any] | None = None
    size = 0
    async for chunk in chunks:
        size += len(chunk)
        if size > cap:
            raise BadUpstreamResponse(f"streamed answer larger than {cap} bytes")
        for event, data in parser.feed(chunk):
            try:
                payload = json.loads(data)
            except ValueError:
                continue  # "[DONE]" and other markers some relays add
            if not isinstance(payload, dict):
                continue
            if "error" in payload:
                return {"error": payload["error"]}
            kind = payload.get("type") or event
            image = payload.get("b64_json")
            if kind in PARTIAL_EVENTS and isinstance(image, str) and on_partial is not None:
                await on_partial(image)
            elif kind in COMPLETED_EVENTS:
                finished.append({"b64_json": image, "url": payload.get("url")})
                usage = payload["usage"] if isinstance(payload.get("usage"), dict) else usage
    if not finished:
        raise StreamCut("the stream ended before the image was complete")
    return {"data": finished, "usage": usage}
