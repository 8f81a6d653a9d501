"""What the end-to-end tests read back from the fake Discord, in one place."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import inspect
import re
import string
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import pytest

from imagegen import texts
from imagegen.core import open_storage
from imagegen.limits import Limits
from imagegen.model import Job, JobState
from imagegen.settings import Settings
from imagegen.storage.postgres import PostgresStorage
from imagegen.storage.sqlite import SqliteStorage, Storage
from tests.fakes.discord import FakeDiscord, Recorded

if TYPE_CHECKING:
    from bot import ImageBot

# The moment the tests' clock starts at: the bot's dates never come from the day the tests run.
CLOCK_START = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC).timestamp()


class RunningClock:
    """The core's wall clock in tests: it starts at CLOCK_START and runs with real time; ``set`` moves it."""

    def __init__(self, start: float = CLOCK_START) -> None:
        self._offset = start - time.monotonic()

    def __call__(self) -> float:
        return time.monotonic() + self._offset

    def set(self, now: float) -> None:
        """Go on from ``now``."""
        self._offset = now - time.monotonic()


async def result_of(fake: FakeDiscord, token: str) -> Recorded:
    """The first request of an interaction that posted images (or a clip), a live preview in its status aside."""
    return (await fake.wait_for(lambda: [r for r in fake.for_token(token) if r.files and not previews_only(r)]))[0]


def previews_only(request: Recorded) -> bool:
    """Whether a request carried nothing but a status message's live preview."""
    return all(name == "preview.webp" for name, _ in request.files.values())


async def answer_of(fake: FakeDiscord, token: str) -> Recorded:
    """The interaction's result, or its private answer (immediate or a followup), whichever comes first."""
    found = await fake.wait_for(
        lambda: [
            r
            for r in fake.for_token(token)
            if (r.files and not previews_only(r)) or (r.method == "POST" and r.flags & 64 and r.content)
        ]
    )
    return found[0]


async def private_reply(fake: FakeDiscord, token: str) -> Recorded:
    """The private answer of an interaction: an immediate one, or a followup after the work began."""
    found = await fake.wait_for(
        lambda: [r for r in fake.for_token(token) if r.method == "POST" and r.flags & 64 and r.content]
    )
    return found[0]


async def refusal_of(fake: FakeDiscord, token: str) -> Recorded:
    """The private answer of a request refused once acknowledged, after its public "thinking" message went: the
    requester alone sees it, and nothing of it stays in the channel."""
    reply = await private_reply(fake, token)
    await fake.wait_for(lambda: [r for r in fake.for_token(token) if r.method == "DELETE"])
    return reply


def refusal_so_far(fake: FakeDiscord, token: str) -> list[Recorded]:
    """The private answer of a request refused once acknowledged, if it came and the "thinking" message went."""
    requests = fake.for_token(token)
    private = [r for r in requests if r.method == "POST" and r.flags & 64 and r.content]
    return private if private and any(r.method == "DELETE" for r in requests) else []


async def callback_of(fake: FakeDiscord, token: str) -> Recorded:
    """The interaction's first answer, whatever it is."""
    return (await fake.wait_for(lambda: [r for r in fake.for_token(token) if r.path.endswith("/callback")]))[0]


def status_edits(fake: FakeDiscord, token: str) -> list[Recorded]:
    """The edits of an interaction's status message that carried no images."""
    return [r for r in fake.for_token(token) if r.method == "PATCH" and not r.files]


def custom_ids(message: dict[str, Any]) -> list[str]:
    """The custom ids of a message's buttons, in order."""
    return [c["custom_id"] for row in message.get("components", []) for c in row["components"]]


SQLITE_ONLY = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
POSTGRES_ONLY = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


async def database_rows(bot: ImageBot, query: str) -> list[tuple[Any, ...]]:
    """Rows of a query (no parameters, SQL both engines read alike) on the bot's own database."""
    async with database(bot) as storage:
        if isinstance(storage, PostgresStorage):
            return [tuple(row) for row in await storage.pool.fetch(query)]
        assert isinstance(storage, SqliteStorage)
        async with storage.connection.execute(query) as cursor:
            await storage.connection.commit()
            return [tuple(row) for row in await cursor.fetchall()]


async def eventually(check: Callable[[], Any], expected: Any = None, within: float = 15.0) -> Any:
    """Poll ``check`` (a function, or one returning an awaitable) until it gives ``expected`` (or, without one,
    anything truthy), and return that; raise TimeoutError after ``within`` seconds. For what no request to a fake
    announces: a row in the database, a prompt another process sent."""

    async def poll() -> Any:
        while True:
            value = check()
            if inspect.isawaitable(value):
                value = await value
            if (value == expected) if expected is not None else value:
                return value
            await asyncio.sleep(0.02)

    return await asyncio.wait_for(poll(), within)


async def idle(bot: ImageBot) -> None:
    """Wait until the bot's process has no job waiting or being drawn."""
    await bot.core.settled()


@contextlib.asynccontextmanager
async def database(bot: ImageBot) -> AsyncIterator[Storage]:
    """The bot's database, opened beside the bot (as another process would), for a test that reads or writes what
    is stored: the core's own parts stay its own."""
    storage = await open_storage(bot.settings)
    try:
        yield storage
    finally:
        await storage.close()


async def kept_images(bot: ImageBot, job_id: int) -> list[bytes]:
    """The images of a job kept in the database until Discord has them."""
    async with database(bot) as storage:
        return await storage.results(job_id)


async def stored_jobs(bot: ImageBot, states: list[JobState]) -> list[Job]:
    """The jobs the database holds in ``states``."""
    async with database(bot) as storage:
        return await storage.jobs_in(states)


def said(locale: str, key: str, **params: Any) -> str:
    """What the bot says for ``key`` in ``locale`` with ``params``: a test compares with this, not with English."""
    return texts.t(locale, key, **params)


def says(text: str, key: str, locale: str = "en") -> bool:
    """Whether ``text`` holds the catalogue's text for ``key`` (any plural form), whatever fills its blanks."""
    entry = texts.CATALOGUE[key][texts.language(locale)]
    for form in entry.values() if isinstance(entry, dict) else [entry]:
        pieces = [re.escape(literal) + ("(?s:.*?)" if name is not None else "")
                  for literal, name, _, _ in string.Formatter().parse(form)]  # fmt: skip
        if re.search("".join(pieces), text):
            return True
    return False


# The names of the limits, which tests set as if they were settings of their own.
LIMIT_NAMES = {spec.name for spec in dataclasses.fields(Limits)}


def with_overrides(settings: Settings, **overrides: Any) -> Settings:
    """``settings`` with the given fields replaced; a limit's name (``daily_images_per_user=3``) replaces that
    limit."""
    limits = {name: overrides.pop(name) for name in list(overrides) if name in LIMIT_NAMES}
    return dataclasses.replace(settings, limits=dataclasses.replace(settings.limits, **limits), **overrides)
