"""The models offered to users and the default: the image models the API lists, cached, ranked by the catalogue."""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import fnmatch
import logging
import time
from collections.abc import Callable, Iterable

from ..api.client import ImageClient, ListedModel
from ..api.network import shown
from ..clock import day_of, system_clock
from ..errors import ImageGenError, UpstreamUnavailable
from .entries import Catalogue

log = logging.getLogger(__name__)

# Autocomplete must answer within Discord's 3 seconds, so a first fetch gets this long at most.
FIRST_FETCH_WAIT = 2.0
# A configured model that shuts down within this many days is warned about.
SHUTDOWN_WARNING_DAYS = 30
# Chat models that read images, in the order /describe prefers them when VISION_MODEL is unset: describing an
# image is an easy task, so the small, cheap ones of each family come first.
VISION_PREFERENCE = (
    "gpt-5*mini*", "gpt-4.1-mini*", "gpt-4o-mini*", "gpt-5*", "gpt-4.1*", "gpt-4o*", "gemini-*flash*",
    "gemini-*pro*", "claude-*", "qwen*vl*", "glm-*v*",
)  # fmt: skip
# new-api lists Midjourney under its billing names (mj_imagine, mj_upscale, …): with this one listed, the task API
# models are offered by the names members know.
MJ_LISTED = "mj_imagine"
MJ_MODELS = ("midjourney", "niji")
# Video models in the order the default is chosen from those offered when VIDEO_MODEL is unset: the cheapest clip
# that still looks good first (see the catalogue's prices per second).
VIDEO_PREFERENCE = (
    "veo-3*fast*", "veo3*fast*", "hailuo*", "minimax-hailuo*", "kling*", "gen4*", "runway*", "sora-2", "wan*",
    "ray*", "luma*", "sora-2*", "veo-3*", "veo3*", "midjourney*",
)  # fmt: skip
# The first and the longest wait between tries to reach the image API at start.
FIRST_RETRY_WAIT = 1.0
MAX_RETRY_WAIT = 30.0


