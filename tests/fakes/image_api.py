"""A fake OpenAI-compatible image API on 127.0.0.1, scripted per test, recording every request."""

from __future__ import annotations

import asyncio
import base64
import io
import json
import os
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image

from tests.fakes.peers import peer_recorder

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def png(width: int = 64, height: int = 64, color: tuple[int, ...] = (200, 40, 40), noise: bool = False) -> bytes:
    """A real PNG; with ``noise`` it is incompressible, so its size is about 3-4 bytes per pixel."""
    if noise:
        image = Image.frombytes("RGBA", (width, height), os.urandom(width * height * 4))
    else:
        image = Image.new("RGBA" if len(color) == 4 else "RGB", (width, height), color)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def raw_json(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON answer with the given status."""
    return web.Response(body=json.dumps(data).encode(), status=status, content_type="application/json", headers=headers)


def b64_images(*images: bytes, usage: dict[str, Any] | None = None) -> web.Response:
    """A 200 answer carrying the images as b64_json, the way relays that build answers send it (url "")."""
    data = [{"b64_json": base64.b64encode(image).decode(), "url": ""} for image in images]
    return raw_json({"created": 1, "data": data, **({"usage": usage} if usage else {})})


def api_error(status: int, kind: str, code: str | None, message: str = "failed (request id: 2026112512000012345)",
              headers: dict[str, str] | None = None) -> web.Response:  # fmt: skip
    """An error as a new-api relay delivers it."""
    return raw_json({"error": {"message": message, "type": kind, "param": "", "code": code}}, status, headers)


def chat_answer(content: str) -> web.Response:
    """A chat completion whose one choice says ``content``."""
    message = {"role": "assistant", "content": content}
    return raw_json({"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": message,
                     "finish_reason": "stop"}], "usage": {"prompt_tokens": 800, "completion_tokens": 90}})  # fmt: skip


MODERATION_BODY = {
    "error": {
        "message": "Your request was rejected by the safety system. (request id: 2026112512000012345)",
        "type": "image_generation_user_error",
        "param": "",
        "code": "moderation_blocked",
    }
}


@dataclass
class Call:
    """One request the bot made to the image API."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    files: list[tuple[str, str, bytes]] = field(default_factory=list)


class FakeImageAPI:
    """Answers ``/v1/images/generations`` from a script, ``/v1/models`` from a list, and serves image files."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.script: deque[Handler] = deque()
        self.models: list[dict[str, Any]] = [
            {"id": "gpt-image-2", "supported_endpoint_types": ["image-generation"]},
            {"id": "dall-e-3", "supported_endpoint_types": ["image-generation"]},
            {"id": "gpt-4o", "supported_endpoint_types": ["openai"]},
        ]
        self.models_status = 200
        # Answers of the moderation endpoint, in order; when none is left, a prompt is clean.
        self.verdicts: deque[Handler] = deque()
        # Images the moderation endpoint flags (as violence) whenever it is shown them.
        self.violent_images: set[bytes] = set()
        self.files: dict[str, bytes] = {}
        self.received = asyncio.Event()
        # Prompts whose answers wait until the test opens their gate.
        self.gates: dict[str, asyncio.Event] = {}
        self.peers: list[int] = []
        app = web.Application(client_max_size=200 * 1024 * 1024, middlewares=[peer_recorder(self.peers)])
        app.router.add_post("/v1/images/generations", self.generations)
        app.router.add_post("/v1/images/edits", self.edits)
        app.router.add_get("/v1/models", self.list_models)
        app.router.add_post("/v1/moderations", self.moderations)
        app.router.add_post("/v1/chat/completions", self.chat)
        # Answers of the chat endpoint (/describe), in order; when none is left, four numbered prompts.
        self.chats: deque[Handler] = deque()
        app.router.add_get("/files/{name}", self.file)
        from tests.fakes.midjourney import FakeMidjourney  # here: midjourney.py imports from this module

        # The relay's Midjourney task API under /mj/... and /mj-{fast,turbo,relax}/mj/... of the same server.
        self.mj = FakeMidjourney(self)
        self.mj.add_routes(app)
        from tests.fakes.video import FakeVideo  # here too: video.py imports from this module

        # The relay's video APIs: /v1/videos (OpenAI's shape) and /v1/video/generations (its unified shape).
        self.video = FakeVideo(self)
        self.video.add_routes(app)
        self.app = app
        self.runner: web.AppRunner | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def file_url(self, name: str, blob: bytes) -> str:
        """Serve ``blob`` and return its URL."""
        self.files[name] = blob
        return f"http://127.0.0.1:{self.port}/files/{name}"

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for gate in self.gates.values():
            gate.set()
        if self.runner is not None:
            await self.runner.cleanup()

    def then(self, *handlers: Handler | web.Response) -> None:
        """Answer the next generation requests, in order, with these responses or handlers."""
        for handler in handlers:
            if isinstance(handler, web.Response):
                self.script.append(_constant(handler))
            else:
                self.script.append(handler)

    def hold(self, *prompts: str) -> dict[str, asyncio.Event]:
        """Hold the answers to these prompts until their events are set."""
        for prompt in prompts:
            self.gates[prompt] = asyncio.Event()
        return self.gates

    @property
    def prompts(self) -> list[str]:
        """The prompts of the generation requests, in the order they arrived."""
        return [call.body["prompt"] for call in self.generation_calls]

    @property
    def generation_calls(self) -> list[Call]:
        return [call for call in self.calls if call.path.endswith("/images/generations")]

    async def generations(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls.append(Call(request.method, request.path, dict(request.headers), body))
        self.received.set()
        gate = self.gates.get(body.get("prompt", ""))
        if gate is not None:
            await gate.wait()
        handler = self.script.popleft() if self.script else _constant(b64_images(png()))
        return await handler(request)

    async def edits(self, request: web.Request) -> web.StreamResponse:
        """Record the multipart edit request: its fields in ``body``, its files as (name, filename, bytes)."""
        fields: dict[str, str] = {}
        files: list[tuple[str, str, bytes]] = []
        async for part in await request.multipart():
            if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                continue
            blob = bytes(await part.read())
            if part.filename:
                files.append((part.name, part.filename, blob))
            else:
                fields[part.name] = blob.decode()
        self.calls.append(Call(request.method, request.path, dict(request.headers), fields, files))
        handler = self.script.popleft() if self.script else _constant(b64_images(png()))
        return await handler(request)

    @property
    def edit_calls(self) -> list[Call]:
        return [call for call in self.calls if call.path.endswith("/images/edits")]

    def flag(self, *categories: str) -> None:
        """The next moderation call finds these categories (none: clean)."""
        results = [{"flagged": bool(categories), "categories": dict.fromkeys(categories, True),
                    "category_scores": dict.fromkeys(categories, 0.97)}]  # fmt: skip
        self.verdicts.append(
            _constant(raw_json({"id": "modr-1", "model": "omni-moderation-latest", "results": results}))
        )

    @property
    def moderation_calls(self) -> list[Call]:
        return [call for call in self.calls if call.path.endswith("/moderations")]

    async def moderations(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls.append(Call(request.method, request.path, dict(request.headers), body))
        shown = [base64.b64decode(part["image_url"]["url"].partition(",")[2])
                 for part in body["input"] if part.get("type") == "image_url"]  # fmt: skip
        if any(image in self.violent_images for image in shown):
            return raw_json({"id": "modr-2", "results": [{"flagged": True, "categories": {"violence": True}}]})
        if self.verdicts:
            return await self.verdicts.popleft()(request)
        return raw_json({"id": "modr-0", "results": [{"flagged": False, "categories": {}, "category_scores": {}}]})

    @property
    def chat_calls(self) -> list[Call]:
        return [call for call in self.calls if call.path.endswith("/chat/completions")]

    def answer_chat(self, content: str | web.Response) -> None:
        """The next chat completion answers with this message (or this response)."""
        self.chats.append(_constant(content if isinstance(content, web.Response) else chat_answer(content)))

    async def chat(self, request: web.Request) -> web.StreamResponse:
        body = await request.json()
        self.calls.append(Call(request.method, request.path, dict(request.headers), body))
        if self.chats:
            return await self.chats.popleft()(request)
        return chat_answer('["a red fox in snow", "a fox, watercolor", "a fox at dusk", "a fox, pixel art"]')

    async def list_models(self, request: web.Request) -> web.Response:
        self.calls.append(Call(request.method, request.path, dict(request.headers), None))
        if self.models_status != 200:
            return api_error(self.models_status, "new_api_error", None, "invalid token (request id: 1)")
        return raw_json({"object": "list", "data": self.models})

    async def file(self, request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        return web.Response(body=self.files[name], content_type="image/png")


def _constant(response: web.Response) -> Handler:
    """A handler answering with a fresh copy of ``response`` each time (a response can be sent only once)."""
    status, body, headers = response.status, response.body, dict(response.headers)

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.Response(status=status, body=body, headers=headers)

    return handler


def gated(gate: asyncio.Event, then: web.Response) -> Handler:
    """A handler that holds its answer until the test opens ``gate``."""
    answer = _constant(then)

    async def handler(request: web.Request) -> web.StreamResponse:
        await gate.wait()
        return await answer(request)

    return handler


def truncated(status: int = 200) -> Handler:
    """A handler that promises a long body and hangs up halfway."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=status, headers={"Content-Type": "application/json"})
        response.content_length = 100_000
        await response.prepare(request)
        await response.write(b'{"created": 1, "data": [{"b64_json": "iVBORw0KGgo')
        assert request.transport is not None
        request.transport.close()
        return response

    return handler


def streamed(
    partials: list[bytes],
    final: bytes | None,
    *,
    after_partials: asyncio.Event | None = None,
    kind: str = "image_generation",
    usage: dict[str, Any] | None = None,
) -> Handler:
    """A handler answering as a streaming API does: Server-Sent Events, a partial image each, then the finished one
    (none when ``final`` is None: the stream ends cut short). With ``after_partials``, it waits there."""

    async def handler(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        for index, image in enumerate(partials):
            event = {"type": f"{kind}.partial_image", "partial_image_index": index,
                     "b64_json": base64.b64encode(image).decode()}  # fmt: skip
            await response.write(f"event: {event['type']}\ndata: {json.dumps(event)}\n\n".encode())
        if after_partials is not None:
            await after_partials.wait()
        if final is not None:
            done = {"type": f"{kind}.completed", "b64_json": base64.b64encode(final).decode(),
                    "usage": usage or {"input_tokens": 10, "output_tokens": 4160}}  # fmt: skip
            text = f"event: {done['type']}\ndata: {json.dumps(done)}\n\n"
            # Sent in small pieces, as a network would: the reader must join them.
            for start in range(0, len(text), 4096):
                await response.write(text[start : start + 4096].encode())
        await response.write_eof()
        return response

    return handler
