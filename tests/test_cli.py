"""``python bot.py`` as operators run it: settings errors, ``check``, ``sync``, a real run and SIGTERM."""

from __future__ import annotations

import asyncio
import base64
import datetime
import json
import os
import re
import signal
import socket
import sqlite3
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import asyncpg
import pytest

from imagegen.model import ImageRequest, Job, JobState
from imagegen.ops.check import check
from imagegen.settings import Secret, Settings
from imagegen.storage.postgres import MIGRATIONS, PostgresStorage
from imagegen.storage.sqlite import SqliteStorage
from tests.conftest import API_KEY, CATALOGUE, DISCORD_TOKEN
from tests.fakes.discord import FakeDiscord
from tests.fakes.image_api import FakeImageAPI, b64_images, png
from tests.fakes.proxy import Proxy

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = (
    "DISCORD_TOKEN", "OPENAI_API_KEY", "OPENAI_BASE_URL", "IMAGE_MODEL", "IMAGE_MODELS", "DISCORD_GUILD_ID",
    "MAX_IMAGES", "DISCORD_API_URL", "DISCORD_GATEWAY_URL", "ARTISTS_FILE", "DATA_DIR", "MODELS_FILE",
    "ALLOWED_MODELS", "DISCORD_PROXY", "IMAGE_API_PROXY", "LOG_FORMAT", "METRICS_PORT", "OPS_WEBHOOK_URL",
    "DATABASE_URL", "SHARD_COUNT", "SHARD_IDS", "JOB_LEASE_SECONDS",
    "DM_IMAGES_PER_USER_DAY", "DAILY_DM_IMAGES_PER_USER", "MJ_BASE_URL", "MJ_MODE", "MJ_TIMEOUT_SECONDS",
    "VIDEO_MODELS", "VIDEO_MODEL", "VIDEO_TIMEOUT_SECONDS", "DAILY_VIDEO_SECONDS_PER_USER",
    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY",
    "http_proxy", "https_proxy", "all_proxy", "no_proxy",
)  # fmt: skip


def environment(**values: str) -> dict[str, str]:
    """The test's environment with every setting given; an empty value also keeps a developer's .env out."""
    env = {key: value for key, value in os.environ.items() if key not in SETTINGS}
    env.update(dict.fromkeys(SETTINGS, ""))
    env.update(values, PYTHONUNBUFFERED="1")
    return env


STARTED: list[asyncio.subprocess.Process] = []


@pytest.fixture(autouse=True)
def no_bot_left_behind() -> Iterator[None]:
    """A failing test must not leave a bot process running."""
    yield
    while STARTED:
        process = STARTED.pop()
        if process.returncode is None:
            process.kill()


async def start(*args: str, **values: str) -> asyncio.subprocess.Process:
    return await start_in(ROOT, *args, **values)


