"""/imagine-admin end to end: only for Manage Server, confirmed, recorded, effective at once, kept over restarts."""

from __future__ import annotations

from typing import Any

from bot import ImageBot
from cogs.admin import Admin
from imagegen.limits import SERVER_LIMITS, server_range
from tests.fakes.discord import (
    ARTIST_ROLE_ID,
    CHANNEL_ID,
    GUILD_ID,
    NSFW_CHANNEL_ID,
    OTHER_CHANNEL_ID,
    Channel,
    FakeDiscord,
    Recorded,
    Role,
)
from tests.fakes.image_api import MODERATION_BODY, FakeImageAPI, b64_images, png, raw_json
from tests.helpers import answer_of, database_rows, idle, refusal_of, says

ALICE, BOB, ADMIN = 500000000000000005, 500000000000000006, 500000000000000009
MANAGE_SERVER = 0x20 | 0xC00


async def admin(fake: FakeDiscord, subcommand: str, **options: object) -> str:
    sent = await fake.slash("imagine-admin", options, subcommand=subcommand, user_id=ADMIN, permissions=MANAGE_SERVER)
    return (await answer_of(fake, sent["token"])).content


async def draw(fake: FakeDiscord, api: FakeImageAPI, **kwargs: Any) -> Recorded:
    api.then(b64_images(png()))
    sent = await fake.slash("imagine", {"prompt": "a boat"}, **kwargs)
    return await answer_of(fake, sent["token"])


async def changes(bot: ImageBot) -> list[tuple[int, str]]:
    rows = await database_rows(bot, "SELECT user_id, change FROM settings_changes ORDER BY id")
    return [(int(user), str(change)) for user, change in rows]


async def test_members_without_manage_server_cannot_change_settings(bot: ImageBot, fake_discord: FakeDiscord) -> None:
    sent = await fake_discord.slash("imagine-admin", {"daily_images_per_user": 1}, subcommand="limits", user_id=ALICE)
    answer = await answer_of(fake_discord, sent["token"])
    assert answer.flags & 64 and says(answer.content, "admin.not_allowed")
    assert await changes(bot) == []


