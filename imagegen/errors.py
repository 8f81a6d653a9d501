"""Domain errors: raised by the core, turned into words by the bot's one error handler.

Each error names the catalogue text that explains it (``key``) and the values that text needs (``params``).
Nothing here is meant for users verbatim; ``detail`` is for the operator's log only.
"""

from __future__ import annotations

from typing import Any


class ImageGenError(Exception):
    """Base class of everything the core raises on purpose."""

    key = "error.unexpected"
    retryable = False

    def __init__(self, detail: str = "", **params: Any) -> None:
        super().__init__(detail or self.__class__.__name__)
        self.detail = detail
        self.params = params


class InvalidRequest(ImageGenError):
    """The request cannot be sent as it is; ``key`` says what to change."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key, **params)
        self.key = key


class Refused(ImageGenError):
    """The safety system refused the prompt, or nothing came back."""

    key = "refused.moderation"

    def __init__(self, reason: str, prompt: str, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason = reason
        self.prompt = prompt
        self.key = f"refused.{reason}"
        # Set when this refusal started a cooling-off period for the user: its end, as a Unix time.
        self.cooloff_until: int | None = None


class RateLimited(ImageGenError):
    """Too many requests upstream right now; worth retrying after a while."""

    key = "error.rate_limited"
    retryable = True

    def __init__(self, detail: str = "", retry_after: float | None = None) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class QuotaExhausted(ImageGenError):
    """The operator's credit at the image API is spent."""

    key = "error.quota"


class AuthFailed(ImageGenError):
    """The image API refused the key: an operator problem."""

    key = "error.auth"


class ModelNotFound(ImageGenError):
    """The image API has no route for the model."""

    key = "error.model_not_found"

    def __init__(self, model: str, detail: str = "") -> None:
        super().__init__(detail, model=model)


class UpstreamUnavailable(ImageGenError):
    """The image API or a gateway before it is down; the request did not run."""

    key = "error.unavailable"
    retryable = True


class UpstreamTimeout(ImageGenError):
    """No answer in time; the image may have been made (and billed), so it is never retried."""

    key = "error.timeout"


class UpstreamFailed(ImageGenError):
    """The image API failed in a way that may have run the request, so it is not retried."""

    key = "error.upstream_failed"


class BadUpstreamResponse(ImageGenError):
    """The answer was not what the API promises: an HTML page, garbage, a truncated body."""

    key = "error.bad_response"


class UpstreamRejected(ImageGenError):
    """The image API refused the parameters (a request the bot should not have sent)."""

    key = "error.rejected"
