"""Benchmarks of the bot against the test fakes: acknowledgement latency, throughput, event-loop lag, memory.

Run with ``uv run python bench/run.py``, or name one scenario: ``ack``, ``speed``, ``memory``. The bot runs as
its own process (``bench/probe.py``, which is ``python bot.py`` plus a meter); the fake Discord and the fake
image API run in this one, on 127.0.0.1. The figures are printed and written to bench/README.md with the
machine they came from.
"""

from __future__ import annotations

import asyncio
import base64
import json
import os
import platform
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fakes.discord import FakeDiscord  # noqa: E402
from tests.fakes.image_api import FakeImageAPI, gated, png  # noqa: E402

USERS = 700000000000000000
ACK_RUNS = 5


@dataclass
class Bot:
    """A probe process and where its meter writes."""

    process: asyncio.subprocess.Process
    stats: Path

    async def snapshot(self) -> dict[str, Any]:
        """Ask the probe for its figures so far and return them."""
        before = self._lines()
        self.process.send_signal(signal.SIGUSR1)
        # The probe answers through a file: there is nothing to wait on but time.
        while self._lines() == before:  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        return json.loads(self.stats.read_text().splitlines()[-1])  # type: ignore[no-any-return]

    def _lines(self) -> int:
        return len(self.stats.read_text().splitlines()) if self.stats.exists() else 0

    async def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        await asyncio.wait_for(self.process.wait(), 60)


async def spawn(
    script: str,
    discord: FakeDiscord,
    api: FakeImageAPI,
    workdir: Path,
    name: str,
    log: Path | None = None,
    /,
    **settings: str,
) -> Bot:
    """``bench/<script>`` as its own process against the fakes, its data and figures under ``workdir`` by ``name``;
    its log (stderr) appended to ``log`` when given."""
    stats = workdir / f"{name}.jsonl"
    stats.unlink(missing_ok=True)
    env = {
        **os.environ,
        "DISCORD_TOKEN": "bench-discord-token",
        "OPENAI_API_KEY": "sk-bench-key",
        "OPENAI_BASE_URL": api.url,
        "DISCORD_API_URL": discord.api_url,
        "DISCORD_GATEWAY_URL": discord.gateway_url,
        "DATA_DIR": str(workdir / name),
        "LOG_LEVEL": "WARNING",
        "BENCH_STATS": str(stats),
        **settings,
    }
    stderr = log.open("ab") if log is not None else None
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, str(ROOT / "bench" / script), env=env, stdout=asyncio.subprocess.DEVNULL, stderr=stderr
        )
    finally:
        if stderr is not None:
            stderr.close()
    return Bot(process, stats)


async def start_bot(discord: FakeDiscord, api: FakeImageAPI, workdir: Path, **settings: str) -> Bot:
    """The bot with its meter, once it has connected."""
    bot = await spawn("probe.py", discord, api, workdir, "data", **settings)
    await asyncio.wait_for(discord.identified.wait(), 30)
    return bot


async def fakes() -> tuple[FakeDiscord, FakeImageAPI]:
    discord, api = FakeDiscord(), FakeImageAPI()
    await discord.start()
    await api.start()
    return discord, api


def answer_of(images: list[bytes]) -> bytes:
    data = [{"b64_json": base64.b64encode(image).decode()} for image in images]
    return json.dumps({"created": 1, "data": data, "usage": {"input_tokens": 10, "output_tokens": 4000}}).encode()


def four_pngs() -> list[bytes]:
    """Four different ~2 MB PNGs (noise does not compress, so the size is real)."""
    return [png(720, 720, noise=True) for _ in range(4)]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def all_posted(discord: FakeDiscord, tokens: list[str], within: float) -> None:
    """Return once the result of every interaction in ``tokens`` has been posted."""
    posted = dict.fromkeys(tokens, False)

    def done() -> bool:
        for request in discord.requests:
            if request.files and request.method == "PATCH":
                posted[request.path.split("/")[3]] = True
        return all(posted.values())

    await discord.wait_for(done, within)


async def burst(discord: FakeDiscord, count: int) -> list[float]:
    """Send ``count`` /imagine at once from as many users; return how long each took to be acknowledged, in ms."""
    sent: dict[str, float] = {}

    async def send(index: int) -> None:
        payload = discord.interaction(
            {"id": "1", "name": "imagine", "type": 1,
             "options": [{"name": "prompt", "type": 3, "value": f"slow {index}"}]},
            user_id=USERS + index,
        )  # fmt: skip
        sent[payload["token"]] = time.monotonic()
        await discord.send_event("INTERACTION_CREATE", payload)

    await asyncio.gather(*(send(index) for index in range(count)))
    await discord.wait_for(lambda: len(discord.acknowledged) >= count, 120)
    return [1000 * (at - sent[token]) for token, at in discord.acknowledged.items()]


