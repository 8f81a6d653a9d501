"""Endurance: two bot processes on one PostgreSQL, a steady stream of /imagine with faults, a process killed now and
then. Does every request end?

``uv run python bench/soak.py [--requests N] [--seed S] [--rate PER_SECOND] [--kill-every K] [--drain SECONDS]``

Two ``python bot.py`` processes (``bench/probe.py``), one shard each of two, share a PostgreSQL (started here as the
tests do, unless TEST_DATABASE_URL names a server) and serve a server on each shard, so requests reach both and
either may draw what the other accepted. Requests come from as many members at a steady pace; the seed decides,
for each, what the image API answers (an image, a refusal, an error, or nothing until the bot's timeout) and which
Discord failure waits for its interaction (a 429, a 5xx, a 413 on the result, a dropped connection), and now and
then the next post in a channel fails too. Every ``--kill-every`` accepted jobs one process is killed (SIGKILL) and
started again on its shard; its jobs are taken over once their leases run out.

Interactions are not faulted and a process is killed only once every request sent to it was acknowledged: the
acknowledgement is measured, and a request Discord never saw answered is Discord's to report, not the bot's.

After a drain (until every request ended, at most ``--drain`` seconds: a result Discord would not take is posted
again after a minute), each request must have ENDED: images posted (through the interaction or in the channel),
an answer (private, or in the channel mentioning the member) or an interrupted notice, and its status message
deleted or saying something final, never "Queued" or "Drawing". The figures are printed and written to
bench/SOAK.md with every request that did not end; the exit status is 1 if one did not, was posted twice or lost
its paid images.

The fake Discord dates every interaction from its own start, so a run must end within Discord's 15 minutes of a
token; at the default pace that is about 3,000 requests.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from run import Bot, machine, percentile, spawn  # noqa: E402
from scale import fakes  # noqa: E402

from imagegen import texts  # noqa: E402
from tests.fakes.discord import (  # noqa: E402
    APP_ID,
    CHANNEL_ID,
    DISCONNECT,
    GUILD_ID,
    SECOND_CHANNEL_ID,
    FakeDiscord,
    Recorded,
)
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, api_error, b64_images, png, raw_json  # noqa: E402
from tests.postgres_server import Server, drop_database, new_database  # noqa: E402

SHARDS = 2
USERS = 710000000000000000
LEASE_SECONDS = 3
IMAGE_TIMEOUT = 5.0
# A hung image call answers only after the bot has given up on it.
HANG_SECONDS = IMAGE_TIMEOUT + 3
# What the image API does with a request, and how often.
UPSTREAM = {"image": 0.80, "refusal": 0.07, "error": 0.07, "hang": 0.06}
# The share of requests whose interaction meets a Discord failure, and of those that arm a failure for their
# channel's next post (whichever request it is for).
DISCORD_FAULT_SHARE = 0.3
CHANNEL_FAULT_SHARE = 0.03
# Discord's limit for acknowledging an interaction.
ACK_LIMIT_MS = 3000.0
# How many requests answered both with images and with an error SOAK.md shows in full.
EXAMPLES = 5
IMAGES = (png(64, 64, (200, 40, 40)), png(64, 64, (40, 40, 200)))
WORDS = ("fox", "lighthouse", "harbour", "owl", "comet", "forest", "teapot", "city", "glacier", "kite", "violin")


@dataclass(frozen=True)
class Fault:
    """A Discord failure scripted for one place: the interaction's status message (its next edit or deletion, or
    the edit carrying the result), its followups, or the next post in a channel; ``kind`` is what it is counted as."""

    kind: str
    status: int
    method: str
    place: str

    @property
    def label(self) -> str:
        if self.place == "channel":
            return f"{status_name(self.status)} on the channel's next post"
        return f"{status_name(self.status)} on {self.method} {self.place}"


def status_name(status: int) -> str:
    return "disconnect" if status == DISCONNECT else str(status)


# The failures one interaction may meet, and a channel's next post.
TOKEN_FAULTS = (
    Fault("429", 429, "PATCH", "status"),
    Fault("5xx", 500, "PATCH", "status"),
    Fault("disconnect", DISCONNECT, "PATCH", "status"),
    Fault("429", 429, "PATCH", "result"),
    Fault("5xx", 502, "PATCH", "result"),
    Fault("413", 413, "PATCH", "result"),
    Fault("disconnect", DISCONNECT, "PATCH", "result"),
    Fault("429", 429, "POST", "followup"),
    Fault("5xx", 500, "POST", "followup"),
    Fault("disconnect", DISCONNECT, "POST", "followup"),
    Fault("disconnect", DISCONNECT, "DELETE", "status"),
)
CHANNEL_FAULTS = (
    Fault("429", 429, "POST", "channel"),
    Fault("5xx", 502, "POST", "channel"),
    Fault("413", 413, "POST", "channel"),
    Fault("disconnect", DISCONNECT, "POST", "channel"),
)


def pattern(key: str) -> re.Pattern[str]:
    """The English text ``key``, whatever fills its placeholders."""
    text = texts.CATALOGUE[key]["en"]
    template = text if isinstance(text, str) else text["other"]
    return re.compile(".*?".join(re.escape(part) for part in re.split(r"\{\w+\}", template)), re.DOTALL)


# A status message still saying one of these has not ended; a notice that images will follow is no outcome yet.
PASSING = [pattern(key) for key in ("status.queued", "progress", "status.preparing")]
KEPT_NOTICES = [pattern(key) for key in ("result.postponed", "result.postponed_channel", "result.postponed_status")]
ENDINGS = [pattern(key) for key in ("job.interrupted", "job.cancelled")]


@dataclass
class Request:
    """One /imagine of the soak: who sends it where, what the image API answers, the Discord failures it meets."""

    index: int
    prompt: str
    user_id: int
    shard: int
    n: int
    upstream: str
    latency: float
    faults: list[Fault]
    token: str = ""
    interaction_id: int = 0
    sent_at: float = 0.0


@dataclass
class Verdict:
    """What Discord shows of one request at the end."""

    acknowledged: bool
    outcome: str
    status: str
    status_final: bool
    image_posts: int
    recorded: list[str] = field(default_factory=list)
    # The failures Discord answered its requests with, where ("disconnect on the result").
    failed: list[str] = field(default_factory=list)

    @property
    def ended(self) -> bool:
        return self.acknowledged and bool(self.outcome) and self.status_final


def plan(count: int, seed: int) -> list[Request]:
    """The soak's requests, all decided by ``seed``."""
    rng = random.Random(seed)
    requests = []
    for index in range(count):
        upstream = rng.choices(list(UPSTREAM), weights=list(UPSTREAM.values()))[0]
        faults = [rng.choice(TOKEN_FAULTS)] if rng.random() < DISCORD_FAULT_SHARE else []
        if rng.random() < CHANNEL_FAULT_SHARE:
            faults.append(rng.choice(CHANNEL_FAULTS))
        prompt = f"soak {index}: " + " ".join(rng.sample(WORDS, 3))
        requests.append(
            Request(index, prompt, USERS + index, rng.randrange(SHARDS), rng.choice((1, 1, 2)), upstream,
                    rng.uniform(0.2, 2.5), faults)
        )  # fmt: skip
    return requests


