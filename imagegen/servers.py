"""Per-server settings that admins change from Discord: stored, cached for instant checks, and audited."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .errors import InvalidRequest
from .limits import SERVER_LIMITS, Limits, looser
from .safety.wordlist import MAX_PHRASES, normalise
from .storage.sqlite import Storage, StorageBusy


@dataclass(frozen=True)
class ServerSettings:
    """One server's overrides; None (or an empty tuple) means the operator's default."""

    channels: tuple[int, ...] = ()
    # The server's own limits, within the operator's (0: none of its own).
    own_limits: Limits = field(default_factory=Limits.none_of_its_own)
    image_model: str | None = None
    log_channel: int | None = None
    language: str | None = None
    max_quality: str | None = None
    allowed_models: tuple[str, ...] = ()
    moderation: str | None = None
    exempt_role_ids: tuple[int, ...] = ()
    # Phrases refused before any call, and members barred from the bot here.
    blocked_words: tuple[str, ...] = ()
    barred: tuple[int, ...] = ()
    # Screening prompts: off, log or block (the stricter of this and the operator's holds), and what counts.
    screening: str | None = None
    screening_categories: tuple[str, ...] = ()
    screen_results: bool | None = None
    # Whether the log channel's note of a withheld image shows it (behind a spoiler).
    log_withheld_images: bool = False
    # The server's own named styles: (name, phrase) pairs, offered first in /imagine's style option.
    styles: tuple[tuple[str, str], ...] = ()
    # Whether members may turn images into videos here (when the operator sells video); None: they may.
    video: bool | None = None

    def limits(self, base: Limits) -> Limits:
        """The limits in force here: for each, the stricter of the operator's and this server's."""
        return base.stricter(self.own_limits)

    def in_force(self, base: Limits) -> dict[str, tuple[float, str]]:
        """Each limit a server may set, its value in force here and whose it is: ``server``, ``operator`` or
        ``none``."""
        effective = self.limits(base)
        shown: dict[str, tuple[float, str]] = {}
        for name in SERVER_LIMITS:
            value = getattr(effective, name)
            own = getattr(self.own_limits, name)
            if not value:
                shown[name] = (0, "none")
            else:
                shown[name] = (value, "server" if own and own == value else "operator")
        return shown

    def models_allowed(self, operator_models: tuple[str, ...]) -> list[str]:
        """The models that may be used here (both lists agree), or [] when any model may."""
        if not operator_models:
            return list(self.allowed_models)
        return [model for model in operator_models if not self.allowed_models or model in self.allowed_models]

    def allows_channel(self, channel_id: int | None) -> bool:
        """Whether /imagine may be used in this channel."""
        return not self.channels or channel_id in self.channels


def with_blocked_word(current: ServerSettings, phrase: str, *, add: bool) -> dict[str, Any]:
    """The change that adds (or removes) a phrase to the server's word list, matched as the list matches it;
    raises InvalidRequest for an empty phrase, one to remove that is not there, or a full list."""
    wanted = normalise(phrase)
    if not wanted:
        raise InvalidRequest("admin.blocked.need_phrase")
    known = [normalise(word) for word in current.blocked_words]
    if not add:
        if wanted not in known:
            raise InvalidRequest("admin.blocked.missing", phrase=phrase)
        return {"blocked_words": tuple(word for word in current.blocked_words if normalise(word) != wanted)}
    if wanted in known:
        return {"blocked_words": current.blocked_words}
    if len(current.blocked_words) >= MAX_PHRASES:
        raise InvalidRequest("admin.blocked.full", limit=MAX_PHRASES)
    return {"blocked_words": (*current.blocked_words, " ".join(phrase.split()))}


def with_exempt_role(current: ServerSettings, role_id: int, *, exempt: bool) -> dict[str, Any]:
    """The change that exempts a role from the daily limits and the cooldown here (or no longer)."""
    if exempt:
        return {"exempt_role_ids": tuple(dict.fromkeys([*current.exempt_role_ids, role_id]))}
    return {"exempt_role_ids": tuple(role for role in current.exempt_role_ids if role != role_id)}


def with_barred(current: ServerSettings, user_id: int, *, barred: bool) -> dict[str, Any]:
    """The change that bars a member from the bot here (or lets them back)."""
    others = tuple(member for member in current.barred if member != user_id)
    return {"barred": (*others, user_id) if barred else others}


def check_ceiling(base: Limits, **changes: Any) -> None:
    """Raise InvalidRequest naming the operator's ceiling when a server's new limit would be looser than it."""
    for name, value in changes.items():
        if name in SERVER_LIMITS and looser(name, value, getattr(base, name)):
            raise InvalidRequest(f"admin.ceiling.{name}", value=_number(value), ceiling=_number(getattr(base, name)))


def _number(value: float) -> str:
    return f"{value:g}"


# The names a server's settings are stored and changed under: its limits beside the rest, in one flat record.
SETTING_NAMES = (
    *SERVER_LIMITS,
    *(spec.name for spec in dataclasses.fields(ServerSettings) if spec.name != "own_limits"),
)


# What an admin's change does to a server's settings: the settings that change, from those in force.
Edit = Callable[[ServerSettings], dict[str, Any]]
# Tries of a change whose settings another change keeps overtaking.
EDIT_ATTEMPTS = 5


class ServerSettingsStore:
    """Every server's settings in memory (read once at start), written through to the database."""

    def __init__(self, storage: Storage, clock: Callable[[], float] = time.time) -> None:
        self.storage = storage
        self.clock = clock
        self._cache: dict[int, ServerSettings] = {}

    async def load(self) -> None:
        """Read all servers' settings."""
        for guild_id, data in (await self.storage.server_settings()).items():
            self._cache[guild_id] = _from_json(data)

    def default_models(self) -> list[str]:
        """The default models servers chose, to warn about those that are gone."""
        return [settings.image_model for settings in self._cache.values() if settings.image_model]

    def get(self, guild_id: int | None) -> ServerSettings:
        """A server's settings (the defaults outside servers or before any change)."""
        return self._cache.get(guild_id, ServerSettings()) if guild_id is not None else ServerSettings()

    async def change(self, guild_id: int, user_id: int, **changes: Any) -> ServerSettings:
        """Apply ``changes``, store them and record who made them; returns the new settings."""
        updated, _ = await self.edit(guild_id, user_id, lambda current: changes)
        return updated

    async def edit(self, guild_id: int, user_id: int, edit: Edit) -> tuple[ServerSettings, dict[str, Any]]:
        """Change a server's settings as ``edit`` says from what is stored now, record who did; returns the new
        settings and the changes made.

        Only the changed settings are written, and only if nothing changed them since they were read (in another
        process, or in this one meanwhile); otherwise ``edit`` is asked again from the newer settings, so two
        admins adding to one list at once keep both. ``edit`` may raise to refuse the change.
        """
        for _ in range(EDIT_ATTEMPTS):
            stored = await self.storage.server_settings_of(guild_id)
            changes = edit(_from_json(stored) if stored is not None else ServerSettings())
            record = json.dumps({key: _jsonable(value) for key, value in changes.items()}, ensure_ascii=False)
            merged = await self.storage.change_server_settings(guild_id, record, user_id, self.clock(), stored)
            if merged is not None:
                updated = self._cache[guild_id] = _from_json(merged)
                return updated, changes
        raise StorageBusy(f"server {guild_id}'s settings kept changing while they were being changed")