async def acknowledgement(workdir: Path, count: int = 200) -> dict[str, float]:
    """``count`` /imagine at once from as many users, upstream too slow to answer: how fast is each deferred?"""
    discord, api = await fakes()
    gate = asyncio.Event()
    api.then(*[gated(gate, web.Response(body=answer_of([png()]), content_type="application/json"))] * count)
    bot = await start_bot(discord, api, workdir, MAX_QUEUE_SIZE="1000", SHUTDOWN_GRACE_SECONDS="1")
    latencies = await burst(discord, count)
    gate.set()
    await bot.stop()
    await discord.close()
    await api.close()
    return {
        "requests": count,
        "p50_ms": statistics.median(latencies),
        "p99_ms": percentile(latencies, 0.99),
        "max_ms": max(latencies),
    }


async def throughput(workdir: Path, jobs: int = 60) -> dict[str, float]:
    """An instant upstream answering four ~2 MB PNGs a job: jobs per second, CPU per job, event-loop lag."""
    discord, api = await fakes()
    body = answer_of(four_pngs())
    api.then(*[web.Response(body=body, content_type="application/json")] * jobs)
    bot = await start_bot(discord, api, workdir, MAX_QUEUE_SIZE="1000")
    before = await bot.snapshot()
    started = time.monotonic()
    tokens = [
        (await discord.slash("imagine", {"prompt": f"fast {index}", "n": 4}, user_id=USERS + index))["token"]
        for index in range(jobs)
    ]
    await all_posted(discord, tokens, 300)
    elapsed = time.monotonic() - started
    after = await bot.snapshot()
    await bot.stop()
    await discord.close()
    await api.close()
    return {
        "jobs": jobs,
        "answer_mb": len(body) / 1e6,
        "jobs_per_s": jobs / elapsed,
        "cpu_s_per_job": (after["cpu"] - before["cpu"]) / jobs,
        "lag_max_ms": after["lag_max_ms"],
        "lag_p99_ms": after["lag_p99_ms"],
    }


async def memory(workdir: Path, jobs: int = 50) -> dict[str, float]:
    """50 jobs running at once, each answered with four ~2 MB PNGs at the same moment: peak RSS."""
    discord, api = await fakes()
    gate = asyncio.Event()
    body = answer_of(four_pngs())
    api.then(*[gated(gate, web.Response(body=body, content_type="application/json"))] * jobs)
    bot = await start_bot(discord, api, workdir, MAX_CONCURRENT_JOBS=str(jobs), MAX_QUEUE_SIZE="1000")
    idle = await bot.snapshot()
    tokens = [
        (await discord.slash("imagine", {"prompt": f"big {index}", "n": 4}, user_id=USERS + index))["token"]
        for index in range(jobs)
    ]
    await discord.wait_for(lambda: len(api.generation_calls) >= jobs, 120)
    gate.set()
    await discord.wait_for(lambda: {r.path.split("/")[3] for r in discord.requests if r.files} >= set(tokens), 300)
    after = await bot.snapshot()
    await bot.stop()
    await discord.close()
    await api.close()
    return {"jobs": jobs, "idle_rss_mb": idle["max_rss_mb"], "peak_rss_mb": after["max_rss_mb"]}


