"""The relay's Midjourney task API: a task is submitted, followed until it ends, and what it made is downloaded.

Relays built on new-api or midjourney-proxy serve it under ``/mj`` (or ``/mj-fast/mj`` and so on, per speed). A
submit answers a task id; the task is then polled, all tasks in flight of this process in one
``list-by-condition`` a round (a task per request where a relay lacks it), often at first and less often for tasks
that have run long. Submit codes and failure reasons become the domain's errors here, once.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ..catalogue.entries import ModelInfo
from ..errors import (
    BadUpstreamResponse,
    ImageGenError,
    QuotaExhausted,
    Refused,
    UpstreamBusy,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamUnavailable,
)
from ..model import ImageRequest, TaskButton, data_url
from ..safety.redaction import redact
from ..settings import Settings
from .network import transport_errors
from .tasks import Poller, each
from .upstream import map_error, parse_json

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = 10.0
SUBMIT_TIMEOUT = 60.0
POLL_TIMEOUT = 20.0
# Tasks fetched at once from a relay without list-by-condition.
FETCHES_AT_ONCE = 8
# A relay whose list-by-condition is missing this many rounds in a row has none: its tasks are fetched one by one.
MISSING_ROUNDS = 3
# Statuses a task ends in.
ENDED = ("SUCCESS", "FAILURE", "CANCEL", "MODAL")
# Speed flags typed in a prompt: the operator's MJ_MODE decides the speed, and so the price.
_SPEED_FLAGS = re.compile(r"(?<!\S)(?:--|—)(?:fast|relax|turbo)(?!\S)", re.IGNORECASE)
_ASPECT_FLAG = re.compile(r"(?<!\S)--(?:ar|aspect)\s", re.IGNORECASE)
_PARAMETER = re.compile(r"--[a-z][\w-]*", re.IGNORECASE)
# Words relays use for a prompt Midjourney will not draw, for a busy queue, for spent credit, for a bad parameter.
_BANNED = ("banned", "sensitive", "敏感", "违禁", "moderat", "restricted", "violat", "not allowed", "blocked")
_BUSY = ("busy", "繁忙", "队列已满", "queue full", "queue is full", "稍后")
_BALANCE = ("余额", "insufficient", "balance", "quota")
# Words of an answer about the relay's Midjourney account, not the prompt (new-api's code 24).
_ACCOUNT = ("account", "账号", "账户")
_INVALID = ("invalid parameter", "unrecognized parameter", "参数错误", "参数不合法", "unknown parameter")


@dataclass(frozen=True)
class Task:
    """A task as the relay reports it."""

    id: str
    status: str
    progress: int = 0
    image_url: str = ""
    video_urls: tuple[str, ...] = ()
    fail_reason: str = ""
    prompt: str = ""
    buttons: tuple[TaskButton, ...] = ()
    properties: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def read(cls, data: object) -> Task | None:
        """The task in a relay's JSON, or None when it is not one."""
        if not isinstance(data, dict) or not data.get("id"):
            return None
        progress = re.match(r"\s*(\d{1,3})", str(data.get("progress") or "0"))
        # new-api gives videoUrls as objects with a url, midjourney-proxy as strings.
        given = [data.get("videoUrl"), *(data.get("videoUrls") or [])]
        videos = [item.get("url") if isinstance(item, dict) else item for item in given]
        buttons = tuple(
            TaskButton(str(item["customId"]), str(item.get("label") or ""), str(item.get("emoji") or ""))
            for item in data.get("buttons") or []
            if isinstance(item, dict) and item.get("customId")
        )
        properties = data.get("properties")
        return cls(
            id=str(data["id"]),
            status=str(data.get("status") or "NOT_START").upper(),
            progress=min(100, int(progress[1])) if progress else 0,
            image_url=str(data.get("imageUrl") or ""),
            video_urls=tuple(dict.fromkeys(url for url in videos if isinstance(url, str) and url)),
            fail_reason=str(data.get("failReason") or ""),
            prompt=str(data.get("prompt") or ""),
            buttons=buttons,
            properties=properties if isinstance(properties, dict) else {},
        )

    @property
    def ended(self) -> bool:
        return self.status in ENDED


@dataclass(frozen=True)
class Submitted:
    """A task the relay accepted, and how many wait before it in the relay's queue (None: it did not say)."""

    task_id: str
    ahead: int | None = None