class ModelCatalog:
    """Caches ``GET /models`` for autocomplete and the default; never lets a slow or failing API delay an answer.

    The default is ``IMAGE_MODEL`` when set; otherwise the model the catalogue prefers among those the API lists
    and that are not shut down; when no list could be read, the catalogue's own preferred model.
    """

    def __init__(
        self,
        client: ImageClient,
        catalogue: Catalogue,
        configured: str | None,
        fallback: tuple[str, ...],
        ttl: float,
        clock: Callable[[], float] = time.monotonic,
        today: Callable[[], datetime.date] = lambda: day_of(system_clock()),
        watched: Callable[[], Iterable[str]] = tuple,
        vision: str | None = None,
        sold_videos: tuple[str, ...] = (),
    ) -> None:
        self.client = client
        self.catalogue = catalogue
        self.configured = configured
        self.fallback = fallback
        self.ttl = ttl
        self.clock = clock
        self.today = today
        # Models chosen elsewhere (the operator's lists, servers' defaults), warned about after each fetch.
        self.watched = watched
        self.listed: list[ListedModel] | None = None
        # VISION_MODEL, and the models listed that do not draw (among them, the chat models /describe can use).
        self.configured_vision = vision
        self.others: list[str] = []
        # The video models listed (made from images by the video APIs); those VIDEO_MODELS sells (names or
        # patterns); and those offered, with the list they were matched against (metrics ask on every job).
        self.videos: list[str] = []
        self.sold_videos = sold_videos
        self._videos_offered: tuple[list[str], list[str]] | None = None
        self._chosen: str | None = None
        self._fetched_at: float | None = None
        self._refreshing: asyncio.Task[None] | None = None
        # The models offered, with what they were worked out from: metrics ask on every job and API call.
        self._offered: tuple[list[ListedModel] | None, datetime.date, str, tuple[str, ...]] | None = None

    @property
    def default(self) -> str:
        """The model used when a member and their server pick none."""
        return self.configured or self._chosen or self.catalogue.fallback()

    @property
    def models(self) -> tuple[str, ...]:
        """The models to offer now: the default, the configured ones, then those listed that are not shut down."""
        today, default = self.today(), self.default
        cached = self._offered
        if cached is None or cached[0] is not self.listed or cached[1:3] != (today, default):
            listed = [model.id for model in self.listed or () if not self._retired(model, today)]
            offered = tuple(dict.fromkeys([default, *self.fallback, *listed]))
            cached = self._offered = (self.listed, today, default, offered)
        return cached[3]

    def _retired(self, model: ListedModel, today: datetime.date) -> bool:
        shut = model.shutdown is not None and model.shutdown <= today
        return shut or self.catalogue.lookup(model.id).retired(today)

    def refresh(self) -> asyncio.Task[None]:
        """Start fetching the list in the background (once at a time) and return that task."""
        if self._refreshing is None or self._refreshing.done():
            self._refreshing = asyncio.create_task(self._fetch())
        return self._refreshing

    async def _fetch(self) -> None:
        try:
            listed = await self._list()
        except ImageGenError as error:
            log.warning("could not list models, offering the configured ones: %s", error.detail)
            self._fetched_at = self.clock()
            if self.listed is None and not self.configured:
                log.info("default model: %s, the catalogue's preferred one (the list could not be read)", self.default)
            return
        first = self.listed is None
        self.use(listed)
        self._fetched_at = self.clock()
        if first:
            for warning in self.warnings(self.watched()):
                log.warning("%s", warning)

    async def _list(self) -> list[ListedModel]:
        """The API's list. At start, while the API (or the proxy before it) cannot be reached, it is tried again
        with backoff until it can: the bot cannot draw before, and one clear line a try says why."""
        delay = FIRST_RETRY_WAIT
        while True:
            try:
                return await self.client.list_models()
            except UpstreamUnavailable as error:
                if self.listed is not None:
                    raise
                log.error("cannot reach the image API%s (%s); trying again in %g s", self._where(), error.detail, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_WAIT)

    def _where(self) -> str:
        settings = self.client.settings
        via = f" through IMAGE_API_PROXY {shown(settings.image_api_proxy)}" if settings.image_api_proxy else ""
        return f" at {settings.openai_base_url}{via}"

    @property
    def vision(self) -> str | None:
        """The model /describe asks: VISION_MODEL, else the most preferred chat model listed, else None."""
        if self.configured_vision:
            return self.configured_vision
        for pattern in VISION_PREFERENCE:
            found = next(
                (name for name in self.others if fnmatch.fnmatchcase(name.lower().rsplit("/", 1)[-1], pattern)), None
            )
            if found is not None:
                return found
        return None

    def use(self, listed: list[ListedModel]) -> None:
        """Take ``listed`` as what the API offers, and choose the default from it when none is configured."""
        billing = [model for model in listed if model.id.lower().rsplit("/", 1)[-1].startswith("mj_")]
        listed = [model for model in listed if model not in billing]
        if any(model.id.lower().rsplit("/", 1)[-1] == MJ_LISTED for model in billing):
            listed += [ListedModel(name) for name in MJ_MODELS if name not in {model.id for model in listed}]
        # Video models are never offered to draw images, whatever the relay says of them.
        self.videos = [model.id for model in listed if self.catalogue.lookup(model.id).video]
        listed = [model for model in listed if model.id not in self.videos]
        self.listed = [model for model in listed if model.draws]
        self.others = [model.id for model in listed if not model.draws]
        if not self.configured:
            self._choose()

    def _choose(self) -> None:
        shut = {model.id: model.shutdown for model in self.listed or () if model.shutdown is not None}
        chosen = self.catalogue.best([model.id for model in self.listed or ()], self.today(), shut)
        if chosen == self._chosen:
            return
        self._chosen = chosen
        if chosen is None:
            log.warning(
                "default model: %s, the catalogue's preferred model, since the API lists none the catalogue ranks",
                self.default,
            )
        else:
            log.info("default model: %s, the most preferred of the %d image models the API lists", chosen,
                     len(self.listed or ()))  # fmt: skip

    @property
    def videos_offered(self) -> list[str]:
        """The video models to offer for VIDEO_MODELS: a plain name as it is; a pattern such as ``veo3*`` matched,
        vendor prefixes ignored, against the video models ``GET /models`` lists."""
        cached = self._videos_offered
        if cached is None or cached[0] is not self.videos:
            cached = self._videos_offered = (self.videos, self._match_videos())
        return cached[1]

    def _match_videos(self) -> list[str]:
        offered: list[str] = []
        for entry in self.sold_videos:
            if "*" not in entry:
                offered.append(entry)
                continue
            pattern = entry.lower()
            offered += [name for name in self.videos if fnmatch.fnmatchcase(name.lower().rsplit("/", 1)[-1], pattern)]
        return list(dict.fromkeys(offered))

    @staticmethod
    def preferred_video(offered: list[str]) -> str | None:
        """The video model chosen among ``offered`` when VIDEO_MODEL is unset: by VIDEO_PREFERENCE, else the first."""
        for pattern in VIDEO_PREFERENCE:
            found = next(
                (name for name in offered if fnmatch.fnmatchcase(name.lower().rsplit("/", 1)[-1], pattern)), None
            )
            if found is not None:
                return found
        return offered[0] if offered else None

    def warnings(self, names: Iterable[str]) -> list[str]:
        """A line for each model in ``names`` the API does not list, or that shuts down within 30 days."""
        if self.listed is None:
            return []
        listed = {model.id: model for model in self.listed}
        today = self.today()
        lines = []
        for name in dict.fromkeys(names):
            info = self.catalogue.lookup(name)
            shutdown = listed[name].shutdown if name in listed and listed[name].shutdown else info.shutdown
            instead = f"; use {info.replacement} instead" if info.replacement else ""
            if shutdown is not None and shutdown <= today:
                lines.append(f"model {name} was shut down on {shutdown.isoformat()}{instead}")
            elif shutdown is not None and (shutdown - today).days <= SHUTDOWN_WARNING_DAYS:
                lines.append(f"model {name} shuts down on {shutdown.isoformat()}{instead}")
            elif name not in listed:
                lines.append(f"model {name} is not listed by GET /models{instead}")
        return lines

    async def search(self, text: str) -> list[str]:
        """The models whose names contain ``text``, the default first (how many to offer is the asker's choice)."""
        stale = self._fetched_at is None or self.clock() - self._fetched_at > self.ttl
        if stale:
            task = self.refresh()
            if self._fetched_at is None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(task), FIRST_FETCH_WAIT)
        needle = text.strip().lower()
        return [model for model in self.models if needle in model.lower()]

    async def close(self) -> None:
        """Stop a fetch still under way."""
        if self._refreshing is not None and not self._refreshing.done():
            self._refreshing.cancel()