def machine() -> str:
    model = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as meminfo:
        total_kb = int(meminfo.readline().split()[1])
    return (
        f"{model}, {os.cpu_count()} cores, {total_kb / 1024 / 1024:.0f} GiB, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def report(ack: dict[str, float], speed: dict[str, float], rss: dict[str, float], where: str) -> str:
    day = time.strftime("%Y-%m-%d")
    return f"""# Benchmarks

`uv run python bench/run.py` runs the real bot (`bench/probe.py`: `python bot.py` plus a meter for CPU time,
peak RSS and event-loop lag) against the fake Discord and the fake image API of the tests, on 127.0.0.1, and
rewrites this file. The fakes run in the benchmark's own process on the same machine, so they compete with the
bot for the same cores; figures are for the bot process alone.

Latest run: {day}, on {where}.

| measure | figure | target |
|---|---|---|
| acknowledgement, {ack["requests"]:.0f} `/imagine` at once, slow upstream (median of {ACK_RUNS} runs): p50 | \
{ack["p50_ms"]:.1f} ms | |
| … p99 (lowest–highest of the {ACK_RUNS} runs) | \
{ack["p99_ms"]:.1f} ms ({ack["p99_low_ms"]:.0f}–{ack["p99_high_ms"]:.0f}) | under 100 ms |
| … max | {ack["max_ms"]:.1f} ms | |
| throughput, instant upstream, four ~2 MB PNGs a job ({speed["answer_mb"]:.1f} MB answers) | \
{speed["jobs_per_s"]:.2f} jobs/s | |
| CPU per job (decode, check, post) | {speed["cpu_s_per_job"]:.3f} s | |
| event-loop lag during that run: max | {speed["lag_max_ms"]:.1f} ms | under 100 ms |
| … p99 | {speed["lag_p99_ms"]:.1f} ms | |
| peak RSS, {rss["jobs"]:.0f} jobs running, all answered at once with four ~2 MB PNGs | \
{rss["peak_rss_mb"]:.0f} MB (idle {rss["idle_rss_mb"]:.0f} MB) | under 250 MB |

What earlier runs found, and what changed because of them:
- Peak RSS was ~560 MB: discord.py leaves the files it is handed in a reference cycle, so each posted image
  stayed in memory until the next full garbage collection. The bot now closes their buffers once sent, and reads,
  decodes and posts at most four answers at a time (`ANSWERS_IN_MEMORY` in `imagegen/api/client.py`).
- The event loop stalled up to ~140 ms while several threads decoded JSON and base64 (each holds the GIL): image
  work now runs on one worker thread (`imagegen/imaging/workers.py`) and the bot runs on uvloop, which brought the worst
  stall under ~55 ms.
- The acknowledgement burst is CPU-bound: 200 new HTTP connections and discord.py's work per interaction, on two
  cores shared with the fakes; one run in five is often slower (the spread above). Real traffic rarely arrives
  within one millisecond, but this is the figure to watch.
- Every result is now kept on disk from the moment it arrives until Discord has it, so a paid image survives a
  refused upload or a crash. Kept as SQLite blobs (through the write-ahead log and back) it cost 22% of
  throughput and 47% more CPU per job, measured side by side with the code before; as files under
  `DATA_DIR/results` named in the database, 11% of throughput and about 20% CPU per job (`speed` scenario, two
  alternating runs of each, 2026-11-29).
- Every answer was fully decoded by Pillow to be checked (9 ms for a 2 MB PNG); a PNG is now checked by its chunks
  and checksums (`verify()`, 0.6 ms). CPU per job went from 0.115 to 0.067 s and throughput from 9.5 to 14.3
  jobs/s (two runs of this benchmark, the day's previous one and this one). Several processes with PostgreSQL
  are measured by `bench/scale.py`: [SCALE.md](SCALE.md).

`uv run python bench/soak.py` is an endurance run: two processes on one PostgreSQL, 800 `/imagine` from as many
members with Discord failures (429, 5xx, 413, dropped connections), image API refusals, errors and hangs, and a
process killed every 150 accepted jobs. It checks that every request ends (images posted, an answer or an
interrupted notice, and a status message no longer saying Queued or Drawing), that nothing is posted twice and
that no paid image is lost, and lists each request that fails with what Discord and the logs saw:
[SOAK.md](SOAK.md).
"""


async def main() -> None:
    if len(sys.argv) > 1:
        with tempfile.TemporaryDirectory() as scratch:
            scenario = {"ack": acknowledgement, "speed": throughput, "memory": memory}[sys.argv[1]]
            print(sys.argv[1], json.dumps(await scenario(Path(scratch))))
        return
    with tempfile.TemporaryDirectory() as scratch:
        workdir = Path(scratch)
        # One burst is noisy on two shared cores: report the median run of five, and the spread of p99.
        runs = [await acknowledgement(workdir) for _ in range(ACK_RUNS)]
        ack = sorted(runs, key=lambda run: run["p99_ms"])[ACK_RUNS // 2]
        ack["p99_low_ms"], ack["p99_high_ms"] = min(r["p99_ms"] for r in runs), max(r["p99_ms"] for r in runs)
        print("acknowledgement:", json.dumps(ack))
        speed = await throughput(workdir)
        print("throughput:", json.dumps(speed))
        rss = await memory(workdir)
        print("memory:", json.dumps(rss))
    text = report(ack, speed, rss, machine())
    (ROOT / "bench" / "README.md").write_text(text)
    print(text)


if __name__ == "__main__":
    asyncio.run(main())
