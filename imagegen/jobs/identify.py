"""Shards of every process take turns to IDENTIFY, as Discord requires, through the shared database."""

from __future__ import annotations

import asyncio

import asyncpg
from asyncpg.pool import PoolConnectionProxy

# Shards IDENTIFY one per bucket at a time, across processes: this number plus the bucket.
IDENTIFY_LOCK = 7_244_000


class IdentifyGate:
    """Discord lets ``max_concurrency`` shards IDENTIFY at once, each bucket (shard id modulo it) once every five
    seconds, whichever process runs the shard: a PostgreSQL advisory lock per bucket, held while one shard of it
    identifies and for the five seconds after."""

    SPACING = 5.0

    def __init__(self, pool: asyncpg.Pool, spacing: float = SPACING) -> None:
        self.pool = pool
        self.spacing = spacing
        self._holding: set[asyncio.Task[None]] = set()

    async def wait(self, bucket: int) -> None:
        """Return when this process may IDENTIFY a shard of ``bucket``; the bucket is held for the spacing."""
        connection = await self.pool.acquire()
        try:
            await connection.execute("SELECT pg_advisory_lock($1)", IDENTIFY_LOCK + bucket)
        except BaseException:
            await self.pool.release(connection)
            raise
        task = asyncio.create_task(self._release_later(connection, bucket))
        self._holding.add(task)
        task.add_done_callback(self._holding.discard)

    async def _release_later(self, connection: PoolConnectionProxy[asyncpg.Record], bucket: int) -> None:
        try:
            await asyncio.sleep(self.spacing)
            await connection.execute("SELECT pg_advisory_unlock($1)", IDENTIFY_LOCK + bucket)
        finally:
            await self.pool.release(connection)

    async def close(self) -> None:
        """Let go of any bucket still held."""
        for task in list(self._holding):
            task.cancel()
        await asyncio.gather(*self._holding, return_exceptions=True)
