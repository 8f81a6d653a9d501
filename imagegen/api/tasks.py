"""Following tasks at the relay (Midjourney's, videos'): every task in flight polled in rounds a tick apart.

A round takes every task due by the middle of the next tick, so tasks begun at different moments share a round
(and, where the relay answers several at once, a request); each task is then due again after an interval that
grows with its age. Each job following a task hears of every change, and of its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from ..errors import ImageGenError, UpstreamFailed, UpstreamTimeout

log = logging.getLogger(__name__)

# How often a task is polled, by how long it has run: (running less than this many seconds, wait this long).
POLL_INTERVALS: tuple[tuple[float, float], ...] = ((60.0, 2.0), (300.0, 5.0), (math.inf, 10.0))


class TaskGone(UpstreamFailed):
    """The relay no longer knows a task it accepted."""


class Followed(Protocol):
    """What a poll tells of a task: at least whether it has ended."""

    @property
    def ended(self) -> bool: ...


T = TypeVar("T", bound=Followed)
# Asks the relay about the tasks due: each one's state, None for one the relay says is gone.
Fetch = Callable[[list[str]], Awaitable[dict[str, T | None]]]


@dataclass
class _Following(Generic[T]):
    """A task some jobs wait on (two members may click one button, and the relay answer both with one task): its
    answers go to each of their ``listeners``; its next poll is due at ``due``."""

    started: float
    due: float
    listeners: list[asyncio.Queue[T | None]] = field(default_factory=list)


class Poller(Generic[T]):
    """Polls the tasks jobs follow, in rounds: ``fetch`` asks the relay about the tasks due (answering None for a
    task the relay says does not exist, and leaving out one it could not ask about: asked again next round)."""

    def __init__(
        self,
        fetch: Callable[[list[str]], Awaitable[dict[str, T | None]]],
        what: str,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.fetch = fetch
        self.what = what
        self.clock = clock
        self._following: dict[str, _Following[T]] = {}
        self._loop: asyncio.Task[None] | None = None

    async def follow(self, task_id: str, on_progress: Callable[[T], Awaitable[None]], within: float) -> T:
        """Poll the task until it ends (``on_progress`` hears of each change on the way) and return it; raises
        UpstreamTimeout after ``within`` seconds, TaskGone when the relay no longer knows it."""
        now = self.clock()
        following = self._following.setdefault(task_id, _Following(started=now, due=now))
        updates: asyncio.Queue[T | None] = asyncio.Queue()
        following.listeners.append(updates)
        if self._loop is None or self._loop.done():
            self._loop = asyncio.create_task(self._poll())
        last: T | None = None
        deadline = now + within
        try:
            while True:
                try:
                    async with asyncio.timeout(max(0.0, deadline - self.clock())):
                        task = await updates.get()
                except TimeoutError:
                    raise UpstreamTimeout(f"{self.what} task {task_id} unfinished after {within:g}s") from None
                if task is None:
                    raise TaskGone(f"the relay no longer knows {self.what} task {task_id}")
                if task.ended:
                    return task
                if task != last:
                    await on_progress(task)
                last = task
        finally:
            following.listeners.remove(updates)
            if not following.listeners:
                self._following.pop(task_id, None)

    async def close(self) -> None:
        """Stop polling."""
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop

    async def _poll(self) -> None:
        while self._following:
            tick = POLL_INTERVALS[0][1]
            now = self.clock()
            due = [task_id for task_id, following in self._following.items() if following.due <= now + tick / 2]
            if not due:
                await asyncio.sleep(tick)
                continue
            try:
                found = await self.fetch(due)
            except Exception:
                # The loop serves every task in flight: whatever one round meets, the next round tries again.
                log.exception("%s: a polling round failed", self.what)
                found = {}
            now = self.clock()
            for task_id in due:
                following = self._following.get(task_id)
                if following is None:
                    continue
                following.due = now + interval(now - following.started)
                if task_id in found:
                    for updates in following.listeners:
                        updates.put_nowait(found[task_id])
            await asyncio.sleep(tick)


async def each(ids: list[str], fetch: Callable[[str], Awaitable[T | None]], at_once: int) -> dict[str, T | None]:
    """The tasks ``ids`` asked about one request each, ``at_once`` at a time; one that could not be asked about
    (a domain error) is left out, to be asked again next round."""
    found: dict[str, T | None] = {}
    gate = asyncio.Semaphore(at_once)

    async def one(task_id: str) -> None:
        async with gate:
            with contextlib.suppress(ImageGenError):
                found[task_id] = await fetch(task_id)

    await asyncio.gather(*(one(task_id) for task_id in ids))
    return found


def interval(age: float) -> float:
    """How long a task that has run ``age`` seconds waits for its next poll."""
    return next(wait for below, wait in POLL_INTERVALS if age < below)
