"""Screening prompts before any image is paid for: the moderation endpoint's verdict, and what counts here."""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import InvalidRequest
from ..settings import SCREENING_MODES

# The categories a server chooses among; the moderation endpoint's sub-categories (violence/graphic…) count with
# their group. Sexual content involving minors always counts, whatever anyone chooses.
CATEGORIES = ("sexual", "violence", "self-harm", "harassment", "hate", "illicit")
ALWAYS = "sexual/minors"


def chosen_categories(text: str) -> tuple[str, ...]:
    """The categories an admin typed ("sexual, hate", or "all": every one, written as none chosen); raises
    InvalidRequest naming the categories there are."""
    if text.strip().lower() == "all":
        return ()
    chosen = tuple(dict.fromkeys(part.strip().lower() for part in text.split(",") if part.strip()))
    if not chosen or any(category not in CATEGORIES for category in chosen):
        raise InvalidRequest("admin.screening.categories", categories=", ".join(CATEGORIES))
    return chosen


@dataclass(frozen=True)
class Screening:
    """How a request is screened where it was made: ``mode`` off, log or block, and the categories that count."""

    mode: str = "off"
    categories: tuple[str, ...] = (*CATEGORIES, ALWAYS)
    # Whether each image is screened too before it is posted (never in age-restricted channels).
    results: bool = False


def screening_for(
    operator_mode: str,
    server_mode: str | None,
    server_categories: tuple[str, ...],
    age_restricted: bool,
    results: bool = False,
) -> Screening:
    """The stricter of the operator's and the server's screening. The operator's mode counts every category;
    a server that screens more strictly counts the categories it chose. Sexual content does not count in an
    age-restricted channel; sexual content involving minors always does."""
    server = server_mode or "off"
    if SCREENING_MODES.index(server) > SCREENING_MODES.index(operator_mode):
        mode, chosen = server, server_categories or CATEGORIES
    else:
        mode, chosen = operator_mode, CATEGORIES
    counted = [category for category in chosen if not (age_restricted and category == "sexual")]
    return Screening(mode, (*counted, ALWAYS), results=results and not age_restricted)


def counted(flagged: dict[str, bool], screening: Screening) -> list[str]:
    """The flagged categories that count here, by their group (``violence/graphic`` counts as ``violence``)."""
    found: list[str] = []
    for name, hit in flagged.items():
        if not hit:
            continue
        group = name if name == ALWAYS else name.split("/", 1)[0]
        if group in screening.categories and group not in found:
            found.append(group)
    return found
