"""Estimated costs of images: the catalogue's prices, or an operator's own table for the models it lists."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ..api.midjourney import billed_as
from ..model import ImageRequest
from .entries import Catalogue

Table = dict[str, dict[str, float]]


class PriceTable:
    """Cost per image by model, quality and size; ``auto`` is priced at its dearest."""

    def __init__(self, catalogue: Catalogue, models: dict[str, Table] | None = None) -> None:
        self.catalogue = catalogue
        self.models = models or {}

    @classmethod
    def load(cls, catalogue: Catalogue, *paths: Path) -> PriceTable:
        """The catalogue's prices, with the models that ``PRICES_FILE`` tables list priced by those instead."""
        models: dict[str, Table] = {}
        for path in paths:
            with path.open("rb") as file:
                models.update(tomllib.load(file).get("models", {}))
        return cls(catalogue, models)

    def per_image(self, request: ImageRequest) -> float:
        """The estimated cost of one image of ``request``; a Midjourney task costs what it is billed as (its button's
        action, Describe, Blend or Imagine; PRICES_FILE may price it under that name, such as mj_upscale)."""
        info = self.catalogue.lookup(request.model)
        if info.video:
            # A clip is priced by the second (the longest it makes when none is asked for); PRICES_FILE may give
            # the model's price per second.
            own = self.models.get(request.model)
            given = [price for sizes in own.values() for price in sizes.values()] if own else list(info.price.values())
            per_second = max(given, default=0.0)
            return per_second * (request.seconds or max(info.seconds, default=1))
        if info.midjourney:
            billed = billed_as(request)
            own = self.models.get(billed)
            if own:
                return max(price for sizes in own.values() for price in sizes.values())
            return info.actions.get(billed, info.per_image("auto", "auto"))
        table = self.models.get(request.model)
        if not table:
            return self.catalogue.lookup(request.model).per_image(request.quality, request.size, request.previews)
        qualities = [table[request.quality]] if request.quality in table else list(table.values())
        prices = [price for sizes in qualities for size, price in sizes.items() if request.size in ("auto", size)] or [
            price for sizes in qualities for price in sizes.values()
        ]
        return max(prices, default=0.0)

    def estimate(self, request: ImageRequest, images: int | None = None) -> float:
        """The estimated cost of ``images`` images of ``request`` (all it asks for by default)."""
        return self.per_image(request) * (request.n if images is None else images)
