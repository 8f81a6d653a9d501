"""JSON log lines: one object a line, what it is about carried by context, secrets still masked."""

from __future__ import annotations

import json
import logging

import pytest

from imagegen import logs
from imagegen.redaction import RedactingFilter


def test_a_json_line_carries_the_job_server_and_interaction_from_the_context() -> None:
    record = logging.LogRecord("imagegen.jobs", logging.WARNING, __file__, 1, "job %d: slow", (7,), None)
    logs.about(job=7, guild=42, interaction=99)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "job 7: slow" and line["level"] == "WARNING" and line["logger"] == "imagegen.jobs"
    assert (line["job_id"], line["guild_id"], line["interaction_id"]) == (7, 42, 99)
    logs.about()
    assert "job_id" not in json.loads(logs.JsonFormatter().format(record))


def test_secrets_are_masked_in_json_lines_tracebacks_included() -> None:
    secret = "sk-very-secret-key"
    try:
        raise RuntimeError(f"key {secret} refused")
    except RuntimeError as error:
        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "failed with %s", (secret,), (type(error), error, None)
        )
    RedactingFilter([secret]).filter(record)
    text = logs.JsonFormatter().format(record)
    assert secret not in text and json.loads(text)["traceback"]


async def test_every_line_of_a_running_job_says_which_job_it_is(
    start_bot, fake_discord, image_api, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    logs.install_context()
    bot = await start_bot()
    sent = await fake_discord.slash("imagine", {"prompt": "a lamp"})
    await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files])
    await bot.core.jobs.queue.wait_idle()
    formatter = logs.JsonFormatter()
    queued = next(record for record in caplog.records if "queued for user" in record.getMessage())
    # Logged while the interaction was handled: it names the interaction and the server.
    line = json.loads(formatter.format(queued))
    assert line["interaction_id"] == int(sent["id"]) and line["guild_id"] == int(sent["guild_id"])
    drawn = [json.loads(formatter.format(r)) for r in caplog.records if r.name.startswith("imagegen.jobs")]
    assert any(line.get("job_id") == 1 for line in drawn)
