"""A fake Discord on 127.0.0.1: the REST routes and the gateway the real discord.py uses, recording everything."""

from __future__ import annotations

import asyncio
import datetime
import io
import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import discord
from aiohttp import web
from PIL import Image

from tests.fakes.peers import peer_recorder

APP_ID = 100000000000000001
GUILD_ID = 200000000000000002
# A second server, on shard 1 of 2 (GUILD_ID is on shard 0): (id >> 22) % shards picks a server's shard.
SECOND_GUILD_ID = 200000000004194404
SECOND_CHANNEL_ID = 300000000000000044
CHANNEL_ID = 300000000000000003
OTHER_CHANNEL_ID = 300000000000000033
DM_CHANNEL_ID = 300000000000000099
NSFW_CHANNEL_ID = 300000000000000018
BOT_USER = {
    "id": str(APP_ID),
    "username": "imagine",
    "discriminator": "0",
    "global_name": None,
    "avatar": None,
    "bot": True,
}
MIB = 1024 * 1024
# The status of a scripted failure that closes the connection instead of answering.
DISCONNECT = 599
# View Channel and Send Messages: an ordinary member. Moderators add Manage Messages.
MEMBER_PERMISSIONS = 0x400 | 0x800
MANAGE_MESSAGES = 0x2000
ARTIST_ROLE_ID = 400000000000000004


def snowflake(age: datetime.timedelta = datetime.timedelta(0)) -> int:
    """A Discord id made ``age`` ago."""
    return discord.utils.time_snowflake(discord.utils.utcnow() - age)


def user_payload(user_id: int, name: str = "alice") -> dict[str, Any]:
    """A Discord user object."""
    return {"id": str(user_id), "username": name, "discriminator": "0", "global_name": name.title(), "avatar": None}


def json_response(data: Any, status: int = 200) -> web.Response:
    # discord.py wants exactly application/json, without aiohttp's charset; Discord's answers come through Google's
    # front end, which says so in Via (discord.py waits out a 429 only when it does, else takes it for a ban).
    headers = {"Content-Type": "application/json", "Via": "1.1 google"}
    return web.Response(body=json.dumps(data).encode(), status=status, headers=headers)


@dataclass
class Recorded:
    """One request the bot made to the fake Discord."""

    method: str
    path: str
    query: dict[str, str]
    payload: Any
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)
    status: int = 200

    @property
    def message(self) -> dict[str, Any] | None:
        """The message a request sends or edits: its body, or the ``data`` of an interaction callback."""
        if not isinstance(self.payload, dict):
            return None
        if self.path.endswith("/callback"):
            data = self.payload.get("data")
            return data if isinstance(data, dict) else None
        return self.payload

    @property
    def content(self) -> str:
        """The message content the request carries ("" when none)."""
        return str((self.message or {}).get("content") or "")

    @property
    def flags(self) -> int:
        """The message flags (64 = ephemeral)."""
        return int((self.message or {}).get("flags", 0) or 0)


@dataclass(frozen=True)
class Channel:
    """A channel given as a command option."""

    id: int


@dataclass(frozen=True)
class User:
    """A member given as a command option."""

    id: int


@dataclass(frozen=True)
class Role:
    """A role given as a command option."""

    id: int


@dataclass
class Failure:
    """A scripted failure: requests whose method and path match answer with this status and body."""

    method: str
    path_contains: str
    status: int
    body: dict[str, Any]
    times: int = 1
    # Only requests that upload files (a result) fail; status edits and plain messages go through.
    files_only: bool = False


