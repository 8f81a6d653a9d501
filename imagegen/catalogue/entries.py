"""The model catalogue: what each image model takes (sizes, qualities, n, extras), what it costs, and how much it
is preferred, read from ``data/models.toml`` and an operator's ``MODELS_FILE``."""

from __future__ import annotations

import datetime
import fnmatch
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUNDLED = Path(__file__).parent.parent / "data" / "models.toml"
QUALITY_ORDER = ("low", "medium", "high", "xhigh", "max")
# A price table's prices are for this many pixels (1024×1024); other sizes cost in proportion.
PRICE_PIXELS = 1024 * 1024
AUTO_PIXELS = 1536 * 1024
_SIZE = re.compile(r"(\d{2,5})x(\d{2,5})")
_RATIO = re.compile(r"(\d{1,2}):(\d{1,2})")
REFERENCE_KINDS = ("", "edits", "urls")
# How a model is drawn: the OpenAI images API, the relay's Midjourney task API (submit, then follow the task), or
# one of its two video APIs: OpenAI's (POST /videos) or the relay's unified one (POST /video/generations).
VIDEO_APIS = ("openai-videos", "video-generations")
API_KINDS = ("images", "mj", *VIDEO_APIS)
# Which of Midjourney's bots a task API model draws with.
BOT_TYPES = ("MID_JOURNEY", "NIJI_JOURNEY")
# What a price table may be keyed by: a quality, "auto", or "default" for the rest.
PRICE_KEYS = ("default", "auto", *QUALITY_ORDER)
# What a size_rule table may give.
RULE_NUMBERS = ("multiple", "min_pixels", "max_pixels", "max_side")
RULE_KEYS = (*RULE_NUMBERS, "max_ratio", "suggested")