async def start_in(cwd: Path, /, *args: str, **values: str) -> asyncio.subprocess.Process:
    """``python bot.py`` started in the folder ``cwd``."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bot.py"), *args, cwd=cwd, env=environment(**values),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    STARTED.append(process)
    return process


async def run(*args: str, **values: str) -> tuple[int, str, str]:
    process = await start(*args, **values)
    out, err = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


def configured(
    image_api: FakeImageAPI, data_dir: Path, fake_discord: FakeDiscord | None = None, **values: str
) -> dict[str, str]:
    settings = {
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "OPENAI_API_KEY": API_KEY,
        "OPENAI_BASE_URL": image_api.url,
        "DATA_DIR": str(data_dir),
    }
    if fake_discord is not None:
        settings.update(DISCORD_API_URL=fake_discord.api_url, DISCORD_GATEWAY_URL=fake_discord.gateway_url)
    settings.update(values)
    return settings


async def test_missing_settings_exit_non_zero_with_one_line_each_and_no_traceback() -> None:
    code, out, err = await run()
    assert code != 0
    lines = err.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("error: DISCORD_TOKEN is not set")
    assert lines[1].startswith("error: OPENAI_API_KEY is not set")
    assert "Traceback" not in err + out


async def test_invalid_settings_are_all_named_at_once() -> None:
    code, _, err = await run(
        DISCORD_TOKEN="t", OPENAI_API_KEY="k", OPENAI_BASE_URL="ftp://example", MAX_IMAGES="eleven",
        DISCORD_GUILD_ID="my-server",
    )  # fmt: skip
    assert code != 0
    assert [line.split("=")[0] for line in err.strip().splitlines()] == [
        "error: OPENAI_BASE_URL",
        "error: DISCORD_GUILD_ID",
        "error: MAX_IMAGES",
    ]
    assert "Traceback" not in err


async def test_check_lists_the_image_models_and_finds_the_configured_one(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord))
    assert code == 0, err
    assert "discord: ok (logged in as imagine" in out
    listed = out.split("image models this key can use", 1)[1].split("default model:", 1)[0]
    assert "gpt-image-2   <- default" in listed and "dall-e-3" in listed and "gpt-4o" not in listed
    # The chat model that reads images is /describe's, not offered for drawing.
    assert "/describe model: gpt-4o\n" in out
    assert "default model: gpt-image-2 (the most preferred model listed, as IMAGE_MODEL is not set)" in out
    assert "ok: gpt-image-2 is available" in out
    assert image_api.calls[0].headers["Authorization"] == f"Bearer {API_KEY}"


async def test_a_setting_under_its_old_name_still_works_and_check_says_the_new_one(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    values = configured(image_api, tmp_path, fake_discord, DM_IMAGES_PER_USER_DAY="7")
    code, _, err = await run("check", **values)
    assert code == 0, err
    notes = [line for line in err.splitlines() if "DM_IMAGES_PER_USER_DAY" in line]
    assert len(notes) == 1 and "now called DAILY_DM_IMAGES_PER_USER" in notes[0]
    code, _, err = await run("check", **configured(image_api, tmp_path, fake_discord, DAILY_DM_IMAGES_PER_USER="7"))
    assert code == 0 and "now called" not in err


async def test_check_says_whether_the_relay_answers_midjourneys_task_api_and_at_which_speed(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord, MJ_MODE="fast"))
    assert code == 0, err
    root = image_api.url.removesuffix("/v1")
    assert f"midjourney: the relay answers its task API at {root}/mj-fast/mj (speed: fast)\n" in out
    image_api.mj.list_by_condition = False
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord))
    assert code == 0 and "(speed: the relay's default), without list-by-condition" in out
    code, out, err = await run(
        "check", **configured(image_api, tmp_path, fake_discord, MJ_BASE_URL=f"{root}/elsewhere")
    )
    assert code == 0 and f"midjourney: no task API at {root}/elsewhere/mj" in out
    assert not [call for call in image_api.mj.calls if "/submit/" in call.path]


async def test_check_warns_about_configured_models_that_are_gone_or_going(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    image_api.models.append({"id": "gpt-image-1.5", "shutdown_date": "2026-12-01"})
    values = {"IMAGE_MODEL": "gpt-image-1.5", "ALLOWED_MODELS": "gpt-image-1.5,dall-e-3"}
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord, **values))
    assert code == 0, err
    assert "default model: gpt-image-1.5 (IMAGE_MODEL)" in out
    # Whether 2026-12-01 is still to come depends on the day this runs: the wording is tested with a clock below.
    assert re.search(r"warning: model gpt-image-1.5 (shuts|was shut) down on 2026-12-01; use gpt-image-2.6-flare", err)
    assert "warning: model dall-e-3 was shut down on 2026-05-12; use gpt-image-2 instead" in err


@pytest.mark.parametrize(
    ("day", "warning"),
    [
        (datetime.date(2026, 10, 1), None),
        (datetime.date(2026, 11, 20), "warning: model gpt-image-1.5 shuts down on 2026-12-01"),
        (datetime.date(2026, 12, 1), "warning: model gpt-image-1.5 was shut down on 2026-12-01"),
    ],
)
async def test_check_tells_a_model_that_shuts_down_from_one_that_was_shut_down_by_the_day_it_is_handed(
    image_api: FakeImageAPI, tmp_path: Path, capsys: pytest.CaptureFixture[str], day: datetime.date,
    warning: str | None,
) -> None:  # fmt: skip
    image_api.models.append({"id": "gpt-image-1.5", "shutdown_date": "2026-12-01"})
    chosen = Settings(
        discord_token=Secret(DISCORD_TOKEN), openai_api_key=Secret(API_KEY), openai_base_url=image_api.url,
        data_dir=tmp_path, image_model="gpt-image-1.5",
    )  # fmt: skip

    async def reach_discord(settings: Settings, say: Callable[..., None]) -> bool:
        return True

    noon = datetime.datetime.combine(day, datetime.time(12), datetime.UTC).timestamp()
    assert await check(chosen, CATALOGUE, reach_discord, clock=lambda: noon) == 0
    warnings = [line for line in capsys.readouterr().err.splitlines() if "gpt-image-1.5" in line]
    assert warnings == ([f"{warning}; use gpt-image-2.6-flare instead"] if warning else [])


async def test_a_malformed_models_file_stops_the_bot_with_one_line_per_problem(tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nmatch = ["x*"]\nmax_n = 0\nsizes = ["big"]\n')
    code, _out, err = await run(DISCORD_TOKEN="t", OPENAI_API_KEY="k", MODELS_FILE=str(models))
    assert code == 2 and "Traceback" not in err
    assert [line.split(":")[0] for line in err.strip().splitlines()] == ["error", "error"]
    assert "'max_n' must be a positive whole number" in err and "'sizes' must list sizes" in err


async def test_a_models_file_with_mistakes_in_several_entries_gets_a_line_for_each(tmp_path: Path) -> None:
    models = tmp_path / "models.toml"
    models.write_text('[[model]]\nmatch = "x*"\nmax_n = 0\n[[model]]\nmatch = ["y*"]\nqualities = ["ultra"]\n')
    code, out, err = await run("check", DISCORD_TOKEN="t", OPENAI_API_KEY="k", MODELS_FILE=str(models))
    assert code == 2 and out == ""
    assert err.splitlines() == [
        f"error: MODELS_FILE {models}: model 1: 'match' must be a list of name patterns",
        f"error: MODELS_FILE {models}: model 1: 'max_n' must be a positive whole number",
        f"error: MODELS_FILE {models}: model 2 (y*): 'qualities' must list some of low, medium, high, xhigh, max",
    ]


async def test_check_fails_when_the_configured_model_is_not_offered(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    code, _out, err = await run("check", **configured(image_api, tmp_path, fake_discord, IMAGE_MODEL="flux-pro"))
    assert code == 1
    assert "IMAGE_MODEL flux-pro is not among them" in err


async def test_check_fails_on_a_refused_key_without_printing_it(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    image_api.models_status = 401
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord))
    assert code == 1
    assert "refused OPENAI_API_KEY" in err
    assert API_KEY not in out + err


async def test_sync_syncs_globally_and_exits(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    code, out, err = await run("sync", **configured(image_api, tmp_path, fake_discord, DISCORD_GUILD_ID="123"))
    assert code == 0, err
    puts = [r for r in fake_discord.requests if r.method == "PUT"]
    assert [r.path for r in puts] == ["/applications/100000000000000001/commands"]
    assert "/imagine" in out


async def test_a_token_discord_refuses_exits_with_a_clear_line(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.fail("GET", "/users/@me", 401)
    code, _out, err = await run(**configured(image_api, tmp_path, fake_discord))
    assert code == 1
    assert "Discord refused DISCORD_TOKEN" in err
    assert "Traceback" not in err and DISCORD_TOKEN not in err


async def test_the_bot_serves_imagine_and_stops_cleanly_on_sigterm(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    image = png(16, 16, (4, 5, 6))
    image_api.then(b64_images(image))
    process = await start(**configured(image_api, tmp_path, fake_discord))
    sent = await fake_discord.slash("imagine", {"prompt": "a paper boat"})
    posted = await fake_discord.wait_for(lambda: [r for r in fake_discord.for_token(sent["token"]) if r.files], 30)
    assert next(iter(posted[0].files.values()))[1] == image
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    text = (out + err).decode()
    assert "Traceback" not in text and "Unclosed" not in text
    assert DISCORD_TOKEN not in text and API_KEY not in text


async def test_a_locked_database_is_reported_at_start_instead_of_hanging(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    holder = sqlite3.connect(tmp_path / "bot.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        code, _out, err = await run(**configured(image_api, tmp_path, fake_discord))
    finally:
        holder.close()
    assert code == 1
    assert "is locked by another process" in err
    assert "Traceback" not in err
    assert not fake_discord.requests, "the bot must not connect to Discord without its database"


async def test_a_data_dir_that_cannot_be_used_is_reported_at_start(image_api: FakeImageAPI, tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("x")
    code, _out, err = await run(**configured(image_api, not_a_directory))
    assert code == 1 and "is not a directory" in err and "Traceback" not in err


async def test_a_file_that_is_not_a_database_is_reported_at_start(image_api: FakeImageAPI, tmp_path: Path) -> None:
    (tmp_path / "bot.sqlite3").write_bytes(b"this is not a database, it is a shopping list" * 100)
    code, _out, err = await run(**configured(image_api, tmp_path))
    assert code == 1 and "cannot be used" in err and "Traceback" not in err


async def test_a_bot_killed_mid_job_tells_the_requester_when_it_starts_again(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    image_api.hold("interrupted cat")
    process = await start(**configured(image_api, tmp_path, fake_discord))
    await fake_discord.slash("imagine", {"prompt": "interrupted cat"})
    await fake_discord.wait_for(lambda: image_api.prompts == ["interrupted cat"], 30)
    process.kill()
    await process.wait()

    again = await start(**configured(image_api, tmp_path, fake_discord))
    notices = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path.startswith("/channels/") and "interrupted" in r.content],
        30,
    )
    assert "<@500000000000000005>" in notices[0].content and "interrupted cat" in notices[0].content
    assert notices[0].payload["components"][0]["components"][0]["custom_id"].startswith("imagine:rerun:")
    again.send_signal(signal.SIGTERM)
    await asyncio.wait_for(again.communicate(), 30)
    assert again.returncode == 0


def from_root(path: Path) -> Path:
    """``path`` relative to the project folder."""
    return Path(os.path.relpath(path, ROOT))


async def test_a_relative_data_dir_is_the_project_folders_whatever_folder_the_bot_is_started_from(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    elsewhere = tmp_path / "started" / "from" / "here"
    elsewhere.mkdir(parents=True)
    # Relative to the project folder, and a different folder if taken from where the bot is started.
    process = await start_in(elsewhere, **configured(image_api, from_root(data), fake_discord))
    await asyncio.wait_for(fake_discord.identified.wait(), 30)
    assert (data / "bot.sqlite3").is_file()
    assert not list(elsewhere.iterdir())
    process.send_signal(signal.SIGTERM)
    _out, err = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0
    assert f"using the SQLite database {data / 'bot.sqlite3'}" in err.decode()


def closed_port() -> int:
    """A port on 127.0.0.1 where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def line_on_stderr(process: asyncio.subprocess.Process, text: str) -> str:
    """Read stderr until a line holding ``text`` arrives; return what was read."""
    assert process.stderr is not None
    seen = ""
    while text not in seen:
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        assert line, seen
        seen += line.decode()
    return seen


