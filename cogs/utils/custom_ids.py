"""Every custom id the bot puts on a button or a form, in one place: how it is written and how it is read back.

A custom id is only a string that comes back with a click or a submission: it carries the job (or the message)
and nothing else, so buttons and forms work after a restart and whatever a client sends is checked again.
"""

from __future__ import annotations

import re

JOB_ACTIONS = ("cancel", "rerun", "reroll", "remix", "delete", "try", "vary", "report", "remove", "pick")
# A single-image tool under a picked image: imagine:tool:<job>:<tool> (tools as imagegen.tools.TOOLS names them).
TOOL_TEMPLATE = r"imagine:tool:(?P<job>\d+):(?P<tool>[a-z0-9.-]{1,20})"
# A prompt /describe proposed: imagine:idea:<description>:<1-4>.
IDEA_TEMPLATE = r"imagine:idea:(?P<description>\d+):(?P<index>\d)"
REMIX_FORM = "imagine:remix-modal:"
EDIT_FORM = "imagine:edit-modal:"
_REMIX = re.compile(re.escape(REMIX_FORM) + r"(\d+)")
_EDIT = re.compile(re.escape(EDIT_FORM) + r"(\d+):(\d+):(\d+)")


def job_action(action: str, job_id: int, index: int | None = None) -> str:
    """``imagine:<action>:<job>[:<image>]``: a button about one job (and one of its images)."""
    return f"imagine:{action}:{job_id}" + (f":{index}" if index is not None else "")


def job_template(action: str) -> str:
    """The pattern ``job_action`` writes for ``action``, with the groups ``job`` and ``index``."""
    return rf"imagine:{action}:(?P<job>\d+)(?::(?P<index>\d+))?"


def tool(job_id: int, name: str) -> str:
    """The button of the single-image tool ``name`` under an image of a job."""
    return f"imagine:tool:{job_id}:{name}"


def idea(description_id: int, index: int) -> str:
    """The button that draws prompt ``index`` (from 1) of a /describe answer."""
    return f"imagine:idea:{description_id}:{index}"


def remix_form(job_id: int) -> str:
    """The Remix form of a job."""
    return f"{REMIX_FORM}{job_id}"


def edit_form(channel_id: int, message_id: int, index: int) -> str:
    """The Edit image form for image ``index`` of a message."""
    return f"{EDIT_FORM}{channel_id}:{message_id}:{index}"


def read_remix(custom_id: str) -> int | None:
    """The job of a Remix form, or None if ``custom_id`` is not one."""
    found = _REMIX.fullmatch(custom_id)
    return int(found[1]) if found else None


def read_edit(custom_id: str) -> tuple[int, int, int] | None:
    """The channel, message and image index of an Edit image form, or None if ``custom_id`` is not one."""
    found = _EDIT.fullmatch(custom_id)
    return (int(found[1]), int(found[2]), int(found[3])) if found else None
