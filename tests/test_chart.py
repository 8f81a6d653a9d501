"""The month's picture: a PNG of the promised size whose pixels show what happened."""

from __future__ import annotations

import datetime
import io

from PIL import Image

from imagegen.imaging.chart import DAYS, HEIGHT, WIDTH, Labels, Month, draw

LABELS = Labels("Images a day", "daily budget ${amount}", "estimated $ a day")
DAYS_SHOWN = [datetime.date(2026, 11, 1) + datetime.timedelta(days=n) for n in range(DAYS)]


def pixels(png: bytes) -> bytes:
    with Image.open(io.BytesIO(png)) as image:
        assert image.format == "PNG" and image.size == (WIDTH, HEIGHT)
        return image.convert("RGB").tobytes()


def test_a_busy_month_and_an_empty_one_are_different_pictures_of_the_same_size() -> None:
    empty = Month(DAYS_SHOWN, {}, [0.0] * DAYS)
    busy = Month(
        DAYS_SHOWN,
        {"gpt-image-2": [n % 7 for n in range(DAYS)], "flux-pro": [n % 3 for n in range(DAYS)]},
        [0.1 * (n % 7) for n in range(DAYS)],
        budget=0.5,
    )
    assert pixels(draw(empty, LABELS)) != pixels(draw(busy, LABELS))


def test_the_budget_rule_is_drawn_only_when_there_is_a_budget() -> None:
    images = {"gpt-image-2": [1] * DAYS}
    without = pixels(draw(Month(DAYS_SHOWN, images, [0.2] * DAYS), LABELS))
    with_budget = pixels(draw(Month(DAYS_SHOWN, images, [0.2] * DAYS, budget=1.0), LABELS))
    red = bytes((237, 66, 69))
    assert red not in without and red in with_budget
