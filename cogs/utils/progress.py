"""Shows that work is under way by editing the interaction's reply with the elapsed time."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Self

import discord

log = logging.getLogger(__name__)


class Progress:
    """While the block runs, rewrites the original response every ``interval`` seconds.

    Stopping waits for an edit in flight rather than cancelling it, so a late progress edit can never land
    after the result.
    """

    def __init__(
        self,
        interaction: discord.Interaction,
        render: Callable[[float], str],
        interval: float,
    ) -> None:
        self.interaction = interaction
        self.render = render
        self.interval = interval
        self._stop = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._started = 0.0

    async def __aenter__(self) -> Self:
        # The first edit happens before the work starts: from then on the reply is a plain message, so a
        # private followup (an error, a refusal) can never take the place of the public "thinking" state.
        self._started = time.monotonic()
        await self._edit()
        self._task = asyncio.create_task(self._run())
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def _edit(self) -> None:
        try:
            await self.interaction.edit_original_response(content=self.render(time.monotonic() - self._started))
        except discord.HTTPException as error:
            log.debug("progress edit failed: %s", error)

    async def _run(self) -> None:
        while True:
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval)
                return
            except TimeoutError:
                await self._edit()
