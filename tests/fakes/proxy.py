"""A real proxy on 127.0.0.1, HTTP (absolute-form and CONNECT), SOCKS4(a) or SOCKS5, that records where it
connected."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ipaddress
import struct


class Proxy:
    """Forwards connections to their targets, byte for byte; ``kind`` is ``http``, ``socks4`` or ``socks5``.

    ``targets`` holds each ``(host, port)`` it was asked for (a name, when the client left resolving it to the
    proxy), and ``local_ports`` the ports of its own connections to them: a server that sees a request from one of
    those ports knows the request came through this proxy. ``names`` are the proxy's own DNS: names only it can
    resolve. With ``credentials``, clients must authenticate (Basic for HTTP, username/password for SOCKS5, the
    user id for SOCKS4). A ``failing`` proxy reaches no target: it answers 502 Bad Gateway (HTTP) or "connection
    refused" (SOCKS). ``scheme`` is how its URL names it (``socks5h`` for a SOCKS5 proxy that resolves names).
    """

    def __init__(
        self,
        kind: str,
        credentials: tuple[str, str] | None = None,
        *,
        scheme: str | None = None,
        names: dict[str, str] | None = None,
        failing: bool = False,
    ) -> None:
        self.kind = kind
        self.scheme = scheme or kind
        self.credentials = credentials
        self.names = names or {}
        self.failing = failing
        self.targets: list[tuple[str, int]] = []
        self.local_ports: set[int] = set()
        self.refused = 0
        self.port = 0
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        auth = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"{self.scheme}://{auth}127.0.0.1:{self.port}"

    async def start(self) -> None:
        handler = {"http": self._http, "socks4": self._socks4, "socks5": self._socks5}[self.kind]

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            # A client that gives up halfway (the bot stopping, a refused handshake) is no error of the proxy's.
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                await handler(reader, writer)

        self._server = await asyncio.start_server(serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _open(self, host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        self.targets.append((host, port))
        reader, writer = await asyncio.open_connection(self.names.get(host, host), port)
        self.local_ports.add(writer.get_extra_info("sockname")[1])
        return reader, writer

    async def _http(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        request_line, *header_lines = head.decode("latin-1").split("\r\n")
        method, target, _ = request_line.split(" ", 2)
        headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
        if self.credentials and not _basic_matches(headers.get("proxy-authorization", ""), self.credentials):
            self.refused += 1
            writer.write(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        if self.failing:
            writer.write(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        if method == "CONNECT":
            host, _, port = target.rpartition(":")
            upstream = await self._open(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await self._pipe(reader, writer, *upstream)
            return
        # Absolute form (GET http://host:port/path): the server takes it as it is.
        authority = target.split("://", 1)[1].split("/", 1)[0]
        host, _, port = authority.rpartition(":")
        upstream_reader, upstream_writer = await self._open(host, int(port or 80))
        upstream_writer.write(head)
        await self._pipe(reader, writer, upstream_reader, upstream_writer)

    async def _socks5(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _version, count = await reader.readexactly(2)
        methods = await reader.readexactly(count)
        wanted = 2 if self.credentials else 0
        if wanted not in methods:
            writer.write(b"\x05\xff")
            await writer.drain()
            writer.close()
            return
        writer.write(bytes([5, wanted]))
        if self.credentials:
            _, size = await reader.readexactly(2)
            user = (await reader.readexactly(size)).decode()
            size = (await reader.readexactly(1))[0]
            password = (await reader.readexactly(size)).decode()
            ok = (user, password) == self.credentials
            writer.write(b"\x01\x00" if ok else b"\x01\x01")
            if not ok:
                self.refused += 1
                await writer.drain()
                writer.close()
                return
        _version, _command, _, kind = await reader.readexactly(4)
        if kind == 1:
            host = str(ipaddress.IPv4Address(await reader.readexactly(4)))
        elif kind == 3:
            host = (await reader.readexactly((await reader.readexactly(1))[0])).decode()
        else:
            host = str(ipaddress.IPv6Address(await reader.readexactly(16)))
        (port,) = struct.unpack("!H", await reader.readexactly(2))
        if self.failing:
            writer.write(b"\x05\x05\x00\x01" + bytes(4) + b"\x00\x00")  # 5: connection refused
            await writer.drain()
            writer.close()
            return
        upstream = await self._open(host, port)
        writer.write(b"\x05\x00\x00\x01" + bytes(4) + b"\x00\x00")
        await writer.drain()
        await self._pipe(reader, writer, *upstream)

    async def _socks4(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        _version, _command, port, address = struct.unpack("!BBH4s", await reader.readexactly(8))
        user = (await reader.readuntil(b"\0"))[:-1].decode()
        host = str(ipaddress.IPv4Address(address))
        if address[:3] == bytes(3) and address[3]:
            # SOCKS4a: 0.0.0.x stands for "resolve the name that follows".
            host = (await reader.readuntil(b"\0"))[:-1].decode()
        refused = self.credentials is not None and user != self.credentials[0]
        self.refused += refused
        if refused or self.failing:
            # 0x5D: the user id does not match; 0x5B: rejected or failed.
            writer.write(bytes([0, 0x5D if refused else 0x5B]) + bytes(6))
            await writer.drain()
            writer.close()
            return
        upstream = await self._open(host, port)
        writer.write(b"\x00\x5a" + bytes(6))
        await writer.drain()
        await self._pipe(reader, writer, *upstream)

    async def _pipe(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        upstream_reader: asyncio.StreamReader,
        upstream_writer: asyncio.StreamWriter,
    ) -> None:
        async def copy(source: asyncio.StreamReader, target: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError, asyncio.IncompleteReadError):
                while chunk := await source.read(1 << 16):
                    target.write(chunk)
                    await target.drain()
            with contextlib.suppress(ConnectionError, RuntimeError):
                target.close()

        tasks = [
            asyncio.ensure_future(copy(reader, upstream_writer)),
            asyncio.ensure_future(copy(upstream_reader, writer)),
        ]
        self._tasks.update(tasks)
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            self._tasks.difference_update(tasks)


def _basic_matches(header: str, credentials: tuple[str, str]) -> bool:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        return base64.b64decode(encoded).decode() == f"{credentials[0]}:{credentials[1]}"
    except ValueError:
        return False
