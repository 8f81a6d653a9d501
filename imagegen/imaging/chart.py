"""A server's month as a picture: images per day stacked by model, the estimated spend as a line, the budget as a
rule. Drawn with Pillow on a card that reads the same in Discord's dark and light themes."""

from __future__ import annotations

import datetime
import io
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 900, 420
DAYS = 30
# A mid-grey card with white text: enough contrast on Discord's dark and light backgrounds alike.
CARD = (54, 57, 63, 255)
INK = (235, 236, 238, 255)
FAINT = (120, 124, 132, 255)
SPEND = (250, 166, 26, 255)
BUDGET = (237, 66, 69, 255)
# Colours told apart with colour-blindness (Okabe-Ito), one a model, the rest as "others".
PALETTE = ((86, 180, 233), (0, 158, 115), (230, 159, 0), (204, 121, 167), (0, 114, 178), (213, 94, 0))
LEFT, RIGHT, TOP, BOTTOM = 56, 64, 48, 72


@dataclass(frozen=True)
class Month:
    """A server's last days: images per day by model, estimated dollars per day, and the daily budget (0: none)."""

    days: list[datetime.date]
    images: dict[str, list[int]]
    spend: list[float]
    budget: float = 0.0


@dataclass(frozen=True)
class Labels:
    """The words on the chart, in the reader's language; ``budget`` and ``dollars`` take {amount}."""

    title: str
    budget: str
    spend: str
    # The top of the spend axis.
    dollars: str = "${amount}"


def draw(month: Month, labels: Labels) -> bytes:
    """The month as a PNG of ``WIDTH`` × ``HEIGHT``."""
    picture = Image.new("RGBA", (WIDTH, HEIGHT), CARD)
    pen = ImageDraw.Draw(picture)
    font = ImageFont.load_default()
    pen.text((LEFT, 16), labels.title, fill=INK, font=font)
    count = len(month.days)
    totals = [sum(series[day] for series in month.images.values()) for day in range(count)]
    top_images = max([*totals, 1])
    top_dollars = max([*month.spend, month.budget, 0.01])
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    base = TOP + plot_height
    pen.line([(LEFT, base), (LEFT + plot_width, base)], fill=FAINT, width=1)
    pen.text((8, TOP - 6), str(top_images), fill=FAINT, font=font)
    most_dollars = labels.dollars.format(amount=f"{top_dollars:.2f}")
    pen.text((LEFT + plot_width + 6, TOP - 6), most_dollars, fill=SPEND, font=font)
    slot = plot_width / max(count, 1)
    ranked = sorted(month.images, key=lambda model: -sum(month.images[model]))
    for day in range(count):
        x0 = LEFT + day * slot + slot * 0.15
        x1 = LEFT + (day + 1) * slot - slot * 0.15
        height = float(base)
        for index, model in enumerate(ranked):
            value = month.images[model][day]
            if not value:
                continue
            bar = value / top_images * plot_height
            colour = PALETTE[min(index, len(PALETTE) - 1)]
            pen.rectangle([x0, height - bar, x1, height], fill=(*colour, 255))
            height -= bar
        if day % 5 == 0 or day == count - 1:
            pen.text((x0, base + 6), month.days[day].strftime("%m-%d"), fill=FAINT, font=font)
    if month.budget:
        y = base - month.budget / top_dollars * plot_height
        pen.line([(LEFT, y), (LEFT + plot_width, y)], fill=BUDGET, width=2)
        pen.text((LEFT + 4, y - 14), labels.budget.format(amount=f"{month.budget:.2f}"), fill=BUDGET, font=font)
    points = [
        (LEFT + (day + 0.5) * slot, base - dollars / top_dollars * plot_height)
        for day, dollars in enumerate(month.spend)
    ]
    if len(points) > 1:
        pen.line(points, fill=SPEND, width=3)
    legend_x = LEFT
    for index, model in enumerate(ranked[: len(PALETTE)]):
        colour = PALETTE[index]
        pen.rectangle([legend_x, HEIGHT - 24, legend_x + 10, HEIGHT - 14], fill=(*colour, 255))
        pen.text((legend_x + 14, HEIGHT - 26), model[:24], fill=INK, font=font)
        legend_x += 24 + 6 * min(len(model), 24) + 20
    pen.line([(legend_x, HEIGHT - 19), (legend_x + 14, HEIGHT - 19)], fill=SPEND, width=3)
    pen.text((legend_x + 18, HEIGHT - 26), labels.spend, fill=SPEND, font=font)
    buffer = io.BytesIO()
    picture.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
