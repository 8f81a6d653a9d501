"""JSON log lines: one object a line, what it is about carried by context, secrets still masked."""

from __future__ import annotations

import asyncio
import json
import logging

import aiohttp
import discord
import discord.http
import pytest

from cogs.utils.ops import OpsWebhook
from imagegen.ops import logs
from imagegen.safety.redaction import RedactingFilter

# Discord's webhook tokens are 68 characters long; discord.py refuses shorter ones.
TOKEN = "hook-" + "x" * 63


def test_a_json_line_carries_the_job_server_and_interaction_from_the_context() -> None:
    record = logging.LogRecord("imagegen.jobs.runner", logging.WARNING, __file__, 1, "job %d: slow", (7,), None)
    logs.about(job=7, guild=42, interaction=99)
    line = json.loads(logs.JsonFormatter().format(record))
    assert line["message"] == "job 7: slow" and line["level"] == "WARNING" and line["logger"] == "imagegen.jobs.runner"
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
    await bot.core.settled()
    formatter = logs.JsonFormatter()
    queued = next(record for record in caplog.records if "queued for user" in record.getMessage())
    # Logged while the interaction was handled: it names the interaction and the server, and the job it made.
    line = json.loads(formatter.format(queued))
    assert line["interaction_id"] == int(sent["id"]) and line["guild_id"] == int(sent["guild_id"])
    assert line["job_id"] == 1
    drawn = [json.loads(formatter.format(r)) for r in caplog.records if r.name.startswith("imagegen.jobs.runner")]
    assert any(line.get("job_id") == 1 for line in drawn)


async def test_errors_reach_the_ops_webhook_once_per_kind_in_each_window(
    fake_discord, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(discord.http.Route, "BASE", fake_discord.api_url)
    logger = logging.getLogger("imagegen.test_ops")
    async with aiohttp.ClientSession() as session:
        ops = OpsWebhook(f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}", session)
        logger.addHandler(ops)
        try:
            logger.error("credit used up (%s)", "first")
            logger.error("credit used up (%s)", "second")  # the same kind, inside the window
            logger.error("the key was refused")
            logger.warning("only a warning")
            await ops.drain()
            ops.quiet = 0  # a window that has passed
            logger.error("credit used up (%s)", "later")
            await ops.drain()
        finally:
            logger.removeHandler(ops)
    posts = [r.content for r in fake_discord.requests if r.path.startswith(f"/webhooks/123456789012345678/{TOKEN}")]
    assert posts == [
        "⚠️ ERROR imagegen.test_ops: credit used up (first)",
        "⚠️ ERROR imagegen.test_ops: the key was refused",
        "⚠️ ERROR imagegen.test_ops: credit used up (later)",
    ]


def test_a_malformed_ops_webhook_url_is_a_settings_problem_that_keeps_its_token_out() -> None:
    from imagegen.settings import SettingsError, load_settings

    with pytest.raises(SettingsError) as caught:
        load_settings({"DISCORD_TOKEN": "t", "OPENAI_API_KEY": "k", "OPS_WEBHOOK_URL": "https://evil.example/tok3n"})
    assert caught.value.problems[0].startswith("OPS_WEBHOOK_URL is not valid") and "tok3n" not in str(caught.value)


async def test_a_stop_waits_for_the_ops_webhook_only_so_long_when_discord_does_not_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked = asyncio.Event()

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        asked.set()
        await reader.read()  # never answers

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/api/v10")
    logger = logging.getLogger("imagegen.test_ops_drain")
    async with aiohttp.ClientSession() as session:
        ops = OpsWebhook(f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}", session)
        logger.addHandler(ops)
        try:
            logger.error("cannot reach Discord")
            await asyncio.wait_for(asked.wait(), 5)
            await asyncio.wait_for(ops.drain(within=0.1), 5)
        finally:
            logger.removeHandler(ops)
            server.close()
    assert not ops._sending
