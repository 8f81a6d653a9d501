"""The one front door to the core: what the Discord layer asks for, at the level of what it means to do."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

from . import texts
from .api.client import ImageClient
from .api.midjourney import Midjourney
from .api.network import image_api_options, proxy_options
from .api.video import Videos
from .catalogue.entries import Catalogue, ModelInfo
from .catalogue.offered import ModelCatalog
from .catalogue.prices import PriceTable
from .catalogue.styles import BUNDLED as BUNDLED_STYLES
from .catalogue.styles import MAX_SERVER_STYLES, MAX_STYLE_NAME, Style, StyleBook, check_server_style
from .clock import Clock, day_of, next_midnight, system_clock
from .errors import ImageGenError, InvalidRequest, ModelNotFound
from .imaging import tools, workers
from .imaging.chart import DAYS, Labels, Month, draw
from .jobs import policy
from .jobs.dispatch import Admission, JobQueue, LocalQueue
from .jobs.identify import IdentifyGate
from .jobs.queue import FairQueue
from .jobs.quota import Usage
from .jobs.relay import RelayTasks
from .jobs.runner import Delivery, Jobs, Redeliver
from .jobs.scheduler import SharedQueue
from .limits import Limits
from .model import Description, ImageRequest, Job
from .ops.health import start_health
from .ops.metrics import Metrics
from .ops.report import ServerReport, day_and_month
from .safety.artists import BUNDLED as BUNDLED_ARTISTS
from .safety.artists import ArtistList, Suggestion
from .safety.screening import screening_for
from .servers import (
    Edit,
    ServerSettings,
    ServerSettingsStore,
    check_ceiling,
    with_barred,
    with_blocked_word,
    with_exempt_role,
)
from .settings import Settings
from .storage.postgres import PostgresStorage
from .storage.sqlite import SqliteStorage, Storage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberUsage:
    """A member's images today, the daily limit in force for them (0: none), and when the count resets."""

    used: int
    limit: int
    reset: int

    @property
    def left(self) -> int:
        """Images left today (meaningless without a limit)."""
        return max(0, self.limit - self.used)


@dataclass(frozen=True)
class Gateway:
    """How the bot stands with Discord's gateway, for the operator's metrics: servers, and each shard's latency."""

    guilds: int
    latencies: list[tuple[int, float]]


async def open_storage(settings: Settings) -> Storage:
    """PostgreSQL when DATABASE_URL is set, else SQLite in DATA_DIR; raises StorageError naming what is wrong."""
    if settings.database_url:
        return await PostgresStorage.open(settings.database_url.get(), settings.data_dir)
    return await SqliteStorage.open(settings.data_dir)


def price_table(settings: Settings, catalogue: Catalogue) -> PriceTable:
    """The estimated prices: the catalogue's, with the operator's PRICES_FILE over them."""
    return PriceTable.load(catalogue, *([settings.prices_file] if settings.prices_file else []))


@dataclass(frozen=True)
class CheckedRequest:
    """A request as it may run here, whose and where, and the limits it is counted against once admitted."""

    request: ImageRequest
    user_id: int
    guild_id: int | None
    limits: Limits
    exempt: bool
    age_restricted: bool