def shown(button: TaskButton) -> bool:
    """Whether a button of Midjourney's is offered in Discord: not Vary (Region), which needs a drawn mask Discord
    cannot draw, nor the bookmark, which means nothing outside Midjourney's own site."""
    return not button.custom_id.startswith(("MJ::Inpaint", "MJ::BOOKMARK"))


# What each kind of button is billed as, by a piece of its custom id: new-api's billing names.
_BILLED_AS = (
    ("CustomZoom", "mj_custom_zoom"), ("Outpaint", "mj_zoom"), ("Inpaint", "mj_inpaint"), ("::pan_", "mj_pan"),
    ("_extend", "mj_video"), ("::animate", "mj_video"), ("::upsample", "mj_upscale"),
    ("::low_variation", "mj_low_variation"), ("::high_variation", "mj_high_variation"),
    ("::variation", "mj_variation"), ("::reroll", "mj_reroll"),
)  # fmt: skip


def billed_as(request: ImageRequest) -> str:
    """The billing name of the task a request to a task model submits: its button's, Describe's, Blend's or
    Imagine's."""
    if request.action:
        return next((name for piece, name in _BILLED_AS if piece in request.action), "mj_modal")
    return {"describe": "mj_describe", "blend": "mj_blend", "animate": "mj_video"}.get(request.tool, "mj_imagine")


def dimensions(size: str) -> str:
    """The shape of a Blend, as Midjourney names it, from a size or ratio (square when none is given)."""
    found = re.fullmatch(r"(\d+)[x:](\d+)", size)
    if not found or int(found[1]) == int(found[2]):
        return "SQUARE"
    return "PORTRAIT" if int(found[1]) < int(found[2]) else "LANDSCAPE"


# Describe numbers its prompts with keycap digits: 1️⃣ … 4️⃣.
_KEYCAP = re.compile("[1-9]\ufe0f?\u20e3")


def described(text: str) -> list[str]:
    """The numbered prompts of a Describe task's answer, without their numbers."""
    prompts = [" ".join(part.split()) for part in _KEYCAP.split(text)]
    return [prompt for prompt in prompts if prompt][:4]


def prompt_for(request: ImageRequest) -> str:
    """The prompt as Midjourney takes it: the member's (with the style's phrase), its own parameters kept, the
    speed flags taken out, and the size as ``--ar`` unless the prompt gives one."""
    text = " ".join(_SPEED_FLAGS.sub(" ", request.text).split())
    if request.size not in ("", "auto") and not _ASPECT_FLAG.search(text + " "):
        text = f"{text} --ar {request.size}"
    return text


def failure_of(task: Task, prompt: str) -> ImageGenError:
    """What a task that ended without a result means: a refusal, a parameter Midjourney did not take, or a
    failure (its reason goes to the operator's log only)."""
    reason = task.fail_reason or task.status.lower()
    lowered = reason.lower()
    if any(word in lowered for word in _INVALID):
        return _rejected(f"Midjourney: {reason}", reason)
    if task.status != "CANCEL" and any(word in lowered for word in _BANNED):
        return Refused("sensitive_words", prompt, f"Midjourney: {reason}")
    return UpstreamFailed(f"Midjourney task {task.status.lower()}: {reason}")


def submit_failure(code: object, description: str, properties: dict[str, Any], prompt: str) -> ImageGenError:
    """What a submit answer that gave no task means, read from its code and its words: midjourney-proxy and new-api
    number their answers differently, so the words decide where they disagree."""
    words = description.lower()
    banned = str(properties.get("bannedWord") or "").strip()
    account = any(word in words for word in _ACCOUNT)
    if banned or (not account and (any(word in words for word in _BANNED) or code == 24)):
        refused = Refused("sensitive_words", prompt, f"Midjourney submit {code}: {description}")
        if banned:
            refused.key = "refused.banned_word"
            refused.params["word"] = banned[:100]
        return refused
    if code == 23 or any(word in words for word in _BUSY):
        return UpstreamBusy(f"Midjourney submit {code}: {description}")
    if code == 25 or any(word in words for word in _BALANCE):
        return QuotaExhausted(f"Midjourney submit {code}: {description}")
    if code == 24 or account:
        return UpstreamUnavailable(f"Midjourney submit {code}: {description}")
    if code == 21 or any(word in words for word in _INVALID):
        return _rejected(f"Midjourney submit {code}: {description}", description)
    return UpstreamFailed(f"Midjourney submit {code}: {description}")


OnProgress = Callable[[Task], Awaitable[None]]


