"""``python bot.py check``: what the image API offers this key, so an operator sets up without guessing."""

from __future__ import annotations

import sys

import aiohttp

from .client import ImageClient
from .errors import AuthFailed, ImageGenError
from .redaction import redact
from .settings import Settings


async def check(settings: Settings) -> int:
    """Print the image models the key can use and whether IMAGE_MODEL is one; 0 when all is well."""
    secrets = (settings.openai_api_key, settings.discord_token)

    def say(line: str, error: bool = False) -> None:
        print(redact(line, secrets), file=sys.stderr if error else sys.stdout)

    base = settings.openai_base_url
    say(f"settings: ok (image API {base}, model {settings.image_model}, up to {settings.max_images} images)")
    async with aiohttp.ClientSession() as session:
        client = ImageClient(session, settings)
        try:
            models = await client.list_models()
        except AuthFailed as failure:
            say(
                f"error: the image API refused OPENAI_API_KEY ({failure.detail})",
                error=True,
            )
            return 1
        except ImageGenError as failure:
            say(f"error: GET {base}/models failed: {failure.detail}", error=True)
            return 1
    if models:
        say(f"image models this key can use ({len(models)}):")
        for model in models:
            say(f"  {model}" + ("   <- IMAGE_MODEL" if model == settings.image_model else ""))
    else:
        say("the API lists no image models for this key")
    if settings.image_model in models:
        say(f"ok: IMAGE_MODEL {settings.image_model} is available")
        return 0
    say(
        f"error: IMAGE_MODEL {settings.image_model} is not among them: set IMAGE_MODEL to one listed above",
        error=True,
    )
    return 1