class CatalogueError(Exception):
    """A models file that cannot be used; ``problems`` has one line each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class SizeRule:
    """The sizes a model takes: a fixed ``list`` of WxH, ``free`` WxH within bounds, or aspect ``ratio``s.

    ``sizes`` are the accepted sizes (``list``), the suggested ones (``free``) or the accepted ratios (``ratio``).
    """

    kind: str = "list"
    sizes: tuple[str, ...] = ()
    multiple: int = 16
    min_ratio: float = 1 / 3
    max_ratio: float = 3.0
    min_pixels: int = 0
    max_pixels: int = 0
    max_side: int = 0

    def normalise(self, size: str) -> str | None:
        """The size to send for what a user typed (``WxH``, ``W×H`` or a ratio ``16:9``), or None if not taken."""
        typed = size.strip().lower().replace("×", "x").replace("*", "x").replace(" ", "")
        if typed == "auto":
            return "auto"
        given = _SIZE.fullmatch(typed)
        ratio = _RATIO.fullmatch(typed)
        if self.kind == "ratio":
            if given:
                typed = _ratio_of(int(given[1]), int(given[2]))
            return typed if typed in self.sizes else None
        if ratio:
            # A ratio asks for the suggested (or listed) size of that shape.
            wanted = _ratio_of(int(ratio[1]), int(ratio[2]))
            return next((known for known in self.sizes if _ratio_of(*dimensions(known)) == wanted), None)
        if not given:
            return None
        if self.kind == "list":
            return typed if typed in self.sizes else None
        return typed if self._fits(int(given[1]), int(given[2])) else None

    def _fits(self, width: int, height: int) -> bool:
        pixels = width * height
        return (
            width % self.multiple == 0
            and height % self.multiple == 0
            and self.min_ratio - 1e-9 <= width / height <= self.max_ratio + 1e-9
            and pixels >= self.min_pixels
            and (not self.max_pixels or pixels <= self.max_pixels)
            and (not self.max_side or max(width, height) <= self.max_side)
        )

    def largest_pixels(self) -> int:
        """The most pixels ``auto`` can bring here, for pricing it at its dearest.

        Models that take any size choose among their usual ones for ``auto`` (1536×1024 at the most), not their
        largest: pricing auto at 3840×2160 would turn budgets away for nothing.
        """
        if self.kind == "free":
            return AUTO_PIXELS
        known = [math.prod(dimensions(size)) for size in self.sizes if _SIZE.fullmatch(size)]
        return max(known, default=PRICE_PIXELS)


@dataclass(frozen=True)
class ModelInfo:
    """What one model takes, and what it costs."""

    name: str = "default"
    prompt_limit: int = 4000
    max_n: int = 10
    sizes: SizeRule = field(default_factory=lambda: SizeRule("list", ("1024x1024", "1536x1024", "1024x1536")))
    qualities: tuple[str, ...] = ()
    background: bool = False
    moderation: bool = False
    output_format: bool = False
    partial_images: bool = False
    references: str = ""
    # The most reference images one request may carry (the edits endpoint of GPT image models takes 16).
    max_references: int = 16
    input_fidelity: bool = False
    # Whether its largest sizes are worth an Upscale (an edit of an image at the largest size of its shape).
    upscale: bool = False
    expiring_urls: bool = False
    rank: int = 0
    shutdown: datetime.date | None = None
    replacement: str | None = None
    # Estimated dollars per image of PRICE_PIXELS, by quality ("auto" and models without qualities use "default").
    price: dict[str, float] = field(default_factory=dict)
    # Estimated dollars per partial image streamed as a preview (they are billed as output tokens).
    partial_price: float = 0.0
    # "mj": drawn through the relay's Midjourney task API with ``bot_type``; one request is one grid.
    api: str = "images"
    bot_type: str = ""
    # Estimated dollars per task by billing name (mj_upscale, mj_variation, …), for the actions of its buttons.
    actions: dict[str, float] = field(default_factory=dict)
    # For a video model: the lengths of clip it makes, in seconds (its price is per second).
    seconds: tuple[int, ...] = ()

    @property
    def midjourney(self) -> bool:
        """Whether the model is Midjourney, drawn through the relay's task API (submitted, then followed)."""
        return self.api == "mj"

    @property
    def video(self) -> bool:
        """Whether the model makes videos (from an image) rather than images."""
        return self.api in VIDEO_APIS

    def per_image(self, quality: str, size: str, previews: int = 0) -> float:
        """The estimated cost of one image (and its ``previews``); ``auto`` quality and size at their dearest."""
        if not self.price:
            return self.partial_price * previews
        if quality in self.price:
            base = self.price[quality]
        elif "default" in self.price:
            base = self.price["default"]
        else:
            base = max(self.price.values())
        pixels = math.prod(dimensions(size)) if _SIZE.fullmatch(size) else self.sizes.largest_pixels()
        scaled = base * max(pixels, PRICE_PIXELS) / PRICE_PIXELS if self.sizes.kind != "ratio" else base
        return scaled + self.partial_price * previews

    def retired(self, today: datetime.date) -> bool:
        """Whether the model is shut down by ``today``."""
        return self.shutdown is not None and self.shutdown <= today


@dataclass(frozen=True)
class Entry:
    """Name patterns and what the models they match take."""

    patterns: tuple[str, ...]
    info: ModelInfo

    def matches(self, model: str) -> bool:
        name = model.lower()
        # Aggregators often put a vendor before the name: "openai/gpt-image-2".
        bare = name.rsplit("/", 1)[-1]
        return any(fnmatch.fnmatchcase(name, p) or fnmatch.fnmatchcase(bare, p) for p in self.patterns)