def channel_of(guild: int) -> int:
    return CHANNEL_ID if guild == GUILD_ID else SECOND_CHANNEL_ID


def bot_settings(shard: int, database: str) -> dict[str, str]:
    """One process's settings: its shard, short leases so a killed one's jobs move on quickly, no daily limits."""
    timeout = str(IMAGE_TIMEOUT)
    return {
        "DATABASE_URL": database,
        "SHARD_COUNT": str(SHARDS),
        "SHARD_IDS": str(shard),
        "JOB_LEASE_SECONDS": str(LEASE_SECONDS),
        "SHUTDOWN_GRACE_SECONDS": "1",
        "MAX_QUEUE_SIZE": "5000",
        "MAX_CONCURRENT_JOBS": "6",
        "PREVIEW_IMAGES": "0",
        "PROGRESS_INTERVAL": "3",
        "IMAGE_TIMEOUT_LOW": timeout,
        "IMAGE_TIMEOUT_MEDIUM": timeout,
        "IMAGE_TIMEOUT_HIGH": timeout,
        "RETRY_MAX_WAIT": "2",
        "LOG_LEVEL": "INFO",
        "LOG_FORMAT": "json",
    }


class Soak:
    """The fakes, the database, the two processes and the requests sent so far."""

    def __init__(self, discord: FakeDiscord, api: FakeImageAPI, database: str, workdir: Path, seed: int) -> None:
        self.discord = discord
        self.api = api
        self.database = database
        self.workdir = workdir
        self.rng = random.Random(seed + 1)
        self.bots: dict[int, Bot] = {}
        self.up = dict.fromkeys(range(SHARDS), False)
        self.starts = Counter[int]()
        self.logs: dict[str, Path] = {}
        self.sent: list[Request] = []
        self.by_prompt: dict[str, Request] = {}
        self.kills: list[str] = []
        self.accepted = 0
        self._seen = 0
        # Image API calls by what they were scripted to do; answers with images that reached the bot, by prompt.
        self.calls = Counter[str]()
        self.paid = Counter[str]()
        api.then(*[self.answer] * 100_000)

    async def answer(self, request: web.Request) -> web.StreamResponse:
        """The image API's answer to one generation call, as the request's plan says."""
        body = await request.json()
        planned = self.by_prompt.get(str(body.get("prompt")))
        kind = planned.upstream if planned is not None else "image"
        self.calls[kind] += 1
        if kind == "refusal":
            return raw_json(MODERATION_BODY, 400)
        if kind == "error":
            return api_error(self.rng.choice((500, 502, 503)), "server_error", None)
        if kind == "hang":
            await asyncio.sleep(HANG_SECONDS)
            return api_error(504, "timeout", None)
        await asyncio.sleep(planned.latency if planned is not None else 0.5)
        if request.transport is not None and not request.transport.is_closing():
            self.paid[str(body.get("prompt"))] += 1
        return b64_images(*IMAGES[: int(body.get("n") or 1)])

    async def start(self, shard: int) -> None:
        """Start (or start again) the process of ``shard`` and return once it has connected."""
        self.starts[shard] += 1
        label = f"shard {shard}, start {self.starts[shard]}"
        self.logs[label] = self.workdir / f"shard{shard}.{self.starts[shard]}.log"
        before = self._identified(shard)
        self.bots[shard] = await spawn(
            "probe.py", self.discord, self.api, self.workdir, f"shard{shard}", self.logs[label],
            **bot_settings(shard, self.database),
        )  # fmt: skip
        await self.discord.wait_for(lambda: self._identified(shard) > before, 60)
        self.up[shard] = True

    def _identified(self, shard: int) -> int:
        return sum(1 for identified, _, _ in self.discord.identifies if identified == shard)

    async def kill(self, shard: int, started: float) -> None:
        """SIGKILL the process of ``shard`` once all sent to it was acknowledged, then start it again."""
        self.up[shard] = False
        pending = [request.token for request in self.sent if request.shard == shard]
        with contextlib.suppress(TimeoutError):
            await self.discord.wait_for(lambda: all(token in self.discord.acknowledged for token in pending), 5)
        bot = self.bots[shard]
        running = await self._running(bot.process.pid)
        bot.process.kill()
        await bot.process.wait()
        at = time.monotonic() - started
        self.kills.append(f"{at:.0f} s: shard {shard} (pid {bot.process.pid}), {self.accepted} accepted, "
                          f"{running} of its jobs running")  # fmt: skip
        print(f"killed shard {shard} at {at:.0f} s; jobs of it running: {running}", flush=True)
        await self.start(shard)

    async def _running(self, pid: int) -> int:
        connection = await asyncpg.connect(self.database)
        try:
            query = "SELECT count(*) FROM jobs WHERE state = 'running' AND split_part(owner, ':', 2) = $1"
            return int(await connection.fetchval(query, str(pid)))
        finally:
            await connection.close()

    async def send(self, request: Request) -> None:
        """Arm the request's faults and send its /imagine to a server on a shard whose process is up."""
        if not self.up[request.shard]:
            request.shard = next(shard for shard, up in self.up.items() if up)
        guild = self.discord.guilds[request.shard]
        channel = channel_of(guild)
        options = [{"name": "prompt", "type": 3, "value": request.prompt}, {"name": "n", "type": 4, "value": request.n}]
        payload = self.discord.interaction(
            {"id": "1", "name": "imagine", "type": 1, "options": options},
            user_id=request.user_id, guild_id=guild, channel_id=channel,
        )  # fmt: skip
        request.token, request.interaction_id = payload["token"], int(payload["id"])
        for fault in request.faults:
            self.arm(fault, request.token, channel)
        self.by_prompt[request.prompt] = request
        self.sent.append(request)
        request.sent_at = time.monotonic()
        await self.discord.send_event("INTERACTION_CREATE", payload)

    def arm(self, fault: Fault, token: str, channel: int) -> None:
        where = {
            "status": f"/{token}/messages/@original",
            "result": f"/{token}/messages/@original",
            "followup": f"/webhooks/{APP_ID}/{token}",
            "channel": f"/channels/{channel}/messages",
        }[fault.place]
        files_only = fault.place == "result" or fault.status == 413
        code = 40005 if fault.status == 413 else 0
        retry_after = round(self.rng.uniform(0.2, 1.5), 2)
        self.discord.fail(fault.method, where, fault.status, code, files_only=files_only, retry_after=retry_after)

    def count_accepted(self) -> int:
        """Interactions deferred so far (accepted as jobs)."""
        for recorded in self.discord.requests[self._seen :]:
            if recorded.path.endswith("/callback") and recorded.status == 200 and recorded.payload["type"] == 5:
                self.accepted += 1
        self._seen = len(self.discord.requests)
        return self.accepted

    async def run(self, requests: list[Request], rate: float, kill_every: int, started: float) -> None:
        """Send every request at ``rate`` a second, killing a process every ``kill_every`` accepted jobs."""
        next_kill = kill_every
        killing: asyncio.Task[None] | None = None
        shown = time.monotonic()
        for request in requests:
            await self.send(request)
            if self.count_accepted() >= next_kill and (killing is None or killing.done()) and all(self.up.values()):
                next_kill += kill_every
                killing = asyncio.create_task(self.kill(self.rng.randrange(SHARDS), started))
            if time.monotonic() - shown >= 30:
                shown = time.monotonic()
                print(f"{shown - started:.0f} s: {len(self.sent)} sent, {self.accepted} accepted, "
                      f"{len(self.kills)} kills", flush=True)  # fmt: skip
            await asyncio.sleep(self.rng.uniform(0.5, 1.5) / rate)
        if killing is not None:
            await killing

    async def drain(self, longest: float) -> None:
        """Return once every request ended, or no job has been left to draw or post for 10 s (nothing will change
        any more), or after ``longest`` seconds."""
        began = time.monotonic()
        quiet_since = None
        while time.monotonic() - began < longest:
            if all(verdict.ended for verdict in self.verdicts().values()):
                return
            rows = await job_rows(self.database)
            busy = any(row["state"] in ("queued", "running", "delivering") for row in rows.values())
            quiet_since = None if busy else quiet_since or time.monotonic()
            if quiet_since is not None and time.monotonic() - quiet_since >= 10:
                return
            await asyncio.sleep(2)

    def verdicts(self) -> dict[str, Verdict]:
        """What Discord shows of every request sent."""
        by_token: dict[str, list[Recorded]] = {}
        by_user: dict[int, list[Recorded]] = {}
        for recorded in self.discord.requests:
            parts = recorded.path.strip("/").split("/")
            if parts[0] in ("interactions", "webhooks") and len(parts) > 2:
                by_token.setdefault(parts[2], []).append(recorded)
            elif parts[0] == "channels" and parts[-1] == "messages" and recorded.method == "POST":
                for user in ((recorded.payload or {}).get("allowed_mentions") or {}).get("users") or []:
                    by_user.setdefault(int(user), []).append(recorded)
        return {
            request.token: judge(
                self.discord, request.token, by_token.get(request.token, []), by_user.get(request.user_id, [])
            )
            for request in self.sent
        }


