"""A fake relay's image-to-video APIs (OpenAI's ``/v1/videos`` and new-api's unified ``/v1/video/generations``),
served by FakeImageAPI's server."""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import json
import random
import time
from collections import deque
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal

import aiohttp
import av
from aiohttp import web
from PIL import Image

from tests.fakes.image_api import Call, api_error, raw_json

if TYPE_CHECKING:
    from tests.fakes.image_api import FakeImageAPI

Shape = Literal["openai", "unified"]
Style = Literal["code", "docs"]
End = Literal["completed", "failed"]

# What OpenAI's sora-2 models take (the relay passes them through).
SORA_SECONDS = ("4", "8", "12")
SORA_SIZES = ("720x1280", "1280x720", "1024x1792", "1792x1024")
# The status words of the unified shape: new-api's code, and its docs (which say "processing" while queued too).
STATUS_WORDS: dict[Style, dict[str, str]] = {
    "code": {"queued": "queued", "in_progress": "in_progress", "completed": "completed", "failed": "failed"},
    "docs": {"queued": "processing", "in_progress": "processing", "completed": "succeeded", "failed": "failed"},
}
MODERATION_CODE = "content_policy_violation"
MODERATION_MESSAGE = "Your request was blocked by our moderation system."
MP4_SIZE = 4096
# Where the unified shape's download links point (not under /v1: a CDN-like link, no key needed).
FILES_PREFIX = "/video-files"


def mp4(size: int = MP4_SIZE, seed: int = 0) -> bytes:
    """``size`` bytes that look like an MP4 to a sniffer: an ``ftyp`` box (its name at offset 4), then an ``mdat`` box
    of incompressible bytes (the same for the same ``seed``). Not decodable: nothing in it is a real frame."""
    ftyp = b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    size = max(size, len(ftyp) + 8)
    payload = random.Random(seed).randbytes(size - len(ftyp) - 8)
    return ftyp + (size - len(ftyp)).to_bytes(4, "big") + b"mdat" + payload


@dataclass(frozen=True)
class Step:
    """What a task shows after one more poll: ``queued``, ``in_progress``, ``completed`` or ``failed``, and a
    progress of 0-100."""

    status: str
    progress: int = 0


# A step as a test writes it: a Step, (status, progress), or just a progress (in_progress at that percentage).
StepLike = Step | tuple[str, int] | int


def _step(value: StepLike) -> Step:
    if isinstance(value, Step):
        return value
    if isinstance(value, int):
        return Step("in_progress", value)
    return Step(*value)


def _default_steps() -> list[StepLike]:
    return [Step("queued", 0), Step("in_progress", 50)]


@dataclass
class Script:
    """How one submit (of either shape) goes: the submit answer, then one step per poll, then the end.

    With ``http_status`` other than 200 the submit is refused with ``body`` (the OpenAI error shape) and no task is
    made. ``end`` "completed" serves ``mp4`` (default: ``mp4(size)``, a few KB unless ``size`` says otherwise),
    "failed" shows ``error_code``/``error_message``, None never ends (the task stays at its last step). ``style`` is
    how the unified shape words its statuses ("code" or "docs"). With ``expire_after_one_read`` the video can be
    downloaded once; the next GET answers 404."""

    steps: list[StepLike] = field(default_factory=_default_steps)
    end: End | None = "completed"
    mp4: bytes | None = None
    size: int | None = None
    error_code: str = MODERATION_CODE
    error_message: str = MODERATION_MESSAGE
    http_status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None
    style: Style = "code"
    expire_after_one_read: bool = False

    @property
    def video(self) -> bytes:
        """The MP4 the task serves once completed."""
        return self.mp4 if self.mp4 is not None else mp4(self.size if self.size is not None else MP4_SIZE)


def completes(
    steps: list[StepLike] | None = None,
    mp4: bytes | None = None,
    size: int | None = None,
    *,
    style: Style = "code",
    expire_after_one_read: bool = False,
) -> Script:
    """A task that goes through ``steps`` (default: queued, in_progress 50) to completed, serving ``mp4`` (or that
    many bytes of MP4 with ``size``)."""
    script = Script(mp4=mp4, size=size, style=style, expire_after_one_read=expire_after_one_read)
    if steps is not None:
        script.steps = list(steps)
    return script


def fails(
    code: str = MODERATION_CODE,
    message: str = MODERATION_MESSAGE,
    *,
    steps: list[StepLike] | None = None,
    style: Style = "code",
) -> Script:
    """A task that fails with this error (at the first poll unless ``steps`` come first)."""
    return Script(steps=list(steps or []), end="failed", error_code=code, error_message=message, style=style)