class Catalogue:
    """Every known model by name pattern; the first entry that matches a name describes it."""

    def __init__(self, entries: list[Entry], default: ModelInfo) -> None:
        self.entries = entries
        self.default = default

    @classmethod
    def load(cls, *paths: Path) -> Catalogue:
        """The bundled catalogue, with each file's entries put before it (so they override); raises
        CatalogueError with every problem found."""
        entries: list[Entry] = []
        default = ModelInfo()
        problems: list[str] = []
        for path in paths:
            try:
                with path.open("rb") as file:
                    data = tomllib.load(file)
            except (OSError, tomllib.TOMLDecodeError) as error:
                problems.append(f"{path}: {error}")
                continue
            found, default_found = _entries(data, str(path), problems)
            entries = found + entries
            default = default_found or default
        if problems:
            raise CatalogueError(problems)
        return cls(entries, default)

    def lookup(self, model: str) -> ModelInfo:
        """What ``model`` takes; a model no entry knows gets the conservative default."""
        for entry in self.entries:
            if entry.matches(model):
                return entry.info
        return self.default

    def known(self, model: str) -> bool:
        """Whether an entry describes ``model``."""
        return any(entry.matches(model) for entry in self.entries)

    def best(self, models: list[str], today: datetime.date, shut: dict[str, datetime.date] | None = None) -> str | None:
        """The most preferred of ``models`` that is not shut down (by the catalogue or by ``shut``), if any."""
        shut = shut or {}
        living = [
            model
            for model in models
            if not self.lookup(model).retired(today) and not (model in shut and shut[model] <= today)
        ]
        ranked = [model for model in living if self.lookup(model).rank > 0]
        return max(ranked, key=lambda model: self.lookup(model).rank, default=None)

    def fallback(self) -> str:
        """The model to use when no list can be read: the preferred entry's name."""
        return max((entry.info for entry in self.entries), key=lambda info: info.rank, default=self.default).name


# Shapes people know by name: a size within 2% of one is called by it ("1664x928" is 16:9).
_COMMON_RATIOS = ((1, 1), (4, 3), (3, 2), (16, 9), (21, 9), (5, 4), (2, 1), (7, 4), (3, 1))


def aspect(size: str) -> tuple[str, str]:
    """Whether a ``WxH`` or ``W:H`` size is square, landscape or portrait, and its ratio as people say it."""
    width, height = (int(part) for part in re.split(r"[x:]", size, maxsplit=1))
    shape = "square" if width == height else "landscape" if width > height else "portrait"
    wide, tall = max(width, height), min(width, height)
    for long, short in _COMMON_RATIOS:
        if abs(wide / tall - long / short) <= 0.02 * long / short:
            return shape, f"{long}:{short}" if width >= height else f"{short}:{long}"
    return shape, _ratio_of(width, height)


def dimensions(size: str) -> tuple[int, int]:
    """The width and height of a ``WxH`` size."""
    width, _, height = size.partition("x")
    return int(width), int(height)


def _ratio_of(width: int, height: int) -> str:
    common = math.gcd(width, height) or 1
    return f"{width // common}:{height // common}"


def _entries(data: dict[str, Any], source: str, problems: list[str]) -> tuple[list[Entry], ModelInfo | None]:
    """The entries and the default of one file; every mistake in it goes to ``problems``, one line each, so an
    operator fixes them all in one go rather than one per start."""
    for key in data:
        if key not in ("model", "default"):
            problems.append(f"{source}: unknown table '{key}': the models are [[model]] tables, the fallback [default]")
    models = data.get("model", [])
    if not isinstance(models, list):
        problems.append(f"{source}: 'model' must be [[model]] tables")
        models = []
    entries = []
    for index, raw in enumerate(models):
        where = f"{source}: model {index + 1}"
        if not isinstance(raw, dict):
            problems.append(f"{where}: must be a [[model]] table")
            continue
        patterns = raw.get("match")
        if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) and p for p in patterns):
            problems.append(f"{where}: 'match' must be a list of name patterns")
            # The entry's other keys are still checked, so their mistakes are listed too.
            _info(raw, where, problems, "")
            continue
        info = _info(raw, f"{where} ({patterns[0]})", problems, patterns[0])
        if info is not None:
            entries.append(Entry(tuple(pattern.lower() for pattern in patterns), info))
    default = None
    if "default" in data:
        if isinstance(data["default"], dict):
            default = _info({"name": "default", **data["default"]}, f"{source}: default", problems, "default")
        else:
            problems.append(f"{source}: 'default' must be a [default] table")
    return entries, default


