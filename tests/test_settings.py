"""Settings: defaults, every problem at once, secrets kept out of repr."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from imagegen.limits import Limits, how
from imagegen.settings import SettingsError, load_settings

REQUIRED = {"DISCORD_TOKEN": "discord-secret", "OPENAI_API_KEY": "sk-secret"}


def test_defaults_follow_the_contract() -> None:
    settings = load_settings(REQUIRED)
    assert settings.openai_base_url == "https://api.openai.com/v1"
    assert settings.image_model is None  # chosen from GET /models by the catalogue's preference
    assert settings.discord_guild_id is None
    assert settings.image_models == ()
    assert (settings.timeout_for("low"), settings.timeout_for("medium"), settings.timeout_for("high")) == (60, 150, 300)
    assert settings.timeout_for("auto") == 300


def test_values_are_read_and_trailing_slashes_dropped() -> None:
    settings = load_settings(
        {**REQUIRED, "OPENAI_BASE_URL": "https://api2.aigcbest.top/v1/", "IMAGE_MODEL": "gpt-image-2",
         "IMAGE_MODELS": "flux-pro, dall-e-3", "DISCORD_GUILD_ID": "123456789012345678", "MAX_IMAGES": "10"}
    )  # fmt: skip
    assert settings.openai_base_url == "https://api2.aigcbest.top/v1"
    assert settings.image_models == ("gpt-image-2", "flux-pro", "dall-e-3")
    assert settings.discord_guild_id == 123456789012345678
    assert settings.limits.max_images == 10


def test_every_problem_is_listed_at_once() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({"MAX_IMAGES": "0", "IMAGE_MODERATION": "none", "IMAGE_TIMEOUT_HIGH": "-1"})
    names = [problem.split()[0].split("=")[0] for problem in caught.value.problems]
    assert names == ["DISCORD_TOKEN", "OPENAI_API_KEY", "MAX_IMAGES", "IMAGE_MODERATION", "IMAGE_TIMEOUT_HIGH"]


def test_an_artists_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="ARTISTS_FILE"):
        load_settings({**REQUIRED, "ARTISTS_FILE": str(tmp_path / "missing.toml")})


def test_a_styles_file_must_exist_and_hold_styles(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.toml", tmp_path / "bad.toml"
    good.write_text('[[style]]\nname = "Blueprint"\nphrase = "technical blueprint"\n', encoding="utf-8")
    bad.write_text('[[style]]\nname = "No phrase"\n', encoding="utf-8")
    assert load_settings({**REQUIRED, "STYLES_FILE": str(good), "VISION_MODEL": "gpt-4o"}).styles_file == good
    for path in (bad, tmp_path / "missing.toml"):
        with pytest.raises(SettingsError, match="STYLES_FILE"):
            load_settings({**REQUIRED, "STYLES_FILE": str(path)})


def test_secrets_never_reach_repr() -> None:
    text = repr(load_settings(REQUIRED))
    assert "discord-secret" not in text and "sk-secret" not in text


def test_secrets_show_as_stars_wherever_they_are_printed() -> None:
    settings = load_settings(REQUIRED)
    assert str(settings.openai_api_key) == "***" and f"{settings.discord_token}" == "***"
    assert "sk-secret" not in repr(settings.openai_api_key) and settings.openai_api_key.get() == "sk-secret"


@pytest.mark.parametrize(
    ("written", "meant"),
    [("true", True), ("yes", True), ("on", True), ("1", True), ("TRUE", True), (" Yes ", True),
     ("false", False), ("no", False), ("off", False), ("0", False), ("Off", False)],
)  # fmt: skip
def test_every_boolean_setting_takes_the_usual_spellings(written: str, meant: bool) -> None:
    settings = load_settings({**REQUIRED, "ALLOW_DMS": written, "SCREEN_RESULTS": written})
    assert (settings.allow_dms, settings.screen_results) == (meant, meant)


def test_a_boolean_that_is_neither_is_refused_naming_the_spellings_taken() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings({**REQUIRED, "ALLOW_DMS": "maybe", "SCREEN_RESULTS": "2"})
    assert caught.value.problems == [
        f"{name}={value!r} is not valid: expected true or false (also yes/no, on/off, 1/0)"
        for name, value in (("ALLOW_DMS", "maybe"), ("SCREEN_RESULTS", "2"))
    ]


def test_a_relative_data_dir_is_taken_from_the_project_folder_not_the_current_one(tmp_path: Path) -> None:
    project = tmp_path / "project"
    assert load_settings(REQUIRED, root=project).data_dir == project / "data"
    assert load_settings({**REQUIRED, "DATA_DIR": "./state"}, root=project).data_dir == project / "state"
    assert load_settings({**REQUIRED, "DATA_DIR": str(tmp_path / "abs")}, root=project).data_dir == tmp_path / "abs"


def test_relative_files_named_in_settings_are_taken_from_the_project_folder_too(tmp_path: Path) -> None:
    (tmp_path / "my-models.toml").write_text("", encoding="utf-8")
    settings = load_settings({**REQUIRED, "MODELS_FILE": "./my-models.toml"}, root=tmp_path)
    assert settings.models_file == tmp_path / "my-models.toml"


def test_every_limit_is_read_from_the_variable_its_declaration_names_in_its_unit() -> None:
    env = {how(spec.name).env: "7" for spec in dataclasses.fields(Limits)}
    limits = load_settings({**REQUIRED, **env}).limits
    assert limits == Limits(
        daily_images_per_user=7, daily_images_per_server=7, cooldown_seconds=7.0, max_images=7,
        daily_budget_per_server=7.0, daily_video_seconds_per_user=7, daily_dm_images_per_user=7,
        refusals_before_cooloff=7,
        refusal_window_seconds=7 * 60, cooloff_seconds=7 * 60,
    )  # fmt: skip
    assert load_settings(REQUIRED).limits == Limits()


def test_a_limit_under_its_old_name_is_read_with_a_note_and_the_new_name_wins() -> None:
    old = load_settings({**REQUIRED, "DM_IMAGES_PER_USER_DAY": "2"})
    assert old.limits.daily_dm_images_per_user == 2
    assert old.renamed == ("DM_IMAGES_PER_USER_DAY is now called DAILY_DM_IMAGES_PER_USER: the old name still works, "
                           "but rename it",)  # fmt: skip
    both = load_settings({**REQUIRED, "DM_IMAGES_PER_USER_DAY": "2", "DAILY_DM_IMAGES_PER_USER": "9"})
    assert (both.limits.daily_dm_images_per_user, both.renamed) == (9, ())
    with pytest.raises(SettingsError) as caught:
        load_settings({**REQUIRED, "DM_IMAGES_PER_USER_DAY": "many"})
    assert caught.value.problems[0].startswith("DM_IMAGES_PER_USER_DAY='many' is not valid")


def test_only_refusals_before_cooloff_turns_the_cooling_off_off_and_the_others_say_so() -> None:
    assert load_settings({**REQUIRED, "REFUSALS_BEFORE_COOLOFF": "0"}).limits.refusals_before_cooloff == 0
    with pytest.raises(SettingsError) as caught:
        load_settings({**REQUIRED, "REFUSAL_WINDOW_MINUTES": "0", "COOLOFF_MINUTES": "0"})
    assert caught.value.problems == [
        f"{name}='0' is not valid: expected a whole number from 1 to 1440 (REFUSALS_BEFORE_COOLOFF=0 turns the "
        "cooling-off off)"
        for name in ("REFUSAL_WINDOW_MINUTES", "COOLOFF_MINUTES")
    ]


def test_video_model_must_be_one_video_models_sells_by_name_or_pattern() -> None:
    sold = load_settings({**REQUIRED, "VIDEO_MODELS": "veo3*, sora-2", "VIDEO_MODEL": "veo3-fast"})
    assert (sold.video_models, sold.video_model) == (("veo3*", "sora-2"), "veo3-fast")
    with pytest.raises(SettingsError) as caught:
        load_settings({**REQUIRED, "VIDEO_MODELS": "sora-2", "VIDEO_MODEL": "kling-v2-1"})
    assert caught.value.problems == ["VIDEO_MODEL=kling-v2-1 is not among VIDEO_MODELS: add it there to sell it"]
    assert load_settings(REQUIRED).video_models == ()
