"""``python bot.py check``: what the image API offers this key, so an operator sets up without guessing."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable

import aiohttp

from .catalogue import Catalogue
from .client import ImageClient
from .errors import AuthFailed, ImageGenError, UpstreamUnavailable
from .models import ModelCatalog
from .network import image_api_options, via
from .redaction import redact
from .settings import Settings

# Logs in to Discord (nothing more) and says whether it cannot be reached or refuses the token; True when it can.
ReachDiscord = Callable[[Settings, Callable[..., None]], Awaitable[bool]]


async def check(settings: Settings, catalogue: Catalogue, reach_discord: ReachDiscord) -> int:
    """Print the image models the key can use, the default model, and warnings about configured models.

    0 when all is well; 1 when the API cannot be used or IMAGE_MODEL is set to a model it does not list.
    """
    secrets = settings.secrets()

    def say(line: str, error: bool = False) -> None:
        print(redact(line, secrets), file=sys.stderr if error else sys.stdout)

    base = settings.openai_base_url
    say(f"settings: ok (image API {base}, up to {settings.max_images} images)")
    discord_ok = await reach_discord(settings, say)
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
    models = ModelCatalog(client, catalogue, settings.image_model, settings.image_models, 0.0)
    models.use(listed)
    default = models.default
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
    say(f"ok: {default} is available" if default in {m.id for m in listed} else f"ok: using {default}")
    return 0 if discord_ok else 1