async def test_discord_out_of_reach_at_start_is_said_in_one_line_and_tried_again(
    image_api: FakeImageAPI, tmp_path: Path
) -> None:
    port = closed_port()
    values = {
        "DISCORD_API_URL": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_PROXY": "http://user:hunter22@127.0.0.1:9",
    }
    process = await start(**configured(image_api, tmp_path, None, **values))
    seen = await line_on_stderr(process, "trying again in 2 s")
    assert "cannot reach Discord through DISCORD_PROXY http://127.0.0.1:9 (" in seen
    assert "trying again in 1 s" in seen and "Traceback" not in seen and "hunter22" not in seen
    process.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(process.communicate(), 30)
    # Each try's HTTP session is closed when the try fails.
    assert "Unclosed" not in seen + err.decode()


async def test_check_says_which_of_the_two_cannot_be_reached(image_api: FakeImageAPI, tmp_path: Path) -> None:
    values = {"DISCORD_API_URL": f"http://127.0.0.1:{closed_port()}/api/v10"}
    code, _out, err = await run("check", **configured(image_api, tmp_path, None, **values))
    assert code == 1 and "error: cannot reach Discord (" in err and "Traceback" not in err
    values = {"OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"}
    code, _out, err = await run("check", **configured(image_api, tmp_path, None, **values))
    assert code == 1 and "error: cannot reach the image API at http://127.0.0.1:" in err


