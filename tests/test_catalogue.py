"""The model catalogue: a test per size rule and per family, operators' files, the default and prices."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest

from imagegen.catalogue.entries import BUNDLED, Catalogue, CatalogueError, SizeRule, aspect

CATALOGUE = Catalogue.load(BUNDLED)
TODAY = datetime.date(2026, 11, 29)


def test_a_fixed_list_takes_its_sizes_and_the_ratios_of_its_sizes_only() -> None:
    rule = SizeRule("list", ("1024x1024", "1536x1024", "1024x1536"))
    assert [rule.normalise(s) for s in ("1024x1024", "1536X1024", "3:2", "2:3", "1:1")] == [
        "1024x1024", "1536x1024", "1536x1024", "1024x1536", "1024x1024",
    ]  # fmt: skip
    assert rule.normalise("1792x1024") is None and rule.normalise("16:9") is None and rule.normalise("big") is None


def test_a_free_rule_takes_any_size_within_its_bounds() -> None:
    rule = CATALOGUE.lookup("gpt-image-2").sizes
    assert rule.normalise("3840x2160") == "3840x2160"
    assert rule.normalise("1024 × 1024") == "1024x1024"
    assert rule.normalise("1000x1000") is None  # sides must be multiples of 16
    assert rule.normalise("3840x1024") is None  # wider than 3:1
    assert rule.normalise("512x512") is None  # fewer pixels than the model takes
    assert rule.normalise("4096x2304") is None  # a side over 3840
    assert rule.normalise("16:9") == "1536x864"  # a ratio asks for the suggested size of that shape


def test_a_ratio_rule_takes_ratios_and_sizes_of_those_ratios() -> None:
    rule = CATALOGUE.lookup("gemini-3.1-flash-image").sizes
    assert rule.normalise("16:9") == "16:9" and rule.normalise("1920x1080") == "16:9"
    assert rule.normalise("7:1") is None and rule.normalise("auto") == "auto"


@pytest.mark.parametrize(
    ("model", "max_n", "kind", "qualities", "references", "retired"),
    [
        ("gpt-image-2.6-flare", 10, "free", ("low", "medium", "high", "xhigh", "max"), "edits", False),
        ("openai/gpt-image-2.5-sunburst", 10, "free", ("low", "medium", "high", "xhigh", "max"), "edits", False),
        ("gpt-image-2", 10, "free", ("low", "medium", "high"), "edits", False),
        ("gpt-image-1.5", 10, "list", ("low", "medium", "high"), "edits", False),
        ("gpt-image-1", 10, "list", ("low", "medium", "high"), "edits", True),
        ("dall-e-3", 1, "list", (), "", True),
        ("gemini-3-pro-image-preview", 1, "ratio", (), "", False),
        ("imagen-4.0-ultra", 4, "ratio", (), "", True),
        ("flux-kontext-max", 1, "ratio", (), "urls", False),
        ("flux-1.1-pro", 1, "ratio", (), "", False),
        ("qwen-image-3.0", 6, "list", (), "", False),
        ("doubao-seedream-4-0", 1, "free", (), "", False),
        ("grok-2-image-1212", 10, "list", (), "", False),
        ("something-new", 4, "list", (), "", False),
    ],
)
def test_each_family_is_described(
    model: str, max_n: int, kind: str, qualities: tuple[str, ...], references: str, retired: bool
) -> None:
    info = CATALOGUE.lookup(model)
    assert (info.max_n, info.sizes.kind, info.qualities, info.references) == (max_n, kind, qualities, references)
    assert info.retired(TODAY) == retired


def test_urls_that_expire_are_marked_for_flux_and_seedream() -> None:
    assert CATALOGUE.lookup("flux-pro").expiring_urls and CATALOGUE.lookup("seedream-4").expiring_urls
    assert not CATALOGUE.lookup("gpt-image-2").expiring_urls


def test_the_preferred_living_model_is_chosen_and_shut_down_ones_are_skipped() -> None:
    listed = ["gpt-image-1", "dall-e-3", "gpt-image-2", "gemini-3.1-flash-image", "gpt-image-2.6-flare"]
    assert CATALOGUE.best(listed, TODAY) == "gpt-image-2.6-flare"
    shut = {"gpt-image-2.6-flare": datetime.date(2026, 11, 1)}
    assert CATALOGUE.best(listed, TODAY, shut) == "gpt-image-2"
    assert CATALOGUE.best(["gpt-image-1", "dall-e-3", "unknown"], TODAY) is None
    assert CATALOGUE.fallback() == "gpt-image-2.6-flare"


def test_prices_follow_quality_and_size_and_auto_is_priced_at_its_dearest() -> None:
    info = CATALOGUE.lookup("gpt-image-2")
    assert info.per_image("low", "1024x1024") == pytest.approx(0.011)
    assert info.per_image("high", "1536x1024") == pytest.approx(0.167 * 1.5)
    assert info.per_image("auto", "auto") == pytest.approx(0.167 * 1.5)
    assert info.per_image("high", "3840x2160") == pytest.approx(0.167 * 8294400 / (1024 * 1024))
    assert CATALOGUE.lookup("gemini-3.1-flash-image").per_image("auto", "16:9") == pytest.approx(0.039)


def test_aspects_are_named_as_people_say_them() -> None:
    assert aspect("1536x864") == ("landscape", "16:9")
    assert aspect("1664x928") == ("landscape", "16:9")
    assert aspect("1024x1536") == ("portrait", "2:3")
    assert aspect("1328x1328") == ("square", "1:1")


def test_an_operators_file_adds_and_overrides_models(tmp_path: Path) -> None:
    extra = tmp_path / "models.toml"
    extra.write_text(
        '[[model]]\nmatch = ["house-painter*"]\nmax_n = 2\nratios = ["1:1", "16:9"]\nrank = 200\n'
        '[[model]]\nmatch = ["gpt-image-2"]\nmax_n = 1\nsizes = ["1024x1024"]\n'
    )
    catalogue = Catalogue.load(BUNDLED, extra)
    assert catalogue.lookup("house-painter-v2").max_n == 2
    assert catalogue.lookup("gpt-image-2").max_n == 1 and catalogue.lookup("gpt-image-2.6-flare").max_n == 10
    assert catalogue.best(["gpt-image-2.6-flare", "house-painter-v2"], TODAY) == "house-painter-v2"


def test_a_malformed_models_file_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "models.toml"
    bad.write_text(
        '[[model]]\nmatch = "flux"\n'
        '[[model]]\nmatch = ["a*"]\nmax_n = 0\nqualities = ["ultra"]\nsizes = ["big"]\ncolour = true\n'
        '[[model]]\nmatch = ["b*"]\nshutdown = "soon"\nreferences = "maybe"\nsizes = []\nratios = ["1:1"]\n'
    )
    with pytest.raises(CatalogueError) as caught:
        Catalogue.load(BUNDLED, bad)
    problems = caught.value.problems
    assert len(problems) == 8
    assert "model 1: 'match' must be a list" in problems[0]
    assert any("unknown key 'colour'" in problem for problem in problems)
    assert any("'shutdown' must be a date" in problem for problem in problems)


def test_every_mistake_of_an_entry_is_listed_not_only_its_first(tmp_path: Path) -> None:
    bad = tmp_path / "models.toml"
    bad.write_text(
        '[[model]]\nmatch = "flux"\nmax_n = 0\n'
        '[[model]]\nmatch = ["a*"]\nsize_rule = { multiple = -1, suggested = ["big"], max_ratio = 0, side = 9 }\n'
        '[[model]]\nmatch = ["b*"]\nname = 5\nreplacement = ["c"]\nprice = { hgh = 0.1 }\n'
        '[[modle]]\nmatch = ["d*"]\n'
        "[default]\nmax_n = 0\nsizes = 3\n"
    )
    with pytest.raises(CatalogueError) as caught:
        Catalogue.load(BUNDLED, bad)
    assert [problem.removeprefix(f"{bad}: ") for problem in caught.value.problems] == [
        "unknown table 'modle': the models are [[model]] tables, the fallback [default]",
        "model 1: 'match' must be a list of name patterns",
        "model 1: 'max_n' must be a positive whole number",
        "model 2 (a*): 'size_rule' has an unknown key 'side'",
        "model 2 (a*): 'size_rule.multiple' must be a whole number, 0 or more",
        "model 2 (a*): 'size_rule.suggested' must list sizes such as \"1536x864\"",
        "model 2 (a*): 'size_rule.max_ratio' must be a number of at least 1, such as 3",
        "model 3 (b*): 'name' must be a model name in quotes",
        "model 3 (b*): 'replacement' must be a model name in quotes",
        "model 3 (b*): 'price' must map qualities (or \"default\") to dollars per image",
        "default: 'max_n' must be a positive whole number",
        "default: 'sizes' must list sizes such as \"1024x1024\"",
    ]


def test_a_models_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "models.toml"
    bad.write_text("[[model]\n")
    with pytest.raises(CatalogueError, match=r"models\.toml"):
        Catalogue.load(BUNDLED, bad)


def test_previews_are_priced_as_the_partial_images_they_are() -> None:
    info = CATALOGUE.lookup("gpt-image-2")
    assert info.per_image("low", "1024x1024", previews=2) == pytest.approx(0.011 + 2 * 0.004)
    assert CATALOGUE.lookup("flux-pro").per_image("auto", "1:1", previews=2) == pytest.approx(0.04)