def has_images(recorded: Recorded) -> bool:
    return any(name.startswith("image_") for name, _ in recorded.files.values())


def judge(discord: FakeDiscord, token: str, through_token: list[Recorded], in_channel: list[Recorded]) -> Verdict:
    """Whether a request ended, from what its interaction and its channel recorded."""
    taken = [r for r in through_token if r.status < 300]
    posted = [r for r in in_channel if r.status < 300]
    callbacks = [r for r in taken if r.path.endswith("/callback")]
    outcomes = []
    if any(has_images(r) for r in taken):
        outcomes.append("images through the interaction")
    if any(has_images(r) for r in posted):
        outcomes.append("images in the channel")
    if any(r.payload["type"] == 4 for r in callbacks):
        outcomes.append("answered on arrival")
    followups = [r for r in taken if r.method == "POST" and not r.path.endswith("/callback") and not has_images(r)]
    if any(r.content and not _kept_notice(r.content) for r in followups):
        outcomes.append("private answer")
    if any(not has_images(r) and not _kept_notice(r.content) for r in posted):
        outcomes.append("answer in the channel")
    edits = [r for r in taken if r.method == "PATCH"]
    if any(any(p.match(r.content) for p in ENDINGS) for r in edits):
        outcomes.append("interrupted or cancelled")
    status, final = status_of(discord, token, taken)
    recorded = [_line(r) for r in sorted(through_token + in_channel, key=lambda r: r.at)]
    image_posts = sum(1 for r in taken + posted if has_images(r))
    failed = [f"{status_name(r.status)} on the {_place(r)}" for r in through_token + in_channel if r.status >= 400]
    return Verdict(bool(callbacks), ", ".join(outcomes), status, final, image_posts, recorded, failed)


