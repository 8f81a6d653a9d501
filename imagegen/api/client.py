"""The client of the OpenAI-compatible image API: generations, downloads and the model list."""

from __future__ import annotations

import asyncio
import base64
import binascii
import datetime
import json
import logging
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from ..catalogue.entries import BUNDLED, Catalogue, ModelInfo
from ..errors import (
    BadUpstreamResponse,
    ImageGenError,
    RateLimited,
    Refused,
    UploadRejected,
)
from ..imaging import images, uploads, workers
from ..imaging.images import ImageFile
from ..model import ImageRequest, data_url
from ..safety.redaction import redact
from ..settings import Settings
from .network import SOCKS_ERRORS, failure, transport_errors
from .stream import OnPartial, read_stream
from .upstream import map_error, parse_json

log = logging.getLogger(__name__)

# Ten base64 PNGs of a few MB each make a large answer; anything past this is not an honest one.
MAX_ANSWER_BYTES = 256 * 1024 * 1024
# Answers are megabytes: read them in large pieces rather than aiohttp's default 64 KiB.
READ_BUFFER = 1 << 16
# Decode JSON off the event loop once it is this large.
THREAD_JSON_BYTES = 256 * 1024
# Answers read, decoded and posted at once. One can be ~11 MB of JSON and ~8 MB of images, so this bounds
# memory however many jobs finish together; the others wait a moment with their answer in the socket.
ANSWERS_IN_MEMORY = 4
CONNECT_TIMEOUT = 10.0
# The first wait before trying a failed call again, doubled each try (with jitter), at most RETRY_MAX_WAIT.
BACKOFF_BASE = 1.0
MODELS_TIMEOUT = 15.0
# A moderation call answers in about a second; past this, it is treated as failed (see SCREENING_ON_ERROR).
SCREENING_TIMEOUT = 10.0
IMAGE_ENDPOINT_TYPE = "image-generation"
# A chat model describing one image answers within seconds; a minute is plenty.
DESCRIBE_TIMEOUT = 60.0
DESCRIBE_PROMPTS = 4
DESCRIBE_PROMPT_LIMIT = 1000
DESCRIBE_INSTRUCTIONS = (
    "You write prompts for an image generator. Look at the image and write four different prompts, each one or two "
    "sentences, that would produce an image like it: subject, setting, composition, lighting, colours, medium and "
    "style. Write them in {language}. Do not name real people or living artists. Answer with a JSON array of four "
    "strings and nothing else."
)
# Names of models that draw, for APIs whose model list does not say which ones do.
_IMAGE_NAME_HINTS = (
    "gpt-image", "chatgpt-image", "dall-e", "imagen", "flux", "stable-diffusion", "sdxl", "sd3", "ideogram",
    "recraft", "midjourney", "grok-2-image", "grok-image", "seedream", "kolors", "cogview", "qwen-image",
    "hunyuan-image", "gemini-2.5-flash-image", "nano-banana", "playground-v",
)  # fmt: skip


@dataclass
class Generation:
    """What came back for one request: the images that decoded, out of how many were asked.

    It holds one of the client's few answer slots until ``release()``: call it once the images are posted.
    """

    images: list[ImageFile]
    asked: int
    usage: dict[str, Any] | None = None
    # What a Describe task answered instead of images: prompts for the image it was shown.
    prompts: list[str] = field(default_factory=list)
    _release: Callable[[], None] | None = field(default=None, repr=False)

    def release(self) -> None:
        """Give the answer slot back (once; later calls do nothing)."""
        release, self._release = self._release, None
        if release is not None:
            release()

    @property
    def missing(self) -> int:
        """How many of the asked images did not come back."""
        return max(0, self.asked - len(self.images))


def is_image_model(entry: dict[str, Any]) -> bool:
    """Whether a ``GET /models`` entry can draw: new-api says so, otherwise the name tells."""
    types = entry.get("supported_endpoint_types")
    if isinstance(types, list) and types:
        return IMAGE_ENDPOINT_TYPE in types
    name = str(entry.get("id", "")).lower()
    return any(hint in name for hint in _IMAGE_NAME_HINTS)


