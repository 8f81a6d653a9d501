"""User-typed text is shown as typed: one test per kind of Discord markup a prompt could carry."""

from __future__ import annotations

import re

import pytest

from cogs.utils.markup import inert

# A markup character Discord would act on: one not preceded by an escaping backslash.
UNESCAPED = r"(?<!\\)(?:\\\\)*"


def acts(character: str, text: str) -> bool:
    """Whether ``character`` appears in ``text`` without a backslash escaping it."""
    return re.search(UNESCAPED + re.escape(character), text) is not None


def test_a_masked_link_is_shown_as_typed_and_not_clickable() -> None:
    shown = inert("[free nitro](https://discord.gift.example/claim)")
    assert not acts("[", shown) and not acts("]", shown)
    assert "https://" not in shown


def test_bare_links_are_broken_so_they_neither_link_nor_embed() -> None:
    shown = inert("see https://evil.example/x and http://a.example")
    assert "https://" not in shown and "http://" not in shown
    assert shown.replace("\u200b", "") == "see https://evil.example/x and http://a.example"


@pytest.mark.parametrize("invite", ["discord.gg/abcdef", "discord.com/invite/abcdef", "https://discord.gg/abc"])
def test_invites_are_broken(invite: str) -> None:
    shown = inert(f"join {invite} now")
    assert "discord.gg/" not in shown and "discord.com/" not in shown


@pytest.mark.parametrize(
    ("typed", "markers"),
    [
        ("**bold**", "*"),
        ("*italic*", "*"),
        ("__underline__", "_"),
        ("~~struck~~", "~"),
        ("||spoiler||", "|"),
        ("`code`", "`"),
        ("```block```", "`"),
    ],
)
def test_inline_markdown_is_escaped(typed: str, markers: str) -> None:
    assert not acts(markers, inert(typed))


@pytest.mark.parametrize("typed", ["<t:1800000000:R>", "<@123456789012345678>", "<@&123>", "<#123>", "<:pepe:123>"])
def test_timestamps_mentions_and_custom_emoji_are_shown_as_typed(typed: str) -> None:
    assert not acts("<", inert(typed))


def test_everyone_and_here_cannot_render_as_mentions() -> None:
    shown = inert("@everyone @here")
    assert not acts("@", shown)


@pytest.mark.parametrize("typed", ["# Heading", "### small", "-# subtext", "> quote", "- item", "1. first"])
def test_markup_at_the_start_of_a_line_is_escaped(typed: str) -> None:
    shown = inert(typed)
    assert shown.startswith("\\") or shown.startswith("1\\.")


def test_new_lines_are_joined_so_no_line_starts_with_markup() -> None:
    assert inert("a cat\n# HUGE\n> quoted") == "a cat # HUGE > quoted"


def test_bidirectional_controls_are_removed() -> None:
    assert inert("gpj.\u202eexe\u2066x\u2069\u200f") == "gpj.exex"


def test_backslashes_are_shown_and_cannot_unescape_what_follows() -> None:
    shown = inert("\\**x**")
    assert not acts("*", shown)


def test_a_shortened_text_fits_and_never_ends_in_half_an_escape() -> None:
    typed = "*" * 50
    for limit in range(2, 40):
        shown = inert(typed, limit)
        assert len(shown) <= limit and shown.endswith("…")
        assert not acts("*", shown)


def test_plain_prompts_in_any_language_are_left_alone() -> None:
    assert inert("一只在月光下的猫, watercolour, 16:9") == "一只在月光下的猫, watercolour, 16:9"
    for typed in ("0.5", "-5", "#hashtag", ">:)", "1.5x zoom"):
        assert inert(typed) == typed