_KNOWN_KEYS = {
    "match", "name", "prompt_limit", "max_n", "max_references", "sizes", "size_rule", "ratios", "qualities",
    "background", "moderation", "output_format", "partial_images", "references", "input_fidelity", "upscale",
    "expiring_urls", "rank", "shutdown", "replacement", "price", "partial_price", "api", "bot_type",
    "actions", "seconds",
}  # fmt: skip


def _info(raw: dict[str, Any], where: str, problems: list[str], pattern: str) -> ModelInfo | None:
    """What one entry says (named after its first ``pattern`` unless it gives a name), or None if it has
    mistakes: each of them is added to ``problems``."""
    before = len(problems)
    for key in raw:
        if key not in _KNOWN_KEYS:
            problems.append(f"{where}: unknown key '{key}'")
    for key in ("name", "replacement"):
        if key in raw and (not isinstance(raw[key], str) or not raw[key].strip()):
            problems.append(f"{where}: '{key}' must be a model name in quotes")
    name = raw.get("name")
    values: dict[str, Any] = {"name": (name if isinstance(name, str) and name else pattern).rstrip("*")}
    for key in ("prompt_limit", "max_n", "max_references", "rank"):
        if key in raw:
            if not isinstance(raw[key], int) or isinstance(raw[key], bool) or raw[key] < (0 if key == "rank" else 1):
                problems.append(f"{where}: '{key}' must be a positive whole number")
            else:
                values[key] = raw[key]
    booleans = ("background", "moderation", "output_format", "partial_images", "input_fidelity", "upscale",
                "expiring_urls")  # fmt: skip
    for key in booleans:
        if key in raw:
            if not isinstance(raw[key], bool):
                problems.append(f"{where}: '{key}' must be true or false")
            else:
                values[key] = raw[key]
    for key, allowed in (("api", API_KINDS), ("bot_type", BOT_TYPES)):
        if key in raw:
            if raw[key] not in allowed:
                problems.append(f"{where}: '{key}' must be one of " + ", ".join(f'"{kind}"' for kind in allowed))
            else:
                values[key] = raw[key]
    if "references" in raw:
        if raw["references"] not in REFERENCE_KINDS:
            problems.append(f'{where}: \'references\' must be "edits", "urls" or ""')
        else:
            values["references"] = raw["references"]
    if "qualities" in raw:
        qualities = raw["qualities"]
        if not isinstance(qualities, list) or any(q not in QUALITY_ORDER for q in qualities):
            problems.append(f"{where}: 'qualities' must list some of {', '.join(QUALITY_ORDER)}")
        else:
            values["qualities"] = tuple(qualities)
    rule = _size_rule(raw, where, problems)
    if rule is not None:
        values["sizes"] = rule
    if "shutdown" in raw:
        shutdown = raw["shutdown"]
        if not isinstance(shutdown, datetime.date) or isinstance(shutdown, datetime.datetime):
            problems.append(f"{where}: 'shutdown' must be a date such as 2026-12-01")
        else:
            values["shutdown"] = shutdown
    if "partial_price" in raw:
        partial = raw["partial_price"]
        if not isinstance(partial, int | float) or isinstance(partial, bool) or partial < 0:
            problems.append(f"{where}: 'partial_price' must be dollars per partial image")
        else:
            values["partial_price"] = float(partial)
    if isinstance(raw.get("replacement"), str):
        values["replacement"] = raw["replacement"]
    if "seconds" in raw:
        lengths = raw["seconds"]
        if (
            not isinstance(lengths, list)
            or not lengths
            or not all(isinstance(v, int) and not isinstance(v, bool) and 0 < v <= 600 for v in lengths)
        ):
            problems.append(f"{where}: 'seconds' must list clip lengths in whole seconds, such as [4, 8, 12]")
        else:
            values["seconds"] = tuple(lengths)
    if "actions" in raw:
        actions = raw["actions"]
        if not isinstance(actions, dict) or not all(
            isinstance(v, int | float) and not isinstance(v, bool) and v >= 0 for v in actions.values()
        ):
            problems.append(f"{where}: 'actions' must map billing names such as mj_upscale to dollars per task")
        else:
            values["actions"] = {str(k): float(v) for k, v in actions.items()}
    if "price" in raw:
        price = raw["price"]
        if not isinstance(price, dict) or not all(
            key in PRICE_KEYS and isinstance(v, int | float) and not isinstance(v, bool) and v >= 0
            for key, v in price.items()
        ):
            problems.append(f"{where}: 'price' must map qualities (or \"default\") to dollars per image")
        else:
            values["price"] = {str(k): float(v) for k, v in price.items()}
    return ModelInfo(**values) if len(problems) == before else None