class Core:
    """Storage, jobs, server settings, models, artists and prices, behind the intents the bot needs."""

    def __init__(
        self,
        settings: Settings,
        session: aiohttp.ClientSession,
        storage: Storage,
        catalogue: Catalogue,
        *,
        cdn: aiohttp.ClientSession | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self._settings = settings
        self._clock = clock
        # The way out to Discord (through DISCORD_PROXY), for what the core's owner sends there itself.
        self._discord_session = cdn if cdn is not None else session
        self._storage = storage
        self._catalogue = catalogue
        self._images = ImageClient(session, settings, catalogue, cdn=cdn)
        self._midjourney = Midjourney(session, settings)
        self._videos = Videos(session, settings)
        limits = settings.limits
        # Shards of every process take turns to IDENTIFY through the database, when there is a shared one.
        self._identify_gate: IdentifyGate | None = None
        queue: JobQueue
        if isinstance(storage, PostgresStorage):
            queue = SharedQueue(
                storage.pool,
                storage.url,
                limits,
                settings.max_concurrent_jobs,
                settings.max_queued_per_user,
                settings.max_queue_size,
                lease=settings.job_lease_seconds,
            )
            queue.on_settings = self._settings_changed
            queue.on_moved = self._moved
            self._identify_gate = IdentifyGate(storage.pool)
        else:
            queue = LocalQueue(
                FairQueue(settings.max_concurrent_jobs, settings.max_queued_per_user, settings.max_queue_size),
                Usage(limits),
            )
        self._prices = price_table(settings, catalogue)
        self._metrics = Metrics(known_model=lambda model: model in (*self._models.models, *self.video_models))
        self._jobs = Jobs(
            storage,
            self._images,
            queue,
            self._prices,
            clock=clock,
            retention=settings.result_retention_seconds,
            max_kept_images=settings.max_queue_size * settings.limits.max_images,
            screening_on_error=settings.screening_on_error,
            metrics=self._metrics,
            relay=RelayTasks(
                self._images,
                self._midjourney,
                self._videos,
                midjourney_timeout=settings.mj_timeout,
                video_timeout=settings.video_timeout,
            ),
        )
        self._servers = ServerSettingsStore(storage, clock)
        self._models = ModelCatalog(
            self._images,
            catalogue,
            settings.image_model,
            settings.image_models,
            settings.models_cache_seconds,
            today=lambda: day_of(clock()),
            watched=lambda: [*settings.image_models, *settings.allowed_models, *self._servers.default_models()],
            vision=settings.vision_model,
            sold_videos=settings.video_models,
        )
        self._styles = StyleBook.load(BUNDLED_STYLES, *([settings.styles_file] if settings.styles_file else []))
        # Members with a /describe under way: one each at a time, so a burst cannot run up the bill.
        self._describing: set[int] = set()
        self._artists = ArtistList.load(BUNDLED_ARTISTS, *([settings.artists_file] if settings.artists_file else []))

    @classmethod
    @contextlib.asynccontextmanager
    async def open(cls, settings: Settings, catalogue: Catalogue, clock: Clock = system_clock) -> AsyncIterator[Core]:
        """The core with its database and its two ways out (the image API's and Discord's CDN), closed after;
        every date it acts on is read from ``clock``.

        Raises StorageError when the database cannot be used.
        """
        storage = await open_storage(settings)
        try:
            async with (
                aiohttp.ClientSession(**image_api_options(settings.image_api_proxy)) as session,
                aiohttp.ClientSession(**proxy_options(settings.discord_proxy)) as cdn,
            ):
                core = cls(settings, session, storage, catalogue, cdn=cdn, clock=clock)
                yield core
        finally:
            await storage.close()

    async def start(self) -> list[Job]:
        """Read the servers' settings, take over what a previous process left, start reading the model list;
        returns the interrupted jobs whose requesters are still to be told."""
        await self._servers.load()
        left = await self._jobs.recover()
        self._models.refresh()
        return left

    def serve(self, adopt: Callable[[Job], Delivery]) -> None:
        """Start running jobs; those another process accepted reach their requesters through ``adopt``."""
        self._jobs.serve(adopt)

    async def _settings_changed(self, guild_id: int) -> None:
        log.info("server %d's settings changed in another process: read again", guild_id)
        await self._servers.load()

    async def _moved(self, job_id: int) -> None:
        await self._jobs.moved(job_id)

    async def close(self) -> None:
        """Take no new jobs, let running ones finish for the grace time, and stop reading the model list."""
        if not self._jobs.queue.closed:
            await self._jobs.shutdown(self._settings.shutdown_grace)
        if self._identify_gate is not None:
            await self._identify_gate.close()
        await self._models.close()
        await self._midjourney.close()
        await self._videos.close()

    # -- operations -----------------------------------------------------------------------------------------------

    async def start_operations(
        self, connected: Callable[[], bool], gateway: Callable[[], Gateway]
    ) -> web.AppRunner | None:
        """/metrics, /healthz and /readyz on METRICS_HOST:METRICS_PORT when a port is set: ready while
        ``connected()`` and the database answers; ``gateway()`` is read at each scrape. Raises OSError when the port
        cannot be used."""
        settings = self._settings
        if not settings.metrics_port:
            return None

        async def ready() -> str | None:
            if not connected():
                return "not connected to the Discord gateway"
            try:
                await asyncio.wait_for(self._storage.ping(), 2)
            except Exception as error:
                return f"the database does not answer ({type(error).__name__})"
            return None

        def refresh() -> None:
            now = gateway()
            self._metrics.guilds.set(now.guilds)
            for shard, latency in now.latencies:
                if latency == latency:  # NaN until the first heartbeat
                    self._metrics.gateway.labels(shard=str(shard)).set(latency)

        runner = await start_health(settings.metrics_host, settings.metrics_port, self._metrics, ready, refresh)
        log.info("metrics and health checks on http://%s:%d", settings.metrics_host, settings.metrics_port)
        return runner

    @property
    def discord_session(self) -> aiohttp.ClientSession:
        """This process's way out to Discord (through DISCORD_PROXY), for what the bot sends outside discord.py's
        own client: interaction webhooks of handed-over jobs, the operator's log webhook."""
        return self._discord_session

    @property
    def closing(self) -> bool:
        """Whether the core has begun to stop (it takes no new jobs)."""
        return self._jobs.queue.closed

    async def settled(self) -> None:
        """Wait until this process has no job waiting or being drawn."""
        await self._jobs.queue.wait_idle()

    def metrics_page(self) -> bytes:
        """What /metrics serves: this process's metrics in Prometheus' text format."""
        return self._metrics.render()

    async def refresh_models(self) -> None:
        """Read the model list again now (it is otherwise read at start and when it is stale)."""
        await self._models.refresh()

    @property
    def identifies_together(self) -> bool:
        """Whether shards of every process take turns to IDENTIFY through the shared database."""
        return self._identify_gate is not None

    async def wait_to_identify(self, bucket: int) -> None:
        """Wait for this shard's turn to IDENTIFY among every process's shards of ``bucket``."""
        if self._identify_gate is not None:
            await self._identify_gate.wait(bucket)

    def acknowledged(self, seconds: float) -> None:
        """Note how long an interaction took to be acknowledged."""
        self._metrics.acknowledge.observe(max(0.0, seconds))

    # -- servers --------------------------------------------------------------------------------------------------

    def server(self, guild_id: int | None) -> ServerSettings:
        """A server's own settings (the defaults outside servers)."""
        return self._servers.get(guild_id)

    @property
    def operator_limits(self) -> Limits:
        """The operator's limits, every server's ceiling."""
        return self._jobs.queue.limits

    async def change_server(self, guild_id: int, user_id: int, **changes: Any) -> ServerSettings:
        """Change a server's settings, recorded with who did; raises InvalidRequest for a limit looser than the
        operator's."""
        updated, _ = await self.edit_server(guild_id, user_id, lambda current: changes)
        return updated

    async def edit_server(self, guild_id: int, user_id: int, edit: Edit) -> tuple[ServerSettings, dict[str, Any]]:
        """Change a server's settings as ``edit`` says from those stored now (asked again if another change came
        first), recorded with who did; returns the new settings and the changes. Raises InvalidRequest for a
        limit looser than the operator's, or whatever ``edit`` raises to refuse."""

        def checked(current: ServerSettings) -> dict[str, Any]:
            changes = edit(current)
            check_ceiling(self.operator_limits, **changes)
            return changes

        return await self._servers.edit(guild_id, user_id, checked)

    async def change_blocked_words(self, guild_id: int, user_id: int, phrase: str, *, add: bool) -> int:
        """Add a phrase to the server's word list (or remove it), recorded with who did; returns how many it holds.
        Raises InvalidRequest for an empty phrase, one to remove that is not there, or a full list."""
        updated, _ = await self.edit_server(guild_id, user_id, lambda now: with_blocked_word(now, phrase, add=add))
        return len(updated.blocked_words)

    async def exempt_role(self, guild_id: int, user_id: int, role_id: int, *, exempt: bool) -> dict[str, Any]:
        """Exempt a role from the daily limits and the cooldown here (or no longer); returns what changed."""
        _, changes = await self.edit_server(
            guild_id, user_id, lambda now: with_exempt_role(now, role_id, exempt=exempt)
        )
        return changes

    async def bar(self, guild_id: int, user_id: int, member_id: int, *, barred: bool) -> None:
        """Bar a member from the bot here (or let them back), recorded with who did."""
        await self.edit_server(guild_id, user_id, lambda now: with_barred(now, member_id, barred=barred))

    def public_locale(self, guild_id: int | None, requester: object) -> object:
        """The language of a public message here: the server's when it set one, else the requester's."""
        return self.server(guild_id).language or requester

    def moderators_locale(self, guild_id: int | None) -> str:
        """The language of reports to a server's moderators: the server's, else English."""
        return self.server(guild_id).language or texts.ENGLISH

    def exempt(self, guild_id: int | None, roles: Iterable[int]) -> bool:
        """Whether any of ``roles`` is exempted from the daily limits and the cooldown, by the operator or here."""
        exempted = self._settings.exempt_role_ids | set(self.server(guild_id).exempt_role_ids)
        return any(role in exempted for role in roles)

    # -- models ---------------------------------------------------------------------------------------------------

    def default_model(self, guild_id: int | None) -> str:
        """The model used when a member picks none: the server's choice, else the bot's default."""
        return self.server(guild_id).image_model or self._models.default

    def model(self, name: str) -> ModelInfo:
        """What a model takes."""
        return self._catalogue.lookup(name)

    async def search_models(self, text: str, guild_id: int | None) -> list[str]:
        """Models to offer for ``text``: those the API lists (or configured) that this server allows."""
        allowed = self.server(guild_id).models_allowed(self._settings.allowed_models)
        return [name for name in await self._models.search(text) if not allowed or name in allowed]

    def replacement_for(self, model: str) -> str:
        """The model to use instead of one that is gone."""
        return self.model(model).replacement or self._models.default

    # -- requests and jobs ----------------------------------------------------------------------------------------

    def check_request(
        self,
        request: ImageRequest,
        *,
        user_id: int,
        guild_id: int | None,
        channel_id: int | None,
        age_restricted: bool,
        references: int = 0,
        roles: Iterable[int] = (),
    ) -> CheckedRequest:
        """The request as it may run here and what it is counted against, nothing counted yet (and nothing
        awaited: it can answer before Discord is); raises InvalidRequest."""
        if request.tool == "animate":
            # Every way to a clip comes here (the command, the menu, the button, Reroll): video is made only in a
            # server that allows it, with a model the operator sells now.
            offered = self.video_models
            if not self.video_allowed(guild_id):
                raise InvalidRequest("video.off")
            if request.model not in offered:
                raise InvalidRequest("video.model", model=request.model[:100], models=", ".join(offered))
        server = self.server(guild_id)
        request, limits = policy.admit(
            server,
            user_id,
            request,
            self._settings,
            self.operator_limits,
            self._catalogue,
            channel_id=channel_id,
            in_dm=guild_id is None,
            age_restricted=age_restricted,
            references=references,
        )
        return CheckedRequest(request, user_id, guild_id, limits, self.exempt(guild_id, roles), age_restricted)

    async def admit_checked(self, checked: CheckedRequest) -> Admission:
        """Let a checked request in and count it against every limit in one step; raises LimitReached or a queue
        error saying why not."""
        server = self.server(checked.guild_id)
        admission = await self._jobs.reserve(
            checked.user_id, checked.guild_id, checked.request, exempt=checked.exempt, limits=checked.limits
        )
        admission.screening = screening_for(
            self._settings.screening,
            server.screening,
            server.screening_categories,
            checked.age_restricted,
            results=self._settings.screen_results or bool(server.screen_results),
        )
        return admission

    def check_place(self, user_id: int, guild_id: int | None, channel_id: int | None) -> None:
        """Raise InvalidRequest when the member may not use the bot here (DMs, barred, the server's channels)."""
        policy.check_place(self.server(guild_id), user_id, self._settings, channel_id=channel_id,
                           in_dm=guild_id is None)  # fmt: skip

    # -- styles ---------------------------------------------------------------------------------------------------

    def search_styles(self, text: str, guild_id: int | None, locale: object) -> list[Style]:
        """Styles to offer for what a member typed: the server's own first."""
        return self._styles.search(text, locale, self.server(guild_id).styles)

    def with_style(self, request: ImageRequest, name: str, guild_id: int | None) -> ImageRequest:
        """``request`` in the style named ``name``; raises InvalidRequest when no style has that name here."""
        style = self._styles.find(name, self.server(guild_id).styles)
        return dataclasses.replace(request, style=style.name, addition=style.phrase_for(request.prompt))

    def style_label(self, name: str, guild_id: int | None, locale: object) -> str:
        """How a style a request used is called in ``locale`` (its own name when it is no longer known)."""
        try:
            return self._styles.find(name, self.server(guild_id).styles).label(locale)
        except InvalidRequest:
            return name

    async def change_styles(self, guild_id: int, user_id: int, name: str, phrase: str | None) -> int:
        """Add (with ``phrase``) or remove (without) one of a server's own styles; returns how many it has.

        Raises InvalidRequest when a style will not do, the server has too many, or one to remove is not there.
        """
        added = check_server_style(name, phrase) if phrase is not None else None

        def edit(current: ServerSettings) -> dict[str, Any]:
            others = tuple(style for style in current.styles if style[0].casefold() != name.strip().casefold())
            if added is None:
                if len(others) == len(current.styles):
                    raise InvalidRequest("admin.styles.missing", name=name.strip()[:MAX_STYLE_NAME])
                return {"styles": others}
            if len(others) >= MAX_SERVER_STYLES:
                raise InvalidRequest("admin.styles.full", limit=MAX_SERVER_STYLES)
            return {"styles": (*others, added)}

        updated, _ = await self.edit_server(guild_id, user_id, edit)
        return len(updated.styles)

    # -- single-image tools, /blend and /describe -----------------------------------------------------------------

    def tools(self, model: str) -> list[str]:
        """The single-image tools offered under a result of ``model``."""
        return tools.offered(self.model(model))

    def plan_tool(self, request: ImageRequest, tool: str, width: int, height: int) -> ImageRequest:
        """The request a tool makes of a picked image of ``width``×``height`` from its job's ``request``; raises
        InvalidRequest when the model cannot do it."""
        return tools.plan(request, tool, width, height, self.model(request.model))

    async def render_tool(self, request: ImageRequest, url: str) -> ImageRequest:
        """A planned tool request with the picked image at ``url`` made into what is sent; raises UploadRejected."""
        return await workers.run(tools.render, request, await self.fetch_image(url))

    async def fetch_image(self, url: str) -> bytes:
        """An image posted in Discord (a result, as it is at the click), read as it is; raises UploadRejected."""
        return await self._images.fetch_posted(url)

    async def describe(
        self, url: str, *, user_id: int, guild_id: int | None, channel_id: int, locale: object, model: str | None
    ) -> tuple[Description, bytes]:
        """Prompts for the image at ``url`` in the member's language, recorded for the buttons that draw them (with
        ``model``), and the image as it was read; raises InvalidRequest, UploadRejected or an upstream error."""
        vision = self._models.vision
        if vision is None:
            raise InvalidRequest("describe.no_model")
        if user_id in self._describing:
            raise InvalidRequest("describe.busy")
        self._describing.add(user_id)
        try:
            image = await self.fetch_reference(url)
            prompts = await self._ask_vision(vision, image, locale)
        finally:
            self._describing.discard(user_id)
        described = Description(user_id, guild_id, channel_id, tuple(prompts), model, self.clock())
        return await self._storage.add_description(described), image

    # -- videos ---------------------------------------------------------------------------------------------------

    @property
    def video_models(self) -> list[str]:
        """The video models offered: those VIDEO_MODELS names, and those its patterns match among the video models
        GET /models lists."""
        return self._models.videos_offered

    def video_allowed(self, guild_id: int | None) -> bool:
        """Whether members may turn images into videos here: in a server (a direct message has no budget), when the
        operator sells video and the server has not turned it off."""
        return guild_id is not None and bool(self._settings.video_models) and self.server(guild_id).video is not False

    def video_request(
        self, prompt: str | None, model: str | None, seconds: int | None, size: str | None, loop: bool, locale: object
    ) -> ImageRequest:
        """A request to animate an image (its reference, added when it is read): the model (VIDEO_MODEL, else the
        first the operator sells), its shortest clip unless ``seconds`` says, in words when a choice is not one
        the model takes."""
        offered = self.video_models
        chosen = (model or self._settings.video_model or self._models.preferred_video(offered) or "").strip()
        if not offered:
            raise InvalidRequest("video.none")
        if chosen not in offered:
            raise InvalidRequest("video.model", model=chosen[:100], models=", ".join(offered))
        info = self._catalogue.lookup(chosen)
        lengths = info.seconds or (5,)
        # Midjourney makes clips of its own length: what a member asks for does not change it (nor its count).
        length = min(lengths) if seconds is None or info.midjourney else seconds
        if length not in lengths:
            raise InvalidRequest("video.seconds", seconds=length, model=chosen, allowed=", ".join(map(str, lengths)))
        motion = (prompt or "").strip() or texts.t(locale, "animate.prompt")
        return ImageRequest(prompt=motion, model=chosen, size=size or "auto", seconds=length, loop=loop, tool="animate")

    def describes_as_task(self, model: str | None) -> bool:
        """Whether /describe with ``model`` asks that model itself (Midjourney's Describe, a task the relay bills,
        run as a job) rather than the chat model that reads images."""
        return model is not None and self._catalogue.lookup(model).midjourney

    async def record_description(self, job: Job, prompts: list[str]) -> Description:
        """Keep what a Describe job answered, for the buttons that draw its prompts (with its model)."""
        described = Description(job.user_id, job.guild_id, job.channel_id, tuple(prompts), job.request.model,
                                self.clock())  # fmt: skip
        return await self._storage.add_description(described)

    async def _ask_vision(self, vision: str, image: bytes, locale: object) -> list[str]:
        """The vision model's prompts for ``image`` in the language of ``locale``, the call counted by outcome."""
        # Named in English, as the rest of the instructions to the model are.
        language = texts.t(texts.ENGLISH, f"language.{texts.language(locale)}")
        try:
            prompts = await self._images.describe(vision, image, language)
        except ImageGenError as error:
            self._metrics.describes.labels(outcome="error").inc()
            if isinstance(error, ModelNotFound):
                # Members cannot choose this model: only the operator can change it.
                log.error("/describe: the image API has no model %s (%s); set VISION_MODEL", vision, error.detail)
                raise InvalidRequest("describe.model_gone", model=vision) from error
            raise
        self._metrics.describes.labels(outcome="ok").inc()
        return prompts

    async def description(self, description_id: int) -> Description | None:
        """A recorded /describe answer."""
        return await self._storage.description(description_id)

    async def fetch_reference(self, url: str) -> bytes:
        """An uploaded reference image, checked and shrunk; raises UploadRejected."""
        return await self._images.fetch_reference(url)

    async def submit(self, job: Job, delivery: Delivery, admission: Admission) -> Job:
        """Record and queue an admitted job."""
        return await self._jobs.submit(job, delivery, admission)

    async def job(self, job_id: int) -> Job | None:
        """A recorded job."""
        return await self._jobs.get(job_id)

    def position(self, job_id: int) -> int | None:
        """A job's place in line, 1 being next; None once it runs."""
        return self._jobs.position(job_id)

    async def cancel(self, job_id: int) -> bool:
        """Cancel a job that still waits."""
        return await self._jobs.cancel(job_id)

    def suggest(self, prompt: str) -> Suggestion | None:
        """A rewrite of a prompt that names a living artist, if it names one."""
        return self._artists.suggest(prompt)

    async def report(self, job: Job, user_id: int) -> bool:
        """Record a member's report of a job's result; False if they had reported it already."""
        return await self._storage.add_report(job.id, user_id, self.clock())

    async def mark_notified(self, job: Job, problem: str | None = None) -> None:
        """Record that the requester of an interrupted job was told (or why they could not be)."""
        await self._jobs.mark_notified(job, problem)

    # -- usage and kept results -----------------------------------------------------------------------------------

    async def member_usage(self, user_id: int, guild_id: int | None) -> MemberUsage:
        """A member's images today against the daily limit in force for them."""
        now = self._clock()
        limit = self.server(guild_id).limits(self.operator_limits).daily_images_per_user
        return MemberUsage(await self._jobs.queue.used(user_id, now), limit, next_midnight(now))

    async def server_report(self, guild_id: int) -> tuple[ServerReport, ServerReport]:
        """A server's day and month: images, estimated cost, refusals, who drew most."""
        return await day_and_month(self._storage, self._prices, guild_id, self._clock())

    async def pending(self, user_id: int) -> list[Job]:
        """A member's results that are made but not yet posted."""
        return await self._jobs.pending(user_id)

    async def redeliver(self, post: Redeliver, user_id: int | None = None) -> list[Job]:
        """Post kept results again: those due, or all of one member's; returns those now posted."""
        return await self._jobs.redeliver(post, user_id)

    async def month(self, guild_id: int) -> Month:
        """A server's last 30 days: images per day by model, estimated dollars per day, and its daily budget."""
        today = day_of(self._clock())
        days = [today - datetime.timedelta(days=back) for back in range(DAYS - 1, -1, -1)]
        start = datetime.datetime.combine(days[0], datetime.time(), datetime.UTC).timestamp()
        index = {day: position for position, day in enumerate(days)}
        images: dict[str, list[int]] = {}
        spend = [0.0] * DAYS
        for job in await self._storage.server_jobs_since(guild_id, start):
            day = index.get(day_of(job.created_at))
            if day is None:
                continue
            posted = job.images_delivered - job.images_withheld
            if posted:
                images.setdefault(job.request.model, [0] * DAYS)[day] += posted
            spend[day] += self._prices.estimate(job.request, job.images_made)
        budget = self.server(guild_id).limits(self.operator_limits).daily_budget_per_server
        return Month(days, images, spend, budget)

    async def month_chart(self, guild_id: int, labels: Labels) -> bytes:
        """``month`` drawn as a PNG, off the event loop."""
        return await workers.run(draw, await self.month(guild_id), labels)

    def kept_until(self, job: Job) -> float:
        """When a kept result is given up."""
        return self._jobs.expires_at(job)

    @property
    def retention_hours(self) -> int:
        """How long kept results are tried again, in hours."""
        return round(self._jobs.retention / 3600)

    @property
    def clock(self) -> Clock:
        """The core's clock: Unix time now."""
        return self._clock
