"""The models offered to users: the image-capable ones the API lists, cached, or the configured list."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from .client import ImageClient
from .errors import ImageGenError

log = logging.getLogger(__name__)

# Autocomplete must answer within Discord's 3 seconds, so a first fetch gets this long at most.
FIRST_FETCH_WAIT = 2.0
MAX_CHOICES = 25


class ModelCatalog:
    """Caches ``GET /models`` for autocomplete; never lets a slow or failing API delay an answer much."""

    def __init__(
        self,
        client: ImageClient,
        fallback: tuple[str, ...],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.fallback = fallback
        self.ttl = ttl
        self.clock = clock
        self._models: tuple[str, ...] = ()
        self._fetched_at: float | None = None
        self._refreshing: asyncio.Task[None] | None = None

    @property
    def models(self) -> tuple[str, ...]:
        """The models to offer now: the listed ones, or the configured list when none were listed."""
        return self._models or self.fallback

    def refresh(self) -> asyncio.Task[None]:
        """Start fetching the list in the background (once at a time) and return that task."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._fetch())
        return self._refreshing

    async def _fetch(self) -> None:
        try:
            models = await self.client.list_models()
        except ImageGenError as error:
            log.warning("could not list models, offering the configured ones: %s", error.detail)
            models = []
        self._fetched_at = self.clock()
        # The configured default stays first even when the API does not list it.
        self._models = tuple(dict.fromkeys([*self.fallback, *models]))

    async def search(self, text: str) -> list[str]:
        """Up to 25 models whose names contain ``text``, the configured default first."""
        stale = self._fetched_at is None or self.clock() - self._fetched_at > self.ttl
        if stale:
            task = self.refresh()
            if self._fetched_at is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), FIRST_FETCH_WAIT)
        needle = text.strip().lower()
        return [model for model in self.models if needle in model.lower()][:MAX_CHOICES]

    async def close(self) -> None:
        """Stop a fetch still under way."""
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