class Midjourney:
    """Submits tasks to the relay and follows them, every task in flight polled together."""

    def __init__(
        self, session: aiohttp.ClientSession, settings: Settings, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.session = session
        self.settings = settings
        self.clock = clock
        mode = f"/mj-{settings.mj_mode}" if settings.mj_mode else ""
        self.base = f"{settings.midjourney_url()}{mode}/mj"
        key = settings.openai_api_key.get()
        # new-api reads the bearer token; a stand-alone midjourney-proxy reads mj-api-secret.
        self._headers = {"Authorization": f"Bearer {key}", "mj-api-secret": key}
        self._poller: Poller[Task] = Poller(self._fetch_all, "Midjourney", clock)
        # Whether the relay answers list-by-condition; found out on use (missing this many rounds in a row).
        self.batch = True
        self._missing = 0
        # Requests made to poll, for the operator's figures.
        self.polls = 0

    async def imagine(self, request: ImageRequest, info: ModelInfo) -> Submitted:
        """Submit ``request`` as an Imagine task."""
        body: dict[str, Any] = {"prompt": prompt_for(request), "botType": info.bot_type or "MID_JOURNEY"}
        if request.references:
            body["base64Array"] = [data_url(data) for data in request.references]
        return await self.submit("imagine", body, request.model, request.prompt)

    async def blend(self, request: ImageRequest) -> Submitted:
        """Submit the request's two to five reference images as a Blend task, shaped as its size says."""
        body = {"base64Array": [data_url(data) for data in request.references], "dimensions": dimensions(request.size)}
        return await self.submit("blend", body, request.model, request.prompt)

    async def describe(self, request: ImageRequest) -> Submitted:
        """Submit the request's image as a Describe task: Midjourney's own prompts for it."""
        return await self.submit("describe", {"base64": data_url(request.references[0])}, request.model, "")

    async def animate(self, request: ImageRequest) -> Submitted:
        """Submit the request's image as a Midjourney video (Animate), moved as its prompt says."""
        body: dict[str, Any] = {
            "prompt": prompt_for(request),
            "motion": "low",
            "image": data_url(request.references[0]),
        }
        if request.loop:
            body["loop"] = True
        return await self.submit("video", body, request.model, request.prompt)

    async def act(self, request: ImageRequest) -> Submitted:
        """Submit a click on a result's button (``request.action``) on the task that gave it; a button that opens
        Midjourney's form (Custom Zoom) is followed by the form, with the request's prompt."""
        body = {"customId": request.action, "taskId": request.parent_task}
        submitted = await self.submit("action", body, request.model, request.prompt)
        if not TaskButton(request.action).asks_prompt:
            return submitted
        return await self.answer_form(submitted.task_id, request)

    async def answer_form(self, task_id: str, request: ImageRequest) -> Submitted:
        """Send the prompt a task waiting in status MODAL asks for (Custom Zoom, or any action in Remix mode)."""
        modal = {"taskId": task_id, "prompt": prompt_for(request)}
        return await self.submit("modal", modal, request.model, request.prompt)

    async def submit(self, kind: str, body: dict[str, Any], model: str, prompt: str) -> Submitted:
        """``POST /submit/{kind}``: the task id, or the domain error its answer means."""
        timeout = aiohttp.ClientTimeout(total=SUBMIT_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        status, raw, retry_after = await self._call("POST", f"submit/{kind}", timeout, json=body)
        if status != 200:
            raise self._failure(map_error(status, raw, model, prompt, retry_after))
        answer = parse_json(raw)
        if not isinstance(answer, dict):
            raise BadUpstreamResponse("Midjourney submit answer is not an object")
        code, task_id = answer.get("code"), str(answer.get("result") or "").strip()
        given = answer.get("properties")
        properties: dict[str, Any] = given if isinstance(given, dict) else {}
        if task_id and code in (1, 21, 22):
            ahead = properties.get("numberOfQueues") if code == 22 else None
            return Submitted(task_id, int(ahead) if isinstance(ahead, int | float) else (0 if code == 22 else None))
        raise self._failure(submit_failure(code, str(answer.get("description") or ""), properties, prompt))

    async def follow(self, task_id: str, on_progress: OnProgress, within: float) -> Task:
        """Poll the task until it ends, with every other task in flight (see ``tasks.Poller``)."""
        return await self._poller.follow(task_id, on_progress, within)

    async def probe(self) -> str:
        """Whether the relay answers the task API, without drawing anything: ``ok``, ``one at a time`` (it has no
        list-by-condition), ``refused`` (the key) or ``absent``; raises a domain error when it cannot be reached."""
        limits = aiohttp.ClientTimeout(total=POLL_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        status, raw, _ = await self._call("POST", "task/list-by-condition", limits, json={"ids": []})
        if status in (401, 403):
            return "refused"
        if status == 200 and isinstance(_json_or_none(raw), list):
            return "ok"
        status, raw, _ = await self._call("GET", "task/0/fetch", limits)
        answer = _json_or_none(raw)
        if status in (200, 404) and ((answer is None and status == 200) or (isinstance(answer, dict) and answer)):
            return "one at a time"
        return "absent"

    async def close(self) -> None:
        """Stop polling."""
        await self._poller.close()

    async def _fetch_all(self, ids: list[str]) -> dict[str, Task | None]:
        """The tasks ``ids`` as the relay has them (None for those it no longer knows); a task that could not be
        asked about this round is left out, to be asked again next round."""
        found: dict[str, Task | None] = {}
        if self.batch and len(ids) > 0:
            listed = await self._list(ids)
            if listed is not None:
                found.update({task.id: task for task in listed if task.id in ids})
        found.update(await each([task_id for task_id in ids if task_id not in found], self._fetch, FETCHES_AT_ONCE))
        return found

    async def _list(self, ids: list[str]) -> list[Task] | None:
        timeout = aiohttp.ClientTimeout(total=POLL_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        try:
            status, raw, _ = await self._call("POST", "task/list-by-condition", timeout, json={"ids": ids})
        except ImageGenError as error:
            log.warning("Midjourney: polling failed, trying again: %s", error.detail)
            return None
        if status in (404, 405, 501):
            # A proxy before the relay may answer 404 for a moment (a deploy): the route is missing only if it
            # stays missing.
            self._missing += 1
            if self._missing >= MISSING_ROUNDS:
                log.info("Midjourney: the relay has no list-by-condition; each task is fetched on its own")
                self.batch = False
            return None
        self._missing = 0
        answer = _json_or_none(raw) if status == 200 else None
        if not isinstance(answer, list):
            log.warning("Midjourney: list-by-condition answered HTTP %d without a list", status)
            return None
        return [task for task in map(Task.read, answer) if task is not None]

    async def _fetch(self, task_id: str) -> Task | None:
        timeout = aiohttp.ClientTimeout(total=POLL_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        try:
            status, raw, _ = await self._call("GET", f"task/{task_id}/fetch", timeout)
        except ImageGenError as error:
            log.warning("Midjourney: fetching task %s failed, trying again: %s", task_id, error.detail)
            raise
        answer = _json_or_none(raw)
        if (status == 200 and answer is None) or _not_found(answer):
            return None  # the relay says so: the task no longer exists
        if status != 200:
            raise UpstreamFailed(f"fetching Midjourney task {task_id}: HTTP {status}")
        return Task.read(answer)

    async def _call(
        self, method: str, path: str, limits: aiohttp.ClientTimeout, **kwargs: Any
    ) -> tuple[int, bytes, str | None]:
        if path.startswith("task/"):
            self.polls += 1
        with transport_errors(self.settings.image_api_proxy, limits):
            async with self.session.request(
                # Never to another host with the key: a relay has no reason to redirect its API.
                method,
                f"{self.base}/{path}",
                headers=self._headers,
                timeout=limits,
                allow_redirects=False,
                **kwargs,
            ) as response:
                return response.status, await response.read(), response.headers.get("Retry-After")

    def _failure(self, error: ImageGenError) -> ImageGenError:
        # Some relays echo the key back in their messages: never let it reach a log line.
        error.detail = redact(error.detail, (self.settings.openai_api_key.get(),))
        return error


def _rejected(detail: str, words: str) -> UpstreamRejected:
    """A parameter Midjourney did not take, named when its words name one."""
    rejected = UpstreamRejected(detail)
    found = _PARAMETER.search(words)
    if found:
        rejected.key = "error.parameter"
        rejected.params["parameter"] = found[0]
    return rejected


def _not_found(answer: object) -> bool:
    """Whether a relay's answer says the task does not exist (midjourney-proxy and new-api word it apart)."""
    if not isinstance(answer, dict) or answer.get("id"):
        return False  # a task (whose own words may say anything)
    words = str(answer.get("description") or answer.get("message") or "").lower()
    return answer.get("code") == 4 or any(word in words for word in ("not found", "no_found", "not_found", "不存在"))


def _json_or_none(raw: bytes) -> Any:
    """The JSON in ``raw``, or None for anything else (an HTML page, a plain-text 404)."""
    try:
        return parse_json(raw)
    except BadUpstreamResponse:
        return None
