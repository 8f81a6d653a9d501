"""A job's status message: the interaction's reply, rewritten as the job moves, at a bounded rate."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Callable
from typing import Any

import discord

from .conversation import DISCORD_FAILURES, Conversation

log = logging.getLogger(__name__)

Render = Callable[[], tuple[str, discord.ui.View | None]]


class StatusMessage:
    """Rewrites the original response with ``render()`` at most once per ``interval``, only when it changed.

    A live preview given to ``show`` goes out with the next of those edits, as a small attachment. Stopping waits
    for an edit in flight rather than cancelling it, and no edit starts after it, so neither a status nor a
    preview can land after the result.
    """

    def __init__(self, conversation: Conversation, render: Render, interval: float) -> None:
        self.conversation = conversation
        self.render = render
        self.interval = interval
        self.preview: bytes | None = None
        self._preview_shown: bytes | None = None
        self._last: tuple[str, bool] | None = None
        self._stop = asyncio.Event()
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Show the status now, then keep it current until ``stop``."""
        await self.refresh()
        if not self._stop.is_set():
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop updating; returns once no edit is in flight."""
        self._stop.set()
        async with self._lock:
            pass
        if self._task is not None:
            await self._task
            self._task = None

    def show(self, preview: bytes) -> None:
        """Show ``preview`` (a small image) with the next edit; a newer one replaces it before it is sent."""
        self.preview = preview

    @property
    def usable(self) -> bool:
        """Whether the interaction can still take edits and followups."""
        return self.conversation.usable

    async def refresh(self) -> None:
        """Edit the message if what it should say has changed (and the status has not been stopped)."""
        async with self._lock:
            if self._stop.is_set() or not self.usable:
                return
            content, view = self.render()
            key = (content, view is not None)
            preview = self.preview if self.preview is not self._preview_shown else None
            if key == self._last and preview is None:
                return
            extra: dict[str, Any] = {}
            if preview is not None:
                extra["attachments"] = [discord.File(io.BytesIO(preview), filename="preview.webp")]
            try:
                await self.conversation.edit_original(content=content, view=view, **extra)
                self._last = key
                if preview is not None:
                    self._preview_shown = preview
            except DISCORD_FAILURES as error:
                log.debug("status edit failed: %s", error)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval)
                return
            except TimeoutError:
                await self.refresh()
