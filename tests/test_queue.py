"""The fair queue: round robin between users, limits, positions, cancel and close."""

from __future__ import annotations

import asyncio

import pytest

from imagegen.errors import QueueFull, ShuttingDown, UserQueueFull
from imagegen.jobs.queue import Entry, FairQueue


class Recorder:
    """Work that records when it starts and finishes when the test says."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.gates: dict[int, asyncio.Event] = {}
        self.changed = asyncio.Event()

    def entry(self, job_id: int, user_id: int) -> Entry:
        gate = self.gates.setdefault(job_id, asyncio.Event())

        async def work() -> None:
            self.started.append(job_id)
            self.changed.set()
            await gate.wait()

        return Entry(job_id, user_id, work)

    async def until_started(self, count: int) -> None:
        while len(self.started) < count:
            self.changed.clear()
            await asyncio.wait_for(self.changed.wait(), 5)

    def finish(self, job_id: int) -> None:
        self.gates[job_id].set()


async def test_users_are_taken_in_turn_not_first_come_first_served() -> None:
    queue, work = FairQueue(max_running=1, max_per_user=10, max_waiting=100), Recorder()
    queue.submit(work.entry(1, user_id=9))
    for job_id in (10, 11, 12):
        queue.submit(work.entry(job_id, user_id=1))
    queue.submit(work.entry(20, user_id=2))
    queue.submit(work.entry(30, user_id=3))
    assert [queue.position(job_id) for job_id in (10, 20, 30, 11, 12)] == [1, 2, 3, 4, 5]
    for done, count in ((1, 2), (10, 3), (20, 4), (30, 5), (11, 6)):
        await work.until_started(count - 1)
        work.finish(done)
    await work.until_started(6)
    assert work.started == [1, 10, 20, 30, 11, 12]
    work.finish(12)
    await asyncio.wait_for(queue.wait_idle(), 5)


async def test_no_more_than_the_limit_run_at_once() -> None:
    queue, work = FairQueue(max_running=2, max_per_user=10, max_waiting=100), Recorder()
    for job_id in range(5):
        queue.submit(work.entry(job_id, user_id=job_id))
    await work.until_started(2)
    assert queue.running == 2 and queue.waiting == 3
    assert queue.position(0) is None and queue.position(2) == 1
    for job_id in range(5):
        work.finish(job_id)
    await asyncio.wait_for(queue.wait_idle(), 5)
    assert sorted(work.started) == [0, 1, 2, 3, 4]


async def test_a_user_at_their_limit_and_a_full_queue_are_refused() -> None:
    queue, work = FairQueue(max_running=1, max_per_user=2, max_waiting=2), Recorder()
    queue.submit(work.entry(1, user_id=1))
    queue.submit(work.entry(2, user_id=1))
    with pytest.raises(UserQueueFull) as caught:
        queue.submit(work.entry(3, user_id=1))
    assert caught.value.params == {"limit": 2}
    queue.submit(work.entry(4, user_id=2))
    with pytest.raises(QueueFull):
        queue.check_room(3)
    for job_id in (1, 2, 4):
        work.finish(job_id)
    await asyncio.wait_for(queue.wait_idle(), 5)


async def test_a_cancelled_entry_never_runs_and_the_line_moves_up() -> None:
    queue, work = FairQueue(max_running=1, max_per_user=5, max_waiting=10), Recorder()
    for job_id, user in ((1, 1), (2, 2), (3, 3)):
        queue.submit(work.entry(job_id, user))
    assert queue.cancel(2) and not queue.cancel(2) and not queue.cancel(1)
    assert queue.position(3) == 1
    work.finish(1)
    work.finish(3)
    await asyncio.wait_for(queue.wait_idle(), 5)
    assert work.started == [1, 3]


async def test_closing_returns_what_never_started_and_cuts_short_what_overruns_the_grace() -> None:
    queue, work = FairQueue(max_running=2, max_per_user=5, max_waiting=10), Recorder()
    for job_id in (1, 2, 3):
        queue.submit(work.entry(job_id, job_id))
    await work.until_started(2)
    work.finish(1)
    never_started, cut_short = await queue.close(grace=0.05)
    assert [entry.job_id for entry in never_started] == [3]
    assert [entry.job_id for entry in cut_short] == [2]
    with pytest.raises(ShuttingDown):
        queue.check_room(7)


async def test_a_held_place_counts_until_it_is_used_or_given_back() -> None:
    queue, work = FairQueue(max_running=1, max_per_user=1, max_waiting=1), Recorder()
    place = queue.reserve(1)
    with pytest.raises(UserQueueFull):
        queue.reserve(1)
    other = queue.reserve(2)
    with pytest.raises(QueueFull):
        queue.reserve(3)
    other.release()
    other.release()
    queue.submit(work.entry(10, 1), place)
    assert not place.held and queue.pending_for(1) == 1
    await work.until_started(1)
    work.finish(10)
    await asyncio.wait_for(queue.wait_idle(), 5)
    assert queue.pending_for(1) == 0 and queue.waiting == 0
