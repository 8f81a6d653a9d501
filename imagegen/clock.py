"""The wall clock the core reads, and the UTC days it counts in.

Every date the core acts on (daily counts and budgets, their reset at midnight, how long kept results are tried,
the day a model shuts down) comes from a clock it is handed, so a test or a check can say what time it is.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable

# Unix time now: ``time.time`` in the bot, a clock of their own in tests.
Clock = Callable[[], float]

system_clock: Clock = time.time


def day_of(now: float) -> datetime.date:
    """The UTC day of a Unix time."""
    return datetime.datetime.fromtimestamp(now, datetime.UTC).date()


def next_midnight(now: float) -> int:
    """The Unix time of the next midnight UTC, when daily counts reset."""
    tomorrow = day_of(now) + datetime.timedelta(days=1)
    return int(datetime.datetime.combine(tomorrow, datetime.time(), datetime.UTC).timestamp())


def day_start(now: float) -> float:
    """The Unix time of the last midnight UTC."""
    return float(next_midnight(now) - 86400)
