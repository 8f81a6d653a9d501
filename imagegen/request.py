"""What a user asks for, the rules each model family sets, and the body sent upstream."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from .errors import InvalidRequest

SIZES = ("auto", "1024x1024", "1536x1024", "1024x1536")
QUALITIES = ("auto", "low", "medium", "high")
BACKGROUNDS = ("auto", "transparent", "opaque")


class Family(Enum):
    """Model families that take different parameters."""

    GPT_IMAGE = "gpt-image"
    DALL_E_3 = "dall-e-3"
    DALL_E_2 = "dall-e-2"
    OTHER = "other"


@dataclass(frozen=True)
class FamilyRules:
    """The limits one family puts on a request."""

    max_prompt: int
    max_n: int
    sizes: tuple[str, ...]
    takes_quality: bool
    takes_background: bool
    takes_moderation: bool


RULES = {
    Family.GPT_IMAGE: FamilyRules(32000, 10, SIZES, True, True, True),
    Family.DALL_E_3: FamilyRules(4000, 1, ("auto", "1024x1024"), False, False, False),
    Family.DALL_E_2: FamilyRules(1000, 10, ("auto", "1024x1024"), False, False, False),
    # Other vendors behind an aggregator (flux, imagen, …) take the OpenAI shape but rarely the GPT extras.
    Family.OTHER: FamilyRules(4000, 10, SIZES, False, False, False),
}

_MODEL_NAME = re.compile(r"[\w.:/@+-]{1,100}")
_GPT_IMAGE = re.compile(r"(^|[/:])(chatgpt-image|gpt-image)", re.IGNORECASE)


def family_of(model: str) -> Family:
    """The family a model name belongs to; aggregators sometimes prefix names with a vendor."""
    name = model.lower()
    if _GPT_IMAGE.search(name):
        return Family.GPT_IMAGE
    if name.endswith("dall-e-3"):
        return Family.DALL_E_3
    if name.endswith("dall-e-2"):
        return Family.DALL_E_2
    return Family.OTHER


@dataclass(frozen=True)
class ImageRequest:
    """One /imagine as the user asked for it."""

    prompt: str
    model: str
    n: int = 1
    size: str = "auto"
    quality: str = "auto"
    background: str = "auto"
    moderation: str = "auto"
    # Reference images (already checked and shrunk): with any, the request goes to the edits endpoint.
    references: tuple[bytes, ...] = field(default=(), repr=False)

    @property
    def endpoint(self) -> str:
        """The API path this request is sent to."""
        return "images/edits" if self.references else "images/generations"

    @property
    def family(self) -> Family:
        """The model family, which decides the parameters sent."""
        return family_of(self.model)

    def validate(self, max_images: int, references: int | None = None) -> None:
        """Raise InvalidRequest, naming what to change, if this request cannot be sent.

        ``references`` counts reference images still to be read, when there are some.
        """
        if not _MODEL_NAME.fullmatch(self.model):
            raise InvalidRequest("invalid.model", model=self.model[:100])
        rules = RULES[self.family]
        prompt = self.prompt.strip()
        if not prompt:
            raise InvalidRequest("invalid.prompt_empty")
        if len(prompt) > rules.max_prompt:
            raise InvalidRequest(
                "invalid.prompt_too_long",
                length=len(prompt),
                limit=rules.max_prompt,
                model=self.model,
                excess=len(prompt) - rules.max_prompt,
            )
        if not 1 <= self.n <= max_images:
            raise InvalidRequest("invalid.n_range", n=self.n, limit=max_images)
        if self.n > rules.max_n:
            raise InvalidRequest("invalid.n_model", n=self.n, limit=rules.max_n, model=self.model)
        if self.size not in SIZES:
            raise InvalidRequest("invalid.size", size=self.size, sizes=", ".join(SIZES))
        if self.size not in rules.sizes:
            raise InvalidRequest(
                "invalid.size_model",
                size=self.size,
                model=self.model,
                sizes=", ".join(rules.sizes),
            )
        if self.quality not in QUALITIES:
            raise InvalidRequest("invalid.quality", quality=self.quality)
        if self.quality != "auto" and not rules.takes_quality:
            raise InvalidRequest("invalid.quality_model", quality=self.quality, model=self.model)
        if self.background not in BACKGROUNDS:
            raise InvalidRequest("invalid.background", background=self.background)
        if self.background != "auto" and not rules.takes_background:
            raise InvalidRequest("invalid.background_model", background=self.background, model=self.model)
        if (references or self.references) and self.family in (Family.DALL_E_2, Family.DALL_E_3):
            raise InvalidRequest("invalid.reference_model", model=self.model)

    def edit_fields(self) -> dict[str, str]:
        """The text fields of a multipart ``POST /images/edits``: as ``body()``, but without ``moderation``."""
        fields = {key: str(value) for key, value in self.body().items()}
        fields.pop("moderation", None)
        return fields

    def body(self) -> dict[str, Any]:
        """The JSON body for ``POST /images/generations``: only what this family accepts."""
        rules = RULES[self.family]
        body: dict[str, Any] = {
            "model": self.model,
            "prompt": self.prompt.strip(),
            "n": self.n,
        }
        if self.size != "auto":
            body["size"] = self.size
        if rules.takes_quality and self.quality != "auto":
            body["quality"] = self.quality
        if rules.takes_background and self.background != "auto":
            body["background"] = self.background
        if rules.takes_moderation and self.moderation != "auto":
            body["moderation"] = self.moderation
        return body