def _listed(value: object, pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    """``value`` as a tuple if it is a list of strings of the shape ``pattern``, else None."""
    if isinstance(value, list) and all(isinstance(item, str) and pattern.fullmatch(item) for item in value):
        return tuple(value)
    return None


def _size_rule(raw: dict[str, Any], where: str, problems: list[str]) -> SizeRule | None:
    """The entry's size rule, if it gives one and it can be used; every mistake in it goes to ``problems``."""
    given = [key for key in ("sizes", "size_rule", "ratios") if key in raw]
    if len(given) > 1:
        problems.append(f"{where}: give one of 'sizes', 'size_rule' or 'ratios'")
    # Each rule given is checked even when there are several, so all their mistakes are listed at once.
    rule = None
    if "sizes" in raw:
        sizes = _listed(raw["sizes"], _SIZE)
        if sizes is None:
            problems.append(f"{where}: 'sizes' must list sizes such as \"1024x1024\"")
        else:
            rule = SizeRule("list", sizes)
    if "ratios" in raw:
        ratios = _listed(raw["ratios"], _RATIO)
        if ratios is None:
            problems.append(f"{where}: 'ratios' must list aspect ratios such as \"16:9\"")
        else:
            rule = SizeRule("ratio", ratios)
    if "size_rule" in raw:
        rule = _free_rule(raw["size_rule"], where, problems)
    return rule if len(given) == 1 else None


def _free_rule(rule: object, where: str, problems: list[str]) -> SizeRule | None:
    """A ``size_rule`` table as a rule, or None with each of its mistakes added to ``problems``."""
    if not isinstance(rule, dict):
        problems.append(f"{where}: 'size_rule' must be a table such as {{ multiple = 16, max_ratio = 3 }}")
        return None
    before = len(problems)
    for key in rule:
        if key not in RULE_KEYS:
            problems.append(f"{where}: 'size_rule' has an unknown key '{key}'")
    for key in RULE_NUMBERS:
        value = rule.get(key, 0)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{where}: 'size_rule.{key}' must be a whole number, 0 or more")
    suggested = _listed(rule.get("suggested", []), _SIZE)
    if suggested is None:
        problems.append(f"{where}: 'size_rule.suggested' must list sizes such as \"1536x864\"")
    ratio = rule.get("max_ratio", 3.0)
    if not isinstance(ratio, int | float) or isinstance(ratio, bool) or ratio < 1:
        problems.append(f"{where}: 'size_rule.max_ratio' must be a number of at least 1, such as 3")
    if len(problems) > before or suggested is None:
        return None
    return SizeRule(
        "free",
        suggested,
        multiple=max(1, int(rule.get("multiple", 16))),
        min_ratio=1 / float(ratio),
        max_ratio=float(ratio),
        min_pixels=int(rule.get("min_pixels", 0)),
        max_pixels=int(rule.get("max_pixels", 0)),
        max_side=int(rule.get("max_side", 0)),
    )
