"""The model of the domain: what a user asks for (checked against what the image model takes, and the body sent
upstream), and the job that carries it through the queue to its end."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from .catalogue.entries import QUALITY_ORDER, ModelInfo, SizeRule
from .errors import InvalidRequest
from .imaging import uploads
from .safety.screening import Screening

QUALITIES = ("auto", *QUALITY_ORDER)
BACKGROUNDS = ("auto", "transparent", "opaque")

_MODEL_NAME = re.compile(r"[\w.:/@+-]{1,100}")


@dataclass(frozen=True)
class ImageRequest:
    """One /imagine as the user asked for it."""

    prompt: str
    model: str
    n: int = 1
    size: str = "auto"
    quality: str = "auto"
    background: str = "auto"
    moderation: str = "auto"
    # Reference images (already checked and shrunk): with any, the request goes to the edits endpoint.
    references: tuple[bytes, ...] = field(default=(), repr=False)
    # Partial images to stream as live previews (each is billed); 0 for none.
    previews: int = 0
    # The named style chosen (shown in the caption), and what is added to the prompt upstream: the style's phrase
    # or a tool's instruction. The member's own prompt stays as they wrote it.
    style: str = ""
    addition: str = ""
    # The single-image tool that made this request (one of tools.TOOLS, such as "zoom-2", or "blend").
    tool: str = ""
    # For outpainting: PNG the size of the first reference, transparent where new pixels go.
    mask: bytes | None = field(default=None, repr=False)
    # How closely an edit keeps to its reference (``high``/``low``), sent only to models that take it.
    fidelity: str = ""
    # A button of a Midjourney result clicked: its custom id, sent back with the id of the task that gave it.
    action: str = ""
    parent_task: str = ""
    # For a video: how many seconds of clip, and (Midjourney's) whether it loops.
    seconds: int = 0
    loop: bool = False

    @property
    def makes_video(self) -> bool:
        """Whether it makes a clip: /animate (or its button and menu), or Midjourney's Animate and Extend."""
        return self.tool == "animate" or "::animate" in self.action

    @property
    def counts_images(self) -> bool:
        """Whether what it makes counts among the day's images: not a clip (counted in seconds), nor a Describe
        (prompts, billed but not an image)."""
        return not self.seconds and self.tool != "describe"

    @property
    def text(self) -> str:
        """The prompt as sent upstream: the member's, then the style's phrase or the tool's instruction."""
        prompt = self.prompt.strip()
        return f"{prompt}, {self.addition}" if self.addition else prompt

    def endpoint(self, info: ModelInfo) -> str:
        """The API path this request is sent to: edits when it has references and the model takes them so."""
        return "images/edits" if self.references and info.references == "edits" else "images/generations"

    def validated(self, info: ModelInfo, max_images: int, references: int | None = None) -> ImageRequest:
        """This request as it will be sent (its size as the model takes it), or InvalidRequest naming what to change.

        ``references`` counts reference images still to be read, when there are some.
        """
        if not _MODEL_NAME.fullmatch(self.model):
            raise InvalidRequest("invalid.model", model=self.model[:100])
        prompt = self.text
        if not self.prompt.strip():
            raise InvalidRequest("invalid.prompt_empty")
        if len(prompt) > info.prompt_limit:
            raise InvalidRequest(
                "invalid.prompt_too_long",
                length=len(prompt),
                limit=info.prompt_limit,
                model=self.model,
                excess=len(prompt) - info.prompt_limit,
            )
        if not 1 <= self.n <= max_images:
            raise InvalidRequest("invalid.n_range", n=self.n, limit=max_images)
        if self.n > info.max_n:
            raise InvalidRequest("invalid.n_model", n=self.n, limit=info.max_n, model=self.model)
        size = info.sizes.normalise(self.size)
        if size is None or (size != "auto" and info.sizes.kind == "list" and not info.sizes.sizes):
            raise size_refusal(self.model, self.size, info.sizes)
        if self.quality not in QUALITIES:
            raise InvalidRequest("invalid.quality", quality=self.quality, qualities=", ".join(QUALITIES))
        if self.quality != "auto" and self.quality not in info.qualities:
            if info.midjourney:
                # Midjourney takes its quality as parameters in the prompt: say which.
                raise InvalidRequest("invalid.quality_mj", model=self.model)
            if not info.qualities:
                raise InvalidRequest("invalid.quality_model", quality=self.quality, model=self.model)
            raise InvalidRequest(
                "invalid.quality_some", quality=self.quality, model=self.model, qualities=", ".join(info.qualities)
            )
        if self.background not in BACKGROUNDS:
            raise InvalidRequest("invalid.background", background=self.background)
        if self.background != "auto" and not info.background:
            if info.midjourney:
                raise InvalidRequest("invalid.background_mj", model=self.model)
            raise InvalidRequest("invalid.background_model", background=self.background, model=self.model)
        given = references or len(self.references)
        if given and not info.references:
            raise InvalidRequest("invalid.reference_model", model=self.model)
        if given > info.max_references:
            raise InvalidRequest("invalid.references_many", model=self.model, count=given, limit=info.max_references)
        if self.mask is not None and info.references != "edits":
            raise InvalidRequest("invalid.mask_model", model=self.model)
        return replace(self, size=size)

    def edit_fields(self, info: ModelInfo) -> dict[str, str]:
        """The text fields of a multipart ``POST /images/edits``: as ``body()``, but without ``moderation``."""
        fields = {
            key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in self.body(info).items()
        }
        fields.pop("moderation", None)
        if self.fidelity and info.input_fidelity:
            fields["input_fidelity"] = self.fidelity
        return fields

    def body(self, info: ModelInfo) -> dict[str, Any]:
        """The JSON body for ``POST /images/generations``: only what this model takes."""
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.text,
            "n": self.n,
        }
        if self.size != "auto":
            body["size"] = self.size
        if self.quality != "auto" and self.quality in info.qualities:
            body["quality"] = self.quality
        if info.background and self.background != "auto":
            body["background"] = self.background
        if info.moderation and self.moderation != "auto":
            body["moderation"] = self.moderation
        if self.references and info.references == "urls":
            body["image"] = [data_url(data) for data in self.references]
        if self.previews and info.partial_images:
            body["stream"] = True
            body["partial_images"] = self.previews
        return body


