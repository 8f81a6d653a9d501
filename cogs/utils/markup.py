"""User-typed text made inert: shown in Discord exactly as typed, never rendered as markup, links or mentions."""

from __future__ import annotations

import re
from collections.abc import Mapping

# Characters that let text run right to left or hide its order; a prompt could use them to disguise a link.
BIDI_CONTROLS = dict.fromkeys(map(ord, "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))
# Discord's markdown, mentions, timestamps, custom emoji and masked links all start with one of these.
_MARKUP = re.compile(r"([\\*_~|`\[\]<@])")
# Markup that only counts at the start of a line: headings, subtext, quotes, lists.
_LINE_START = re.compile(r"^([#>+-])(?=[\s#])")
_NUMBERED = re.compile(r"^(\d+)\.(?=\s)")
# ``https://…`` (any scheme) is turned into a link; a zero-width space after the colon stops that.
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*):(?=//)")
# ``discord.gg/…`` and other host names with a path become links or invites without a scheme too.
_HOST_WITH_PATH = re.compile(r"(?i)\b([a-z0-9-]+)\.([a-z]{2,})(?=/)")
ZERO_WIDTH_SPACE = "\u200b"


def inert(text: str, limit: int | None = None) -> str:
    """``text`` shown as plain text: Discord markdown and masked links escaped, links and invites broken,
    mentions and timestamps shown as typed, bidirectional controls removed, lines joined into one.

    With ``limit``, the result is at most that long (cut with an ellipsis), and never ends in half an escape.
    """
    shown = _inert(text)
    if limit is None or len(shown) <= limit:
        return shown
    raw = _plain(text)
    cut = min(len(raw), limit)
    while cut > 0:
        shown = _inert(raw[:cut].rstrip()) + "…"
        if len(shown) <= limit:
            return shown
        cut -= max(1, len(shown) - limit)
    return "…"[:limit]


# Parameters that are Unix times; the texts show them as Discord timestamps, in each reader's own time zone.
TIME_PARAMS = ("reset", "ready", "until")


def with_times(params: Mapping[str, object]) -> dict[str, object]:
    """``params`` with each Unix time also as Discord timestamps: ``<name>_time``, ``_relative`` and ``_date``."""
    shown = dict(params)
    for name in TIME_PARAMS:
        value = params.get(name)
        if isinstance(value, int | float) and not isinstance(value, bool):
            moment = int(value)
            shown |= {f"{name}_time": f"<t:{moment}:t>", f"{name}_relative": f"<t:{moment}:R>",
                      f"{name}_date": f"<t:{moment}:f>"}  # fmt: skip
    return shown


def _plain(text: str) -> str:
    return " ".join(text.translate(BIDI_CONTROLS).split())


def _inert(text: str) -> str:
    text = _MARKUP.sub(r"\\\1", _plain(text))
    text = _NUMBERED.sub(r"\1\\.", _LINE_START.sub(r"\\\1", text))
    text = _SCHEME.sub(lambda match: match[1] + ":" + ZERO_WIDTH_SPACE, text)
    return _HOST_WITH_PATH.sub(lambda match: match[1] + ZERO_WIDTH_SPACE + "." + match[2], text)