async def test_check_says_when_discord_refuses_the_token(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    fake_discord.fail("GET", "/users/@me", 401)
    code, _out, err = await run("check", **configured(image_api, tmp_path, fake_discord))
    assert code == 1 and "Discord refused DISCORD_TOKEN" in err


async def test_with_log_format_json_every_line_is_one_json_object_from_the_first_on(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    process = await start(**configured(image_api, tmp_path, fake_discord, LOG_FORMAT="json"))
    seen = await line_on_stderr(process, "connected to Gateway")
    lines = [json.loads(line) for line in seen.splitlines()]
    assert lines and all({"time", "level", "logger", "message"} <= set(line) for line in lines)
    assert any(line["logger"].startswith("discord") for line in lines)
    process.send_signal(signal.SIGTERM)
    await asyncio.wait_for(process.wait(), 30)


async def test_migrate_to_postgres_copies_the_sqlite_database_and_reports_the_counts(
    image_api: FakeImageAPI, tmp_path: Path, postgres_url: str
) -> None:
    sqlite = await SqliteStorage.open(tmp_path)
    request = ImageRequest("a heron", "gpt-image-1", references=(b"reference",))
    job = await sqlite.add_job(Job(user_id=7, channel_id=8, guild_id=9, request=request))
    await sqlite.change_server_settings(9, '{"language": "zh"}', 7, 1.0, None)
    await sqlite.close()
    code, out, err = await run("migrate-to-postgres", **configured(image_api, tmp_path, DATABASE_URL=postgres_url))
    assert code == 0, err
    assert "jobs: 1" in out and "server settings: 1" in out and "settings changes: 1" in out
    assert "reference images and masks: 1" in out and "descriptions: 0" in out
    assert "postgresql://127.0.0.1" in out and "Traceback" not in err
    copied = await PostgresStorage.open(postgres_url, tmp_path)
    stored = await copied.get_job(job.id)
    await copied.close()
    assert stored is not None and stored.request.prompt == "a heron" and stored.state is JobState.INTERRUPTED
    code, _, err = await run("migrate-to-postgres", **configured(image_api, tmp_path, DATABASE_URL=postgres_url))
    assert code == 1 and "already has jobs or settings: migrate into an empty one" in err


async def test_migrate_to_postgres_refuses_a_data_dir_without_a_database_and_changes_nothing(
    image_api: FakeImageAPI, tmp_path: Path, postgres_url: str
) -> None:
    empty, missing = tmp_path / "empty", tmp_path / "missing"
    empty.mkdir()
    for data_dir in (empty, missing):
        code, out, err = await run("migrate-to-postgres", **configured(image_api, data_dir, DATABASE_URL=postgres_url))
        assert code == 1 and out == ""
        assert err.strip() == (
            f"error: there is no database to migrate at {data_dir / 'bot.sqlite3'}: set DATA_DIR to the folder "
            "that holds the bot's bot.sqlite3"
        )
    assert not list(empty.iterdir()) and not missing.exists()
    target = await asyncpg.connect(postgres_url)
    try:
        tables = "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        assert await target.fetchval(tables) == 0
    finally:
        await target.close()


async def test_migrate_to_postgres_without_a_database_url_says_what_to_set(
    image_api: FakeImageAPI, tmp_path: Path
) -> None:
    code, _, err = await run("migrate-to-postgres", **configured(image_api, tmp_path))
    assert code == 2 and "set DATABASE_URL" in err


async def test_check_says_whether_the_database_can_be_reached(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path, postgres_url: str, unused_tcp_port: int
) -> None:
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord, DATABASE_URL=postgres_url))
    assert code == 0, err
    assert "database: ok (postgresql://127.0.0.1" in out
    assert f", schema will be migrated from 0 to {len(MIGRATIONS)} when the bot starts)" in out
    migrated = await PostgresStorage.open(postgres_url, tmp_path)
    await migrated.close()
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord, DATABASE_URL=postgres_url))
    assert code == 0 and ", schema up to date)" in out, err
    unreachable = f"postgresql://bot:hunter2@127.0.0.1:{unused_tcp_port}/imagine"
    code, out, err = await run("check", **configured(image_api, tmp_path, fake_discord, DATABASE_URL=unreachable))
    assert code == 1 and f"127.0.0.1:{unused_tcp_port}/imagine cannot be reached" in err
    assert "hunter2" not in out + err


