"""The limits that protect the operator's money, declared once.

Each field of ``Limits`` says, beside its default, how it is set: the environment variable the operator writes (and
the older names still read), its range and unit, and, for the limits a server may set for itself, the range of the
``/imagine-admin`` option and which way is stricter. The settings read the environment from these declarations,
each server's settings hold a ``Limits`` of their own, the admin commands take their ranges from here, and the
ledger decides with the limits in force: the stricter, field by field, of the operator's and the server's.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

# How a value is written in the environment: a whole number, seconds, minutes (kept as seconds), or US dollars.
Unit = Literal["count", "seconds", "minutes", "dollars"]
# Said when the window or the length of the cooling-off is set to 0, as if that turned it off.
COOLOFF_OFF = "REFUSALS_BEFORE_COOLOFF=0 turns the cooling-off off"


@dataclass(frozen=True)
class Limit:
    """How one limit is set."""

    env: str
    unit: Unit
    low: float
    high: float
    # The range a server's admins may choose from, or None when only the operator sets it.
    server: tuple[int, int] | None = None
    # Which way is stricter: a lower cap (0 being none), or a longer wait (cooldown).
    stricter: Literal["lower", "higher"] = "lower"
    # Whether a server's value looser than the operator's is refused; when not, it is kept and the operator's holds.
    refuse_looser: bool = True
    # Names the variable had before, still read (with a note in the log) when the new one is not set.
    old_names: tuple[str, ...] = ()
    hint: str = ""


def _limit(default: Any, **how: Any) -> Any:
    return field(default=default, metadata={"limit": Limit(**how)})


@dataclass(frozen=True)
class Limits:
    """What one member and one server may use; for the caps, 0 means none."""

    daily_images_per_user: int = _limit(
        0, env="DAILY_IMAGES_PER_USER", unit="count", low=0, high=1_000_000, server=(0, 100_000)
    )
    daily_images_per_server: int = _limit(
        0, env="DAILY_IMAGES_PER_SERVER", unit="count", low=0, high=1_000_000, server=(0, 1_000_000)
    )
    cooldown_seconds: float = _limit(
        0.0, env="COOLDOWN_SECONDS", unit="seconds", low=0, high=86_400, server=(0, 86_400), stricter="higher"
    )
    # The most images one request may ask for.
    # A server's larger maximum is kept (the picker only ever offers the operator's range): the operator's holds.
    max_images: int = _limit(4, env="MAX_IMAGES", unit="count", low=1, high=10, server=(1, 10), refuse_looser=False)
    # Estimated dollars a server may spend per day.
    daily_budget_per_server: float = _limit(
        0.0, env="DAILY_BUDGET_PER_SERVER", unit="dollars", low=0, high=1_000_000, server=(0, 100_000)
    )
    # Seconds of video one member may have made per day (when the operator sells video).
    daily_video_seconds_per_user: int = _limit(
        30, env="DAILY_VIDEO_SECONDS_PER_USER", unit="count", low=0, high=86_400, server=(0, 3_600)
    )
    # Images one member may receive per day in direct messages (when ALLOW_DMS is on).
    daily_dm_images_per_user: int = _limit(
        5, env="DAILY_DM_IMAGES_PER_USER", unit="count", low=0, high=100_000, old_names=("DM_IMAGES_PER_USER_DAY",)
    )
    # Refusals that, within the window, start a cooling-off period; 0 turns it off.
    refusals_before_cooloff: int = _limit(3, env="REFUSALS_BEFORE_COOLOFF", unit="count", low=0, high=100)
    refusal_window_seconds: float = _limit(
        600.0, env="REFUSAL_WINDOW_MINUTES", unit="minutes", low=1, high=1440, hint=COOLOFF_OFF
    )
    cooloff_seconds: float = _limit(900.0, env="COOLOFF_MINUTES", unit="minutes", low=1, high=1440, hint=COOLOFF_OFF)

    @classmethod
    def none_of_its_own(cls) -> Limits:
        """A server's limits before its admins set any: every one 0, "the operator's"."""
        return cls(**{name: 0 for name in SERVER_LIMITS})

    def stricter(self, server: Limits) -> Limits:
        """The limits in force where ``server`` holds: for each a server may set, the stricter of this (the
        operator's) and the server's, whose 0 means "no limit of our own". A server tightens, never loosens."""
        chosen = {name: stricter(name, getattr(server, name), getattr(self, name)) for name in SERVER_LIMITS}
        return dataclasses.replace(self, **chosen)


def how(name: str) -> Limit:
    """How the limit ``name`` is set."""
    spec: Limit = _FIELDS[name].metadata["limit"]
    return spec


def server_range(name: str) -> tuple[int, int]:
    """The range a server's admins may set the limit ``name`` in; KeyError for a limit only the operator sets."""
    allowed = how(name).server
    if allowed is None:
        raise KeyError(name)
    return allowed


def looser(name: str, value: float, ceiling: float) -> bool:
    """Whether a server's ``value`` for ``name`` would loosen the operator's ``ceiling`` (0 being none)."""
    if not value or not how(name).refuse_looser:
        return False
    if how(name).stricter == "higher":
        return value < ceiling
    return bool(ceiling) and value > ceiling


def stricter(name: str, server: float, operator: float) -> Any:
    """The stricter of a server's and the operator's value for the limit ``name``."""
    if how(name).stricter == "higher":
        return max(server, operator)
    caps = [cap for cap in (server, operator) if cap]
    return min(caps) if caps else 0


_FIELDS = {spec.name: spec for spec in dataclasses.fields(Limits)}
# The limits a server's admins may set for their server, within the operator's.
SERVER_LIMITS = tuple(name for name, spec in _FIELDS.items() if spec.metadata["limit"].server is not None)
