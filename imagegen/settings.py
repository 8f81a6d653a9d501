"""Settings read once from the environment into one typed, frozen object."""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlparse

from .api.network import PROXY_SCHEMES, environment_proxies, proxy_secrets
from .catalogue.styles import StyleBook, StylesError
from .limits import Limit, Limits

T = TypeVar("T")

DEFAULT_BASE_URL = "https://api.openai.com/v1"
MODERATION_LEVELS = ("auto", "low")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SCREENING_MODES = ("off", "log", "block")
# The speeds a relay sells Midjourney at, each under its own path; unset, the relay's default path.
MJ_MODES = ("fast", "turbo", "relax")
# How a yes or a no is written in an environment file: every boolean setting takes any of these, in any case.
TRUE_WORDS = ("true", "yes", "on", "1")
FALSE_WORDS = ("false", "no", "off", "0")
_WEBHOOK = re.compile(r"https://(?:\w+\.)?discord(?:app)?\.com/api(?:/v\d+)?/webhooks/\d{17,20}/[\w.-]{60,}")


@dataclass(frozen=True)
class Secret:
    """A value that must never reach a log line or a message: ``repr`` and ``str`` show ``***``; ``get()`` gives it."""

    value: str = field(repr=False)

    def get(self) -> str:
        """The secret itself, for the one place that needs it."""
        return self.value

    def __str__(self) -> str:
        return "***"

    def __bool__(self) -> bool:
        return bool(self.value)


class SettingsError(Exception):
    """Raised with every problem found in the settings, one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Settings:
    """Everything the operator can set; secrets are kept out of ``repr``."""

    discord_token: Secret
    openai_api_key: Secret
    openai_base_url: str = DEFAULT_BASE_URL
    # None: the bot picks the best model GET /models lists, by the catalogue's preference.
    image_model: str | None = None
    image_models: tuple[str, ...] = ()
    discord_guild_id: int | None = None
    # The limits on members and servers (each server may tighten them for itself).
    limits: Limits = field(default_factory=Limits)
    moderation: str = "auto"
    timeout_low: float = 60.0
    timeout_medium: float = 150.0
    timeout_high: float = 300.0
    download_timeout: float = 60.0
    max_download_bytes: int = 50 * 1024 * 1024
    rate_limit_retries: int = 2
    retry_max_wait: float = 60.0
    models_cache_seconds: float = 600.0
    progress_interval: float = 5.0
    artists_file: Path | None = None
    # More named styles for /imagine's style option, beside data/styles.toml.
    styles_file: Path | None = None
    # The chat model that describes images for /describe; None: the best one GET /models lists.
    vision_model: str | None = None
    log_level: str = "INFO"
    data_dir: Path = Path("data")
    max_concurrent_jobs: int = 4
    max_queued_per_user: int = 3
    max_queue_size: int = 100
    shutdown_grace: float = 30.0
    exempt_role_ids: frozenset[int] = frozenset()
    max_quality: str = "high"
    allow_dms: bool = False
    prices_file: Path | None = None
    allowed_models: tuple[str, ...] = ()
    discord_api_url: str | None = None
    discord_gateway_url: str | None = None
    result_retention_seconds: float = 24 * 3600.0
    models_file: Path | None = None
    preview_images: int = 2
    screening: str = "off"
    screening_model: str = "omni-moderation-latest"
    screening_on_error: str = "allow"
    screen_results: bool = False
    metrics_port: int | None = None
    metrics_host: str = "127.0.0.1"
    log_format: str = "text"
    # A Discord webhook URL carries its token: kept out of repr.
    ops_webhook_url: str | None = field(default=None, repr=False)
    # Proxy URLs may carry a password: kept out of repr.
    discord_proxy: str | None = field(default=None, repr=False)
    image_api_proxy: str | None = field(default=None, repr=False)
    # PostgreSQL instead of SQLite (its URL may carry a password): the queue and limits then live in the database.
    database_url: Secret | None = None
    # How many shards the bot has in all (None: Discord's recommendation) and which of them this process runs.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    job_lease_seconds: float = 60.0
    # Midjourney's task API at the relay: where (None: OPENAI_BASE_URL without /v1), at which speed, for how long.
    mj_base_url: str | None = None
    mj_mode: str = ""
    mj_timeout: float = 600.0
    # Videos from images: the models sold (none: no video at all), the default, and how long a clip may take.
    video_models: tuple[str, ...] = ()
    video_model: str | None = None
    video_timeout: float = 900.0
    # Settings read under an older name: each a note for the operator, logged once at start.
    renamed: tuple[str, ...] = field(default=(), compare=False)

    def timeout_for(self, quality: str) -> float:
        """The read timeout for one generation: slower qualities get longer."""
        if quality == "low":
            return self.timeout_low
        if quality == "medium":
            return self.timeout_medium
        return self.timeout_high

    def midjourney_url(self) -> str:
        """Where the relay's Midjourney task API is: MJ_BASE_URL, else OPENAI_BASE_URL without its ``/v1``."""
        if self.mj_base_url:
            return self.mj_base_url
        base = self.openai_base_url
        return base[: -len("/v1")] if base.endswith("/v1") else base

    def secrets(self) -> list[str]:
        """Everything in the settings that must never reach a log line or the console."""
        webhook = [self.ops_webhook_url.rsplit("/", 1)[-1]] if self.ops_webhook_url else []
        proxies = proxy_secrets(self.discord_proxy, self.image_api_proxy, *environment_proxies())
        database = [urlparse(self.database_url.get()).password or ""] if self.database_url else []
        return [self.discord_token.get(), self.openai_api_key.get(), *proxies, *webhook, *filter(None, database)]


