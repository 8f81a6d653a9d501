"""Estimated costs of images, from a table operators can edit."""

from __future__ import annotations

import tomllib
from pathlib import Path

from .request import ImageRequest

BUNDLED = Path(__file__).with_name("data") / "prices.toml"
Table = dict[str, dict[str, float]]


class PriceTable:
    """Cost per image by model, quality and size; ``auto`` is priced at its dearest."""

    def __init__(self, default: Table, models: dict[str, Table]) -> None:
        self.default = default
        self.models = models

    @classmethod
    def load(cls, *paths: Path) -> PriceTable:
        """Read the bundled table, then any operator file: models it lists replace the bundled ones."""
        default: Table = {}
        models: dict[str, Table] = {}
        for path in paths:
            with path.open("rb") as file:
                data = tomllib.load(file)
            default = data.get("default", default)
            models.update(data.get("models", {}))
        return cls(default, models)

    def per_image(self, request: ImageRequest) -> float:
        """The estimated cost of one image of ``request``."""
        table = self.models.get(request.model, self.default)
        if not table:
            return 0.0
        qualities = [table[request.quality]] if request.quality in table else list(table.values())
        prices = [price for sizes in qualities for size, price in sizes.items() if request.size in ("auto", size)] or [
            price for sizes in qualities for price in sizes.values()
        ]
        return max(prices, default=0.0)

    def estimate(self, request: ImageRequest, images: int | None = None) -> float:
        """The estimated cost of ``images`` images of ``request`` (all it asks for by default)."""
        return self.per_image(request) * (request.n if images is None else images)