def _place(recorded: Recorded) -> str:
    if recorded.path.endswith("/callback"):
        return "acknowledgement"
    if recorded.path.startswith("/channels/"):
        return "channel post"
    if recorded.path.endswith("/messages/@original"):
        return "result" if has_images(recorded) else "status " + ("deletion" if recorded.method == "DELETE" else "edit")
    return "followup"


def _kept_notice(content: str) -> bool:
    return any(p.match(content) for p in KEPT_NOTICES)


def status_of(discord: FakeDiscord, token: str, taken: list[Recorded]) -> tuple[str, bool]:
    """What the interaction's original response (its status message) says at the end, and whether that is final."""
    last = None
    for recorded in taken:
        if recorded.path.endswith("/callback") or recorded.path.endswith("/messages/@original"):
            last = recorded
    if last is None:
        return "(no response)", False
    if last.method == "DELETE":
        return "(deleted)", True
    message = discord.original(token)
    content = str(message.get("content") or "")
    if not content:
        return ("(images only)", True) if message.get("attachments") else ("(thinking…)", False)
    return content, not any(p.match(content) for p in PASSING)


def _line(recorded: Recorded) -> str:
    path = re.sub(r"/tok\d+", "/<token>", recorded.path)
    kind = f" type {recorded.payload['type']}" if recorded.path.endswith("/callback") else ""
    files = f", {len(recorded.files)} files" if recorded.files else ""
    private = ", private" if recorded.flags & 64 else ""
    content = recorded.content.replace("\n", " ")[:90]
    return f"{recorded.method} {path}{kind} → {recorded.status}{files}{private}: {content!r}"