class _Reader:
    """Reads typed values out of the environment, collecting every problem; relative paths are ``root``'s."""

    def __init__(self, env: Mapping[str, str], root: Path) -> None:
        self.env = env
        self.root = root
        self.problems: list[str] = []
        self.renamed: list[str] = []
        # The older names a setting is still read under, and the settings found under one.
        self.old_names: dict[str, tuple[str, ...]] = {}
        self.found_as: dict[str, str] = {}

    def raw(self, name: str) -> str | None:
        value = self.env.get(name, "").strip()
        if value:
            return value
        for old in self.old_names.get(name, ()):
            value = self.env.get(old, "").strip()
            if value:
                self.found_as[name] = old
                self.renamed.append(f"{old} is now called {name}: the old name still works, but rename it")
                return value
        return None

    def required(self, name: str, what: str) -> str:
        value = self.raw(name)
        if value is None:
            self.problems.append(f"{name} is not set: {what}")
            return ""
        return value

    def parsed(self, name: str, default: T, parse: Callable[[str], T], expect: str) -> T:
        value = self.raw(name)
        if value is None:
            return default
        try:
            return parse(value)
        except ValueError:
            self.problems.append(f"{self.found_as.get(name, name)}={value!r} is not valid: expected {expect}")
            return default

    def path(self, text: str) -> Path:
        """``text`` as a path; a relative one is taken from the project folder (where ``.env`` is), so the bot
        finds the same files and the same database whatever folder it is started from."""
        path = Path(text).expanduser()
        return path if path.is_absolute() else (self.root / path).resolve()

    def file(self, name: str, check: Callable[[Path], Path] = lambda path: path, expect: str = "") -> Path | None:
        """The existing file ``name`` names (``check`` may look inside it), or None when unset."""

        def parse(text: str) -> Path:
            path = self.path(text)
            if not path.is_file():
                raise ValueError(text)
            return check(path)

        return self.parsed(name, None, parse, expect or "the path of an existing TOML file")

    def integer(self, name: str, default: int, low: int, high: int, hint: str = "") -> int:
        def parse(text: str) -> int:
            number = int(text)
            if not low <= number <= high:
                raise ValueError(text)
            return number

        return self.parsed(
            name, default, parse, f"a whole number from {low} to {high}" + (f" ({hint})" if hint else "")
        )

    def seconds(self, name: str, default: float, low: float = 1.0, high: float = 3600.0) -> float:
        def parse(text: str) -> float:
            number = float(text)
            if not low <= number <= high:
                raise ValueError(text)
            return number

        return self.parsed(name, default, parse, f"a number of seconds from {low:g} to {high:g}")

    def choice(self, name: str, default: str, allowed: tuple[str, ...]) -> str:
        def parse(text: str) -> str:
            if text not in allowed:
                raise ValueError(text)
            return text

        return self.parsed(name, default, parse, "one of " + ", ".join(allowed))

    def boolean(self, name: str, default: bool) -> bool:
        """A yes or a no, written any of the usual ways; one parser, so every switch takes the same words."""

        def parse(text: str) -> bool:
            word = text.lower()
            if word not in TRUE_WORDS + FALSE_WORDS:
                raise ValueError(text)
            return word in TRUE_WORDS

        also = ", ".join(f"{yes}/{no}" for yes, no in zip(TRUE_WORDS[1:], FALSE_WORDS[1:], strict=True))
        return self.parsed(name, default, parse, f"true or false (also {also})")

    def url(self, name: str, default: str | None, schemes: tuple[str, ...]) -> str | None:
        def parse(text: str) -> str:
            parts = urlparse(text)
            if parts.scheme not in schemes or not parts.netloc:
                raise ValueError(text)
            return text.rstrip("/")

        return self.parsed(
            name,
            default,
            parse,
            "a URL starting with " + " or ".join(f"{s}://" for s in schemes),
        )

    def webhook(self, name: str) -> str | None:
        value = self.raw(name)
        if value is None:
            return None
        if not _WEBHOOK.fullmatch(value):
            # The value holds the webhook's token: name the setting, never echo it.
            self.problems.append(
                f"{name} is not valid: expected a Discord webhook URL such as "
                "https://discord.com/api/webhooks/123456789012345678/abc..."
            )
            return None
        return value

    def database(self, name: str) -> Secret | None:
        value = self.raw(name)
        if value is None:
            return None
        parts = urlparse(value)
        if parts.scheme not in ("postgresql", "postgres") or not (parts.hostname or "host=" in parts.query):
            # The value may hold a password: name the setting, never echo it.
            self.problems.append(f"{name} is not valid: expected a URL such as postgresql://user:pass@host:5432/db")
            return None
        return Secret(value)

    def limits(self) -> Limits:
        """Every limit, read as its declaration in ``Limits`` says."""
        values: dict[str, Any] = {
            spec.name: self.limit(spec.metadata["limit"], spec.default) for spec in fields(Limits)
        }
        return Limits(**values)

    def limit(self, how: Limit, default: Any) -> Any:
        self.old_names[how.env] = how.old_names
        if how.unit == "count":
            return self.integer(how.env, int(default), int(how.low), int(how.high), how.hint)
        if how.unit == "minutes":
            return 60 * self.integer(how.env, int(default // 60), int(how.low), int(how.high), how.hint)
        if how.unit == "seconds":
            return self.seconds(how.env, default, how.low, how.high)

        def dollars(text: str) -> float:
            amount = float(text)
            if not how.low <= amount < how.high:
                raise ValueError(text)
            return amount

        return self.parsed(how.env, default, dollars, "an amount in US dollars")

    def proxy(self, name: str) -> str | None:
        def parse(text: str) -> str:
            parts = urlparse(text)
            if parts.scheme not in PROXY_SCHEMES or not parts.hostname:
                raise ValueError(text)
            return text

        value = self.raw(name)
        if value is None:
            return None
        try:
            return parse(value)
        except ValueError:
            # The value may hold a password: name the setting, never echo it.
            self.problems.append(
                f"{name} is not valid: expected a proxy URL such as http://host:port or socks5://user:pass@host:port"
            )
            return None


def _shard_ids(text: str) -> tuple[int, ...]:
    shards: list[int] = []
    for part in filter(None, (piece.strip() for piece in text.split(","))):
        first, _, last = part.partition("-")
        low, high = int(first), int(last or first)
        if low < 0 or high < low:
            raise ValueError(text)
        shards.extend(range(low, high + 1))
    if not shards:
        raise ValueError(text)
    return tuple(sorted(set(shards)))


def _model_list(text: str) -> tuple[str, ...]:
    models = tuple(dict.fromkeys(part.strip() for part in text.split(",") if part.strip()))
    if not models:
        raise ValueError(text)
    return models


def _styles_file(path: Path) -> Path:
    try:
        StyleBook.load(path)
    except StylesError as error:
        raise ValueError(str(path)) from error
    return path


def load_settings(env: Mapping[str, str], root: Path | None = None) -> Settings:
    """Build the settings from an environment mapping, or raise SettingsError listing every problem.

    Relative paths (``DATA_DIR``, the files) are taken from ``root``, the project folder where ``.env`` is read;
    without one, from the current folder.
    """
    read = _Reader(env, root if root is not None else Path.cwd())
    discord_token = read.required("DISCORD_TOKEN", "the bot token from the Discord developer portal")
    api_key = read.required("OPENAI_API_KEY", "the key of your OpenAI-compatible image API")
    base_url = read.url("OPENAI_BASE_URL", DEFAULT_BASE_URL, ("https", "http")) or DEFAULT_BASE_URL
    model = read.raw("IMAGE_MODEL")
    models: tuple[str, ...] = read.parsed("IMAGE_MODELS", (), _model_list, "model names separated by commas")
    if model is not None and model not in models:
        models = (model, *models)
    video_model = read.raw("VIDEO_MODEL")
    video_models: tuple[str, ...] = read.parsed("VIDEO_MODELS", (), _model_list, "model names separated by commas")
    sold = [fnmatch.fnmatchcase(video_model.lower(), entry.lower()) for entry in video_models] if video_model else []
    if video_model is not None and not any(sold):
        read.problems.append(f"VIDEO_MODEL={video_model} is not among VIDEO_MODELS: add it there to sell it")
    settings = Settings(
        discord_token=Secret(discord_token),
        openai_api_key=Secret(api_key),
        openai_base_url=base_url,
        image_model=model,
        image_models=models,
        discord_guild_id=read.parsed("DISCORD_GUILD_ID", None, _snowflake, "a server ID (a long number)"),
        limits=read.limits(),
        moderation=read.choice("IMAGE_MODERATION", "auto", MODERATION_LEVELS),
        timeout_low=read.seconds("IMAGE_TIMEOUT_LOW", 60.0),
        timeout_medium=read.seconds("IMAGE_TIMEOUT_MEDIUM", 150.0),
        timeout_high=read.seconds("IMAGE_TIMEOUT_HIGH", 300.0),
        download_timeout=read.seconds("DOWNLOAD_TIMEOUT", 60.0),
        max_download_bytes=read.integer("MAX_DOWNLOAD_MB", 50, 1, 500) * 1024 * 1024,
        rate_limit_retries=read.integer("RATE_LIMIT_RETRIES", 2, 0, 10),
        retry_max_wait=read.seconds("RETRY_MAX_WAIT", 60.0, 0.0, 600.0),
        models_cache_seconds=read.seconds("MODELS_CACHE_SECONDS", 600.0, 10.0, 86400.0),
        progress_interval=read.seconds("PROGRESS_INTERVAL", 5.0, 3.0, 60.0),
        artists_file=read.file("ARTISTS_FILE"),
        styles_file=read.file("STYLES_FILE", _styles_file, "a TOML file shaped as imagegen/data/styles.toml"),
        vision_model=read.raw("VISION_MODEL"),
        log_level=read.choice("LOG_LEVEL", "INFO", LOG_LEVELS),
        data_dir=read.path(read.raw("DATA_DIR") or "data"),
        max_concurrent_jobs=read.integer("MAX_CONCURRENT_JOBS", 4, 1, 100),
        max_queued_per_user=read.integer("MAX_QUEUED_PER_USER", 3, 1, 100),
        max_queue_size=read.integer("MAX_QUEUE_SIZE", 100, 1, 10000),
        shutdown_grace=read.seconds("SHUTDOWN_GRACE_SECONDS", 30.0, 0.0, 3600.0),
        exempt_role_ids=read.parsed("EXEMPT_ROLE_IDS", frozenset(), _snowflakes, "role IDs separated by commas"),
        max_quality=read.choice("MAX_QUALITY", "high", ("low", "medium", "high", "xhigh", "max")),
        allow_dms=read.boolean("ALLOW_DMS", False),
        prices_file=read.file("PRICES_FILE"),
        allowed_models=read.parsed("ALLOWED_MODELS", (), _model_list, "model names separated by commas"),
        discord_api_url=read.url("DISCORD_API_URL", None, ("https", "http")),
        discord_gateway_url=read.url("DISCORD_GATEWAY_URL", None, ("wss", "ws")),
        result_retention_seconds=3600 * read.integer("RESULT_RETENTION_HOURS", 24, 1, 720),
        models_file=read.file("MODELS_FILE"),
        preview_images=read.integer("PREVIEW_IMAGES", 2, 0, 3),
        screening=read.choice("SCREENING", "off", SCREENING_MODES),
        screening_model=read.raw("SCREENING_MODEL") or "omni-moderation-latest",
        screening_on_error=read.choice("SCREENING_ON_ERROR", "allow", ("allow", "block")),
        screen_results=read.boolean("SCREEN_RESULTS", False),
        metrics_port=read.integer("METRICS_PORT", 0, 0, 65535) or None,
        metrics_host=read.raw("METRICS_HOST") or "127.0.0.1",
        log_format=read.choice("LOG_FORMAT", "text", ("text", "json")),
        ops_webhook_url=read.webhook("OPS_WEBHOOK_URL"),
        discord_proxy=read.proxy("DISCORD_PROXY"),
        image_api_proxy=read.proxy("IMAGE_API_PROXY"),
        database_url=read.database("DATABASE_URL"),
        shard_count=read.integer("SHARD_COUNT", 0, 0, 100_000) or None,
        shard_ids=read.parsed("SHARD_IDS", None, _shard_ids, "shard numbers such as 0-3 or 0,2"),
        job_lease_seconds=read.seconds("JOB_LEASE_SECONDS", 60.0, 2.0, 3600.0),
        mj_base_url=read.url("MJ_BASE_URL", None, ("https", "http")),
        mj_mode=read.choice("MJ_MODE", "", MJ_MODES),
        mj_timeout=read.seconds("MJ_TIMEOUT_SECONDS", 600.0, 30.0, 7200.0),
        video_models=video_models,
        video_model=video_model,
        video_timeout=read.seconds("VIDEO_TIMEOUT_SECONDS", 900.0, 30.0, 7200.0),
        renamed=tuple(read.renamed),
    )
    if settings.shard_ids is not None and settings.shard_count is None:
        read.problems.append("SHARD_IDS is set without SHARD_COUNT: say how many shards there are in all")
    elif settings.shard_ids is not None and settings.shard_count is not None:
        outside = [shard for shard in settings.shard_ids if shard >= settings.shard_count]
        if outside:
            read.problems.append(
                f"SHARD_IDS names shard {outside[0]}, but SHARD_COUNT={settings.shard_count} numbers them from 0 to "
                f"{settings.shard_count - 1}"
            )
    if read.problems:
        raise SettingsError(read.problems)
    return settings


def _snowflakes(text: str) -> frozenset[int]:
    return frozenset(_snowflake(part.strip()) for part in text.split(",") if part.strip())


def _snowflake(text: str) -> int:
    number = int(text)
    if number <= 0:
        raise ValueError(text)
    return number
