"""``python bot.py check``: what the image API offers this key, so an operator sets up without guessing."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

import aiohttp

from ..api.client import ImageClient
from ..api.midjourney import Midjourney
from ..api.network import image_api_options, via
from ..catalogue.entries import Catalogue
from ..catalogue.offered import ModelCatalog
from ..clock import Clock, day_of, system_clock
from ..errors import AuthFailed, ImageGenError, UpstreamUnavailable
from ..safety.redaction import redact
from ..settings import Settings
from ..storage.postgres import MIGRATIONS, connect_pool, where
from ..storage.sqlite import StorageError

# Logs in to Discord (nothing more) and says whether it cannot be reached or refuses the token; True when it can.
ReachDiscord = Callable[[Settings, Callable[..., None]], Awaitable[bool]]


async def check(
    settings: Settings, catalogue: Catalogue, reach_discord: ReachDiscord, clock: Clock = system_clock
) -> int:
    """Print the image models the key can use, the default model, and warnings about configured models (gone or
    going by ``clock``'s day).

    0 when all is well; 1 when the API cannot be used or IMAGE_MODEL is set to a model it does not list.
    """
    secrets = settings.secrets()

    def say(line: str, error: bool = False) -> None:
        print(redact(line, secrets), file=sys.stderr if error else sys.stdout)

    base = settings.openai_base_url
    say(f"settings: ok (image API {base}, up to {settings.limits.max_images} images)")
    discord_ok = await reach_discord(settings, say)
    database_ok = await reach_database(settings, say)
    async with aiohttp.ClientSession(**image_api_options(settings.image_api_proxy)) as session:
        client = ImageClient(session, settings, catalogue)
        try:
            listed = await client.list_models()
        except AuthFailed as failure:
            say(f"error: the image API refused OPENAI_API_KEY ({failure.detail})", error=True)
            return 1
        except UpstreamUnavailable as failure:
            say(f"error: cannot reach the image API at {base}{via(settings.image_api_proxy, 'IMAGE_API_PROXY')} "
                f"({failure.detail})", error=True)  # fmt: skip
            return 1
        except ImageGenError as failure:
            say(f"error: GET {base}/models failed: {failure.detail}", error=True)
            return 1
        midjourney = Midjourney(session, settings)
        try:
            answers = await midjourney.probe()
        except ImageGenError as failure:
            answers = f"unreachable ({failure.detail})"
    models = ModelCatalog(client, catalogue, settings.image_model, settings.image_models, 0.0,
                          today=lambda: day_of(clock()), vision=settings.vision_model)  # fmt: skip
    models.use(listed)
    default = models.default
    listed = models.listed or []
    if listed:
        say(f"image models this key can use ({len(listed)}):")
        for model in listed:
            gone = f"   (shuts down {model.shutdown.isoformat()})" if model.shutdown else ""
            say(f"  {model.id}" + ("   <- default" if model.id == default else "") + gone)
    else:
        say("the API lists no image models for this key")
    why = "IMAGE_MODEL" if settings.image_model else "the most preferred model listed, as IMAGE_MODEL is not set"
    say(f"default model: {default} ({why})")
    configured = [*([settings.image_model] if settings.image_model else []), *settings.image_models]
    for warning in models.warnings([*configured, *settings.allowed_models]):
        say(f"warning: {warning}", error=True)
    if settings.image_model and settings.image_model not in {model.id for model in listed}:
        say(
            f"error: IMAGE_MODEL {settings.image_model} is not among them: set IMAGE_MODEL to one listed above, "
            "or leave it unset to let the bot choose",
            error=True,
        )
        return 1
    vision = models.vision
    say(f"/describe model: {vision}" if vision else "warning: no chat model with image input listed: set VISION_MODEL",
        error=vision is None)  # fmt: skip
    say(MJ_SAID.get(answers, "midjourney: cannot reach the task API at {base}: {answers}").format(
        base=midjourney.base, answers=answers, mode=settings.mj_mode or "the relay's default"))  # fmt: skip
    say(f"ok: {default} is available" if default in {m.id for m in listed} else f"ok: using {default}")
    return 0 if discord_ok and database_ok else 1


# What the Midjourney probe found, in words.
MJ_SAID = {
    "ok": "midjourney: the relay answers its task API at {base} (speed: {mode})",
    "one at a time": "midjourney: the relay answers its task API at {base} (speed: {mode}), without list-by-condition: "
    "tasks are polled one at a time",
    "refused": "midjourney: the relay refused OPENAI_API_KEY at {base}",
    "absent": "midjourney: no task API at {base} (set MJ_BASE_URL if the relay serves it elsewhere)",
}


async def reach_database(settings: Settings, say: Callable[..., None]) -> bool:
    """With DATABASE_URL: connect to PostgreSQL and say which schema version it is on (without changing it)."""
    if not settings.database_url:
        return True
    url = settings.database_url.get()
    try:
        pool = await connect_pool(url, min_size=1, max_size=1)
    except StorageError as error:
        say(f"error: {error}", error=True)
        return False
    try:
        exists = await pool.fetchval("SELECT to_regclass('schema_version') IS NOT NULL")
        version = await pool.fetchval("SELECT max(version) FROM schema_version") if exists else 0
    finally:
        await pool.close()
    known = len(MIGRATIONS)
    if (version or 0) > known:
        say(f"error: the database {where(url)} is on schema version {version}, newer than this bot knows ({known})",
            error=True)  # fmt: skip
        return False
    state = "up to date" if version == known else f"will be migrated from {version or 0} to {known} when the bot starts"
    say(f"database: ok ({where(url)}, schema {state})")
    return True
