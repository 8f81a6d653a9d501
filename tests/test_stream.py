"""The Server-Sent Events reader: streamed answers, answers split anywhere, and streams cut short."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from imagegen.api.stream import EventParser, read_stream
from imagegen.errors import BadUpstreamResponse, StreamCut


def event(kind: str, **fields: object) -> bytes:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **fields})}\n\n".encode()


async def pieces(blob: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(blob), size):
        yield blob[start : start + size]


def test_events_are_split_however_the_bytes_arrive() -> None:
    blob = b': comment\r\nevent: one\r\ndata: first\r\ndata: line\r\n\r\ndata: {"a": 1}\n\n'
    for size in (1, 3, 7, len(blob)):
        parser = EventParser()
        events = [found for start in range(0, len(blob), size) for found in parser.feed(blob[start : start + size])]
        assert events == [("one", "first\nline"), (None, '{"a": 1}')]


@pytest.mark.parametrize("size", [5, 4096])
async def test_a_stream_gives_its_partial_images_then_the_finished_answer(size: int) -> None:
    blob = (
        event("image_generation.partial_image", b64_json="cGFydDA=", partial_image_index=0)
        + event("image_generation.partial_image", b64_json="cGFydDE=", partial_image_index=1)
        + event("image_generation.completed", b64_json="ZG9uZQ==" * 1000, usage={"output_tokens": 9})
        + b"data: [DONE]\n\n"
    )
    shown: list[str] = []

    async def show(image: str) -> None:
        shown.append(image)

    answer = await read_stream(pieces(blob, size), show, 10_000_000)
    assert shown == ["cGFydDA=", "cGFydDE="]
    assert answer == {"data": [{"b64_json": "ZG9uZQ==" * 1000, "url": None}], "usage": {"output_tokens": 9}}


async def test_edits_stream_their_own_events() -> None:
    blob = event("image_edit.partial_image", b64_json="cA==") + event("image_edit.completed", b64_json="ZA==")
    shown: list[str] = []

    async def show(image: str) -> None:
        shown.append(image)

    answer = await read_stream(pieces(blob, 10), show, 1000)
    assert shown == ["cA=="] and answer["data"] == [{"b64_json": "ZA==", "url": None}]


async def test_a_stream_that_ends_before_the_image_is_complete_is_cut() -> None:
    blob = event("image_generation.partial_image", b64_json="cGFydA==")
    with pytest.raises(StreamCut) as caught:
        await read_stream(pieces(blob, 8), None, 1000)
    assert not caught.value.retryable and caught.value.key == "error.stream_cut"


async def test_an_error_in_the_stream_is_given_back_as_an_error_answer() -> None:
    blob = b'data: {"error": {"code": "moderation_blocked", "message": "no"}}\n\n'
    assert await read_stream(pieces(blob, 8), None, 1000) == {"error": {"code": "moderation_blocked", "message": "no"}}


async def test_a_stream_larger_than_the_cap_is_refused() -> None:
    with pytest.raises(BadUpstreamResponse):
        await read_stream(pieces(b"data: x\n\n" * 100, 9), None, 500)