def size_refusal(model: str, size: str, rule: SizeRule) -> InvalidRequest:
    """The refusal of a size a model does not take, saying what it takes."""
    shown = size[:40]
    if rule.kind == "ratio":
        return InvalidRequest("invalid.size_ratio", size=shown, model=model, ratios=", ".join(rule.sizes))
    if rule.kind == "free":
        return InvalidRequest(
            "invalid.size_free",
            size=shown,
            model=model,
            multiple=rule.multiple,
            ratio=f"{rule.max_ratio:g}",
            side=rule.max_side or "—",
            examples=", ".join(rule.sizes[:3]),
        )
    if not rule.sizes:
        return InvalidRequest("invalid.size_auto", size=shown, model=model)
    return InvalidRequest("invalid.size_model", size=shown, model=model, sizes=", ".join(rule.sizes))


def size_choices(rule: SizeRule) -> list[str]:
    """The sizes to offer for a model, ``auto`` first."""
    return ["auto", *rule.sizes]


def data_url(data: bytes) -> str:
    """An image as a data URL, for APIs that take images inside JSON."""
    return f"data:image/{uploads.kind(data)};base64," + base64.b64encode(data).decode()


class JobState(StrEnum):
    """Where a job stands."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    REFUSED = "refused"
    FAILED = "failed"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"
    # The images are made and kept, but Discord has not taken them all yet: posting is tried again.
    DELIVERING = "delivering"
    # Kept for the whole retention time and never posted: the images are gone, ``delivery_error`` says why.
    UNDELIVERABLE = "undeliverable"


# States a job leaves by running: a process that stops leaves such jobs interrupted.
UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


@dataclass(frozen=True)
class TaskButton:
    """A button Midjourney put under a result, sent back as it is to act on the task."""

    custom_id: str
    label: str = ""
    emoji: str = ""

    @property
    def asks_prompt(self) -> bool:
        """Whether its task waits for a prompt (Custom Zoom) before it draws."""
        return self.custom_id.startswith("MJ::CustomZoom")


@dataclass
class Job:
    """One /imagine: who asked, where, what, and what became of it. Its images are kept only until posted."""

    user_id: int
    channel_id: int
    guild_id: int | None
    request: ImageRequest
    locale: str = "en-US"
    interaction_id: int | None = None
    message_id: int | None = None
    state: JobState = JobState.QUEUED
    created_at: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    images_delivered: int = 0
    usage: dict[str, Any] | None = None
    error_code: str | None = None
    delivery_error: str | None = None
    notified: bool = False
    # The images that came back (and were paid for), whether or not they were posted.
    images_made: int = 0
    # The largest upload, in bytes, one message may carry where the result is posted.
    upload_limit: int | None = None
    delivery_attempts: int = 0
    next_delivery_at: float | None = None
    # Images made (and paid for) that screening kept from being posted.
    images_withheld: int = 0
    id: int = field(default=0)
    # The process that holds the job (PostgreSQL's shared queue), and until when unless it renews its lease.
    owner: str | None = None
    lease_until: float | None = None
    # What another process needs to carry the job on: the interaction to answer through (its token expires after
    # 15 minutes) and how the job is screened. Forgotten when the job ends.
    handover: dict[str, Any] | None = field(default=None, repr=False)
    # The relay's id of the task that draws it (Midjourney), stored the moment the relay accepts it.
    task_id: str | None = None
    # The buttons its task's result came with (Midjourney's U1, V1, Zoom Out, …), kept for clicks days later.
    task_buttons: tuple[TaskButton, ...] = ()
    # How far the task has come, and how many wait before it in the relay's queue (None: not said); not stored.
    task_progress: int | None = field(default=None, compare=False)
    task_ahead: int | None = field(default=None, compare=False)
    # How the prompt is screened before the image call, decided at admission; not stored (a rerun decides again).
    screening: Screening = field(default_factory=Screening, repr=False, compare=False)

    @property
    def finished(self) -> bool:
        """Whether the job has reached a final state."""
        return self.state not in (*UNFINISHED, JobState.DELIVERING)


@dataclass(frozen=True)
class Description:
    """What /describe answered: prompts for an image, whose buttons draw them in the channel it was asked in."""

    user_id: int
    guild_id: int | None
    channel_id: int
    prompts: tuple[str, ...]
    model: str | None = None
    created_at: float = 0.0
    id: int = 0
