"""Secrets are masked in log output, messages and tracebacks alike."""

from __future__ import annotations

import io
import logging

from imagegen.redaction import RedactingFilter, redact


def test_redact_masks_every_secret() -> None:
    assert redact("key sk-12345678 and token-abcdef", ["sk-12345678", "token-abcdef", ""]) == (
        "key [redacted] and [redacted]"
    )
    assert redact("a y in the text", ["y"]) == "a y in the text"


def test_the_filter_masks_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter(["sk-secret"]))
    logger = logging.getLogger("test.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("bad key %s", "sk-secret")
        try:
            raise ValueError("sk-secret leaked")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    output = stream.getvalue()
    assert "sk-secret" not in output
    assert "bad key [redacted]" in output and "ValueError: [redacted] leaked" in output
