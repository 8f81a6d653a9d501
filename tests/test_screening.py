"""What counts when a prompt is screened: the stricter of operator and server, the channel, and the categories."""

from __future__ import annotations

from imagegen.safety.screening import ALWAYS, CATEGORIES, counted, screening_for


def test_the_stricter_mode_holds_and_the_server_chooses_categories_only_when_it_is_the_stricter() -> None:
    assert screening_for("block", "off", ("hate",), age_restricted=False).mode == "block"
    assert screening_for("block", "off", ("hate",), age_restricted=False).categories == (*CATEGORIES, ALWAYS)
    strict = screening_for("log", "block", ("hate",), age_restricted=False)
    assert (strict.mode, strict.categories) == ("block", ("hate", ALWAYS))
    assert screening_for("off", None, (), age_restricted=False).mode == "off"


def test_sexual_content_does_not_count_in_age_restricted_channels_but_minors_always_do() -> None:
    restricted = screening_for("block", None, (), age_restricted=True)
    assert counted({"sexual": True}, restricted) == []
    assert counted({"sexual/minors": True, "sexual": True}, restricted) == [ALWAYS]
    assert counted({"sexual": True}, screening_for("block", None, (), age_restricted=False)) == ["sexual"]


def test_sub_categories_count_with_their_group_and_unflagged_ones_not_at_all() -> None:
    screening = screening_for("block", None, (), age_restricted=False)
    assert counted({"violence/graphic": True, "violence": True, "hate": False}, screening) == ["violence"]
