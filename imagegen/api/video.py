"""The relay's video APIs: a still becomes a short clip, as a task that is submitted, followed and downloaded.

Two shapes, one per catalogue ``api``: OpenAI's (``POST /videos``, multipart, then ``GET /videos/{id}`` and its
``/content``) and the relay's unified one (``POST /video/generations``, JSON, then ``GET /video/generations/{id}``
whose answer links the clip). Their statuses are read in both spellings relays use. Tasks are followed by one
poller (``tasks.Poller``), every task in flight together.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from ..catalogue.entries import ModelInfo
from ..errors import BadUpstreamResponse, ImageGenError, Refused, UpstreamFailed
from ..imaging import images, workers
from ..model import ImageRequest, data_url
from ..safety.redaction import redact
from ..settings import Settings
from .network import transport_errors
from .tasks import Poller, each
from .upstream import map_error, parse_json

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
SUBMIT_TIMEOUT = 120.0
POLL_TIMEOUT = 20.0
# A clip is tens of megabytes at most; past this, it is not an honest one.
MAX_VIDEO_BYTES = 200 * 1024 * 1024
# Tasks asked about at once (each is its own request).
FETCHES_AT_ONCE = 8
# Status words, as OpenAI and the relays' code (queued, in_progress, completed) and their docs (processing,
# succeeded) spell them.
_DONE = ("completed", "succeeded", "success", "done")
_FAILED = ("failed", "failure", "error", "cancelled", "canceled", "expired")
# Words of a failure that is the vendor's moderation turning the request down.
_REFUSED = ("moderation", "content_policy", "policy", "safety", "sensitive", "blocked", "violat")


@dataclass(frozen=True)
class VideoTask:
    """A video task as the relay reports it: ``running`` until it is ``done`` or ``failed``."""

    id: str
    status: str
    progress: int = 0
    url: str = ""
    error: str = ""

    @property
    def ended(self) -> bool:
        return self.status in ("done", "failed")

    @classmethod
    def read(cls, data: object, task_id: str) -> VideoTask | None:
        """The task in either shape's JSON (or new-api's, which wraps it in ``data``), or None when it is not one."""
        if isinstance(data, dict) and "status" not in data and isinstance(data.get("data"), dict):
            data = data["data"]
        if not isinstance(data, dict):
            return None
        word = str(data.get("status") or "").lower()
        status = "done" if word in _DONE else "failed" if word in _FAILED else "running"
        progress = re.match(r"\s*(\d{1,3})", str(data.get("progress") or "0"))
        error = data.get("error")
        reason = ""
        if isinstance(error, dict):
            reason = " ".join(str(error.get(key) or "") for key in ("code", "message")).strip()
        elif error:
            reason = str(error)
        reason = reason or str(data.get("reason") or data.get("fail_reason") or "")
        given = data.get("metadata")
        metadata: dict[str, Any] = given if isinstance(given, dict) else {}
        url = data.get("url") or data.get("result_url") or data.get("video_url") or metadata.get("url") or ""
        return cls(
            id=str(data.get("id") or data.get("task_id") or task_id),
            status=status,
            progress=min(100, int(progress[1])) if progress else 0,
            url=str(url or ""),
            error=reason,
        )


def failure_of(task: VideoTask, prompt: str) -> ImageGenError:
    """What a failed video task means: the vendor's moderation turning it down, or a failure (its reason goes to
    the operator's log only)."""
    reason = task.error or "no reason given"
    if any(word in reason.lower() for word in _REFUSED):
        return Refused("moderation", prompt, f"video task: {reason}")
    return UpstreamFailed(f"video task {task.id} failed: {reason}")


async def _shaped_like(image: bytes | None, info: ModelInfo) -> str:
    """The size a clip of the model is made at when none is asked for: the first it makes in the still's
    orientation (a portrait picture, a portrait clip)."""
    sizes = info.sizes.sizes or ("1280x720",)
    found = await workers.run(images.inspect, image) if image is not None else None
    if found is None:
        return sizes[0]

    def shape(width: int, height: int) -> int:
        return (width > height) - (width < height)

    wanted = shape(found.width, found.height)
    return next((size for size in sizes if shape(*map(int, size.split("x"))) == wanted), sizes[0])


