"""Admission: the quality cap and the allowed models, the stricter of the operator's and the server's."""

from __future__ import annotations

import pytest

from imagegen.errors import InvalidRequest
from imagegen.jobs.policy import apply_caps, moderation_for
from imagegen.model import ImageRequest
from imagegen.servers import ServerSettings

NEWEST = ("low", "medium", "high", "xhigh", "max")


def test_auto_under_a_cap_becomes_the_best_quality_the_model_has_within_it() -> None:
    capped = apply_caps(ServerSettings(max_quality="medium"), ImageRequest("x", "m"), "high", (), NEWEST)
    assert capped.quality == "medium"
    assert apply_caps(ServerSettings(), ImageRequest("x", "m"), "high", (), NEWEST).quality == "high"
    assert apply_caps(ServerSettings(), ImageRequest("x", "m"), "max", (), NEWEST).quality == "auto"


def test_a_quality_over_the_cap_or_a_model_not_allowed_is_refused() -> None:
    with pytest.raises(InvalidRequest) as caught:
        apply_caps(ServerSettings(), ImageRequest("x", "m", quality="xhigh"), "high", (), NEWEST)
    assert caught.value.key == "limit.quality" and caught.value.params["cap"] == "high"
    with pytest.raises(InvalidRequest) as refused:
        apply_caps(ServerSettings(allowed_models=("a",)), ImageRequest("x", "b"), "high", ("a", "b"), NEWEST)
    assert refused.value.key == "limit.model" and refused.value.params["models"] == "a"


def test_low_moderation_holds_only_in_age_restricted_channels() -> None:
    assert moderation_for(ServerSettings(moderation="low"), "auto", age_restricted=True) == "low"
    assert moderation_for(ServerSettings(moderation="low"), "auto", age_restricted=False) == "auto"
