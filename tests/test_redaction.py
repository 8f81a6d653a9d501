"""Secrets are masked in log output, messages and tracebacks alike."""

from __future__ import annotations

import base64
import io
import logging

import pytest

from imagegen.safety.redaction import RedactingFilter, redact
from imagegen.settings import load_settings


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


def test_the_credentials_in_any_url_are_masked_however_short() -> None:
    error = "502, message='Bad Gateway', url='http://bot:Zq9@127.0.0.1:3128'"
    assert redact(error, []) == "502, message='Bad Gateway', url='http://[redacted]@127.0.0.1:3128'"
    text = "postgresql://u:p@db/x, mail bot@example.com"
    assert redact(text, []) == "postgresql://[redacted]@db/x, mail bot@example.com"


def test_proxy_credentials_are_secrets_wherever_the_proxy_is_set_basic_header_included(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy"):
        monkeypatch.setenv(name, "http://ops:https-proxy-pass@proxy.internal:3128")
    settings = load_settings(
        {"DISCORD_TOKEN": "t", "OPENAI_API_KEY": "k", "DISCORD_PROXY": "http://bot:discord-proxy-pass@proxy:1"}
    )
    basic = base64.b64encode(b"ops:https-proxy-pass").decode()
    line = f"Proxy-Authorization: Basic {basic}; password discord-proxy-pass; https-proxy-pass"
    assert redact(line, settings.secrets()) == "Proxy-Authorization: Basic [redacted]; password [redacted]; [redacted]"