class FakeDiscord:
    """REST and gateway in one aiohttp app. Tests send interactions and read what the bot answered."""

    def __init__(self) -> None:
        self.requests: list[Recorded] = []
        self.failures: list[Failure] = []
        # Discord refuses a request whose files together pass the upload limit, whatever each file's size.
        self.upload_limit = 10 * MIB
        # While set and not open, uploads wait here: a result on its way to Discord, held there.
        self.upload_gate: asyncio.Event | None = None
        self.uploads_waiting = 0
        # While set and not open, reading an attachment from the CDN waits here.
        self.download_gate: asyncio.Event | None = None
        # Real snowflakes of now: discord.py reads an interaction's age (and token expiry) from its id.
        self._ids = itertools.count(snowflake())
        self._seq = itertools.count(1)
        self._changed = asyncio.Condition()
        self._sockets: list[web.WebSocketResponse] = []
        self.identified = asyncio.Event()
        # Servers the bot is in; the shards Discord recommends and how many may IDENTIFY at once.
        self.guilds = [GUILD_ID]
        self.recommended_shards = 1
        self.max_concurrency = 1
        # Each IDENTIFY: (shard, shard count, when); the socket of each shard that identified.
        self.identifies: list[tuple[int, int, float]] = []
        self._shards: dict[int, web.WebSocketResponse] = {}
        self.shard_count = 1
        self.gateway_open = asyncio.Event()
        self.gateway_open.set()
        self.messages: dict[str, dict[str, Any]] = {}
        self.uploads: dict[str, bytes] = {}
        # When each interaction's first callback arrived, by token.
        self.acknowledged: dict[str, float] = {}
        self._originals: dict[str, str] = {}
        # Interactions answered (a second callback is refused), and tokens whose 15 minutes are over.
        self._answered: set[str] = set()
        self._expired: set[str] = set()
        self.runner: web.AppRunner | None = None
        self.port = 0
        self.peers: list[int] = []
        app = web.Application(client_max_size=200 * MIB, middlewares=[peer_recorder(self.peers)])
        app.router.add_get("/gateway", self.gateway)
        app.router.add_get("/attachments/{id}/{name}", self.attachment)
        app.router.add_route("*", "/api/v10/{path:.*}", self.rest)
        self.app = app

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        self.runner = web.AppRunner(self.app)
        await self.runner.setup()
        # Discord takes a burst of new connections; the default backlog (128) would drop some for a second.
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def close(self) -> None:
        for socket in self._sockets:
            await socket.close()
        if self.runner is not None:
            await self.runner.cleanup()

    def fail(
        self,
        method: str,
        path_contains: str,
        status: int,
        code: int = 0,
        times: int = 1,
        files_only: bool = False,
        retry_after: float = 0.5,
    ) -> None:
        """Make the next ``times`` matching requests fail (only those uploading files, with ``files_only``); status
        ``DISCONNECT`` closes the connection without an answer, 429 asks to wait ``retry_after`` seconds."""
        body: dict[str, Any] = {"message": "scripted failure", "code": code}
        if status == 429:
            body.update({"retry_after": retry_after, "global": False})
        self.failures.append(Failure(method, path_contains, status, body, times, files_only))

    def expire(self, token: str) -> None:
        """End an interaction token's 15 minutes: its callback and webhook requests fail from now on."""
        self._expired.add(token)

    # -- waiting -----------------------------------------------------------------------------------------------

    async def wait_for(self, predicate: Callable[[], Any], within: float = 15.0) -> Any:
        """Wait until ``predicate()`` is truthy (checked after every request), and return its value."""

        async def waiter() -> Any:
            async with self._changed:
                while not (result := predicate()):
                    await self._changed.wait()
                return result

        return await asyncio.wait_for(waiter(), within)

    async def _record(self, entry: Recorded) -> None:
        async with self._changed:
            self.requests.append(entry)
            self._changed.notify_all()

    def for_token(self, token: str) -> list[Recorded]:
        """Every request made with an interaction's token, in order."""
        return [entry for entry in self.requests if f"/{token}" in entry.path]

    # -- gateway -----------------------------------------------------------------------------------------------

    async def drop_gateway(self) -> None:
        """Close the gateway connection and keep it closed until ``reopen_gateway``."""
        self.gateway_open.clear()
        for socket in self._sockets:
            await socket.close()

    def reopen_gateway(self) -> None:
        """Let the bot connect to the gateway again (it resumes its session)."""
        self.gateway_open.set()

    async def gateway(self, request: web.Request) -> web.WebSocketResponse:
        await self.gateway_open.wait()
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        await socket.send_json({"op": 10, "d": {"heartbeat_interval": 41250}})
        async for message in socket:
            data = json.loads(message.data)
            if data["op"] == 1:
                await socket.send_json({"op": 11})
            elif data["op"] == 2:
                shard, count = data["d"].get("shard") or [0, 1]
                self.identifies.append((shard, count, time.monotonic()))
                self._shards[shard], self.shard_count = socket, count
                mine = [guild for guild in self.guilds if shard_of(guild, count) == shard]
                await self._dispatch(socket, "READY", self._ready(mine, [shard, count]))
                for guild in mine:
                    await self._dispatch(socket, "GUILD_CREATE", self._guild(guild))
                async with self._changed:
                    self.identified.set()
                    self._changed.notify_all()
            elif data["op"] == 6:
                await self._dispatch(socket, "RESUMED", {})
        return socket

    async def _dispatch(self, socket: web.WebSocketResponse, event: str, data: dict[str, Any]) -> None:
        await socket.send_json({"op": 0, "t": event, "s": next(self._seq), "d": data})

    async def send_event(self, event: str, data: dict[str, Any]) -> None:
        """Send a gateway event to the connected bot: to the shard of the event's server (shard 0 outside one)."""
        await asyncio.wait_for(self.identified.wait(), 15)
        guild = data.get("guild_id")
        shard = shard_of(int(guild), self.shard_count) if guild else 0
        socket = self._shards.get(shard)
        await self._dispatch(socket if socket is not None and not socket.closed else self._sockets[-1], event, data)

    def _ready(self, guilds: list[int], shard: list[int]) -> dict[str, Any]:
        return {
            "v": 10,
            "user": BOT_USER,
            "shard": shard,
            "guilds": [{"id": str(guild), "unavailable": True} for guild in guilds],
            "session_id": "fake-session",
            "resume_gateway_url": self.gateway_url,
            "application": {"id": str(APP_ID), "flags": 0},
        }

    def _guild(self, guild_id: int = GUILD_ID) -> dict[str, Any]:
        return {
            "id": str(guild_id),
            "name": "Fake Guild",
            "owner_id": "1",
            "member_count": 3,
            "roles": [
                {"id": str(GUILD_ID), "name": "@everyone", "permissions": "0", "position": 0, "color": 0},
                {"id": str(ARTIST_ROLE_ID), "name": "Artists", "permissions": "0", "position": 1, "color": 0},
            ],
            "channels": [
                self.channel_payload(),
                self.channel_payload(OTHER_CHANNEL_ID, "art"),
                self.channel_payload(NSFW_CHANNEL_ID, "after-dark"),
            ]
            if guild_id == GUILD_ID
            else [{**self.channel_payload(SECOND_CHANNEL_ID), "guild_id": str(guild_id)}],
            "members": [],
            "emojis": [],
            "stickers": [],
            "features": [],
            "threads": [],
            "voice_states": [],
            "presences": [],
        }

    @staticmethod
    def channel_payload(channel_id: int = CHANNEL_ID, name: str = "general") -> dict[str, Any]:
        return {
            "id": str(channel_id),
            "type": 0,
            "guild_id": str(GUILD_ID),
            "name": name,
            "position": 0,
            "permission_overwrites": [],
            "nsfw": channel_id == NSFW_CHANNEL_ID,
            "parent_id": None,
        }

    # -- interactions ------------------------------------------------------------------------------------------

    def interaction(
        self,
        data: dict[str, Any],
        *,
        kind: int = 2,
        user_id: int = 500000000000000005,
        locale: str = "en-US",
        size_limit: int = 10 * MIB,
        age: datetime.timedelta | None = None,
        permissions: int = MEMBER_PERMISSIONS,
        roles: tuple[int, ...] = (),
        channel_id: int = CHANNEL_ID,
        dm: bool = False,
        guild_id: int = GUILD_ID,
    ) -> dict[str, Any]:
        """An INTERACTION_CREATE payload as Discord sends it for a member of the fake guild, made ``age`` ago."""
        interaction_id = next(self._ids) if age is None else snowflake(age)
        payload: dict[str, Any] = {
            "id": str(interaction_id),
            "application_id": str(APP_ID),
            "type": kind,
            "token": f"tok{interaction_id}",
            "version": 1,
            "attachment_size_limit": size_limit,
            "data": data,
            "guild_id": str(guild_id),
            "channel_id": str(channel_id),
            "channel": {**self.channel_payload(channel_id), "guild_id": str(guild_id)},
            "member": {
                "user": user_payload(user_id),
                "roles": [str(role) for role in roles],
                "flags": 0,
                "joined_at": "2026-01-01T00:00:00+00:00",
                "deaf": False,
                "mute": False,
                "permissions": str(permissions),
            },
            "app_permissions": "2147483647",
            "locale": locale,
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": str(guild_id)},
            "context": 0,
        }
        if dm:
            # A direct message: no guild, a user instead of a member, a DM channel.
            for key in ("guild_id", "member", "guild_locale"):
                payload.pop(key)
            payload["user"] = user_payload(user_id)
            payload["channel_id"] = str(DM_CHANNEL_ID)
            payload["channel"] = {"id": str(DM_CHANNEL_ID), "type": 1, "recipients": [user_payload(user_id)]}
            payload["context"] = 1
        return payload

    def upload(
        self, filename: str, blob: bytes, content_type: str | None = "image/png", size: int | None = None
    ) -> dict[str, Any]:
        """A file a user attaches to a command, served by this fake's CDN; ``size`` is what Discord declares."""
        attachment_id = str(next(self._ids))
        self.uploads[attachment_id] = blob
        url = f"http://127.0.0.1:{self.port}/attachments/{attachment_id}/{filename}"
        attachment = {"id": attachment_id, "filename": filename, "size": len(blob) if size is None else size,
                      "url": url, "proxy_url": url}  # fmt: skip
        if content_type is not None:
            attachment["content_type"] = content_type
        return attachment

    def _stored(self, name: str, blob: bytes) -> dict[str, Any]:
        # Files the bot posts are served back from this fake's CDN, as Discord does, with an image's size.
        kind = "image/webp" if name.endswith(".webp") else "image/png"
        attachment = self.upload(name, blob, kind)
        try:
            with Image.open(io.BytesIO(blob)) as image:
                attachment["width"], attachment["height"] = image.size
        except OSError:
            pass
        return attachment

    async def attachment(self, request: web.Request) -> web.Response:
        await self._record(Recorded("GET", request.path, {}, None))
        if self.download_gate is not None:
            await self.download_gate.wait()
        blob = self.uploads.get(request.match_info["id"])
        return web.Response(body=blob) if blob is not None else web.Response(status=404)

    async def slash(
        self, name: str, options: dict[str, Any], subcommand: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Invoke a slash command as a user would; attachments as made by ``upload``, channels as ``Channel``."""
        entries: list[dict[str, Any]] = []
        resolved: dict[str, dict[str, Any]] = {"attachments": {}, "channels": {}, "roles": {}, "users": {}}
        for key, value in options.items():
            if isinstance(value, User):
                resolved["users"][str(value.id)] = user_payload(value.id, "member")
                entries.append({"name": key, "type": 6, "value": str(value.id)})
                continue
            if isinstance(value, Role):
                resolved["roles"][str(value.id)] = {"id": str(value.id), "name": "role", "permissions": "0",
                                                    "position": 1, "color": 0}  # fmt: skip
                entries.append({"name": key, "type": 8, "value": str(value.id)})
            elif isinstance(value, Channel):
                resolved["channels"][str(value.id)] = {**self.channel_payload(value.id), "permissions": "2147483647"}
                entries.append({"name": key, "type": 7, "value": str(value.id)})
            elif isinstance(value, dict):
                resolved["attachments"][value["id"]] = value
                entries.append({"name": key, "type": 11, "value": value["id"]})
            else:
                entries.append(_option(key, value))
        if subcommand is not None:
            # "styles add" is the subcommand add of the group styles.
            *group, leaf = subcommand.split()
            entries = [{"name": leaf, "type": 1, "options": entries}]
            if group:
                entries = [{"name": group[0], "type": 2, "options": entries}]
        data: dict[str, Any] = {"id": "1", "name": name, "type": 1, "options": entries}
        if any(resolved.values()):
            data["resolved"] = {kind: found for kind, found in resolved.items() if found}
        payload = self.interaction(data, **kwargs)
        await self.send_event("INTERACTION_CREATE", payload)
        return payload

    async def autocomplete(
        self, name: str, options: dict[str, Any], focused: str, subcommand: str | None = None, **kwargs: Any
    ) -> dict[str, Any]:
        """Type into an autocomplete option; returns the interaction payload sent."""
        entries = [_option(key, value) for key, value in options.items()]
        for entry in entries:
            if entry["name"] == focused:
                entry["focused"] = True
        if subcommand is not None:
            *group, leaf = subcommand.split()
            entries = [{"name": leaf, "type": 1, "options": entries}]
            if group:
                entries = [{"name": group[0], "type": 2, "options": entries}]
        data = {"id": "1", "name": name, "type": 1, "options": entries}
        payload = self.interaction(data, kind=4, **kwargs)
        await self.send_event("INTERACTION_CREATE", payload)
        return payload

    def original(self, token: str) -> dict[str, Any]:
        """The message an interaction's response created, as it stands now ({} before there is one)."""
        return self.messages.get(self._originals.get(token, ""), {})

    async def click(self, message: dict[str, Any], custom_id: str, **kwargs: Any) -> dict[str, Any]:
        """Click a button of a message the bot posted; returns the interaction payload sent."""
        payload = self.interaction({"custom_id": custom_id, "component_type": 2}, kind=3, **kwargs)
        payload["message"] = message
        await self.send_event("INTERACTION_CREATE", payload)
        return payload

    async def message_command(self, name: str, message: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        """Use a message context menu command on ``message``; returns the interaction payload sent."""
        data = {"id": "2", "name": name, "type": 3, "target_id": message["id"],
                "resolved": {"messages": {message["id"]: message}}}  # fmt: skip
        payload = self.interaction(data, **kwargs)
        await self.send_event("INTERACTION_CREATE", payload)
        return payload

    async def submit_modal(self, custom_id: str, values: dict[str, str], **kwargs: Any) -> dict[str, Any]:
        """Submit a modal the bot opened, with these text input values; returns the interaction payload sent."""
        rows = [
            {"type": 1, "components": [{"type": 4, "custom_id": key, "value": value}]} for key, value in values.items()
        ]
        payload = self.interaction({"custom_id": custom_id, "components": rows}, kind=5, **kwargs)
        await self.send_event("INTERACTION_CREATE", payload)
        return payload

    # -- REST --------------------------------------------------------------------------------------------------

    async def rest(self, request: web.Request) -> web.StreamResponse:
        arrived = time.monotonic()
        path = "/" + request.match_info["path"]
        if path.endswith("/callback"):
            self.acknowledged.setdefault(path.split("/")[3], arrived)
        payload, files = await _read_body(request)
        if files and self.upload_gate is not None:
            async with self._changed:
                self.uploads_waiting += 1
                self._changed.notify_all()
            await self.upload_gate.wait()
        response = (
            self._failure(request.method, path, bool(files))
            or self._too_large(files)
            or self._answer(request.method, path, payload, files)
        )
        if response.status == DISCONNECT and request.transport is not None:
            # Discord out of reach mid-request: the connection closes without an answer.
            request.transport.close()
        # Recorded once answered, so a test waking on this request sees the state it produced.
        recorded = Recorded(request.method, path, dict(request.query), payload, files, arrived, response.status)
        await self._record(recorded)
        return response

    def _too_large(self, files: dict[str, tuple[str, bytes]]) -> web.Response | None:
        if sum(len(blob) for _, blob in files.values()) <= self.upload_limit:
            return None
        return json_response({"message": "Request entity too large", "code": 40005}, 413)

    def _failure(self, method: str, path: str, uploads: bool) -> web.Response | None:
        for failure in self.failures:
            if failure.files_only and not uploads:
                continue
            if failure.times > 0 and failure.method == method and failure.path_contains in path:
                failure.times -= 1
                return json_response(failure.body, failure.status)
        return None

    def _answer(self, method: str, path: str, payload: Any, files: dict[str, tuple[str, bytes]]) -> web.Response:
        parts = path.strip("/").split("/")
        if path == "/users/@me":
            return json_response(BOT_USER)
        if path == "/gateway/bot":
            limit = {"total": 1000, "remaining": 1000, "reset_after": 0, "max_concurrency": self.max_concurrency}
            return json_response({"url": self.gateway_url, "shards": self.recommended_shards,
                                  "session_start_limit": limit})  # fmt: skip
        if path == "/oauth2/applications/@me":
            return json_response(_application())
        if parts[0] == "applications" and parts[-1] == "commands" and method == "PUT":
            # Discord answers every command with a description, "" for context menus.
            synced = [{"description": "", **command, "id": str(next(self._ids)), "application_id": str(APP_ID),
                       "version": "1"} for command in payload or []]  # fmt: skip
            return json_response(synced)
        if parts[0] in ("interactions", "webhooks") and len(parts) > 2 and parts[2] in self._expired:
            if parts[0] == "interactions":
                return json_response({"message": "Unknown interaction", "code": 10062}, 404)
            return json_response({"message": "Invalid Webhook Token", "code": 50027}, 401)
        if parts[0] == "interactions" and parts[-1] == "callback":
            if parts[2] in self._answered:
                return json_response({"message": "Interaction has already been acknowledged.", "code": 40060}, 400)
            self._answered.add(parts[2])
            return self._callback(parts[1], parts[2], payload, files)
        if parts[0] == "webhooks" and method == "DELETE":
            return web.Response(status=204)
        if parts[0] == "webhooks" and method == "PATCH" and parts[-1] == "@original":
            return json_response(self._edit(self._originals.get(parts[2], ""), payload or {}, files))
        if parts[0] == "webhooks" or (parts[0] == "channels" and parts[-1] == "messages" and method == "POST"):
            return json_response(self._message(payload or {}, files))
        if parts[0] == "channels" and len(parts) == 2:
            return json_response(self.channel_payload())
        if parts[0] == "channels" and len(parts) == 4 and parts[2] == "messages" and method == "DELETE":
            found = self.messages.pop(parts[3], None)
            return (
                web.Response(status=204) if found else json_response({"message": "Unknown Message", "code": 10008}, 404)
            )
        if parts[0] == "channels" and len(parts) == 4 and parts[2] == "messages" and parts[3] in self.messages:
            return json_response(self.messages[parts[3]])
        return json_response({"message": "404: Not Found", "code": 0}, 404)

    def _callback(
        self, interaction_id: str, token: str, payload: dict[str, Any], files: dict[str, tuple[str, bytes]]
    ) -> web.Response:
        kind = payload["type"]
        data = payload.get("data") or {}
        if kind == 8:
            refused = _invalid_choices(data.get("choices"))
            if refused:
                # As Discord does: the whole answer is refused, and the member sees no choices at all.
                return json_response({"message": "Invalid Form Body", "code": 50035, "errors": refused}, 400)
        flags = int(data.get("flags", 0) or 0)
        message = self._message(data, files)
        if kind in (4, 5):
            self._originals[token] = message["id"]
        body: dict[str, Any] = {
            "interaction": {
                "id": interaction_id,
                "type": 2,
                "response_message_id": message["id"],
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(flags & 64),
            }
        }
        if kind in (4, 5):
            body["resource"] = {"type": kind, "message": message}
        return json_response(body)

    def _edit(self, message_id: str, data: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        message = self.messages.get(message_id) or self._message({}, {})
        for key in ("content", "components", "embeds"):
            if key in data:
                message[key] = data[key] or ([] if key != "content" else "")
        if files or "attachments" in data:
            message["attachments"] = [self._stored(name, blob) for name, blob in files.values()]
        return message

    def _message(self, data: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        message = self._new_message(data, files)
        self.messages[message["id"]] = message
        return message

    def _new_message(self, data: dict[str, Any], files: dict[str, tuple[str, bytes]]) -> dict[str, Any]:
        return {
            "id": str(next(self._ids)),
            "channel_id": str(CHANNEL_ID),
            "guild_id": str(GUILD_ID),
            "author": BOT_USER,
            "content": data.get("content") or "",
            "timestamp": "2026-11-25T12:00:00+00:00",
            "edited_timestamp": None,
            "tts": False,
            "mention_everyone": False,
            "mentions": [],
            "mention_roles": [],
            "attachments": [self._stored(name, blob) for name, blob in files.values()],
            "embeds": data.get("embeds") or [],
            "pinned": False,
            "type": 0,
            "flags": int(data.get("flags", 0) or 0),
            "components": data.get("components") or [],
        }


# Discord's limits on an autocomplete answer: how many choices, and how long a choice's name and value may be.
MAX_CHOICES = 25
MAX_CHOICE_LENGTH = 100


def _invalid_choices(choices: Any) -> dict[str, Any]:
    """What Discord would say is wrong with an autocomplete answer's choices ({} when nothing is)."""
    if not isinstance(choices, list) or len(choices) > MAX_CHOICES:
        message = f"Must be {MAX_CHOICES} or fewer in length."
        return {"choices": {"_errors": [{"code": "BASE_TYPE_MAX_LENGTH", "message": message}]}}
    errors: dict[str, Any] = {}
    for index, choice in enumerate(choices):
        for key in ("name", "value"):
            value = choice.get(key)
            if isinstance(value, str) and not 1 <= len(value) <= MAX_CHOICE_LENGTH:
                message = f"Must be between 1 and {MAX_CHOICE_LENGTH} in length."
                errors.setdefault(str(index), {})[key] = {
                    "_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": message}]
                }
    return {"choices": errors} if errors else {}


def shard_of(guild_id: int, shards: int) -> int:
    """The shard Discord sends a server's events to."""
    return (guild_id >> 22) % shards


def _application() -> dict[str, Any]:
    return {
        "id": str(APP_ID),
        "name": "imagine",
        "icon": None,
        "description": "",
        "bot_public": True,
        "bot_require_code_grant": False,
        "verify_key": "0" * 64,
        "flags": 0,
        "owner": user_payload(1, "owner"),
    }


def _option(name: str, value: Any) -> dict[str, Any]:
    kind = 4 if isinstance(value, int) and not isinstance(value, bool) else 10 if isinstance(value, float) else 3
    return {"name": name, "type": kind, "value": value}


async def _read_body(request: web.Request) -> tuple[Any, dict[str, tuple[str, bytes]]]:
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: dict[str, tuple[str, bytes]] = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, aiohttp.BodyPartReader):
                continue
            blob = await part.read()
            if part.name == "payload_json":
                payload = json.loads(blob)
            elif part.name:
                files[part.name] = (part.filename or part.name, bytes(blob))
        return payload, files
    if request.can_read_body:
        raw = await request.read()
        return (json.loads(raw) if raw else None), {}
    return None, {}