@pytest.mark.parametrize("scheme", ["socks5h", "socks4a"])
async def test_check_reaches_both_through_a_proxy_that_resolves_their_names(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path, scheme: str
) -> None:
    # Names only the proxy can resolve: the bot must leave them to it.
    names = {"discord.test": "127.0.0.1", "images.test": "127.0.0.1"}
    proxy = Proxy(scheme[:6], ("bot", "pw"), scheme=scheme, names=names)
    await proxy.start()
    values = {
        "DISCORD_API_URL": f"http://discord.test:{fake_discord.port}/api/v10",
        "OPENAI_BASE_URL": f"http://images.test:{image_api.port}/v1",
        "DISCORD_PROXY": proxy.url,
        "IMAGE_API_PROXY": proxy.url,
    }
    try:
        code, out, err = await run("check", **configured(image_api, tmp_path, None, **values))
    finally:
        await proxy.close()
    assert code == 0, err
    assert "discord: ok" in out and "ok: gpt-image-2 is available" in out
    assert {host for host, _ in proxy.targets} == {"discord.test", "images.test"}


# Shorter than any secret masked by its value: a proxy's credentials must be kept out however short they are.
PASSWORD = "Zq9"
LEAKS = (PASSWORD, base64.b64encode(f"bot:{PASSWORD}".encode()).decode())
# Each way a proxy fails, and the reason the bot gives for it.
PROXY_FAILURES = {
    ("http", "down"): "(cannot connect to the proxy (Connection refused))",
    ("http", "failing"): "(the proxy answered 502 Bad Gateway)",
    ("http", "refusing"): "(the proxy refused the credentials (407 Proxy Authentication Required))",
    ("socks5", "down"): "(cannot connect to the proxy (Connection refused))",
    ("socks5", "failing"): "(the proxy answered: Connection refused by destination host)",
    ("socks5", "refusing"): "(the proxy answered: Username and password authentication failure)",
    ("socks4", "down"): "(cannot connect to the proxy (Connection refused))",
    ("socks4", "failing"): "(the proxy answered: Request rejected or failed)",
}