def _jsonable(value: Any) -> Any:
    return [_jsonable(item) for item in value] if isinstance(value, tuple) else value


# Names settings were stored under before they took the names of the operator's settings.
_RENAMED = {
    "images_per_user_day": "daily_images_per_user",
    "images_per_server_day": "daily_images_per_server",
    "daily_budget": "daily_budget_per_server",
    "default_model": "image_model",
    "exempt_roles": "exempt_role_ids",
}


def _from_json(data: str) -> ServerSettings:
    """A server's settings from their stored form: one flat object, its limits beside the rest."""
    loaded = json.loads(data)
    # A setting changed since it was renamed is stored under both names: the new one is the newer value.
    stored = {_RENAMED.get(key, key): value for key, value in loaded.items() if key in _RENAMED}
    stored.update({key: value for key, value in loaded.items() if key not in _RENAMED})
    values = {key: value for key, value in stored.items() if key in SETTING_NAMES and key not in SERVER_LIMITS}
    own = {key: value or 0 for key, value in stored.items() if key in SERVER_LIMITS}
    values["own_limits"] = dataclasses.replace(Limits.none_of_its_own(), **own)
    for name in ("channels", "allowed_models", "exempt_role_ids", "blocked_words", "barred", "screening_categories"):
        if name in values:
            values[name] = tuple(values[name])
    if "styles" in values:
        values["styles"] = tuple((str(name), str(phrase)) for name, phrase in values["styles"])
    return ServerSettings(**values)