def read_logs(files: dict[str, Path]) -> list[tuple[str, dict[str, Any]]]:
    """Every line the processes logged, in order, each with the process it came from (a line that is not JSON, as
    a message)."""
    lines: list[tuple[str, dict[str, Any]]] = []
    for label, path in files.items():
        if not path.exists():
            continue
        for text in path.read_text(errors="replace").splitlines():
            try:
                entry = json.loads(text)
            except ValueError:
                entry = {"message": text}
            lines.append((label, entry if isinstance(entry, dict) else {"message": text}))
    return sorted(lines, key=lambda line: str(line[1].get("time", "")))


def jobs_of(lines: list[tuple[str, dict[str, Any]]], message: str) -> set[int]:
    """The jobs of log lines saying ``message`` ("job N: <message>")."""
    found = re.compile(r"job (\d+): " + re.escape(message))
    return {int(match[1]) for _, entry in lines if (match := found.match(str(entry.get("message", ""))))}


async def job_rows(database: str) -> dict[int, dict[str, Any]]:
    """The jobs table, by interaction id."""
    connection = await asyncpg.connect(database)
    try:
        rows = await connection.fetch(
            "SELECT id, interaction_id, state, error_code, images_made, images_delivered, owner FROM jobs"
        )
    finally:
        await connection.close()
    return {int(row["interaction_id"]): dict(row) for row in rows if row["interaction_id"] is not None}


