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
        # For a prompt screening refused: the categories that counted (never the scores).
        self.categories: list[str] = []


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


class UpstreamBusy(ImageGenError):
    """The relay's queue for a model is full (Midjourney at a relay): nothing ran, try in a few minutes."""

    key = "error.busy"


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


# Refusals before any call: over a limit, the queue, uploads.


class LimitReached(ImageGenError):
    """A request over a limit; ``params`` say which limit and when it lifts (a Unix time)."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key, **params)
        self.key = key


class QueueFull(ImageGenError):
    """Too many jobs are waiting in all."""

    key = "queue.full"


class UserQueueFull(ImageGenError):
    """This user already has as many jobs waiting or running as allowed."""

    key = "queue.user_full"


class ShuttingDown(ImageGenError):
    """The bot is stopping and takes no new jobs."""

    key = "queue.closing"


class UploadRejected(InvalidRequest):
    """An uploaded file that cannot be used as a reference image; the key says why and what to do."""


# After the call: results and streams.


class DeliveryFailed(ImageGenError):
    """The result could not be posted anywhere; the first ``delivered`` images had been posted before."""

    key = "error.unexpected"

    def __init__(self, detail: str = "", delivered: int = 0) -> None:
        super().__init__(detail)
        self.delivered = delivered


class KeptFull(ImageGenError):
    """So many results wait to be posted that no new request is taken until Discord takes some."""

    key = "queue.kept_full"


class StreamCut(UpstreamFailed):
    """The stream ended before the image was complete; it may have been made (and billed), so it is not retried."""

    key = "error.stream_cut"


class ScreeningUnavailable(ImageGenError):
    """The prompt could not be screened (the moderation call failed) and the operator wants nothing unscreened."""

    key = "error.screening_unavailable"
