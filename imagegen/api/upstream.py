"""Reading the image API's answers: its errors, mapped to domain errors, and its JSON."""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

from ..errors import (
    AuthFailed,
    BadUpstreamResponse,
    ImageGenError,
    ModelNotFound,
    QuotaExhausted,
    RateLimited,
    Refused,
    UpstreamFailed,
    UpstreamRejected,
    UpstreamTimeout,
    UpstreamUnavailable,
)

REFUSAL_CODES = {
    "moderation_blocked": "moderation",
    "content_policy_violation": "content_policy",
    "sensitive_words_detected": "sensitive_words",
}
QUOTA_CODES = {
    "insufficient_quota",
    "credit_balance_exhausted",
    "insufficient_user_quota",
    "quota_exceeded",
}
REJECTED_CODES = {
    "invalid_request",
    "invalid_value",
    "invalid_request_error",
    "unknown_parameter",
}


def parse_json(raw: bytes) -> Any:
    """The decoded JSON of a body, or BadUpstreamResponse when it is not JSON."""
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise BadUpstreamResponse(f"not JSON: {_preview(raw)}") from error


def error_object(raw: bytes) -> dict[str, Any] | None:
    """The ``error`` object of an OpenAI-shaped error body, if the body is one."""
    try:
        payload = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(payload, dict):
        return None
    error = payload.get("error")
    if isinstance(error, dict):
        return error
    if isinstance(error, str):
        return {"message": error}
    if "code" in payload or "message" in payload:
        return payload
    return None


def retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (a number or an HTTP date), if it holds one."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


# Codes relays and vendors give for a model that is not (or no longer) there.
MODEL_GONE_CODES = ("model_not_found", "model_not_available", "model_deprecated", "model_shutdown", "model_retired")


def map_error(
    status: int,
    raw: bytes,
    model: str,
    prompt: str,
    retry_after_header: str | None = None,
) -> ImageGenError:
    """The domain error for an answer that carries no images. Matches on code and type, never on wording."""
    error = error_object(raw)
    if error is None:
        return _map_bare_status(status, raw, retry_after_header)
    kind = str(error.get("type") or "")
    code = str(error.get("code") or "")
    message = str(error.get("message") or "")
    detail = f"HTTP {status} type={kind or '-'} code={code or '-'}: {message[:300]}"
    if code in REFUSAL_CODES:
        return Refused(REFUSAL_CODES[code], prompt, detail)
    if kind == "insufficient_quota" or code in QUOTA_CODES:
        return QuotaExhausted(detail)
    if code in MODEL_GONE_CODES:
        return ModelNotFound(model, detail)
    if status == 401 or code == "invalid_api_key":
        return AuthFailed(detail)
    if status == 429 or code == "rate_limit_exceeded":
        return RateLimited(detail, retry_after(retry_after_header))
    if code == "do_request_failed":
        return UpstreamUnavailable(detail)
    if code in REJECTED_CODES:
        return UpstreamRejected(detail)
    if status == 403:
        return AuthFailed(detail)
    if status == 404:
        return ModelNotFound(model, detail)
    if status in (504, 524):
        return UpstreamTimeout(detail)
    if status in (502, 503):
        return UpstreamUnavailable(detail)
    if 400 <= status < 500:
        return UpstreamRejected(detail)
    return UpstreamFailed(detail)


def _map_bare_status(status: int, raw: bytes, retry_after_header: str | None) -> ImageGenError:
    detail = f"HTTP {status}, not an API error body: {_preview(raw)}"
    if status in (504, 524):
        return UpstreamTimeout(detail)
    if status in (502, 503):
        return UpstreamUnavailable(detail)
    if status == 401:
        return AuthFailed(detail)
    if status == 429:
        return RateLimited(detail, retry_after(retry_after_header))
    if status >= 500:
        return UpstreamFailed(detail)
    return BadUpstreamResponse(detail)


def _preview(raw: bytes) -> str:
    text = raw[:200].decode("utf-8", "replace")
    return " ".join(text.split()) or "(empty body)"