def faults_table(soak: Soak) -> list[tuple[str, int, int]]:
    """(fault, scripted, happened) for every kind: Discord's answers with that status, image API calls, kills."""
    scripted = Counter(fault.kind for request in soak.sent for fault in request.faults)
    statuses = Counter(recorded.status for recorded in soak.discord.requests)
    happened = {
        "429": statuses[429],
        "5xx": statuses[500] + statuses[502],
        "413": statuses[413],
        "disconnect": statuses[DISCONNECT],
    }
    upstream = Counter(request.upstream for request in soak.sent)
    rows = [(f"Discord {kind}", scripted[kind], happened[kind]) for kind in ("429", "5xx", "413", "disconnect")]
    rows += [(f"image API {kind}", upstream[kind], soak.calls[kind]) for kind in ("refusal", "error", "hang")]
    rows.append(("process killed (SIGKILL)", len(soak.kills), len(soak.kills)))
    return rows


def details(request: Request, verdict: Verdict, row: dict[str, Any] | None, handed: bool,
            lines: list[tuple[str, dict[str, Any]]]) -> str:  # fmt: skip
    """Everything known of one request, to debug it: its plan, its job, what Discord recorded, its log lines."""
    job = row["id"] if row else None
    faults = ", ".join(fault.label for fault in request.faults) or "none"
    head = [
        f"### request {request.index}: token `{request.token}`",
        f"- prompt `{request.prompt}`, n={request.n}, sent to shard {request.shard}, member {request.user_id}",
        f"- image API: {request.upstream}; Discord faults scripted for it: {faults}",
        f"- job: {json.dumps(row, default=str) if row else 'none recorded'}"
        + (" (drawn by a process other than the one that accepted it)" if handed else ""),
        f"- outcome: {verdict.outcome or 'none'}; status message: {verdict.status!r}",
        "- what the fake Discord recorded:",
        *[f"  - {line}" for line in verdict.recorded],
    ]
    logged = [
        f"  - {label}: {entry.get('level', '')} {entry.get('logger', '')}: {entry.get('message', '')}"
        for label, entry in lines
        if (job is not None and entry.get("job_id") == job)
        or entry.get("interaction_id") == request.interaction_id
        or (job is not None and re.match(rf"job {job}\b", str(entry.get("message", ""))))
    ]
    return "\n".join([*head, "- its log lines:", *(logged[:60] or ["  - none"])])


@dataclass
class Figures:
    """The run's figures, as printed and written to SOAK.md."""

    rows: list[tuple[str, str]]
    outcomes: Counter[str]
    faults: list[tuple[str, int, int]]
    kills: list[str]
    met: Counter[str]
    failures: list[str]
    twofold: list[str]
    bad: bool