class Videos:
    """Submits clips to the relay's video APIs and follows them, every task in flight polled together."""

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.session = session
        self.settings = settings
        self.base = settings.openai_base_url
        self._headers = {"Authorization": f"Bearer {settings.openai_api_key.get()}"}
        # Which shape each task followed here was submitted in: it decides where it is asked about.
        self._shapes: dict[str, str] = {}
        self._poller: Poller[VideoTask] = Poller(self._fetch_all, "video", clock)

    async def submit(self, request: ImageRequest, info: ModelInfo) -> str:
        """Submit ``request`` (its first reference is the still, ``seconds`` its length) and return the task's id."""
        timeout = aiohttp.ClientTimeout(total=SUBMIT_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        image = request.references[0] if request.references else None
        seconds = request.seconds or max(info.seconds, default=0)
        size = request.size if request.size not in ("", "auto") else await _shaped_like(image, info)
        if info.api == "openai-videos":
            form = aiohttp.FormData()
            for name, value in (("model", request.model), ("prompt", request.text), ("seconds", str(seconds)),
                                ("size", size)):  # fmt: skip
                form.add_field(name, value)
            if image is not None:
                # OpenAI takes a still only at exactly the clip's size.
                width, _, height = size.partition("x")
                still = await workers.run(images.covering, image, int(width), int(height))
                form.add_field("input_reference", still, filename="still.png", content_type="image/png")
            status, raw = await self._call("POST", f"{self.base}/videos", timeout, data=form)
        else:
            width, _, height = size.partition("x")
            body: dict[str, Any] = {"model": request.model, "prompt": request.text, "duration": seconds}
            if width.isdigit() and height.isdigit():
                body.update(width=int(width), height=int(height))
            if image is not None:
                body["image"] = data_url(image)
            status, raw = await self._call("POST", f"{self.base}/video/generations", timeout, json=body)
        if status != 200:
            raise self._redacted(map_error(status, raw, request.model, request.prompt))
        answer = parse_json(raw)
        task_id = str(answer.get("id") or answer.get("task_id") or "") if isinstance(answer, dict) else ""
        if not task_id:
            raise BadUpstreamResponse("the video API accepted the request without a task id")
        return task_id

    async def follow(
        self, task_id: str, info: ModelInfo, on_progress: Callable[[VideoTask], Awaitable[None]], within: float
    ) -> VideoTask:
        """Poll the task until it ends and return it (see ``tasks.Poller``)."""
        self._shapes[task_id] = info.api
        try:
            return await self._poller.follow(task_id, on_progress, within)
        finally:
            self._shapes.pop(task_id, None)

    async def content(self, task: VideoTask, info: ModelInfo) -> bytes | None:
        """The finished clip, downloaded at once (links expire), or None when it could not be."""
        timeout = aiohttp.ClientTimeout(total=self.settings.download_timeout * 4, sock_connect=CONNECT_TIMEOUT)
        url = f"{self.base}/videos/{task.id}/content" if info.api == "openai-videos" else task.url
        if not url.startswith(("https://", "http://")):
            log.warning("video task %s: no link to its clip", task.id)
            return None
        # The key goes only to the relay itself, never to the vendor's storage a link may point at.
        ours = urlsplit(url).netloc == urlsplit(self.base).netloc
        try:
            status, raw = await self._call("GET", url, timeout, authorised=ours)
        except ImageGenError as error:
            log.warning("video task %s: downloading its clip failed: %s", task.id, error.detail)
            return None
        if status != 200 or not raw:
            log.warning("video task %s: downloading its clip answered HTTP %d", task.id, status)
            return None
        return raw

    async def close(self) -> None:
        """Stop polling."""
        await self._poller.close()

    async def _fetch_all(self, ids: list[str]) -> dict[str, VideoTask | None]:
        return await each([task_id for task_id in ids if task_id in self._shapes], self._fetch, FETCHES_AT_ONCE)

    async def _fetch(self, task_id: str) -> VideoTask | None:
        timeout = aiohttp.ClientTimeout(total=POLL_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        path = "videos" if self._shapes.get(task_id) == "openai-videos" else "video/generations"
        status, raw = await self._call("GET", f"{self.base}/{path}/{task_id}", timeout)
        if status == 404:
            return None  # the relay says it does not know the task
        if status != 200:
            raise UpstreamFailed(f"asking about video task {task_id}: HTTP {status}")
        task = VideoTask.read(parse_json(raw), task_id)
        if task is None:
            raise BadUpstreamResponse(f"video task {task_id}: the answer is not a task")
        return task

    async def _call(
        self, method: str, url: str, limits: aiohttp.ClientTimeout, authorised: bool = True, **kwargs: Any
    ) -> tuple[int, bytes]:
        headers = self._headers if authorised else {}
        with transport_errors(self.settings.image_api_proxy, limits):
            async with self.session.request(
                method, url, headers=headers, timeout=limits, allow_redirects=not authorised, **kwargs
            ) as response:
                if response.content_length is not None and response.content_length > MAX_VIDEO_BYTES:
                    raise BadUpstreamResponse(f"an answer of {response.content_length} bytes")
                return response.status, await response.read()

    def _redacted(self, error: ImageGenError) -> ImageGenError:
        # Some relays echo the key back in their messages: never let it reach a log line.
        error.detail = redact(error.detail, (self.settings.openai_api_key.get(),))
        return error