async def test_a_limit_set_by_an_admin_is_confirmed_recorded_and_applies_at_once(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    assert "Saved: images per member per day: 1" in await admin(fake_discord, "limits", daily_images_per_user=1)
    assert await changes(bot) == [(ADMIN, '{"daily_images_per_user": 1}')]
    assert (await draw(fake_discord, image_api, user_id=ALICE)).files
    assert says((await draw(fake_discord, image_api, user_id=ALICE)).content, "limit.user_day")


async def test_imagine_can_be_kept_to_chosen_channels(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await admin(fake_discord, "channels", action="add", channel=Channel(OTHER_CHANNEL_ID))
    refused = await draw(fake_discord, image_api, user_id=ALICE, channel_id=CHANNEL_ID)
    assert f"Please use it in <#{OTHER_CHANNEL_ID}>" in refused.content
    assert (await draw(fake_discord, image_api, user_id=ALICE, channel_id=OTHER_CHANNEL_ID)).files
    await admin(fake_discord, "channels", action="everywhere")
    assert (await draw(fake_discord, image_api, user_id=ALICE, channel_id=CHANNEL_ID)).files


async def test_settings_survive_a_restart(start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI) -> None:
    first: ImageBot = await start_bot()
    await admin(fake_discord, "model", model="flux-pro")
    await first.close()
    await start_bot()
    assert "Default model: flux-pro" in await admin(fake_discord, "show")
    await draw(fake_discord, image_api, user_id=ALICE)
    assert image_api.generation_calls[-1].body["model"] == "flux-pro"


async def test_refusals_are_reported_in_the_log_channel_without_pinging(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await admin(fake_discord, "log-channel", channel=Channel(OTHER_CHANNEL_ID))
    image_api.then(raw_json(MODERATION_BODY, 400))
    await fake_discord.slash("imagine", {"prompt": "@everyone a forbidden thing"}, user_id=ALICE)
    reports = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.requests if r.path == f"/channels/{OTHER_CHANNEL_ID}/messages"]
    )
    report = reports[0]
    assert f"<@{ALICE}>" in report.content and f"<#{CHANNEL_ID}>" in report.content
    assert "moderation" in report.content and "a forbidden thing" in report.content
    assert report.payload["allowed_mentions"] == {"parse": []}


async def test_repeated_refusals_bring_a_kind_cooling_off_that_moderators_hear_of(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    bot: ImageBot = await start_bot(refusals_before_cooloff=2, cooloff_seconds=900.0)
    await admin(fake_discord, "log-channel", channel=Channel(OTHER_CHANNEL_ID))
    image_api.then(raw_json(MODERATION_BODY, 400), raw_json(MODERATION_BODY, 400))
    for attempt in range(2):
        sent = await fake_discord.slash("imagine", {"prompt": f"try {attempt}"}, user_id=ALICE)
        reply = await answer_of(fake_discord, sent["token"])
        await idle(bot)
    assert says(reply.content, "refused.cooloff")
    reports = [r for r in fake_discord.requests if r.path == f"/channels/{OTHER_CHANNEL_ID}/messages"]
    assert len(reports) == 2 and says(reports[1].content, "log.cooloff") and not says(reports[0].content, "log.cooloff")
    blocked = await fake_discord.slash("imagine", {"prompt": "a boat"}, user_id=ALICE)
    assert says((await refusal_of(fake_discord, blocked["token"])).content, "limit.cooloff")
    assert len(image_api.generation_calls) == 2


async def test_a_quality_cap_turns_auto_into_the_cap_and_refuses_anything_higher(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(max_quality="high")
    assert "Saved: highest quality: medium" in await admin(fake_discord, "quality", highest="medium")
    assert (await draw(fake_discord, image_api, user_id=ALICE)).files
    assert image_api.generation_calls[-1].body["quality"] == "medium"
    sent = await fake_discord.slash("imagine", {"prompt": "a boat", "quality": "high"}, user_id=ALICE)
    assert "medium quality at most" in (await answer_of(fake_discord, sent["token"])).content
    assert len(image_api.generation_calls) == 1


async def test_only_allowed_models_are_offered_and_accepted(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(allowed_models=("gpt-image-2", "dall-e-3", "flux-pro"))
    await admin(fake_discord, "models", allowed="gpt-image-2, flux-pro")
    sent = await fake_discord.slash("imagine", {"prompt": "x", "model": "dall-e-3"}, user_id=ALICE)
    assert "Please pick one of: gpt-image-2, flux-pro" in (await answer_of(fake_discord, sent["token"])).content
    typed = await fake_discord.autocomplete("imagine", {"prompt": "x", "model": ""}, focused="model")
    offered = await fake_discord.wait_for(
        lambda: [r for r in fake_discord.for_token(typed["token"]) if r.path.endswith("/callback")]
    )
    assert [c["value"] for c in offered[0].payload["data"]["choices"]] == ["gpt-image-2"]
    assert image_api.generation_calls == []


async def test_direct_messages_are_off_unless_the_operator_allows_them(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(allow_dms=False, discord_guild_id=GUILD_ID)
    synced = next(r for r in fake_discord.requests if r.method == "PUT")
    imagine = next(command for command in synced.payload if command["name"] == "imagine")
    assert imagine["contexts"] == [0]
    refused = await draw(fake_discord, image_api, user_id=ALICE, dm=True)
    assert "works in servers only" in refused.content and image_api.generation_calls == []


async def test_direct_messages_have_their_own_daily_limit(
    start_bot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await start_bot(allow_dms=True, daily_dm_images_per_user=1, discord_guild_id=GUILD_ID)
    synced = next(r for r in fake_discord.requests if r.method == "PUT")
    assert next(c for c in synced.payload if c["name"] == "imagine")["contexts"] == [0, 1]
    assert (await draw(fake_discord, image_api, user_id=ALICE, dm=True)).files
    assert "images for today" in (await draw(fake_discord, image_api, user_id=ALICE, dm=True)).content


async def test_a_spent_budget_turns_new_requests_away_until_tomorrow(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    assert "Saved: daily budget (USD): 0.6" in await admin(fake_discord, "budget", daily_budget_per_server=0.6)
    assert (await draw(fake_discord, image_api, user_id=ALICE)).files  # auto quality and size: about $0.25
    assert (await draw(fake_discord, image_api, user_id=ALICE)).files  # about $0.50 in all
    refused = await draw(fake_discord, image_api, user_id=ALICE)
    assert "spent today's image budget" in refused.content and ":R>" in refused.content
    assert len(image_api.generation_calls) == 2


async def test_admins_see_the_servers_day_and_month_in_usage(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    image_api.then(b64_images(png(), png()), raw_json(MODERATION_BODY, 400))
    sent = await fake_discord.slash("imagine", {"prompt": "two", "n": 2, "quality": "low", "size": "1024x1024"},
                                    user_id=ALICE)  # fmt: skip
    await answer_of(fake_discord, sent["token"])
    refused = await fake_discord.slash("imagine", {"prompt": "no"}, user_id=ALICE)
    await answer_of(fake_discord, refused["token"])
    await idle(bot)
    member = await fake_discord.slash("usage", {}, user_id=ALICE)
    assert "This server" not in (await answer_of(fake_discord, member["token"])).content
    sent = await fake_discord.slash("usage", {}, user_id=ADMIN, permissions=MANAGE_SERVER)
    report = (await answer_of(fake_discord, sent["token"])).content
    assert "Today: 2 images, about $0.02, 1 refused" in report
    assert "This month: 2 images, about $0.02, 1 refused" in report
    assert f"Most images this month: <@{ALICE}> 2" in report


async def test_low_moderation_holds_only_in_age_restricted_channels(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    assert "Saved: moderation: low" in await admin(fake_discord, "moderation", level="low")
    await draw(fake_discord, image_api, user_id=ALICE, channel_id=CHANNEL_ID)
    assert "moderation" not in image_api.generation_calls[-1].body
    await draw(fake_discord, image_api, user_id=ALICE, channel_id=NSFW_CHANNEL_ID)
    assert image_api.generation_calls[-1].body["moderation"] == "low"


async def test_public_messages_follow_the_servers_language_and_private_ones_the_users(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await admin(fake_discord, "language", language="zh")
    posted = await draw(fake_discord, image_api, user_id=ALICE, locale="en-US")
    assert "自动尺寸" in posted.content
    image_api.then(raw_json(MODERATION_BODY, 400))
    sent = await fake_discord.slash("imagine", {"prompt": "x"}, user_id=ALICE, locale="en-US")
    assert "safety system" in (await answer_of(fake_discord, sent["token"])).content


async def test_roles_an_admin_names_skip_the_daily_limit(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await admin(fake_discord, "limits", daily_images_per_user=1)
    assert f"Saved: exempt roles: <@&{ARTIST_ROLE_ID}>" in await admin(
        fake_discord, "exempt-role", action="add", role=Role(ARTIST_ROLE_ID)
    )
    for _ in range(2):
        assert (await draw(fake_discord, image_api, user_id=ALICE, roles=(ARTIST_ROLE_ID,))).files
    assert (await draw(fake_discord, image_api, user_id=BOB)).files
    assert "images for today" in (await draw(fake_discord, image_api, user_id=BOB)).content
    sent = await fake_discord.slash("usage", {}, user_id=BOB)
    assert "of your 1 images" in (await answer_of(fake_discord, sent["token"])).content


async def test_a_server_day_limit_and_a_lower_largest_n_hold_at_their_edges(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await admin(fake_discord, "limits", daily_images_per_server=3, max_images=2)
    image_api.then(b64_images(png(), png()))
    sent = await fake_discord.slash("imagine", {"prompt": "pair", "n": 2}, user_id=ALICE)
    assert (await answer_of(fake_discord, sent["token"])).files
    sent = await fake_discord.slash("imagine", {"prompt": "trio", "n": 3}, user_id=BOB)
    assert "1 to 2 images" in (await answer_of(fake_discord, sent["token"])).content
    assert (await draw(fake_discord, image_api, user_id=BOB)).files  # the server's third image
    refused = await draw(fake_discord, image_api, user_id=BOB)
    assert "This server has used its 3 images for today" in refused.content
    shown = await admin(fake_discord, "show")
    assert "Images per day for the server: 3" in shown and "Largest n: 2" in shown


async def test_the_admin_commands_are_for_manage_server_and_described_in_chinese(
    start_bot, fake_discord: FakeDiscord
) -> None:
    await start_bot(discord_guild_id=GUILD_ID)
    synced = next(r for r in fake_discord.requests if r.method == "PUT")
    group = next(command for command in synced.payload if command["name"] == "imagine-admin")
    assert int(group["default_member_permissions"]) == 0x20
    limits = next(option for option in group["options"] if option["name"] == "limits")
    per_member = next(option for option in limits["options"] if option["name"] == "daily_images_per_user")
    assert per_member["description_localizations"]["zh-CN"] == "每位成员每日张数（0 为不限）"


async def test_admins_get_the_month_as_a_picture_and_members_do_not(
    bot: ImageBot, fake_discord: FakeDiscord, image_api: FakeImageAPI
) -> None:
    await draw(fake_discord, image_api, user_id=ALICE)
    await idle(bot)
    sent = await fake_discord.slash("usage", {}, user_id=ADMIN, permissions=MANAGE_SERVER)
    report = await answer_of(fake_discord, sent["token"])
    [(name, blob)] = report.files.values()
    assert name == "usage.png" and blob.startswith(b"\x89PNG")
    month = await bot.core.month(GUILD_ID)
    assert sum(month.images["gpt-image-2"]) == 1 and month.spend[-1] > 0
    sent = await fake_discord.slash("usage", {}, user_id=ALICE)
    assert not (await answer_of(fake_discord, sent["token"])).files


def test_the_limit_options_are_the_limits_a_server_may_set_in_their_declared_ranges() -> None:
    options = {
        parameter.name: (parameter.min_value, parameter.max_value)
        for command in (Admin.limits, Admin.budget, Admin.video)
        for parameter in command.parameters
        if parameter.name != "state"
    }
    assert options == {name: server_range(name) for name in SERVER_LIMITS}