def figures(soak: Soak, verdicts: dict[str, Verdict], rows: dict[int, dict[str, Any]],
            lines: list[tuple[str, dict[str, Any]]], times: dict[str, float], rss: list[float]) -> Figures:  # fmt: skip
    """Count what the run shows."""
    sent = soak.sent
    acknowledged = soak.discord.acknowledged
    latencies = [1000 * (acknowledged[r.token] - r.sent_at) for r in sent if r.token in acknowledged]
    late = sum(1 for ms in latencies if ms > ACK_LIMIT_MS)
    ack = "–"
    if latencies:
        ack = f"{statistics.median(latencies):.0f} / {percentile(latencies, 0.99):.0f} / {max(latencies):.0f} ms"
    job = {r.index: rows.get(r.interaction_id) for r in sent}
    state = {index: str(row["state"]) if row else "" for index, row in job.items()}
    states = Counter(state.values())
    states.pop("", None)
    not_ended = [r for r in sent if not verdicts[r.token].ended]
    twice = [r for r in sent if verdicts[r.token].image_posts > 1]
    kept = [r for r in sent if state[r.index] == "delivering"]
    lost = [r for r in sent if soak.paid[r.prompt] and not verdicts[r.token].image_posts and r not in kept]
    # Images, and an answer saying something went wrong: which one is the member to believe?
    both = [r for r in sent if verdicts[r.token].image_posts and "answer" in verdicts[r.token].outcome]
    drawn_elsewhere = jobs_of(lines, "drawn here for another process's request")
    handed = {r.index for r in sent if (job[r.index] or {}).get("id") in drawn_elsewhere}
    taken_over = jobs_of(lines, "its process stopped answering; it goes back to the queue")
    table = [
        ("requests sent", f"{len(sent)}"),
        ("acknowledged", f"{len(latencies)} ({late} after 3 s)"),
        ("acknowledgement p50 / p99 / max", ack),
        ("ended", f"{len(sent) - len(not_ended)}"),
        ("**not ended**", f"**{len(not_ended)}**"),
        ("**results posted twice**", f"**{len(twice)}**"),
        ("**paid images lost** (answered by the API, never posted, not kept)", f"**{len(lost)}**"),
        ("answered both with images and with an error", f"{len(both)}"),
        ("results kept in the database, still to post", f"{len(kept)}"),
        ("jobs left queued or running", f"{states['queued'] + states['running']}"),
        ("jobs by final state", ", ".join(f"{name} {count}" for name, count in states.most_common())),
        ("processes killed", f"{len(soak.kills)}"),
        ("handovers (drawn by a process other than the one that accepted it)",
         f"{len(handed)} ({sum(1 for r in sent if r.index in handed and verdicts[r.token].ended)} ended)"),
        ("jobs taken over after their process died (lease ran out)", f"{len(taken_over)}"),
        ("requests whose image was paid for twice (drawn again after a kill)",
         f"{sum(1 for count in soak.paid.values() if count > 1)}"),
        ("ERROR lines in the bots' logs", f"{sum(1 for _, entry in lines if entry.get('level') == 'ERROR')}"),
        ("peak RSS of a process (since its last start)", f"{max(rss):.0f} MB" if rss else "–"),
        ("wall time: sending / drain / all", f"{times['sending']:.0f} / {times['drain']:.0f} / {times['all']:.0f} s"),
    ]  # fmt: skip

    def explained(requests: list[Request]) -> list[str]:
        return [details(r, verdicts[r.token], job[r.index], r.index in handed, lines) for r in requests]

    failing = sorted({r.index: r for r in [*not_ended, *twice, *lost]}.values(), key=lambda r: r.index)
    met = Counter(
        f"image API {r.upstream}; Discord: " + (", ".join(verdicts[r.token].failed) or "no failure")
        + ("; drawn by a process other than the one that accepted it" if r.index in handed else "")
        for r in failing
    )  # fmt: skip
    outcomes = Counter(verdicts[r.token].outcome or "none" for r in sent)
    return Figures(table, outcomes, faults_table(soak), soak.kills, met, explained(failing),
                   explained(both[:EXAMPLES]), bool(failing))  # fmt: skip


