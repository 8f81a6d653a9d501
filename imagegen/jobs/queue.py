"""A fair queue: a global limit on running work, a per-user limit on waiting work, round robin between users."""

from __future__ import annotations

import asyncio
import logging
from collections import Counter, OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ..errors import ShuttingDown
from .ledger import check_room

log = logging.getLogger(__name__)


class Place:
    """A place held in the queue for one job, from the user's request until the job is submitted or dropped."""

    def __init__(self, queue: FairQueue, user_id: int) -> None:
        self.queue = queue
        self.user_id = user_id
        self.held = True

    def release(self) -> None:
        """Give the place back if it was not used; doing so twice is harmless."""
        if self.held:
            self.held = False
            self.queue._reserved[self.user_id] -= 1


@dataclass
class Entry:
    """One piece of work in the queue, and whose it is."""

    job_id: int
    user_id: int
    work: Callable[[], Awaitable[None]]


class FairQueue:
    """Runs at most ``max_running`` entries at once, taking users in turn rather than first come, first served."""

    def __init__(self, max_running: int, max_per_user: int, max_waiting: int) -> None:
        self.max_running = max_running
        self.max_per_user = max_per_user
        self.max_waiting = max_waiting
        self.closed = False
        self._waiting: OrderedDict[int, deque[Entry]] = OrderedDict()
        self._running: dict[int, tuple[Entry, asyncio.Task[None]]] = {}
        # Running entries that only wait on a task at the relay: they leave their slot to others.
        self._parked: set[int] = set()
        self._positions: dict[int, int] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._reserved: Counter[int] = Counter()

    @property
    def waiting(self) -> int:
        """How many entries wait, counting places held for entries about to be submitted."""
        return sum(len(entries) for entries in self._waiting.values()) + self._reserved.total()

    @property
    def running(self) -> int:
        """How many entries run now."""
        return len(self._running)

    def pending_for(self, user_id: int) -> int:
        """How many entries of this user wait, run, or are about to be submitted."""
        waiting = len(self._waiting.get(user_id, ())) + self._reserved[user_id]
        return waiting + sum(1 for entry, _ in self._running.values() if entry.user_id == user_id)

    def check_room(self, user_id: int) -> None:
        """Raise if a new entry of this user would not be taken; cheap enough to call before anything else."""
        if self.closed:
            raise ShuttingDown()
        total = self.max_waiting + self.max_running
        check_room(self.pending_for(user_id), self.waiting + self.running, self.max_per_user, total)

    def reserve(self, user_id: int) -> Place:
        """Hold a place for a job of this user, or raise at once if there is none.

        Acknowledging and recording a request take a moment; the place keeps a burst of requests from all
        passing the check before any of them is queued.
        """
        self.check_room(user_id)
        self._reserved[user_id] += 1
        return Place(self, user_id)

    def submit(self, entry: Entry, place: Place | None = None) -> None:
        """Queue ``entry`` (in its held ``place``, if any); it starts as soon as its turn and a free slot come."""
        if place is not None and place.held:
            place.release()
            if self.closed:
                raise ShuttingDown()
        else:
            self.check_room(entry.user_id)
        self._waiting.setdefault(entry.user_id, deque()).append(entry)
        self._positions = None
        self._idle.clear()
        self._pump()

    def position(self, job_id: int) -> int | None:
        """1 for the next entry to start, 2 for the one after…; None once it runs or has left."""
        if self._positions is None:
            self._positions = {entry.job_id: index for index, entry in enumerate(self._order(), start=1)}
        return self._positions.get(job_id)

    async def wait_idle(self) -> None:
        """Return once nothing waits or runs."""
        await self._idle.wait()

    def cancel(self, job_id: int) -> bool:
        """Take a waiting entry out of the queue; False if it is not waiting (running, done or unknown)."""
        for user_id, entries in self._waiting.items():
            for entry in entries:
                if entry.job_id == job_id:
                    entries.remove(entry)
                    if not entries:
                        del self._waiting[user_id]
                    self._positions = None
                    self._settle()
                    return True
        return False

    def _order(self) -> list[Entry]:
        # The order entries will start in: each user's first, in turn, then each user's second, and so on.
        queues = list(self._waiting.values())
        order: list[Entry] = []
        depth = 0
        while True:
            layer = [entries[depth] for entries in queues if len(entries) > depth]
            if not layer:
                return order
            order.extend(layer)
            depth += 1

    def _next(self) -> Entry | None:
        if not self._waiting:
            return None
        user_id, entries = next(iter(self._waiting.items()))
        entry = entries.popleft()
        del self._waiting[user_id]
        if entries:
            self._waiting[user_id] = entries  # to the back of the line
        self._positions = None
        return entry

    def park(self, job_id: int) -> None:
        """The running entry only waits on a task at the relay now: another may take its slot."""
        if job_id in self._running and job_id not in self._parked:
            self._parked.add(job_id)
            if not self.closed:
                self._pump()

    def _pump(self) -> None:
        while len(self._running) - len(self._parked) < self.max_running:
            entry = self._next()
            if entry is None:
                return
            task = asyncio.create_task(self._run(entry), name=f"job-{entry.job_id}")
            self._running[entry.job_id] = (entry, task)

    async def _run(self, entry: Entry) -> None:
        try:
            await entry.work()
        except Exception:
            log.exception("job %s failed unexpectedly", entry.job_id)
        finally:
            self._running.pop(entry.job_id, None)
            self._parked.discard(entry.job_id)
            if not self.closed:
                self._pump()
            self._settle()

    def _settle(self) -> None:
        if not self._running and not self._waiting:
            self._idle.set()

    async def close(self, grace: float) -> tuple[list[Entry], list[Entry]]:
        """Stop taking entries; give running ones ``grace`` seconds, then cancel them.

        Returns the entries that never started and those that were cut short.
        """
        self.closed = True
        never_started = [entry for entries in self._waiting.values() for entry in entries]
        self._waiting.clear()
        self._positions = None
        self._settle()
        tasks = {task: entry for entry, task in self._running.values()}
        if not tasks:
            return never_started, []
        _, late = await asyncio.wait(tasks, timeout=grace)
        for task in late:
            task.cancel()
        await asyncio.gather(*late, return_exceptions=True)
        return never_started, [tasks[task] for task in late]