async def lines_on_stderr(process: asyncio.subprocess.Process, *texts: str) -> str:
    """Read stderr until every one of ``texts`` has arrived; return what was read."""
    assert process.stderr is not None
    seen = ""
    while not all(text in seen for text in texts):
        line = await asyncio.wait_for(process.stderr.readline(), 30)
        assert line, seen
        seen += line.decode()
    return seen


@pytest.mark.parametrize(
    ("kind", "trouble", "api_setting"),
    # The image API through IMAGE_API_PROXY, or through HTTPS_PROXY (an HTTP proxy) when that is not set.
    [*((*failure, "IMAGE_API_PROXY") for failure in PROXY_FAILURES),
     *((*failure, "HTTPS_PROXY") for failure in PROXY_FAILURES if failure[0] == "http")],
)  # fmt: skip
async def test_every_proxy_failure_is_said_in_one_line_per_try_without_its_credentials(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path, kind: str, trouble: str, api_setting: str
) -> None:
    proxy = Proxy(kind, ("bot", "another" if trouble == "refusing" else PASSWORD), failing=trouble == "failing")
    await proxy.start()
    url = f"{kind}://bot:{PASSWORD}@127.0.0.1:{closed_port() if trouble == 'down' else proxy.port}"
    # https, as Discord and the image API are: an HTTP proxy is then asked to CONNECT, with the credentials.
    values = {
        "DISCORD_API_URL": f"https://127.0.0.1:{fake_discord.port}/api/v10",
        "OPENAI_BASE_URL": f"https://127.0.0.1:{image_api.port}/v1",
        "DISCORD_PROXY": url,
        api_setting: url,
    }
    if api_setting == "HTTPS_PROXY":
        values["https_proxy"] = url  # the lower-case one wins, and environment() sets it empty
    reason = PROXY_FAILURES[kind, trouble]
    shown = f"{kind}://127.0.0.1:{url.rsplit(':', 1)[1]}"
    try:
        process = await start(**configured(image_api, tmp_path, None, **values))
        seen = await lines_on_stderr(
            process, f"cannot reach Discord through DISCORD_PROXY {shown} {reason}; trying again in 2 s",
            f"cannot reach the image API at {values['OPENAI_BASE_URL']}", "trying again in 2 s",
        )  # fmt: skip
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
        assert process.returncode == 0
        ran = seen + (out + err).decode()
        api_lines = [line for line in ran.splitlines() if "cannot reach the image API" in line]
        assert api_lines and all(line.endswith(" s") and reason in line for line in api_lines)
        code, out_text, err_text = await run("check", **configured(image_api, tmp_path, None, **values))
        assert code == 1
        assert f"error: cannot reach Discord through DISCORD_PROXY {shown} {reason}" in err_text
        assert f"error: cannot reach the image API at {values['OPENAI_BASE_URL']}" in err_text and reason in err_text
    finally:
        await proxy.close()
    for output in (ran, out_text + err_text):
        assert not any(leak in output for leak in LEAKS), output
        assert "Traceback" not in output and "Task exception" not in output and "Unclosed" not in output, output