def never_ends(progress: int = 30, *, style: Style = "code") -> Script:
    """A task that stays in_progress at ``progress`` until the test calls ``finish`` or ``fail``."""
    return Script(steps=[Step("in_progress", progress)], end=None, style=style)


# The error type a relay gives a refusal of each status.
ERROR_KINDS = {400: "invalid_request_error", 401: "new_api_error", 403: "new_api_error", 429: "rate_limit_error"}


def refused(
    status: int,
    message: str = "failed (request id: 2026112512000012345)",
    code: str | None = None,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
) -> Script:
    """A submit refused with a plain HTTP error in the OpenAI shape, e.g. 400 (invalid size), 401, 429, 500."""
    kind = kind or ERROR_KINDS.get(status, "upstream_error" if status >= 500 else "invalid_request_error")
    body = {"error": {"message": message, "type": kind, "param": "", "code": code}}
    return Script(http_status=status, body=body, headers=headers)


@dataclass
class VideoTask:
    """One task the fake made, with what it was asked (as sent; None when not sent) and where it stands."""

    id: str
    shape: Shape
    model: str
    prompt: str
    # OpenAI's shape: seconds and size as sent (form fields are strings).
    seconds: str | None
    size: str | None
    # The unified shape: duration, width, height and metadata as sent.
    duration: Any
    width: Any
    height: Any
    metadata: dict[str, Any]
    # The source image: its bytes (from input_reference, or a data URL), content type, and what `image` said.
    image: bytes | None
    image_type: str
    image_field: str
    body: dict[str, Any]
    script: Script
    timeline: list[Step]
    video: bytes
    created_at: int
    position: int = -1
    polls: int = 0
    reads: int = 0
    forgotten: bool = False

    @property
    def step(self) -> Step:
        """Where the task stands now (before any poll: queued at 0)."""
        return self.timeline[self.position] if self.position >= 0 else Step("queued", 0)

    @property
    def status(self) -> str:
        """The status now, in the code's words: queued, in_progress, completed or failed."""
        return self.step.status

    @property
    def status_word(self) -> str:
        """The status now as this task's shape and style word it."""
        if self.shape == "openai":
            return self.status
        return STATUS_WORDS[self.script.style].get(self.status, self.status)

    @property
    def progress(self) -> int:
        return self.step.progress

    @property
    def image_dimensions(self) -> tuple[int, int] | None:
        """The source image's width and height, if it is an image PIL can read."""
        return _dimensions(self.image)

    def advance(self) -> None:
        """One poll: move to the next step, unless at the last one."""
        self.polls += 1
        if self.position + 1 < len(self.timeline):
            self.position += 1


