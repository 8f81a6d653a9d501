"""Runs the bot exactly as ``python bot.py`` does, plus what the benchmarks read from inside it.

On SIGUSR1 it appends one JSON line to $BENCH_STATS: CPU seconds so far, peak RSS so far, and the event-loop
lag seen since the previous line (a 10 ms ticker measures how late it wakes).
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import signal
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot  # noqa: E402
import cli  # noqa: E402
from imagegen.catalogue.entries import BUNDLED, Catalogue  # noqa: E402
from imagegen.settings import load_settings  # noqa: E402

TICK = 0.01


def peak_rss_mb() -> float:
    # VmHWM, not ru_maxrss: after fork and exec, ru_maxrss still counts the parent's peak.
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def probe(stats: Path) -> int:
    settings = load_settings(os.environ)
    cli.start_logging(settings)
    cli.point_discord_at(settings)
    lags: list[float] = []

    async def ticker() -> None:
        while True:
            before = time.perf_counter()
            await asyncio.sleep(TICK)
            lags.append(time.perf_counter() - before - TICK)

    def snapshot() -> None:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        ordered = sorted(lags)
        line = {
            "cpu": usage.ru_utime + usage.ru_stime,
            "max_rss_mb": peak_rss_mb(),
            "lag_max_ms": 1000 * (ordered[-1] if ordered else 0.0),
            "lag_p99_ms": 1000 * (ordered[int(0.99 * (len(ordered) - 1))] if ordered else 0.0),
        }
        lags.clear()
        with stats.open("a") as file:
            file.write(json.dumps(line) + "\n")

    asyncio.get_running_loop().add_signal_handler(signal.SIGUSR1, snapshot)
    task = asyncio.create_task(ticker())
    try:
        return await bot.run(settings, Catalogue.load(BUNDLED))
    finally:
        task.cancel()


if __name__ == "__main__":
    sys.exit(cli.run_loop(probe(Path(os.environ["BENCH_STATS"]))))
