"""Error mapping with the exact bodies relays deliver (see shared/docs/upstream-api.md)."""

from __future__ import annotations

import json

import pytest

from imagegen import errors
from imagegen.api.client import read_prompts
from imagegen.api.upstream import map_error, retry_after

MODERATION = (
    b'{"error": {"message": "Your request was rejected by the safety system. If you believe this is an error, '
    b'contact us at help.openai.com and include the request ID b68e\xe2\x80\xa6. (request id: 2026112512000012345)", '
    b'"type": "image_generation_user_error", "param": "", "code": "moderation_blocked"}}'
)


def relay(kind: str, code: str | None, message: str = "upstream said no (request id: 20261125)") -> bytes:
    return json.dumps({"error": {"message": message, "type": kind, "param": "", "code": code}}).encode()


@pytest.mark.parametrize(
    ("status", "body", "expected", "retryable"),
    [
        (400, MODERATION, errors.Refused, False),
        (400, relay("invalid_request_error", "content_policy_violation"), errors.Refused, False),
        (500, relay("new_api_error", "sensitive_words_detected"), errors.Refused, False),
        (500, relay("new_api_error", "invalid_request"), errors.UpstreamRejected, False),
        (400, relay("new_api_error", "invalid_value"), errors.UpstreamRejected, False),
        (
            429,
            relay("rate_limit_exceeded", "rate_limit_exceeded", "当前分组上游负载已饱和，请稍后再试"),
            errors.RateLimited,
            True,
        ),
        (429, relay("insufficient_quota", "insufficient_quota"), errors.QuotaExhausted, False),
        (429, relay("insufficient_quota", "credit_balance_exhausted"), errors.QuotaExhausted, False),
        (403, relay("new_api_error", "insufficient_user_quota"), errors.QuotaExhausted, False),
        (401, relay("new_api_error", None, "无效的令牌"), errors.AuthFailed, False),
        (503, relay("new_api_error", "model_not_found"), errors.ModelNotFound, False),
        (500, relay("new_api_error", "do_request_failed"), errors.UpstreamUnavailable, True),
        (502, b"<html><body>502 Bad Gateway</body></html>", errors.UpstreamUnavailable, True),
        (503, b"<html>Service Unavailable</html>", errors.UpstreamUnavailable, True),
        (504, b"<html>504 Gateway Time-out</html>", errors.UpstreamTimeout, False),
        (524, b"error code: 524", errors.UpstreamTimeout, False),
        (500, b"<!DOCTYPE html><title>oops</title>", errors.UpstreamFailed, False),
        (500, relay("new_api_error", "something_new"), errors.UpstreamFailed, False),
        (418, b"not json at all", errors.BadUpstreamResponse, False),
    ],
)
def test_relay_errors_map_by_code_and_type(
    status: int, body: bytes, expected: type[errors.ImageGenError], retryable: bool
) -> None:
    error = map_error(status, body, "gpt-image-1", "a prompt")
    assert type(error) is expected
    assert error.retryable is retryable


def test_refusals_say_which_filter_and_keep_the_prompt() -> None:
    moderation = map_error(400, MODERATION, "gpt-image-1", "宫崎骏的猫")
    relay_filter = map_error(500, relay("new_api_error", "sensitive_words_detected"), "gpt-image-1", "x")
    assert isinstance(moderation, errors.Refused) and isinstance(relay_filter, errors.Refused)
    assert (moderation.reason, moderation.prompt, moderation.key) == ("moderation", "宫崎骏的猫", "refused.moderation")
    assert relay_filter.key == "refused.sensitive_words"


def test_the_missing_model_is_named() -> None:
    error = map_error(503, relay("new_api_error", "model_not_found"), "flux-dev", "x")
    assert error.params == {"model": "flux-dev"}


def test_a_rate_limit_carries_retry_after_in_seconds_or_as_a_date() -> None:
    error = map_error(429, relay("x", "rate_limit_exceeded"), "m", "p", "7")
    assert isinstance(error, errors.RateLimited) and error.retry_after == 7.0
    assert retry_after("Wed, 25 Nov 2026 12:00:30 GMT", now=1795608000.0) == 30.0
    assert retry_after("soon") is None and retry_after(None) is None


def test_details_for_the_log_name_status_type_and_code() -> None:
    error = map_error(401, relay("new_api_error", None, "bad key"), "m", "p")
    assert error.detail.startswith("HTTP 401 type=new_api_error code=-: bad key")


@pytest.mark.parametrize(
    ("content", "prompts"),
    [
        ('["a fox", "a cat", "a dog", "a bird", "a fifth"]', ["a fox", "a cat", "a dog", "a bird"]),
        ('```json\n["a fox", "a  cat"]\n```', ["a fox", "a cat"]),
        ("Sure, here they are:\n1. a fox\n2) a cat\n- a dog", ["a fox", "a cat", "a dog"]),
        ("a fox in snow\nA CAT", ["a fox in snow", "A CAT"]),
        ("", []),
    ],
)
def test_describe_reads_prompts_from_json_or_numbered_lines(content: str, prompts: list[str]) -> None:
    assert read_prompts(content) == prompts