class ImageClient:
    """Talks to ``{OPENAI_BASE_URL}`` through the process's one shared session."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        settings: Settings,
        catalogue: Catalogue | None = None,
        *,
        cdn: aiohttp.ClientSession | None = None,
    ) -> None:
        self.session = session
        self.cdn = cdn if cdn is not None else session
        self.settings = settings
        self.catalogue = catalogue if catalogue is not None else Catalogue.load(BUNDLED)
        self._headers = {"Authorization": f"Bearer {settings.openai_api_key.get()}"}
        self._answers = asyncio.Semaphore(ANSWERS_IN_MEMORY)

    def _url(self, path: str) -> str:
        return f"{self.settings.openai_base_url}/{path}"

    async def generate(self, request: ImageRequest, on_partial: OnPartial | None = None) -> Generation:
        """Make the images, retrying only what surely did not run; raise a domain error otherwise.

        A request with previews is streamed: ``on_partial`` gets each partial image's base64 as it arrives.
        """
        attempt = 0
        while True:
            try:
                return await self._generate_once(request, on_partial)
            except ImageGenError as error:
                # Some relays echo the key back in their error messages: never let it reach a log line.
                error.detail = redact(error.detail, (self.settings.openai_api_key.get(),))
                delay = self._retry_delay(error, attempt)
                if delay is None:
                    raise
                attempt += 1
                log.warning("image API: %s; retry %d in %.1fs", error.detail, attempt, delay)
                await asyncio.sleep(delay)

    def _retry_delay(self, error: ImageGenError, attempt: int) -> float | None:
        if not error.retryable or attempt >= self.settings.rate_limit_retries:
            return None
        if isinstance(error, RateLimited) and error.retry_after is not None:
            if error.retry_after > self.settings.retry_max_wait:
                return None
            return error.retry_after
        backoff = BACKOFF_BASE * 2.0**attempt * random.uniform(0.75, 1.25)
        return min(backoff, self.settings.retry_max_wait)

    async def _generate_once(self, request: ImageRequest, on_partial: OnPartial | None) -> Generation:
        timeout = aiohttp.ClientTimeout(
            total=self.settings.timeout_for(request.quality),
            sock_connect=CONNECT_TIMEOUT,
        )
        info = self.catalogue.lookup(request.model)
        endpoint = request.endpoint(info)
        payload: dict[str, Any] = (
            {"data": _edit_form(request, info)} if endpoint == "images/edits" else {"json": request.body(info)}
        )
        status, raw, retry_after = await self._call(
            "POST", endpoint, timeout, gate=self._answers, on_partial=on_partial, **payload
        )
        if status != 200:
            body = raw if isinstance(raw, bytes) else b""
            raise map_error(status, body, request.model, request.prompt, retry_after)
        try:
            return await self._read_answer(request, raw)
        except BaseException:
            self._answers.release()
            raise

    async def _read_answer(self, request: ImageRequest, raw: bytes | dict[str, Any]) -> Generation:
        payload = await _decode_json(raw) if isinstance(raw, bytes) else raw
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            if isinstance(payload, dict) and "error" in payload:
                body = raw if isinstance(raw, bytes) else json.dumps(raw).encode()
                raise map_error(200, body, request.model, request.prompt)
            raise BadUpstreamResponse("answer has no data list")
        entries = [entry for entry in data if isinstance(entry, dict)][: request.n]
        found = await asyncio.gather(*(self._image_of(entry) for entry in entries))
        delivered = [image for image in found if image is not None]
        if not delivered:
            if any(_source_of(entry) for entry in entries):
                raise BadUpstreamResponse("no image in the answer could be read")
            raise Refused("empty", request.prompt, "the answer held no images")
        usage = payload.get("usage")
        usage = usage if isinstance(usage, dict) else None
        return Generation(delivered, request.n, usage, _release=self._answers.release)

    async def _call(
        self,
        method: str,
        path: str,
        limits: aiohttp.ClientTimeout,
        gate: asyncio.Semaphore | None = None,
        on_partial: OnPartial | None = None,
        **kwargs: Any,
    ) -> tuple[int, bytes | dict[str, Any], str | None]:
        """One request to the API: its status, body and Retry-After, or a domain error for the transport.

        With ``gate``, a 200 answer's body is read only once a slot is free, and the slot stays taken. A 200
        answer that is a stream of events is read as it comes (``on_partial`` gets its partial images) and
        given back as the answer it amounts to; a relay that ignored ``stream`` answers plain JSON, read as such.
        """
        with transport_errors(self.settings.image_api_proxy, limits):
            async with self.session.request(
                method,
                self._url(path),
                headers=self._headers,
                timeout=limits,
                read_bufsize=READ_BUFFER,
                **kwargs,
            ) as response:
                held = gate if gate is not None and response.status == 200 else None
                if held is not None:
                    await held.acquire()
                try:
                    raw: bytes | dict[str, Any]
                    if response.status == 200 and response.content_type == "text/event-stream":
                        raw = await read_stream(response.content.iter_any(), on_partial, MAX_ANSWER_BYTES)
                    else:
                        raw = await _read_capped(response, MAX_ANSWER_BYTES)
                except BaseException:
                    if held is not None:
                        held.release()
                    raise
                return response.status, raw, response.headers.get("Retry-After")

    async def _image_of(self, entry: dict[str, Any]) -> ImageFile | None:
        source = _source_of(entry)
        if source is None:
            return None
        kind, value = source
        if kind == "url" and not value.startswith("data:"):
            data = await self._download(value)
        else:
            data = await workers.run(_decode_base64, value)
        if data is None:
            return None
        image = await workers.run(images.inspect, data)
        if image is None:
            log.warning("image API: an answer's %s did not hold a readable image", kind)
        return image

    async def _download(self, url: str) -> bytes | None:
        return await self.download(url, self.settings.max_download_bytes)

    async def download(self, url: str, cap: int, session: aiohttp.ClientSession | None = None) -> bytes | None:
        """The file at ``url`` if it is at most ``cap`` bytes and arrives in time, else None (and a log line)."""
        if not url.startswith(("https://", "http://")):
            log.warning("refusing to download a %s URL", url.split(":", 1)[0])
            return None
        timeout = aiohttp.ClientTimeout(total=self.settings.download_timeout, sock_connect=CONNECT_TIMEOUT)
        try:
            async with (session or self.session).get(url, timeout=timeout) as response:
                if response.status != 200:
                    log.warning("image download: HTTP %d", response.status)
                    return None
                if response.content_length is not None and response.content_length > cap:
                    log.warning(
                        "image download: %d bytes is over the cap",
                        response.content_length,
                    )
                    return None
                return await _read_capped(response, cap)
        except (aiohttp.ClientError, TimeoutError, *SOCKS_ERRORS) as error:
            log.warning("image download failed: %s", failure(error))
            return None
        except BadUpstreamResponse as error:
            log.warning("image download failed: %s", error.detail)
            return None

    async def fetch_reference(self, url: str) -> bytes:
        """An uploaded reference image, downloaded under the upload cap, checked and shrunk; raises UploadRejected."""
        return await workers.run(uploads.prepare_reference, await self.fetch_posted(url))

    async def fetch_posted(self, url: str) -> bytes:
        """A file posted in Discord, as it is, under the upload cap; raises UploadRejected when it cannot be read."""
        data = await self.download(url, uploads.MAX_UPLOAD_BYTES, self.cdn)
        if data is None:
            raise UploadRejected("upload.unreadable")
        return data

    def _failure(
        self, status: int, raw: bytes | dict[str, Any], model: str, prompt: str, retry_after: str | None
    ) -> ImageGenError:
        """The domain error of an answer that is not the one asked for, the key kept out of its detail (some relays
        echo it back)."""
        error = map_error(status, raw if isinstance(raw, bytes) else b"", model, prompt, retry_after)
        error.detail = redact(error.detail, (self.settings.openai_api_key.get(),))
        return error

    async def moderate(self, prompt: str, references: tuple[bytes, ...] = ()) -> dict[str, bool]:
        """The moderation endpoint's verdict on a prompt (and its reference images): each category, flagged or
        not. Raises a domain error when it cannot be asked; never retried (it has its own short timeout)."""
        timeout = aiohttp.ClientTimeout(total=SCREENING_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        inputs: list[dict[str, Any]] = [{"type": "text", "text": prompt}] if prompt else []
        inputs += [{"type": "image_url", "image_url": {"url": data_url(data)}} for data in references]
        body = {"model": self.settings.screening_model, "input": inputs}
        status, raw, retry_after = await self._call("POST", "moderations", timeout, json=body)
        if not isinstance(raw, bytes) or status != 200:
            raise self._failure(status, raw, self.settings.screening_model, prompt, retry_after)
        payload = await _decode_json(raw)
        results = payload.get("results") if isinstance(payload, dict) else None
        if not isinstance(results, list) or not results:
            raise BadUpstreamResponse("moderation answer has no results")
        flagged: dict[str, bool] = {}
        for result in results:
            categories = result.get("categories") if isinstance(result, dict) else None
            for name, hit in (categories or {}).items():
                flagged[str(name)] = flagged.get(str(name), False) or hit is True
        return flagged

    async def describe(self, model: str, image: bytes, language: str) -> list[str]:
        """Four short prompts, in ``language``, that would draw something like ``image``, from a chat model that
        reads images; raises a domain error when it cannot be asked or its answer holds none."""
        timeout = aiohttp.ClientTimeout(total=DESCRIBE_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        body = {
            "model": model,
            "messages": [
                {"role": "system", "content": DESCRIBE_INSTRUCTIONS.format(language=language)},
                {"role": "user", "content": [{"type": "image_url", "image_url": {"url": data_url(image)}}]},
            ],
            "max_tokens": 800,
        }
        status, raw, retry_after = await self._call("POST", "chat/completions", timeout, json=body)
        if not isinstance(raw, bytes) or status != 200:
            raise self._failure(status, raw, model, "", retry_after)
        payload = await _decode_json(raw)
        try:
            content = payload["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as error:
            raise BadUpstreamResponse("chat answer has no message") from error
        prompts = read_prompts(content if isinstance(content, str) else "")
        if not prompts:
            raise BadUpstreamResponse("chat answer holds no prompts")
        return prompts

    async def list_models(self) -> list[ListedModel]:
        """The models the key can use, as ``GET /models`` lists them, with their shutdown dates and whether they
        draw."""
        timeout = aiohttp.ClientTimeout(total=MODELS_TIMEOUT, sock_connect=CONNECT_TIMEOUT)
        status, raw, retry_after = await self._call("GET", "models", timeout)
        if not isinstance(raw, bytes):
            raise BadUpstreamResponse("the model list came as a stream")
        if status != 200:
            raise self._failure(status, raw, self.settings.image_model or "", "", retry_after)
        payload = await _decode_json(raw)
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, list):
            raise BadUpstreamResponse("model list has no data list")
        return [
            ListedModel(str(entry["id"]), _shutdown_of(entry.get("shutdown_date")), is_image_model(entry))
            for entry in data
            if isinstance(entry, dict) and "id" in entry
        ]


@dataclass(frozen=True)
class ListedModel:
    """A model ``GET /models`` lists, the day it shuts down if the API says, and whether it draws."""

    id: str
    shutdown: datetime.date | None = None
    draws: bool = True


def _shutdown_of(value: object) -> datetime.date | None:
    # OpenAI gives an ISO 8601 date; some relays copy it as a Unix timestamp.
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.datetime.fromtimestamp(value, datetime.UTC).date()
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _edit_form(request: ImageRequest, info: ModelInfo) -> aiohttp.FormData:
    """The multipart body of ``POST /images/edits``: the fields, then each reference as ``image[]``."""
    form = aiohttp.FormData()
    for name, value in request.edit_fields(info).items():
        form.add_field(name, value)
    for index, data in enumerate(request.references, start=1):
        kind = uploads.kind(data)
        form.add_field("image[]", data, filename=f"reference_{index}.{kind}", content_type=f"image/{kind}")
    if request.mask is not None:
        form.add_field("mask", request.mask, filename="mask.png", content_type="image/png")
    return form


def read_prompts(content: str) -> list[str]:
    """The prompts in a chat model's answer: a JSON array of strings as asked, else numbered or bulleted lines
    (models wrap JSON in code fences, or ignore the format); at most four, each cut to a sane length."""
    text = content.strip()
    fenced = re.fullmatch(r"```(?:json)?\s*(.*?)\s*```", text, re.DOTALL)
    if fenced:
        text = fenced[1]
    found: list[str] = []
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = None
    if isinstance(parsed, list):
        found = [item for item in parsed if isinstance(item, str)]
    else:
        # Numbered or bulleted lines when there are some (a preamble such as "Sure:" is not a prompt), else every line.
        marked = re.compile(r"^\s*(?:\d+[.)、:]|[-*•])\s*")
        lines = [line for line in text.splitlines() if line.strip()]
        chosen = [line for line in lines if marked.match(line)] or lines
        found = [marked.sub("", line).strip().strip('"') for line in chosen]
    prompts = [" ".join(prompt.split())[:DESCRIBE_PROMPT_LIMIT] for prompt in found]
    return [prompt for prompt in prompts if prompt][:DESCRIBE_PROMPTS]


def _source_of(entry: dict[str, Any]) -> tuple[str, str] | None:
    # Relays that build answers themselves send both keys, one of them "": that one is missing.
    for key in ("b64_json", "url"):
        value = entry.get(key)
        if isinstance(value, str) and value.strip():
            return key, value.strip()
    return None


def _decode_base64(value: str) -> bytes | None:
    if value.startswith("data:"):
        value = value.partition(",")[2]
    try:
        return base64.b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError):
        return None


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    if response.content_length is not None and response.content_length > cap:
        raise BadUpstreamResponse(f"answer of {response.content_length} bytes is larger than {cap}")
    # Whatever arrived is taken as it is and joined once: growing one buffer would copy the answer many times.
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > cap:
            raise BadUpstreamResponse(f"answer larger than {cap} bytes")
        chunks.append(chunk)
    if size >= THREAD_JSON_BYTES:
        return await workers.run(b"".join, chunks)
    return b"".join(chunks)


async def _decode_json(raw: bytes) -> Any:
    if len(raw) >= THREAD_JSON_BYTES:
        return await workers.run(parse_json, raw)
    return parse_json(raw)
