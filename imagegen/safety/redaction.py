"""Keeping secrets out of logs and printed output."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

MASK = "[redacted]"
# Masking a very short value would mangle ordinary words; real tokens and keys are far longer.
MIN_SECRET_LENGTH = 8
# The credentials in a URL (scheme://user:password@host): masked whatever their length, in any URL, since a
# proxy's or a database's password may be short, and its URL may be in an error the bot did not write.
CREDENTIALS_IN_URL = re.compile(r"(?<=://)[^\s/@]+@")


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret in it masked, and the credentials of every URL in it."""
    text = CREDENTIALS_IN_URL.sub(MASK + "@", text)
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    return text


class RedactingFilter(logging.Filter):
    """A handler filter that masks secrets in every record, however it was formatted."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = tuple(secret for secret in secrets if secret)

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message, self.secrets)
        if record.exc_info and record.exc_info[1] is not None:
            # Format the traceback now, so the secret cannot come back through it.
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info), self.secrets)
            record.exc_info = None
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def install(secrets: Iterable[str]) -> None:
    """Mask ``secrets`` in everything the root logger's handlers write."""
    redacting = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redacting)