class FakeVideo:
    """Answers OpenAI's ``POST /v1/videos``, ``GET /v1/videos/{id}``, ``GET /v1/videos/{id}/content`` and the
    relay's ``POST /v1/video/generations``, ``GET /v1/video/generations/{task_id}`` from scripts.

    Each submit of either shape takes the next script of ``then``, else ``default`` (queued, in_progress 50,
    completed over its first three polls). Ids are ``video_<n>`` (OpenAI's shape) and ``task_<n>`` (unified); a task
    is polled with the shape it was made with, and each poll moves it one step. A completed OpenAI task serves its MP4
    at ``/content``; a completed unified task gives a ``url`` under ``/video-files/``. Sora models' ``seconds`` and
    ``size`` are checked as OpenAI does, and (``reference_must_match_size``) their input_reference must be of the
    requested size."""

    def __init__(self, api: FakeImageAPI) -> None:
        self.api = api
        self.calls: list[Call] = []
        self.script: deque[Script] = deque()
        self.default = Script()
        self.tasks: dict[str, VideoTask] = {}
        # True: a sora model's input_reference must be exactly `size` (OpenAI answers 400 otherwise).
        self.reference_must_match_size = True
        self.received = asyncio.Event()
        self._next = 1

    def add_routes(self, app: web.Application) -> None:
        """Add the routes of both shapes and the download links."""
        app.router.add_post("/v1/videos", self.submit_openai)
        app.router.add_get("/v1/videos/{id}", self.poll_openai)
        app.router.add_get("/v1/videos/{id}/content", self.content)
        app.router.add_post("/v1/video/generations", self.submit_unified)
        app.router.add_get("/v1/video/generations/{id}", self.poll_unified)
        app.router.add_get(FILES_PREFIX + "/{name}", self.download)

    # Scripting and switches

    def then(self, *scripts: Script) -> None:
        """The next submits (of either shape) follow these scripts, in order."""
        self.script.extend(scripts)

    def finish(self, task_id: str, *, mp4: bytes | None = None, size: int | None = None) -> None:
        """The next poll of the task shows it completed (with this MP4, or ``size`` bytes of one, if given)."""
        task = self.tasks[task_id]
        if mp4 is not None or size is not None or not task.video:
            task.video = Script(mp4=mp4, size=size).video
        del task.timeline[task.position + 1 :]
        task.timeline.append(Step("completed", 100))

    def fail(self, task_id: str, code: str = MODERATION_CODE, message: str = MODERATION_MESSAGE) -> None:
        """The next poll of the task shows it failed with this error."""
        task = self.tasks[task_id]
        task.script.error_code, task.script.error_message = code, message
        del task.timeline[task.position + 1 :]
        task.timeline.append(Step("failed", task.progress))

    def forget(self, task_id: str) -> None:
        """The task no longer exists: its polls and downloads answer 404."""
        self.tasks[task_id].forgotten = True

    # Assertions

    @property
    def submits(self) -> list[Call]:
        """The POSTs of either shape, in order (body: the JSON, or the form's text fields; files in ``files``)."""
        return [call for call in self.calls if call.method == "POST"]

    @property
    def polls(self) -> list[Call]:
        """The GETs of a task of either shape, in order."""
        return [call for call in self.calls if call.method == "GET" and not _is_download(call.path)]

    @property
    def downloads(self) -> list[Call]:
        """The GETs of a video (OpenAI's ``/content`` and the unified shape's links), in order."""
        return [call for call in self.calls if call.method == "GET" and _is_download(call.path)]

    def task(self, task_id: str) -> VideoTask:
        """The task with this id (KeyError if the fake never made it)."""
        return self.tasks[task_id]

    @property
    def last_task(self) -> VideoTask:
        """The task made last."""
        if not self.tasks:
            raise AssertionError("no video task was made")
        return list(self.tasks.values())[-1]

    def url(self, task_id: str) -> str:
        """The download link of a unified task's video."""
        return f"http://127.0.0.1:{self.api.port}{FILES_PREFIX}/{task_id}.mp4"

    def openai_json(self, task: VideoTask) -> dict[str, Any]:
        """The task as ``GET /v1/videos/{id}`` shows it."""
        done = task.status in ("completed", "failed")
        return {
            "id": task.id,
            "object": "video",
            "model": task.model,
            "status": task.status,
            "progress": task.progress,
            "created_at": task.created_at,
            "completed_at": task.created_at + 60 if done else None,
            "expires_at": task.created_at + 86400 if task.status == "completed" else None,
            "seconds": task.seconds or "4",
            "size": task.size or "720x1280",
            "remixed_from_video_id": None,
            "error": self._error(task),
        }

    def unified_json(self, task: VideoTask) -> dict[str, Any]:
        """The task as ``GET /v1/video/generations/{task_id}`` shows it, in its script's style."""
        metadata = {
            "duration": task.duration,
            "fps": task.body.get("fps", 24),
            "width": task.width,
            "height": task.height,
            "seed": task.body.get("seed", 0),
        }
        return {
            "task_id": task.id,
            "status": task.status_word,
            "progress": task.progress,
            "url": self.url(task.id) if task.status == "completed" else "",
            "format": "mp4",
            "metadata": {key: value for key, value in metadata.items() if value is not None},
            "error": self._error(task),
        }

    @staticmethod
    def _error(task: VideoTask) -> dict[str, str] | None:
        if task.status != "failed":
            return None
        return {"code": task.script.error_code, "message": task.script.error_message}

    # Handlers

    async def submit_openai(self, request: web.Request) -> web.Response:
        """OpenAI's shape: multipart (or JSON without a file) ``prompt``, ``model``, ``seconds``, ``size``,
        ``input_reference``."""
        fields: dict[str, Any]
        files: list[tuple[str, str, bytes]] = []
        image_type = ""
        if request.content_type.startswith("multipart/"):
            fields = {}
            async for part in await request.multipart():
                if not isinstance(part, aiohttp.BodyPartReader) or part.name is None:
                    continue
                blob = bytes(await part.read())
                if part.filename:
                    files.append((part.name, part.filename, blob))
                    if part.name == "input_reference":
                        image_type = part.headers.get(aiohttp.hdrs.CONTENT_TYPE, "")
                else:
                    fields[part.name] = blob.decode()
            self.calls.append(Call(request.method, request.path, dict(request.headers), fields, files))
        else:
            body = await self._record(request)
            if not isinstance(body, dict):
                return _invalid("Invalid body: send multipart/form-data or a JSON object.", None)
            fields = body
        self.received.set()
        script = self._next_script()
        if script.http_status != 200:
            return raw_json(script.body, script.http_status, script.headers)
        model = str(fields.get("model") or "sora-2")
        prompt = fields.get("prompt")
        seconds = None if fields.get("seconds") is None else str(fields["seconds"])
        size = None if fields.get("size") is None else str(fields["size"])
        image = next((blob for name, _, blob in files if name == "input_reference"), None)
        problem = self._check_openai(model, prompt, seconds, size, image)
        if problem is not None:
            self._put_back(script)
            return problem
        task = self._make("openai", f"video_{self._next}", script, fields, model=model, prompt=str(prompt),
                          seconds=seconds, size=size, image=image, image_type=image_type)  # fmt: skip
        return raw_json(self.openai_json(task))

    async def submit_unified(self, request: web.Request) -> web.Response:
        """The unified shape: JSON ``model``, ``prompt``, ``image`` (a data URL or a link), ``duration``, ``width``,
        ``height``, ``metadata``..."""
        body = await self._record(request)
        self.received.set()
        if not isinstance(body, dict):
            return _invalid("Invalid request: the body must be a JSON object.", None)
        script = self._next_script()
        if script.http_status != 200:
            return raw_json(script.body, script.http_status, script.headers)
        if not body.get("model"):
            self._put_back(script)
            return _invalid("model is required", "model", "missing_required_parameter")
        field_value = str(body.get("image") or "")
        image: bytes | None = None
        image_type = ""
        if field_value.startswith("data:"):
            header, _, data = field_value.partition(",")
            image_type = header.removeprefix("data:").split(";")[0]
            try:
                image = base64.b64decode(data, validate=True)
            except (binascii.Error, ValueError):
                self._put_back(script)
                return _invalid("image is not a valid base64 data URL", "image")
        metadata = body.get("metadata")
        task = self._make("unified", f"task_{self._next}", script, body, model=str(body["model"]),
                          prompt=str(body.get("prompt") or ""), duration=body.get("duration"),
                          width=body.get("width"), height=body.get("height"),
                          metadata=metadata if isinstance(metadata, dict) else {}, image=image,
                          image_type=image_type, image_field=field_value)  # fmt: skip
        return raw_json({"task_id": task.id, "status": "queued"})

    async def poll_openai(self, request: web.Request) -> web.Response:
        await self._record(request)
        task = self._find(request.match_info["id"], "openai")
        if task is None:
            return _not_found(request.match_info["id"])
        task.advance()
        return raw_json(self.openai_json(task))

    async def poll_unified(self, request: web.Request) -> web.Response:
        await self._record(request)
        task = self._find(request.match_info["id"], "unified")
        if task is None:
            return api_error(404, "invalid_request_error", "task_not_exist", "task_not_exist")
        task.advance()
        return raw_json(self.unified_json(task))

    async def content(self, request: web.Request) -> web.Response:
        """OpenAI's download: the MP4 once completed; 409 before, 404 for a failed, forgotten or expired one."""
        await self._record(request)
        task = self._find(request.match_info["id"], "openai")
        if task is None:
            return _not_found(request.match_info["id"])
        variant = request.query.get("variant", "video")
        if variant != "video":
            return _invalid(f"Invalid value: '{variant}'. This fake serves only variant=video.", "variant")
        if task.status == "failed":
            return api_error(404, "invalid_request_error", "video_not_found", f"Video {task.id} failed: no content.")
        if task.status != "completed":
            return api_error(409, "invalid_request_error", "video_not_ready",
                             "Video is not ready yet, use GET /v1/videos/{video_id} to check status.")  # fmt: skip
        return self._serve(request, task)

    async def download(self, request: web.Request) -> web.Response:
        """The unified shape's link: the MP4 of a completed task, 404 otherwise."""
        await self._record(request)
        task = self._find(request.match_info["name"].removesuffix(".mp4"), "unified")
        if task is None or task.status != "completed":
            return web.Response(status=404, text="404 page not found")
        return self._serve(request, task)

    # Helpers

    def _next_script(self) -> Script:
        return self.script.popleft() if self.script else self.default

    def _put_back(self, script: Script) -> None:
        """A request refused for its own fault made no task: its script waits for the next submit."""
        if script is not self.default:
            self.script.appendleft(script)

    def _check_openai(
        self, model: str, prompt: Any, seconds: str | None, size: str | None, image: bytes | None
    ) -> web.Response | None:
        """The 400 OpenAI gives a request it refuses, or None."""
        if not prompt:
            return _invalid("Missing required parameter: 'prompt'.", "prompt", "missing_required_parameter")
        if not model.startswith("sora-2"):
            return None
        if seconds is not None and seconds not in SORA_SECONDS:
            return _invalid(f"Invalid value: '{seconds}'. Supported values are: 4, 8, and 12.", "seconds")
        if size is not None and size not in SORA_SIZES:
            return _invalid(f"Invalid value: '{size}'. Supported values are: {', '.join(SORA_SIZES)}.", "size")
        wanted = tuple(int(side) for side in (size or "720x1280").split("x"))
        if self.reference_must_match_size and image is not None and _dimensions(image) != wanted:
            return _invalid("Inpaint image must match the requested width and height", "input_reference")
        return None

    async def _record(self, request: web.Request) -> Any:
        body: Any = None
        if request.method == "POST":
            text = await request.text()
            try:
                body = json.loads(text)
            except ValueError:
                body = text
        self.calls.append(Call(request.method, request.path, dict(request.headers), body))
        return body

    def _find(self, task_id: str, shape: Shape) -> VideoTask | None:
        task = self.tasks.get(task_id)
        if task is None or task.forgotten or task.shape != shape:
            return None
        return task

    def _serve(self, request: web.Request, task: VideoTask) -> web.Response:
        if request.method == "GET":
            task.reads += 1
            if task.script.expire_after_one_read and task.reads > 1:
                if task.shape == "openai":
                    return api_error(404, "invalid_request_error", "video_not_found", "The video has expired.")
                return web.Response(status=404, text="404 page not found")
        return web.Response(body=task.video, content_type="video/mp4")

    def _make(
        self,
        shape: Shape,
        task_id: str,
        script: Script,
        body: dict[str, Any],
        *,
        model: str,
        prompt: str,
        seconds: str | None = None,
        size: str | None = None,
        duration: Any = None,
        width: Any = None,
        height: Any = None,
        metadata: dict[str, Any] | None = None,
        image: bytes | None,
        image_type: str,
        image_field: str = "",
    ) -> VideoTask:
        """Make a task from its script and register it."""
        self._next += 1
        timeline = [_step(step) for step in script.steps]
        last = timeline[-1].progress if timeline else 0
        if script.end == "completed":
            timeline.append(Step("completed", 100))
        elif script.end == "failed":
            timeline.append(Step("failed", last))
        task = VideoTask(
            id=task_id,
            shape=shape,
            model=model,
            prompt=prompt,
            seconds=seconds,
            size=size,
            duration=duration,
            width=width,
            height=height,
            metadata=dict(metadata or {}),
            image=image,
            image_type=image_type,
            image_field=image_field,
            body=body,
            # Its own copy: finish() and fail() change it.
            script=replace(script, steps=list(script.steps)),
            timeline=timeline,
            video=script.video if script.end == "completed" else b"",
            created_at=int(time.time()),
        )
        self.tasks[task_id] = task
        return task


