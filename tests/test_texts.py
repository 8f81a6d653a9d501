"""The text catalogue: every text in both languages, with the same blanks to fill, and no Discord markup."""

from __future__ import annotations

import ast
import inspect
import string
import tomllib
from pathlib import Path

import pytest

from imagegen import errors, limits, model, servers, texts
from imagegen.api import upstream
from imagegen.imaging import tools
from imagegen.safety import artists, screening
from tests.helpers import said, says


def blanks(text: texts.Text) -> set[str]:
    forms = text.values() if isinstance(text, dict) else [text]
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


@pytest.mark.parametrize("key", sorted(texts.CATALOGUE))
def test_every_text_has_english_and_chinese_with_the_same_blanks(key: str) -> None:
    entry = texts.CATALOGUE[key]
    assert set(entry) == set(texts.LANGUAGES)
    assert all(str(entry[language]).strip() for language in texts.LANGUAGES)
    assert blanks(entry["en"]) == blanks(entry["zh"])
    assert "<t:" not in str(entry["en"]) + str(entry["zh"]) and "<@" not in str(entry["en"])


def test_plural_forms_are_chosen_by_the_count() -> None:
    assert texts.t("en-US", "count", count=1) == "1 image"
    assert texts.t("en-US", "count", count=3) == "3 images"
    assert texts.t("zh-CN", "count", count=1) == "1 张图片"


def test_chinese_locales_get_chinese_and_every_other_locale_english() -> None:
    assert texts.language("zh-CN") == texts.language("zh-TW") == texts.CHINESE
    assert texts.language("en-US") == texts.language("fr") == texts.ENGLISH


def test_shorten_and_elapsed() -> None:
    assert texts.shorten("abcdef", 4) == "abc…" and texts.shorten("abc", 4) == "abc"
    assert texts.elapsed(0) == "0:00" and texts.elapsed(62.7) == "1:02"


# Where the code keeps its keys: the bot's own modules (tests and benches use keys, they add none).
ROOT = Path(__file__).resolve().parents[1]
SOURCES = sorted([*(ROOT / "cogs").rglob("*.py"), *(ROOT / "imagegen").rglob("*.py"), ROOT / "bot.py", ROOT / "cli.py"])
# The first part of every key, such as ``admin`` in ``admin.changed``: a string in the code that starts with one of
# these and a dot is taken for a key.
PREFIXES = {key.split(".")[0] for key in texts.CATALOGUE}
# Strings shaped like keys that are not: names of attachments.
NOT_KEYS = {"usage.png", "describe.{}"}
# Keys the code builds from a value, such as f"button.tool.{tool}", and every value that value can take.
BUILT_KEYS: dict[str, tuple[str, ...]] = {
    "admin.ceiling.{}": tuple(name for name in limits.SERVER_LIMITS if limits.how(name).refuse_looser),
    "admin.limit.{}": ("server", "operator", "none"),  # whose limit is in force: ServerSettings.in_force
    "button.{}": ("reroll", "remix", "delete", "report"),  # the buttons under every result: delivery.result_buttons
    "button.tool.{}": (*tools.TOOLS, "blend", "animate"),
    "category.{}": (*screening.CATEGORIES, screening.ALWAYS, "unchecked"),
    "choice.background.{}": model.BACKGROUNDS,
    "choice.quality.{}": model.QUALITIES,
    "field.{}": servers.SETTING_NAMES,
    "invalid.option.{}": ("integer", "integer_range", "number", "number_range", "boolean", "pick", "string"),
    "language.{}": texts.LANGUAGES,
    "limit.{}": ("user_day", "server_day", "video_day"),  # the daily counts: ledger._check_count
    "limit.{}_fewer": ("user_day", "server_day", "video_day"),
    # The permissions the bot needs to answer and to remove a result; any other is named as discord.py spells it.
    "permission.{}": (
        "view_channel",
        "send_messages",
        "send_messages_in_threads",
        "embed_links",
        "attach_files",
        "read_message_history",
        "manage_messages",
    ),
    "refused.{}": (*upstream.REFUSAL_CODES.values(), "moderation", "empty", "screened", *artists.KINDS),
    "size.{}": ("square", "landscape", "portrait"),  # catalogue.aspect
}


def _is_key(text: str) -> bool:
    return text.split(".")[0] in PREFIXES and "." in text and text not in NOT_KEYS