async def test_sigterm_during_a_wait_to_try_again_stops_the_bot_at_once(
    image_api: FakeImageAPI, tmp_path: Path
) -> None:
    values = {
        "DISCORD_API_URL": f"http://127.0.0.1:{closed_port()}/api/v10",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
    }
    process = await start(**configured(image_api, tmp_path, None, **values))
    # The fourth wait is 8 s long: far longer than a stop may take (docker stop allows 10 s in all).
    await line_on_stderr(process, "trying again in 8 s")
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 5)
    assert process.returncode == 0
    assert "Traceback" not in (out + err).decode()


async def test_sigterm_while_the_model_list_waits_for_the_image_api_stops_the_bot_at_once(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    values = {"OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1"}
    process = await start(**configured(image_api, tmp_path, fake_discord, **values))
    await lines_on_stderr(process, "connected to Gateway", "cannot reach the image API")
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 5)
    assert process.returncode == 0
    assert "Traceback" not in (out + err).decode()


async def test_sigterm_while_the_database_does_not_answer_stops_the_bot_cleanly(
    image_api: FakeImageAPI, tmp_path: Path
) -> None:
    connected = asyncio.Event()
    held: list[asyncio.StreamWriter] = []

    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # accepted, and never answered
        connected.set()

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        url = f"postgresql://bot:pw@127.0.0.1:{port}/imagine"
        process = await start(**configured(image_api, tmp_path, None, DATABASE_URL=url))
        await asyncio.wait_for(connected.wait(), 30)
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 5)
    finally:
        for writer in held:
            writer.close()
        server.close()
    assert process.returncode == 0
    assert "Traceback" not in (out + err).decode()


async def test_with_log_format_json_an_offline_start_says_everything_in_json(
    image_api: FakeImageAPI, tmp_path: Path
) -> None:
    values = {
        "DISCORD_API_URL": f"http://127.0.0.1:{closed_port()}/api/v10",
        "OPENAI_BASE_URL": f"http://127.0.0.1:{closed_port()}/v1",
        "LOG_FORMAT": "json",
    }
    process = await start(**configured(image_api, tmp_path, None, **values))
    seen = await lines_on_stderr(process, "cannot reach Discord", "cannot reach the image API", "trying again in 2 s")
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 30)
    lines = [json.loads(line) for line in (seen + (out + err).decode()).splitlines()]
    tries = [line for line in lines if line["message"].startswith("cannot reach Discord (")]
    assert tries and all(line["level"] == "ERROR" and line["message"].endswith(" s") for line in tries)
    assert any(line["message"] == "stopping" for line in lines)


