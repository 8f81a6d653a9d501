"""Which port each request to a fake came from: a request through a test proxy comes from one of the proxy's."""

from __future__ import annotations

from typing import Any

from aiohttp import web


def peer_recorder(peers: list[int]) -> Any:
    """An aiohttp middleware that appends each request's remote port to ``peers``."""

    @web.middleware
    async def note_peer(request: web.Request, handler: Any) -> web.StreamResponse:
        peer = request.transport.get_extra_info("peername") if request.transport is not None else None
        if peer:
            peers.append(int(peer[1]))
        return await handler(request)

    return note_peer
