"""A fake relay's Midjourney task API (new-api / midjourney-proxy shapes), served by FakeImageAPI's server."""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import uuid
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web
from PIL import Image

from tests.fakes.image_api import Call, raw_json

if TYPE_CHECKING:
    from tests.fakes.image_api import FakeImageAPI

# The mode each route prefix stands for ("" is plain /mj).
PREFIXES = {"/mj": "", "/mj-fast/mj": "fast", "/mj-turbo/mj": "turbo", "/mj-relax/mj": "relax"}
SUBMIT_KINDS = ("imagine", "action", "modal", "blend", "describe", "video")
FIRST_TASK_ID = 1733471234567890
FIRST_SUBMIT_TIME = 1733471234567
# Submit codes that still hand out a task id (1 submitted, 22 queued).
ACCEPTED_CODES = (1, 22)
GRID_ACTIONS = ("IMAGINE", "VARIATION", "REROLL", "BLEND", "ZOOM", "PAN", "INPAINT")
VIDEO_ACTIONS = ("VIDEO", "VIDEO_EXTEND")
DESCRIBE_PROMPTS = [
    "a red fox in snow --ar 1:1",
    "a fox curled up in a snowy forest, watercolor --ar 1:1",
    "a red fox at dusk, soft light, photography --ar 1:1",
    "a pixel art fox in the snow --ar 1:1",
]
DIGITS = ["1️⃣", "2️⃣", "3️⃣", "4️⃣"]
# Enough of an MP4 for a sniffer: an ftyp box, a free box and a small mdat.
MP4 = (
    b"\x00\x00\x00\x20ftypisom\x00\x00\x02\x00isomiso2avc1mp41"
    + b"\x00\x00\x00\x08free"
    + b"\x00\x00\x00\x10mdat"
    + bytes(range(8))
)
NOT_FOUND = {"code": 3, "description": "关联任务不存在或已失效"}


