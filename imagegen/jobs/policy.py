"""Admission: whether a request may run where it was made, and as what (within the stricter of the operator's and
the server's caps)."""

from __future__ import annotations

import dataclasses

from ..catalogue.entries import QUALITY_ORDER, Catalogue
from ..errors import InvalidRequest
from ..limits import Limits, stricter
from ..model import ImageRequest
from ..safety.wordlist import blocked
from ..servers import ServerSettings
from ..settings import Settings


def moderation_for(server: ServerSettings, operator_level: str, age_restricted: bool) -> str:
    """The moderation level to send: a server's ``low`` holds only in age-restricted channels."""
    if server.moderation == "low":
        return "low" if age_restricted else operator_level
    return server.moderation or operator_level


def apply_caps(
    server: ServerSettings,
    request: ImageRequest,
    operator_quality: str,
    operator_models: tuple[str, ...],
    qualities: tuple[str, ...],
) -> ImageRequest:
    """``request`` within the highest quality and the allowed models (the stricter of operator and server);
    ``qualities`` are those the model takes.

    Quality ``auto`` lets the model choose, which can be the dearest: under a cap it becomes the best the
    model has within the cap.
    """
    allowed = server.models_allowed(operator_models)
    # These are image models: a clip is for the video settings (VIDEO_MODELS, /imagine-admin video) to allow.
    if allowed and request.model not in allowed and not request.seconds:
        raise InvalidRequest("limit.model", model=request.model, models=", ".join(allowed))
    cap = min(operator_quality, server.max_quality or "max", key=QUALITY_ORDER.index)
    within = [quality for quality in qualities if QUALITY_ORDER.index(quality) <= QUALITY_ORDER.index(cap)]
    if not qualities or len(within) == len(qualities):
        return request
    if request.quality == "auto":
        if not within:
            raise InvalidRequest("limit.quality", quality=qualities[0], cap=cap)
        return dataclasses.replace(request, quality=max(within, key=QUALITY_ORDER.index))
    if request.quality in QUALITY_ORDER and QUALITY_ORDER.index(request.quality) > QUALITY_ORDER.index(cap):
        raise InvalidRequest("limit.quality", quality=request.quality, cap=cap)
    return request


def check_place(
    server: ServerSettings, user_id: int, settings: Settings, *, channel_id: int | None, in_dm: bool
) -> None:
    """Raise InvalidRequest when the member may not use the bot here: DMs the operator has not opened, a member
    the server barred, a channel the server has not allowed."""
    if in_dm and not settings.allow_dms:
        raise InvalidRequest("dm.off")
    if user_id in server.barred:
        raise InvalidRequest("server.barred")
    if not server.allows_channel(channel_id):
        raise InvalidRequest("server.channel", channels=server.channels)


def admit(
    server: ServerSettings,
    user_id: int,
    request: ImageRequest,
    settings: Settings,
    base: Limits,
    catalogue: Catalogue,
    *,
    channel_id: int | None,
    in_dm: bool,
    age_restricted: bool,
    references: int = 0,
) -> tuple[ImageRequest, Limits]:
    """The request as it may run here, and the limits that apply; raises InvalidRequest saying what to change.

    In order: DMs only if the operator allows them (with their own daily limit), the server's channels, the
    quality cap and allowed models, the moderation level, then the request's own rules and largest ``n``.
    """
    limits = server.limits(base)
    check_place(server, user_id, settings, channel_id=channel_id, in_dm=in_dm)
    if in_dm:
        per_day = stricter("daily_images_per_user", base.daily_dm_images_per_user, base.daily_images_per_user)
        limits = dataclasses.replace(limits, daily_images_per_user=per_day)
    if blocked(request.text, server.blocked_words) is not None:
        # Which phrase is not said: the list is the moderators' business, and naming it teaches evasion.
        raise InvalidRequest("server.blocked_word")
    info = catalogue.lookup(request.model)
    request = apply_caps(server, request, settings.max_quality, settings.allowed_models, info.qualities)
    request = dataclasses.replace(request, moderation=moderation_for(server, settings.moderation, age_restricted))
    request = request.validated(info, limits.max_images, references=references)
    if settings.preview_images and info.partial_images and request.n == 1:
        request = dataclasses.replace(request, previews=settings.preview_images)
    return request, limits