def _is_download(path: str) -> bool:
    return path.endswith("/content") or path.startswith(FILES_PREFIX + "/")


def _dimensions(image: bytes | None) -> tuple[int, int] | None:
    if image is None:
        return None
    try:
        with Image.open(io.BytesIO(image)) as opened:
            return opened.size
    except (OSError, ValueError):
        return None


def _invalid(message: str, param: str | None, code: str = "invalid_value") -> web.Response:
    """A 400 in OpenAI's shape, naming the parameter."""
    return raw_json({"error": {"message": message, "type": "invalid_request_error", "param": param, "code": code}}, 400)


def _not_found(video_id: str) -> web.Response:
    return api_error(404, "invalid_request_error", "video_not_found", f"Video with id '{video_id}' not found.")


def clip(seconds: int = 2, width: int = 640, height: int = 360, rate: int = 24) -> bytes:
    """A real, playable MP4 of noise (which compresses badly, so it is large) with a silent sound track."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format="mp4") as out:
        video = out.add_stream("libx264", rate=rate)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "10", "preset": "ultrafast"}
        audio = out.add_stream("aac", rate=48_000)
        noise = random.Random(seconds * width * height)
        for _ in range(seconds * rate):
            picture = Image.frombytes("RGB", (width, height), noise.randbytes(width * height * 3))
            out.mux(video.encode(av.VideoFrame.from_image(picture)))  # type: ignore[no-untyped-call]
        out.mux(video.encode(None))
        for start in range(0, 48_000 * seconds, 1024):
            silence = av.AudioFrame(format="fltp", layout="mono", samples=1024)
            silence.planes[0].update(bytes(4096))
            silence.sample_rate, silence.pts = 48_000, start
            out.mux(audio.encode(silence))
        out.mux(audio.encode(None))
    return buffer.getvalue()