def report(found: Figures, command: str, seed: int) -> str:
    """SOAK.md."""
    rows = "\n".join(f"| {name} | {value} |" for name, value in found.rows)
    outcomes = "\n".join(f"| {name} | {count} |" for name, count in found.outcomes.most_common())
    faults = "\n".join(f"| {name} | {scripted} | {happened} |" for name, scripted, happened in found.faults)
    kills = "\n".join(f"- {kill}" for kill in found.kills) or "- none"
    met = "\n".join(f"| {what} | {count} |" for what, count in found.met.most_common()) or "| – | 0 |"
    failures = "\n\n".join(found.failures) or "None: every request ended, once."
    twofold = "\n\n".join(found.twofold) or "None."
    return f"""# Soak: two processes, one PostgreSQL, faults and kills

`{command}`, {time.strftime("%Y-%m-%d")}, seed {seed}, on {machine()}. The bots, the fakes and PostgreSQL share
this machine's cores. How it runs and what it checks: the docstring of `bench/soak.py`.

| measure | figure |
|---|---|
{rows}

How the requests ended (as Discord shows them):

| outcome | requests |
|---|---|
{outcomes}

Faults (scripted: requests planned with one, or kills; happened: Discord's answers with that status, image API
calls answered so, kills done):

| fault | scripted | happened |
|---|---|---|
{faults}

Kills:
{kills}

## Requests that did not end, were posted twice or lost their images

What they met (the image API's answer; the failures Discord answered their requests with, in order; who drew
them):

| met | requests |
|---|---|
{met}

{failures}

## Requests answered both with images and with an error

The first {EXAMPLES} (the table above counts them all).

{twofold}
"""


async def endure(args: argparse.Namespace, admin: str) -> Figures:
    """One run: start everything, send, drain, look, stop."""
    discord, api = await fakes(SHARDS)
    database = await new_database(admin)
    started = time.monotonic()
    soak = None
    try:
        with tempfile.TemporaryDirectory() as scratch:
            soak = Soak(discord, api, database, Path(scratch), args.seed)
            await asyncio.gather(*(soak.start(shard) for shard in range(SHARDS)))
            print(f"both processes up after {time.monotonic() - started:.0f} s; sending", flush=True)
            sending = time.monotonic()
            await soak.run(plan(args.requests, args.seed), args.rate, args.kill_every, started)
            draining = time.monotonic()
            print(f"all {len(soak.sent)} sent in {draining - sending:.0f} s; draining", flush=True)
            await soak.drain(args.drain)
            times = {"sending": draining - sending, "drain": time.monotonic() - draining}
            verdicts = soak.verdicts()
            rows = await job_rows(database)
            rss = []
            for bot in soak.bots.values():
                with contextlib.suppress(TimeoutError):
                    rss.append(float((await asyncio.wait_for(bot.snapshot(), 10))["max_rss_mb"]))
            for bot in soak.bots.values():
                await bot.stop()
            times["all"] = time.monotonic() - started
            return figures(soak, verdicts, rows, read_logs(soak.logs), times, rss)
    finally:
        for bot in soak.bots.values() if soak is not None else ():
            if bot.process.returncode is None:
                bot.process.kill()
                await bot.process.wait()
        await discord.close()
        await api.close()
        await drop_database(admin, database)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=800, help="how many /imagine to send (default 800)")
    parser.add_argument("--seed", type=int, default=1, help="decides every request's faults (default 1)")
    parser.add_argument("--rate", type=float, default=3.5, help="requests a second (default 3.5)")
    parser.add_argument("--kill-every", type=int, default=150, help="accepted jobs between kills (default 150)")
    parser.add_argument("--drain", type=float, default=150.0, help="most seconds to wait for the last requests")
    args = parser.parse_args()
    given = os.environ.get("TEST_DATABASE_URL")
    server = None if given else Server()
    try:
        found = asyncio.run(endure(args, given or (server.url if server else "")))
    finally:
        if server is not None:
            server.stop()
    command = " ".join(["uv run python bench/soak.py", *sys.argv[1:]])
    text = report(found, command, args.seed)
    (ROOT / "bench" / "SOAK.md").write_text(text)
    print(text)
    return 1 if found.bad else 0


if __name__ == "__main__":
    sys.exit(main())