def grid_png(size: int = 128) -> bytes:
    """A real PNG of four coloured quadrants, like a Midjourney grid."""
    image = Image.new("RGB", (size, size))
    half = size // 2
    colors = [(200, 40, 40), (40, 160, 60), (40, 80, 200), (220, 180, 40)]
    for index, color in enumerate(colors):
        left, top = (index % 2) * half, (index // 2) * half
        image.paste(color, (left, top, left + half, top + half))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class Step:
    """What a task shows after one more poll: its status, progress and, while IN_PROGRESS, a preview image."""

    status: str
    progress: str
    preview: bytes | None = None


StepLike = Step | tuple[str, str] | tuple[str, str, bytes | None]


def _step(value: StepLike) -> Step:
    return value if isinstance(value, Step) else Step(*value)


@dataclass
class Script:
    """How one submit goes: the submit answer, then one step per poll, then the end.

    ``code`` 1 or 22 (queued) hands out a task id; any other code refuses (no task). With ``http_status`` other than
    200 the answer is a plain HTTP error with ``body`` (the OpenAI error shape). ``end`` is SUCCESS, FAILURE or CANCEL;
    None never ends (the task stays at its last step). A step ("MODAL", ...) waits there until POST submit/modal.
    ``image`` (default: a 128x128 grid), ``videos`` (default: one small MP4), ``buttons``, ``prompts`` (describe)
    and ``action`` override what the finished task shows."""

    code: int = 1
    description: str = "提交成功"
    properties: dict[str, Any] = field(default_factory=dict)
    http_status: int = 200
    body: Any = None
    headers: dict[str, str] | None = None
    steps: list[StepLike] = field(default_factory=lambda: [Step("IN_PROGRESS", "50%")])
    end: str | None = "SUCCESS"
    fail_reason: str = ""
    image: bytes | None = None
    videos: list[bytes] | None = None
    buttons: list[dict[str, Any]] | None = None
    prompts: list[str] | None = None
    action: str | None = None

    @property
    def accepted(self) -> bool:
        """Whether the submit hands out a task id."""
        return self.http_status == 200 and self.code in ACCEPTED_CODES


def succeeds(
    steps: list[StepLike] | None = None,
    *,
    image: bytes | None = None,
    videos: list[bytes] | None = None,
    buttons: list[dict[str, Any]] | None = None,
    prompts: list[str] | None = None,
    action: str | None = None,
) -> Script:
    """A task that goes through ``steps`` (default: IN_PROGRESS 50%) to SUCCESS."""
    script = Script(image=image, videos=videos, buttons=buttons, prompts=prompts, action=action)
    if steps is not None:
        script.steps = list(steps)
    return script


def fails(
    reason: str = "[Invalid parameter] Unrecognized parameter --foo", *, steps: list[StepLike] | None = None
) -> Script:
    """A task that fails with ``reason`` (at the first poll unless ``steps`` come first)."""
    return Script(steps=list(steps or []), end="FAILURE", fail_reason=reason)


def cancelled(*, steps: list[StepLike] | None = None) -> Script:
    """A task that ends CANCEL (at the first poll unless ``steps`` come first)."""
    return Script(steps=list(steps or []), end="CANCEL")


def banned(word: str = "blood", *, prompt_en: str | None = None) -> Script:
    """A submit refused with code 24 for a banned word; ``promptEn`` is the submitted prompt unless given."""
    return Script(code=24, description="可能包含敏感词", properties={"promptEn": prompt_en, "bannedWord": word})


def queued(ahead: int = 3, *, steps: list[StepLike] | None = None, image: bytes | None = None) -> Script:
    """A submit answered code 22 (queued behind ``ahead`` tasks); the task then waits one poll as NOT_START, unless
    ``steps`` say otherwise, and succeeds."""
    default: list[StepLike] = [Step("NOT_START", "0%"), Step("IN_PROGRESS", "50%")]
    return Script(
        code=22,
        description=f"排队中，前面还有{ahead}个任务",
        properties={"numberOfQueues": ahead},
        steps=list(steps) if steps is not None else default,
        image=image,
    )


def queue_full() -> Script:
    """A submit refused with code 23: the queue is full (no task)."""
    return Script(code=23, description="队列已满，请稍后尝试")


def refused_at_submit(code: int, description: str, properties: dict[str, Any] | None = None) -> Script:
    """A submit refused with this code and description (no task), e.g. 24 "account unavailable" or 25."""
    return Script(code=code, description=description, properties=dict(properties or {}))


def http_error(
    status: int = 500,
    message: str = "upstream error (request id: 2026112512000012345)",
    *,
    kind: str = "new_api_error",
    code: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
) -> Script:
    """A submit answered with a plain HTTP error in the OpenAI shape (or ``body`` as given)."""
    if body is None:
        body = {"error": {"message": message, "type": kind, "param": "", "code": code}}
    return Script(http_status=status, body=body, headers=headers)


def never_ends(progress: str = "30%", *, preview: bytes | None = None) -> Script:
    """A task that stays IN_PROGRESS at ``progress`` forever."""
    return Script(steps=[Step("IN_PROGRESS", progress, preview)], end=None)


def needs_modal(*, after: list[StepLike] | None = None, image: bytes | None = None) -> Script:
    """A task that goes to MODAL at the first poll, waits for POST submit/modal, then goes through ``after``
    (default: IN_PROGRESS 50%) to SUCCESS."""
    rest = list(after) if after is not None else [Step("IN_PROGRESS", "50%")]
    return Script(steps=[Step("MODAL", "0%"), *rest], image=image)


@dataclass
class MjTask:
    """One task the fake made, with what it was asked and where it stands."""

    id: str
    kind: str
    action: str
    mode: str
    prompt: str
    bot_type: str
    custom_id: str
    parent_id: str
    body: dict[str, Any]
    script: Script
    timeline: list[Step]
    hash: str
    submit_time: int
    buttons: list[dict[str, Any]]
    state: str = ""
    description: str = ""
    position: int = -1
    released: set[int] = field(default_factory=set)
    modals: list[dict[str, Any]] = field(default_factory=list)
    polls: int = 0
    forgotten: bool = False

    @property
    def step(self) -> Step:
        """Where the task stands now (before any poll: SUBMITTED, or NOT_START when queued)."""
        if self.position < 0:
            return Step("NOT_START" if self.script.code == 22 else "SUBMITTED", "0%")
        return self.timeline[self.position]

    @property
    def status(self) -> str:
        return self.step.status

    @property
    def progress(self) -> str:
        return self.step.progress

    @property
    def waiting_for_modal(self) -> bool:
        return self.status == "MODAL" and self.position not in self.released

    def advance(self) -> None:
        """One poll: move to the next step, unless waiting for a modal or at the last step."""
        self.polls += 1
        if self.waiting_for_modal:
            return
        if self.position + 1 < len(self.timeline):
            self.position += 1


def _action_of(custom_id: str) -> str:
    """The action of the task a button makes."""
    if custom_id.startswith("MJ::JOB::upsample"):
        return "UPSCALE"
    if "variation::" in custom_id:
        return "VARIATION"
    if "::reroll::" in custom_id:
        return "REROLL"
    if custom_id.startswith(("MJ::Outpaint::", "MJ::CustomZoom::")):
        return "ZOOM"
    if custom_id.startswith("MJ::Inpaint::"):
        return "INPAINT"
    if "::pan_" in custom_id:
        return "PAN"
    if "::animate_" in custom_id:
        return "VIDEO"
    return "ACTION"


def _button(custom_id: str, label: str = "", emoji: str = "") -> dict[str, Any]:
    return {"customId": custom_id, "emoji": emoji, "label": label, "type": 2, "style": 2}


def default_buttons(action: str, job: str) -> list[dict[str, Any]]:
    """The buttons a finished task of ``action`` shows, for the job hash ``job``."""
    if action in GRID_ACTIONS:
        return [
            *(_button(f"MJ::JOB::upsample::{i}::{job}", f"U{i}") for i in range(1, 5)),
            _button(f"MJ::JOB::reroll::0::{job}::SOLO", emoji="🔄"),
            *(_button(f"MJ::JOB::variation::{i}::{job}", f"V{i}") for i in range(1, 5)),
        ]
    if action == "UPSCALE":
        pans = [("left", "⬅️"), ("right", "➡️"), ("up", "⬆️"), ("down", "⬇️")]
        return [
            _button(f"MJ::JOB::low_variation::1::{job}::SOLO", "Vary (Subtle)"),
            _button(f"MJ::JOB::high_variation::1::{job}::SOLO", "Vary (Strong)"),
            _button(f"MJ::Inpaint::1::{job}::SOLO", "Vary (Region)"),
            _button(f"MJ::Outpaint::50::1::{job}::SOLO", "Zoom Out 2x"),
            _button(f"MJ::Outpaint::75::1::{job}::SOLO", "Zoom Out 1.5x"),
            _button(f"MJ::CustomZoom::{job}", "Custom Zoom"),
            *(_button(f"MJ::JOB::pan_{way}::1::{job}::SOLO", emoji=emoji) for way, emoji in pans),
            _button(f"MJ::JOB::upsample_v7_2x_subtle::1::{job}::SOLO", "Upscale (Subtle)"),
            _button(f"MJ::JOB::upsample_v7_2x_creative::1::{job}::SOLO", "Upscale (Creative)"),
            _button(f"MJ::JOB::animate_high::1::{job}::SOLO", "Animate (High motion)"),
            _button(f"MJ::JOB::animate_low::1::{job}::SOLO", "Animate (Low motion)"),
            _button(f"MJ::BOOKMARK::{job}", emoji="❤️"),
        ]
    if action in VIDEO_ACTIONS:
        return [
            _button(f"MJ::JOB::animate_high_extend::1::{job}::SOLO", "Extend (High motion)"),
            _button(f"MJ::JOB::animate_low_extend::1::{job}::SOLO", "Extend (Low motion)"),
        ]
    return []


class FakeMidjourney:
    """Answers ``/mj/...`` (and ``/mj-fast/mj/...``, ``/mj-turbo/mj/...``, ``/mj-relax/mj/...``) from scripts.

    Each submit (imagine, action, blend, describe, video) takes the next script of ``then``, else
    ``defaults[kind]``; submit/modal takes none: it resumes the task waiting for it. Task ids count up from
    1733471234567890. Each poll of a task (a fetch, or a list-by-condition naming it) moves it one step: by default
    the first poll shows IN_PROGRESS "50%" and the second SUCCESS, with ``imageUrl`` at ``/mj/image/{id}.png``.
    Buttons and the look of the result follow the task's action (UPSCALE: vary, zoom, pan, animate...; VIDEO:
    extend and ``videoUrl``; DESCRIBE: four numbered prompts). A CustomZoom or Inpaint button answers code 21
    "Waiting for window confirm" and its task stays MODAL until POST submit/modal names it."""

    def __init__(self, api: FakeImageAPI) -> None:
        self.api = api
        self.calls: list[Call] = []
        self.script: deque[Script] = deque()
        self.defaults: dict[str, Script] = {kind: Script() for kind in SUBMIT_KINDS}
        self.tasks: dict[str, MjTask] = {}
        # Served under /mj/image/{name}: bytes and content type.
        self.files: dict[str, tuple[bytes, str]] = {}
        self.reads: Counter[str] = Counter()
        # False: POST task/list-by-condition answers 404, as on relays without it.
        self.list_by_condition = True
        # True: each file under /mj/image/ can be read once, then answers 404.
        self.expire_after_one_read = False
        # How a fetch of an unknown or forgotten task is answered: (status, JSON body); (200, None) sends `null`.
        self.missing_task_answer: tuple[int, Any] = (404, {"code": 4, "description": "task_no_found"})
        self.received = asyncio.Event()
        self._next_id = FIRST_TASK_ID

    def add_routes(self, app: web.Application) -> None:
        """Add every route under every mode prefix."""
        for prefix in PREFIXES:
            for kind in SUBMIT_KINDS:
                app.router.add_post(f"{prefix}/submit/{kind}", self.submit)
            app.router.add_get(prefix + "/task/{id}/fetch", self.fetch)
            app.router.add_post(f"{prefix}/task/list-by-condition", self.list_tasks)
            app.router.add_get(prefix + "/image/{name}", self.image)

    # Scripting and switches

    def then(self, *scripts: Script) -> None:
        """The next submits follow these scripts, in order."""
        self.script.extend(scripts)

    def forget(self, task_id: str) -> None:
        """The task no longer exists: fetch answers ``missing_task_answer``, list-by-condition leaves it out."""
        self.tasks[task_id].forgotten = True

    # Assertions

    @property
    def submits(self) -> list[Call]:
        """The calls to submit/*, in order."""
        return [call for call in self.calls if "/submit/" in call.path]

    @property
    def polls(self) -> list[Call]:
        """The fetch and list-by-condition calls, in order."""
        return [call for call in self.calls if call.path.endswith(("/fetch", "/list-by-condition"))]

    @property
    def modes(self) -> list[str]:
        """The mode of each submit, by its prefix: "", "fast", "turbo" or "relax"."""
        return [_mode(call.path) for call in self.submits]

    def task(self, task_id: str) -> MjTask:
        """The task with this id (KeyError if the fake never made it)."""
        return self.tasks[task_id]

    @property
    def last_task(self) -> MjTask:
        """The task made last."""
        if not self.tasks:
            raise AssertionError("no Midjourney task was made")
        return list(self.tasks.values())[-1]

    def url(self, name: str) -> str:
        """The URL of a file under /mj/image/."""
        return f"http://127.0.0.1:{self.api.port}/mj/image/{name}"

    def task_json(self, task: MjTask) -> dict[str, Any]:
        """The task as fetch and list-by-condition show it."""
        step = task.step
        done = step.status in ("SUCCESS", "FAILURE", "CANCEL")
        success = step.status == "SUCCESS"
        image_url = video_url = ""
        video_urls: list[dict[str, str]] = []
        if step.status == "IN_PROGRESS" and step.preview is not None:
            image_url = self.url(f"{task.id}-{task.position}.png")
        if success:
            image_url = self.url(f"{task.id}.png")
        if success and task.action in VIDEO_ACTIONS:
            video_urls = [{"url": self.url(f"{task.id}-{i}.mp4")} for i in range(len(task.script.videos or [MP4]))]
            video_url = video_urls[0]["url"]
        prompt = task.prompt
        if task.action == "DESCRIBE":
            prompt = _numbered(task.script.prompts or DESCRIBE_PROMPTS) if success else ""
        return {
            "id": task.id,
            "action": task.script.action or task.action,
            "customId": task.custom_id,
            "botType": task.bot_type,
            "prompt": prompt,
            "promptEn": prompt,
            "description": task.description,
            "state": task.state,
            "submitTime": task.submit_time,
            "startTime": task.submit_time + 2000 if task.position >= 0 else 0,
            "finishTime": task.submit_time + 60000 if done else 0,
            "imageUrl": image_url,
            "videoUrl": video_url,
            "videoUrls": video_urls,
            "status": step.status,
            "progress": step.progress,
            "failReason": task.script.fail_reason if step.status == "FAILURE" else "",
            "buttons": task.buttons if success else [],
            "properties": {"finalPrompt": prompt, "finalZhPrompt": ""},
        }

    # Handlers

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

    async def submit(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        self.received.set()
        if not isinstance(body, dict):
            return raw_json({"code": 4, "description": "参数错误"})
        kind = request.path.rsplit("/", 1)[1]
        if kind == "modal":
            return self._modal(body)
        script = self.script.popleft() if self.script else self.defaults[kind]
        if script.http_status != 200:
            return raw_json(script.body, script.http_status, script.headers)
        if not script.accepted:
            properties = dict(script.properties)
            if script.code == 24 and properties.get("promptEn") is None and "promptEn" in properties:
                properties["promptEn"] = body.get("prompt", "")
            return raw_json({"code": script.code, "description": script.description, "properties": properties,
                             "result": None})  # fmt: skip
        mode = _mode(request.path)
        if kind == "action":
            return self._action(body, script, mode)
        action = {"imagine": "IMAGINE", "blend": "BLEND", "describe": "DESCRIBE", "video": "VIDEO"}[kind]
        prompt = str(body.get("prompt") or "")
        parent = str(body.get("taskId") or "")
        task = self._make(kind, action, mode, body, script, prompt=prompt, parent_id=parent,
                          bot_type=str(body.get("botType") or "MID_JOURNEY"))  # fmt: skip
        task.description = f"/{kind} {prompt}".rstrip()
        return self._accepted(script, task.id)

    def _action(self, body: dict[str, Any], script: Script, mode: str) -> web.Response:
        custom_id = str(body.get("customId") or "")
        parent = self.tasks.get(str(body.get("taskId") or ""))
        if parent is None or parent.forgotten:
            return raw_json(NOT_FOUND, 404)
        if parent.status != "SUCCESS":
            return raw_json({"code": 4, "description": "关联任务状态错误"})
        if custom_id not in [button["customId"] for button in parent.buttons]:
            return raw_json({"code": 4, "description": f"customId is not among task {parent.id}'s buttons"})
        action = _action_of(custom_id)
        modal = custom_id.startswith(("MJ::CustomZoom::", "MJ::Inpaint::"))
        task = self._make("action", action, mode, body, script, prompt=parent.prompt, parent_id=parent.id,
                          bot_type=parent.bot_type, custom_id=custom_id, modal=modal)  # fmt: skip
        if modal:
            task.description = "Waiting for window confirm"
            properties = {"finalPrompt": parent.prompt, "remix": True}
            return raw_json({"code": 21, "description": task.description, "properties": properties, "result": task.id})
        task.description = f"/action {custom_id}"
        return self._accepted(script, task.id)

    def _modal(self, body: dict[str, Any]) -> web.Response:
        task = self.tasks.get(str(body.get("taskId") or ""))
        if task is None or task.forgotten:
            return raw_json(NOT_FOUND, 404)
        if not task.waiting_for_modal:
            return raw_json({"code": 4, "description": "关联任务状态错误: not waiting for a modal"})
        task.modals.append(body)
        task.released.add(task.position)
        if body.get("prompt"):
            task.prompt = str(body["prompt"])
        return raw_json({"code": 1, "description": "提交成功", "properties": {}, "result": task.id})

    def _accepted(self, script: Script, task_id: str) -> web.Response:
        return raw_json({"code": script.code, "description": script.description,
                         "properties": dict(script.properties), "result": task_id})  # fmt: skip

    def _make(
        self,
        kind: str,
        action: str,
        mode: str,
        body: dict[str, Any],
        script: Script,
        *,
        prompt: str,
        parent_id: str,
        bot_type: str,
        custom_id: str = "",
        modal: bool = False,
    ) -> MjTask:
        """Make a task, store its files and register it."""
        number = self._next_id - FIRST_TASK_ID
        task_id = str(self._next_id)
        self._next_id += 1
        timeline = [_step(step) for step in script.steps]
        if modal and (not timeline or timeline[0].status != "MODAL"):
            timeline.insert(0, Step("MODAL", "0%"))
        last = timeline[-1].progress if timeline else "0%"
        if script.end == "SUCCESS":
            timeline.append(Step("SUCCESS", "100%"))
        elif script.end is not None:
            timeline.append(Step(script.end, last))
        job = str(uuid.UUID(bytes=hashlib.md5(task_id.encode()).digest()))
        buttons = script.buttons if script.buttons is not None else default_buttons(action, job)
        task = MjTask(
            id=task_id,
            kind=kind,
            action=action,
            mode=mode,
            prompt=prompt,
            bot_type=bot_type,
            custom_id=custom_id,
            parent_id=parent_id,
            body=body,
            script=script,
            timeline=timeline,
            hash=job,
            submit_time=FIRST_SUBMIT_TIME + number * 1000,
            buttons=list(buttons),
            state=str(body.get("state") or ""),
        )
        if modal:
            task.position = 0
        for index, step in enumerate(timeline):
            if step.preview is not None:
                self.files[f"{task_id}-{index}.png"] = (step.preview, "image/png")
        self.files[f"{task_id}.png"] = (script.image if script.image is not None else grid_png(), "image/png")
        for index, video in enumerate(script.videos or [MP4]):
            self.files[f"{task_id}-{index}.mp4"] = (video, "video/mp4")
        self.tasks[task_id] = task
        return task

    async def fetch(self, request: web.Request) -> web.Response:
        await self._record(request)
        task = self.tasks.get(request.match_info["id"])
        if task is None or task.forgotten:
            status, body = self.missing_task_answer
            return raw_json(body, status)
        task.advance()
        return raw_json(self.task_json(task))

    async def list_tasks(self, request: web.Request) -> web.Response:
        body = await self._record(request)
        if not self.list_by_condition:
            return web.Response(status=404, text="404 page not found")
        ids = body.get("ids") if isinstance(body, dict) else None
        answer = []
        for task_id in dict.fromkeys(str(one) for one in ids or []):
            task = self.tasks.get(task_id)
            if task is None or task.forgotten:
                continue
            task.advance()
            answer.append(self.task_json(task))
        return raw_json(answer)

    async def image(self, request: web.Request) -> web.Response:
        await self._record(request)
        name = request.match_info["name"]
        if name not in self.files:
            return web.Response(status=404)
        if request.method == "GET":
            self.reads[name] += 1
            if self.expire_after_one_read and self.reads[name] > 1:
                return web.Response(status=404)
        blob, content_type = self.files[name]
        return web.Response(body=blob, content_type=content_type)


def _mode(path: str) -> str:
    """The mode of a request path by its prefix: "", "fast", "turbo" or "relax"."""
    first = path.split("/")[1]
    return first.removeprefix("mj-") if first.startswith("mj-") else ""


def _numbered(prompts: list[str]) -> str:
    """Describe's answer: the prompts numbered with emoji digits, a blank line apart."""
    return "\n\n".join(f"{DIGITS[index]} {prompt}" for index, prompt in enumerate(prompts[:4]))
