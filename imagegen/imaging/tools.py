"""The single-image tools under a picked image: what each asks the edits endpoint for, decided in two steps.

``plan`` runs before admission, from the image's width and height (known without reading it), so the size, and
so the price, is counted against the limits; ``render`` runs after the acknowledgement and builds what is sent
(the image, and the canvas and mask of an outpainting) at exactly the planned size.
"""

from __future__ import annotations

import dataclasses

from ..catalogue.entries import ModelInfo
from ..errors import InvalidRequest
from ..model import ImageRequest
from . import canvas, uploads

VARY = ("subtle", "strong")
ZOOM = {"zoom-1.5": 1.5, "zoom-2": 2.0}
PAN = {f"pan-{direction}": direction for direction in canvas.DIRECTIONS}
UPSCALE = "upscale"
EDIT = "edit"
TOOLS = (*VARY, *ZOOM, *PAN, UPSCALE, EDIT)

# What each tool adds to the prompt, so the model knows what to do with the image (English works for every model).
_INSTRUCTIONS = {
    "subtle": "a subtle variation of the given image: keep its composition, subjects and colours, change small details",
    "strong": "a strong variation of the given image: keep its subject and idea, freely change composition and details",
    "zoom": "zoomed out: keep the picture in the middle as it is, continue the scene naturally into the empty border",
    "pan": "keep the picture unchanged and continue the scene naturally into the empty side",
    "upscale": "the same image at a higher resolution with finer detail, otherwise unchanged",
}


def offered(info: ModelInfo) -> list[str]:
    """The tools a model can do: variations need references, zoom and pan a mask (the edits endpoint), upscale
    a catalogue entry that says so; Edit opens a form and uses the server's model, so it is always there."""
    tools: list[str] = []
    if info.references:
        tools += VARY
    if info.references == "edits":
        tools += [*ZOOM, *PAN]
        if info.upscale:
            tools.append(UPSCALE)
    return [*tools, EDIT]


def plan(request: ImageRequest, tool: str, width: int, height: int, info: ModelInfo) -> ImageRequest:
    """The request ``tool`` makes from ``request`` (the picked image's job) for an image of ``width``×``height``:
    one image, its size decided; raises InvalidRequest when the model has no size for it."""
    if tool not in offered(info) or tool == EDIT:
        raise InvalidRequest("tool.unavailable", model=request.model)
    family = tool.split("-", 1)[0]
    rule = info.sizes
    fidelity = ""
    if tool in VARY:
        size = canvas.fit(width, height, rule)
        fidelity = "high" if tool == "subtle" else "low"
    elif tool in ZOOM:
        size = canvas.fit(width, height, rule)
    elif tool in PAN:
        size = canvas.pan_size(width, height, PAN[tool], rule)
        if size is None:
            raise InvalidRequest("tool.no_room", model=request.model)
    else:
        size = canvas.largest(width, height, rule)
        fidelity = "high"
        if size is None:
            raise InvalidRequest("tool.largest", model=request.model)
    addition = ", ".join(part for part in (_without_instruction(request), _INSTRUCTIONS[family]) if part)
    return dataclasses.replace(
        request, n=1, size=size or "auto", references=(), mask=None, previews=0, tool=tool, addition=addition,
        fidelity=fidelity,
    )  # fmt: skip


def _without_instruction(request: ImageRequest) -> str:
    """What a request adds to its prompt, but the instruction of the tool that made it: a zoom of a zoom says
    "zoomed out" once (its style's phrase stays)."""
    made_by = _INSTRUCTIONS.get(request.tool.split("-", 1)[0], "") if request.tool else ""
    if made_by and request.addition.endswith(made_by):
        return request.addition.removesuffix(made_by).removesuffix(", ")
    return request.addition


def render(request: ImageRequest, data: bytes) -> ImageRequest:
    """``request`` (as planned) with what it sends made from the picked image ``data``; raises UploadRejected.
    Blocking: run it on the image worker."""
    tool = request.tool
    size = canvas.within(request.size, uploads.MAX_REFERENCE_SIDE) if "x" in request.size else request.size
    if tool in ZOOM:
        made = canvas.zoom_out(data, ZOOM[tool], size)
    elif tool in PAN:
        made = canvas.pan(data, PAN[tool], size)
    else:
        return dataclasses.replace(request, references=(uploads.prepare_reference(data),))
    return dataclasses.replace(request, references=(made.image,), mask=made.mask)