async def test_the_bot_logs_in_once_its_proxy_works_again_leaving_no_session_open(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    # A SOCKS proxy is a connector of the session's own: each try needs a new one.
    proxy = Proxy("socks5", ("bot", "pw"), failing=True)
    await proxy.start()
    try:
        process = await start(**configured(image_api, tmp_path, fake_discord, DISCORD_PROXY=proxy.url))
        seen = await line_on_stderr(process, "trying again in 2 s")
        proxy.failing = False
        seen += await line_on_stderr(process, "connected to Gateway")
        process.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(process.communicate(), 30)
    finally:
        await proxy.close()
    assert process.returncode == 0
    assert "Unclosed" not in seen + (out + err).decode()


async def test_sync_with_discord_out_of_reach_says_so_in_one_line_a_try_and_tries_again(
    image_api: FakeImageAPI, tmp_path: Path
) -> None:
    port = closed_port()
    process = await start(
        "sync", **configured(image_api, tmp_path, None, DISCORD_API_URL=f"http://127.0.0.1:{port}/api/v10")
    )
    seen = await line_on_stderr(process, "trying again in 2 s")
    assert (
        f"cannot reach Discord (cannot connect to 127.0.0.1:{port} (Connection refused)); trying again in 1 s" in seen
    )
    process.send_signal(signal.SIGTERM)
    out, err = await asyncio.wait_for(process.communicate(), 5)
    assert process.returncode == 1 and "stopped before the commands were synced" in err.decode()
    assert "Traceback" not in seen + (out + err).decode()


async def test_a_metrics_port_in_use_stops_the_bot_with_one_line_naming_it(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        code, out, err = await run(**configured(image_api, tmp_path, fake_discord, METRICS_PORT=str(port)))
    assert code == 2
    assert f"METRICS_PORT {port} cannot be used on 127.0.0.1 (Address already in use)" in err
    assert "Traceback" not in out + err


@pytest.mark.parametrize("asked", ["--help", "-h", "help"])
async def test_help_describes_every_command_in_a_line(asked: str) -> None:
    code, out, err = await run(asked)
    assert code == 0 and not err
    assert out.startswith("usage: uv run bot.py [run | sync | check | migrate-to-postgres | help]\n")
    described = {line.split()[0] for line in out.splitlines() if line.startswith("  ")}
    assert described == {"run", "sync", "check", "migrate-to-postgres", "help"}


@pytest.mark.parametrize("argv", [("synk",), ("run", "now")])
async def test_an_unknown_command_is_named_with_the_help_after_it(argv: tuple[str, ...]) -> None:
    code, out, err = await run(*argv)
    assert code == 2 and not out
    assert err.startswith(f"error: unknown command: {' '.join(argv)}\nusage: uv run bot.py")
    assert "  check " in err and "Traceback" not in err


async def test_a_healthy_start_warns_of_nothing_an_operator_cannot_act_on(
    image_api: FakeImageAPI, fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    # No intent is privileged and the bot has no voice: discord.py's warnings about either are noise.
    settings = configured(image_api, tmp_path, fake_discord)
    code, out, err = await run("check", **settings)
    assert code == 0, err
    checked = out + err
    code, out, err = await run("sync", **settings)
    assert code == 0, err
    synced = out + err
    process = await start(**settings)
    seen = await line_on_stderr(process, "connected to Gateway")
    process.send_signal(signal.SIGTERM)
    out_bytes, err_bytes = await asyncio.wait_for(process.communicate(), 30)
    ran = seen + (out_bytes + err_bytes).decode()
    for output in (checked, synced, ran):
        assert "WARNING" not in output and "intent" not in output and "voice" not in output, output