def _keys_in(tree: ast.AST) -> tuple[set[str], set[str]]:
    """The keys a module names as they are, and the keys it builds (as templates such as ``button.tool.{}``)."""
    # The key is the second argument of texts.t and the first of localised and of errors that carry one.
    key_argument = {"t": 1, "localised": 0} | {name: 0 for name in KEYED_ERRORS}
    named: set[str] = set()
    built: set[str] = set()
    # The literal parts of an f-string are strings of their own to ast, but only the f-string as a whole is a key.
    parts = {id(part) for node in ast.walk(tree) if isinstance(node, ast.JoinedStr) for part in node.values}
    for node in ast.walk(tree):
        if id(node) in parts:
            continue
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and _is_key(node.value):
            named.add(node.value)
        elif isinstance(node, ast.JoinedStr):
            template = "".join(str(part.value) if isinstance(part, ast.Constant) else "{}" for part in node.values)
            if _is_key(template):
                built.add(template)
        elif isinstance(node, ast.Call):
            callee = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            position = key_argument.get(callee)
            if position is not None and len(node.args) > position:
                named |= _string(node.args[position])
        elif isinstance(node, ast.Assign) and any(
            getattr(target, "id", getattr(target, "attr", None)) == "key" for target in node.targets
        ):
            # An error's key: ``key = "error.quota"`` in its class, or ``error.key = ...`` where it is chosen.
            named |= _string(node.value)
    return named, built


def _string(node: ast.expr) -> set[str]:
    return {node.value} if isinstance(node, ast.Constant) and isinstance(node.value, str) else set()


KEYED_ERRORS = {
    name
    for name, value in vars(errors).items()
    if isinstance(value, type)
    and issubclass(value, errors.ImageGenError)
    and list(inspect.signature(value.__init__).parameters)[1:2] == ["key"]
}


def keys_used() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every key the code names as it is, and every key it builds, each with the files it is in."""
    named: dict[str, set[str]] = {}
    built: dict[str, set[str]] = {}
    for path in SOURCES:
        found, templates = _keys_in(ast.parse(path.read_text("utf-8")))
        for key in found:
            named.setdefault(key, set()).add(str(path.relative_to(ROOT)))
        for template in templates:
            built.setdefault(template, set()).add(str(path.relative_to(ROOT)))
    return named, built


def test_every_key_the_code_names_is_in_both_languages() -> None:
    named, _ = keys_used()
    missing = {key: sorted(paths) for key, paths in named.items() if key not in texts.CATALOGUE}
    assert not missing, f"keys used in the code but in no catalogue: {missing}"
    assert len(named) > 200  # the scan does find the keys: a broken one would pass with none


def test_every_key_the_code_builds_is_in_both_languages_for_every_value() -> None:
    _, built = keys_used()
    unknown = {template: sorted(paths) for template, paths in built.items() if template not in BUILT_KEYS}
    assert not unknown, f"keys built from values this test does not know: add them to BUILT_KEYS: {unknown}"
    missing = [
        template.format(value)
        for template in built
        for value in BUILT_KEYS[template]
        if template.format(value) not in texts.CATALOGUE
    ]
    assert not missing, f"keys the code can build but no catalogue has: {missing}"


def test_every_text_in_the_catalogues_is_used() -> None:
    named, built = keys_used()
    used = set(named) | {template.format(value) for template in built for value in BUILT_KEYS.get(template, ())}
    assert sorted(set(texts.CATALOGUE) - used) == [], "texts no code uses: remove them, or use them"


def test_both_catalogues_have_the_same_keys_and_the_same_plural_forms() -> None:
    english, chinese = (
        tomllib.loads((texts.LOCALES / texts.FILES[language]).read_text("utf-8")) for language in texts.LANGUAGES
    )
    assert sorted(set(english) - set(chinese)) == [], "keys only in English"
    assert sorted(set(chinese) - set(english)) == [], "keys only in Chinese"
    for key, text in english.items():
        # Chinese has no plural: one form (other) is enough; English has one and other.
        assert isinstance(text, dict) == isinstance(chinese[key], dict), key
        if isinstance(text, dict):
            assert set(text) == {"one", "other"} and set(chinese[key]) == {"other"}, key


def test_the_scan_finds_keys_wherever_the_code_keeps_them() -> None:
    source = """
class Busy(ImageGenError):
    key = "error.busy"
error.key = "error.model_gone.x"
texts.t(locale, "plain")
localised("cmd.x")
InvalidRequest("invalid.x", limit=1)
chosen = "admin.a" if yes else "admin.b"
texts.t(locale, f"button.tool.{tool}")
LimitReached(f"limit.{name}_fewer")
open("usage.png")
"""
    named, built = _keys_in(ast.parse(source))
    assert named == {"error.busy", "error.model_gone.x", "plain", "cmd.x", "invalid.x", "admin.a", "admin.b"}
    assert built == {"button.tool.{}", "limit.{}_fewer"}


def test_a_test_can_tell_which_text_was_said_whatever_fills_its_blanks() -> None:
    told = "<@1> " + said("en", "limit.user_day", limit=5, reset_time="<t:9:t>", reset_relative="<t:9:R>")
    assert says(told, "limit.user_day") and not says(told, "limit.server_day")
    assert says(said("en", "count", count=1), "count") and says(said("en", "count", count=4), "count")
    assert says(said("zh-CN", "admin.nothing"), "admin.nothing", "zh-CN") and not says("Nothing", "admin.nothing")
