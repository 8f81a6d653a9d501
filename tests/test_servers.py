"""A server's settings against the operator's: for every limit, the stricter holds."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any, cast

import pytest

from imagegen.errors import InvalidRequest
from imagegen.limits import Limits
from imagegen.servers import ServerSettings, ServerSettingsStore, check_ceiling
from imagegen.storage.postgres import PostgresStorage
from imagegen.storage.sqlite import SqliteStorage, Storage
from tests.postgres_server import drop_database, new_database


def own(**limits: Any) -> ServerSettings:
    """A server's settings with these limits of its own."""
    return ServerSettings(own_limits=dataclasses.replace(Limits.none_of_its_own(), **limits))


OPERATOR = Limits(daily_images_per_user=10, daily_images_per_server=0, cooldown_seconds=30, daily_budget_per_server=5.0)


def test_a_server_value_tightens_the_operators_limit() -> None:
    limits = own(daily_images_per_user=3, daily_images_per_server=50, cooldown_seconds=60, daily_budget_per_server=2.0)
    assert limits.limits(OPERATOR) == Limits(
        daily_images_per_user=3, daily_images_per_server=50, cooldown_seconds=60.0, daily_budget_per_server=2.0
    )


def test_a_looser_or_zero_server_value_leaves_the_operators_limit() -> None:
    loose = own(daily_images_per_user=100, daily_images_per_server=0, cooldown_seconds=5, daily_budget_per_server=0.0)
    assert loose.limits(OPERATOR) == OPERATOR


def test_in_force_says_whose_value_holds() -> None:
    shown = own(daily_images_per_user=3, daily_budget_per_server=9.0).in_force(OPERATOR)
    assert shown == {
        "daily_images_per_user": (3, "server"),
        "daily_images_per_server": (0, "none"),
        "cooldown_seconds": (30.0, "operator"),
        "max_images": (4, "operator"),
        "daily_budget_per_server": (5.0, "operator"),
        "daily_video_seconds_per_user": (30, "operator"),
    }


@pytest.mark.parametrize(
    ("change", "looser"),
    [
        ({"daily_images_per_user": 11}, True),
        ({"daily_images_per_user": 10}, False),
        ({"daily_images_per_user": 0}, False),
        ({"daily_images_per_server": 1_000_000}, False),
        ({"cooldown_seconds": 29}, True),
        ({"cooldown_seconds": 0}, False),
        ({"daily_budget_per_server": 5.01}, True),
        ({"max_images": 10}, False),
    ],
)
def test_a_change_looser_than_the_operators_ceiling_is_refused(change: dict[str, float], looser: bool) -> None:
    if not looser:
        check_ceiling(OPERATOR, **change)
        return
    with pytest.raises(InvalidRequest) as refused:
        check_ceiling(OPERATOR, **change)
    name = next(iter(change))
    assert refused.value.key == f"admin.ceiling.{name}" and refused.value.params["value"] == f"{change[name]:g}"


def test_settings_stored_under_their_old_names_are_read_under_the_new_ones() -> None:
    from imagegen.servers import _from_json

    stored = '{"images_per_user_day": 3, "images_per_server_day": 50, "daily_budget": 2.5, "cooldown_seconds": 9}'
    assert _from_json(stored) == own(
        daily_images_per_user=3, daily_images_per_server=50, daily_budget_per_server=2.5, cooldown_seconds=9
    )


def test_the_default_model_and_exempt_roles_stored_under_their_old_names_keep_their_values() -> None:
    from imagegen.servers import _from_json

    stored = '{"default_model": "flux-pro", "exempt_roles": [5, 6], "max_images": 2}'
    assert _from_json(stored) == dataclasses.replace(own(max_images=2), image_model="flux-pro", exempt_role_ids=(5, 6))
    # Changed since the rename, a setting is stored under both names: the new one is the newer value.
    assert _from_json('{"default_model": "old", "image_model": "new"}').image_model == "new"


@pytest.fixture(params=["sqlite", "postgres"])
async def storage(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Storage]:
    """An empty database of each engine."""
    if request.param == "sqlite":
        sqlite = await SqliteStorage.open(tmp_path)
        yield sqlite
        await sqlite.close()
        return
    server = str(request.getfixturevalue("postgres_server"))
    url = await new_database(server)
    postgres = await PostgresStorage.open(url, tmp_path)
    yield postgres
    await postgres.close()
    await drop_database(server, url)


async def test_two_processes_changing_different_settings_of_one_server_keep_both(storage: Storage) -> None:
    first, second = ServerSettingsStore(storage), ServerSettingsStore(storage)
    for store in (first, second):
        await store.load()
    await first.change(7, 1, language="zh")
    # The second process has not heard of the first change yet: its copy of the server is older.
    changed = await second.change(7, 2, daily_images_per_user=3, blocked_words=("spam",))
    assert (changed.language, changed.own_limits.daily_images_per_user, changed.blocked_words) == ("zh", 3, ("spam",))
    fresh = ServerSettingsStore(storage)
    await fresh.load()
    assert fresh.get(7) == changed
    await first.change(7, 1, language=None)
    await fresh.load()
    assert fresh.get(7).language is None and fresh.get(7).own_limits.daily_images_per_user == 3


class Meanwhile:
    """A database through which, just before the first write of settings, another process changes them."""

    def __init__(self, storage: Storage, meanwhile: Callable[[], Awaitable[object]]) -> None:
        self.storage = storage
        self.meanwhile: Callable[[], Awaitable[object]] | None = meanwhile

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)

    async def change_server_settings(self, *args: Any, **kwargs: Any) -> str | None:
        if self.meanwhile is not None:
            meanwhile, self.meanwhile = self.meanwhile, None
            await meanwhile()
        return await self.storage.change_server_settings(*args, **kwargs)


async def test_two_processes_adding_to_one_list_at_once_keep_both(storage: Storage) -> None:
    first = ServerSettingsStore(storage)
    await first.change(7, 1, blocked_words=("junk",))
    # The first process adds its word after the second read the list and before it writes it back.
    adding = Meanwhile(storage, lambda: first.edit(7, 1, lambda now: {"blocked_words": (*now.blocked_words, "spam")}))
    second = ServerSettingsStore(cast(Storage, adding))
    updated, changes = await second.edit(7, 2, lambda now: {"blocked_words": (*now.blocked_words, "scam")})
    assert updated.blocked_words == ("junk", "spam", "scam") and changes == {"blocked_words": updated.blocked_words}
    fresh = ServerSettingsStore(storage)
    await fresh.load()
    assert fresh.get(7) == updated
