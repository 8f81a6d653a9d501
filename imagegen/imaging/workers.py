"""The worker thread for CPU-heavy image work: decoding answers, checking and re-encoding images.

One thread, not the default pool: JSON and base64 decoding hold the GIL, and several threads doing it at once
keep the event loop waiting for the GIL far longer than one does (measured in bench/: with the default pool the
loop stalled up to ~140 ms; with one worker, under 70 ms, and throughput rose).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_EXECUTOR = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-work")


async def run(func: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """Run ``func`` on the image worker thread and wait for it without blocking the event loop."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_EXECUTOR, functools.partial(func, *args, **kwargs))


def shutdown() -> None:
    """Stop the worker thread once the work in hand is done; for the end of the process."""
    _EXECUTOR.shutdown(wait=True, cancel_futures=True)
