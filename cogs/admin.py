"""/imagine-admin: server settings, for members with Manage Server."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from imagegen import texts
from imagegen.catalogue.styles import MAX_STYLE_NAME, MAX_STYLE_PHRASE
from imagegen.errors import InvalidRequest
from imagegen.limits import server_range
from imagegen.safety.screening import chosen_categories
from imagegen.safety.wordlist import MAX_PHRASE_LENGTH
from imagegen.servers import Edit, ServerSettings

from .utils.markup import inert
from .utils.translator import localised

if TYPE_CHECKING:
    from bot import ImageBot

# The ranges of the limit options, as the limits declare them.
USER_DAY, SERVER_DAY = server_range("daily_images_per_user"), server_range("daily_images_per_server")
COOLDOWN, MOST, BUDGET = (
    server_range("cooldown_seconds"),
    server_range("max_images"),
    server_range("daily_budget_per_server"),
)
VIDEO_SECONDS = server_range("daily_video_seconds_per_user")


@app_commands.guild_only()
@app_commands.default_permissions(manage_guild=True)
class Admin(commands.GroupCog, group_name="imagine-admin", group_description=localised("cmd.admin")):
    """Lets a server's admins set where and how much /imagine is used; every change is confirmed and recorded."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot
        super().__init__()

    def _admin(self, interaction: discord.Interaction) -> int:
        # Discord hides the commands from others by default, but a server can grant them: check again.
        if interaction.guild_id is None or not interaction.permissions.manage_guild:
            raise InvalidRequest("admin.not_allowed")
        return interaction.guild_id

    async def _save(self, interaction: discord.Interaction, **changes: Any) -> None:
        if not changes:
            self._admin(interaction)
            await interaction.response.send_message(texts.t(interaction.locale, "admin.nothing"), ephemeral=True)
            return
        await self._edit(interaction, lambda current: changes)

    async def _edit(self, interaction: discord.Interaction, edit: Edit) -> None:
        """Change the server's settings as ``edit`` says from those stored now, and confirm what changed."""
        guild_id = self._admin(interaction)
        # A server may tighten the operator's limits, never loosen them: edit_server refuses what would.
        _, changes = await self.bot.core.edit_server(guild_id, interaction.user.id, edit)
        await self._confirm(interaction, changes)

    async def _confirm(self, interaction: discord.Interaction, changes: dict[str, Any]) -> None:
        locale = interaction.locale
        described = ", ".join(
            texts.t(locale, "admin.change", field=texts.t(locale, f"field.{key}"), value=_shown(locale, key, value))
            for key, value in changes.items()
        )
        await interaction.response.send_message(
            texts.t(interaction.locale, "admin.changed", changes=described), ephemeral=True
        )

    @app_commands.command(name="show", description=localised("cmd.admin.show"))
    async def show(self, interaction: discord.Interaction) -> None:
        """The server's settings, with the bot's defaults where it has none."""
        server = self.bot.core.server(self._admin(interaction))
        await interaction.response.send_message(self.describe(interaction.locale, server), ephemeral=True)

    @app_commands.command(name="channels", description=localised("cmd.admin.channels"))
    @app_commands.describe(action=localised("opt.admin.action"), channel=localised("opt.admin.channel"))
    async def channels(
        self,
        interaction: discord.Interaction,
        action: Literal["add", "remove", "everywhere"],
        channel: discord.TextChannel | None = None,
    ) -> None:
        """Allow /imagine in a channel, stop allowing it, or allow it everywhere again."""
        if action == "everywhere" or channel is None:
            await self._save(interaction, channels=())
        elif action == "add":
            await self._edit(interaction, lambda now: {"channels": tuple(dict.fromkeys([*now.channels, channel.id]))})
        else:
            await self._edit(interaction, lambda now: {"channels": tuple(c for c in now.channels if c != channel.id)})

    @app_commands.command(name="limits", description=localised("cmd.admin.limits"))
    @app_commands.describe(
        daily_images_per_user=localised("opt.admin.per_member"),
        daily_images_per_server=localised("opt.admin.per_server"),
        cooldown_seconds=localised("opt.admin.cooldown"),
        max_images=localised("opt.admin.max_images"),
    )
    async def limits(
        self,
        interaction: discord.Interaction,
        daily_images_per_user: app_commands.Range[int, USER_DAY[0], USER_DAY[1]] | None = None,
        daily_images_per_server: app_commands.Range[int, SERVER_DAY[0], SERVER_DAY[1]] | None = None,
        cooldown_seconds: app_commands.Range[int, COOLDOWN[0], COOLDOWN[1]] | None = None,
        max_images: app_commands.Range[int, MOST[0], MOST[1]] | None = None,
    ) -> None:
        """Change the limits given; 0 means no daily limit or no cooldown."""
        changes = {
            "daily_images_per_user": daily_images_per_user,
            "daily_images_per_server": daily_images_per_server,
            "cooldown_seconds": cooldown_seconds,
            "max_images": max_images,
        }
        await self._save(interaction, **{key: value for key, value in changes.items() if value is not None})

    @app_commands.command(name="quality", description=localised("cmd.admin.quality"))
    @app_commands.describe(highest=localised("opt.admin.highest"))
    async def quality(self, interaction: discord.Interaction, highest: Literal["low", "medium", "high"]) -> None:
        """The highest quality members may ask for (auto becomes it); high leaves the operator's own cap."""
        await self._save(interaction, max_quality=highest)

    @app_commands.command(name="models", description=localised("cmd.admin.models"))
    @app_commands.describe(allowed=localised("opt.admin.allowed"))
    async def models(self, interaction: discord.Interaction, allowed: str) -> None:
        """The models members may pick, separated by commas; "any" allows every model the bot offers."""
        names = () if allowed.strip().lower() == "any" else tuple(n.strip() for n in allowed.split(",") if n.strip())
        await self._save(interaction, allowed_models=names)

    @app_commands.command(name="budget", description=localised("cmd.admin.budget"))
    @app_commands.describe(daily_budget_per_server=localised("opt.admin.dollars"))
    async def budget(
        self, interaction: discord.Interaction, daily_budget_per_server: app_commands.Range[float, BUDGET[0], BUDGET[1]]
    ) -> None:
        """The estimated spend a day after which new requests wait for tomorrow; 0 means no budget."""
        await self._save(interaction, daily_budget_per_server=float(daily_budget_per_server))

    @app_commands.command(name="video", description=localised("cmd.admin.video"))
    @app_commands.describe(
        state=localised("opt.admin.video"), daily_video_seconds_per_user=localised("opt.admin.video_seconds")
    )
    async def video(
        self,
        interaction: discord.Interaction,
        state: Literal["on", "off"] | None = None,
        daily_video_seconds_per_user: app_commands.Range[int, VIDEO_SECONDS[0], VIDEO_SECONDS[1]] | None = None,
    ) -> None:
        """Whether members may turn images into videos here, and how many seconds each may make a day."""
        changes: dict[str, Any] = {}
        if state is not None:
            changes["video"] = state == "on"
        if daily_video_seconds_per_user is not None:
            changes["daily_video_seconds_per_user"] = daily_video_seconds_per_user
        await self._save(interaction, **changes)

    @app_commands.command(name="moderation", description=localised("cmd.admin.moderation"))
    @app_commands.describe(level=localised("opt.admin.level"))
    async def moderation(self, interaction: discord.Interaction, level: Literal["auto", "low"]) -> None:
        """The image API's moderation level; low holds only in age-restricted channels."""
        await self._save(interaction, moderation=level)

    @app_commands.command(name="language", description=localised("cmd.admin.language"))
    @app_commands.describe(language=localised("opt.admin.language"))
    async def language(self, interaction: discord.Interaction, language: Literal["auto", "en", "zh"]) -> None:
        """The language of the bot's public messages here; auto follows each requester's Discord language."""
        await self._save(interaction, language=None if language == "auto" else language)

    @app_commands.command(name="exempt-role", description=localised("cmd.admin.exempt"))
    @app_commands.describe(action=localised("opt.admin.action"), role=localised("opt.admin.role"))
    async def exempt_role(
        self, interaction: discord.Interaction, action: Literal["add", "remove"], role: discord.Role
    ) -> None:
        """Members with this role skip the daily limits and the cooldown (the budget still holds)."""
        guild_id = self._admin(interaction)
        changes = await self.bot.core.exempt_role(guild_id, interaction.user.id, role.id, exempt=action == "add")
        await self._confirm(interaction, changes)

    @app_commands.command(name="model", description=localised("cmd.admin.model"))
    @app_commands.describe(model=localised("opt.admin.model"))
    async def model(self, interaction: discord.Interaction, model: str) -> None:
        """The model used when a member picks none."""
        await self._save(interaction, image_model=model.strip())

    @app_commands.command(name="log-channel", description=localised("cmd.admin.log"))
    @app_commands.describe(channel=localised("opt.admin.channel"))
    async def log_channel(self, interaction: discord.Interaction, channel: discord.TextChannel | None = None) -> None:
        """Where refused prompts are reported to moderators; without a channel, reports stop."""
        await self._save(interaction, log_channel=channel.id if channel is not None else None)

    @app_commands.command(name="blocked-words", description=localised("cmd.admin.blocked"))
    @app_commands.describe(action=localised("opt.admin.action"), phrase=localised("opt.admin.phrase"))
    async def blocked_words(
        self,
        interaction: discord.Interaction,
        action: Literal["add", "remove", "list"],
        phrase: app_commands.Range[str, 1, MAX_PHRASE_LENGTH] | None = None,
    ) -> None:
        """Words and phrases refused in prompts here, matched however they are disguised."""
        guild_id = self._admin(interaction)
        current = self.bot.core.server(guild_id).blocked_words
        locale = interaction.locale
        if action == "list":
            words = texts.shorten(", ".join(inert(word) for word in current), 1800)
            text = texts.t(locale, "admin.blocked.list", count=len(current), words=words)
            await interaction.response.send_message(text if current else texts.t(locale, "admin.blocked.none"),
                                                    ephemeral=True)  # fmt: skip
            return
        count = await self.bot.core.change_blocked_words(
            guild_id, interaction.user.id, phrase or "", add=action == "add"
        )
        key = "admin.blocked.added" if action == "add" else "admin.blocked.removed"
        text = texts.t(locale, key, phrase=inert(phrase or ""), count=count)
        await interaction.response.send_message(text, ephemeral=True)

    @app_commands.command(name="bar", description=localised("cmd.admin.bar"))
    @app_commands.describe(user=localised("opt.admin.user"))
    async def bar(self, interaction: discord.Interaction, user: discord.User) -> None:
        """Stop a member from using the bot here; they are told privately when they try, without a reason."""
        await self._bar(interaction, user, barred=True)

    @app_commands.command(name="unbar", description=localised("cmd.admin.unbar"))
    @app_commands.describe(user=localised("opt.admin.user"))
    async def unbar(self, interaction: discord.Interaction, user: discord.User) -> None:
        """Let a barred member use the bot here again."""
        await self._bar(interaction, user, barred=False)

    async def _bar(self, interaction: discord.Interaction, user: discord.User, *, barred: bool) -> None:
        guild_id = self._admin(interaction)
        await self.bot.core.bar(guild_id, interaction.user.id, user.id, barred=barred)
        key = "admin.barred" if barred else "admin.unbarred"
        await interaction.response.send_message(texts.t(interaction.locale, key, user=user.mention), ephemeral=True)

    @app_commands.command(name="screening", description=localised("cmd.admin.screening"))
    @app_commands.describe(
        mode=localised("opt.admin.mode"),
        categories=localised("opt.admin.categories"),
        results=localised("cmd.admin.results"),
        log_images=localised("opt.admin.log_images"),
    )
    async def screening(
        self,
        interaction: discord.Interaction,
        mode: Literal["off", "log", "block"] | None = None,
        categories: str | None = None,
        results: Literal["off", "on"] | None = None,
        log_images: Literal["off", "on"] | None = None,
    ) -> None:
        """Screen prompts before any image is drawn: log flagged ones for moderators, or block them; the
        categories that count (all by default; sexual content involving minors always counts); and whether each
        image is screened too before it is posted outside age-restricted channels."""
        changes: dict[str, Any] = {}
        if mode is not None:
            changes["screening"] = mode
        if categories is not None:
            changes["screening_categories"] = chosen_categories(categories)
        if results is not None:
            changes["screen_results"] = results == "on"
        if log_images is not None:
            changes["log_withheld_images"] = log_images == "on"
        await self._save(interaction, **changes)

    styles = app_commands.Group(name="styles", description=localised("cmd.admin.styles"))

    @styles.command(name="add", description=localised("cmd.admin.styles.add"))
    @app_commands.describe(name=localised("opt.admin.style_name"), phrase=localised("opt.admin.style_phrase"))
    async def styles_add(
        self,
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, MAX_STYLE_NAME],
        phrase: app_commands.Range[str, 1, MAX_STYLE_PHRASE],
    ) -> None:
        """A style of this server's own, offered first in /imagine's style option."""
        guild_id = self._admin(interaction)
        count = await self.bot.core.change_styles(guild_id, interaction.user.id, name, phrase)
        text = texts.t(interaction.locale, "admin.styles.added", name=inert(name), phrase=inert(phrase), count=count)
        await interaction.response.send_message(text, ephemeral=True)

    @styles.command(name="remove", description=localised("cmd.admin.styles.remove"))
    @app_commands.describe(name=localised("opt.admin.style_name"))
    async def styles_remove(self, interaction: discord.Interaction, name: str) -> None:
        """Remove one of this server's own styles (the bot's own stay)."""
        guild_id = self._admin(interaction)
        count = await self.bot.core.change_styles(guild_id, interaction.user.id, name, None)
        text = texts.t(interaction.locale, "admin.styles.removed", name=inert(name), count=count)
        await interaction.response.send_message(text, ephemeral=True)

    @styles_remove.autocomplete("name")
    async def own_styles(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        """This server's own styles whose names contain what was typed."""
        own = self.bot.core.server(interaction.guild_id).styles
        needle = current.strip().casefold()
        names = [name for name, _ in own if needle in name.casefold()][:25]
        return [app_commands.Choice(name=name, value=name) for name in names]

    @styles.command(name="list", description=localised("cmd.admin.styles.list"))
    async def styles_list(self, interaction: discord.Interaction) -> None:
        """This server's own styles and what each adds."""
        own = self.bot.core.server(self._admin(interaction)).styles
        locale = interaction.locale
        if not own:
            await interaction.response.send_message(texts.t(locale, "admin.styles.none"), ephemeral=True)
            return
        items = (texts.t(locale, "admin.styles.item", name=inert(name), phrase=inert(phrase)) for name, phrase in own)
        listed = texts.shorten("\n".join(items), 1800)
        text = texts.t(locale, "admin.styles.list", count=len(own), styles=listed)
        await interaction.response.send_message(text, ephemeral=True)

    def describe(self, locale: object, server: ServerSettings) -> str:
        """The settings in words."""
        settings, limits = self.bot.settings, self.bot.core.operator_limits

        def value(own: object, default: object) -> str:
            return str(own) if own is not None else texts.t(locale, "admin.default", value=default)

        in_force = {
            name: texts.t(locale, f"admin.limit.{source}", value=f"{amount:g}")
            for name, (amount, source) in server.in_force(limits).items()
        }

        channels = " ".join(f"<#{c}>" for c in server.channels) or texts.t(locale, "admin.everywhere")
        log = f"<#{server.log_channel}>" if server.log_channel else texts.t(locale, "admin.none")
        return texts.t(
            locale,
            "admin.settings",
            channels=channels,
            user_day=in_force["daily_images_per_user"],
            server_day=in_force["daily_images_per_server"],
            cooldown=in_force["cooldown_seconds"],
            max_n=value(server.own_limits.max_images or None, limits.max_images),
            quality=value(server.max_quality, settings.max_quality),
            models=inert(", ".join(server.models_allowed(settings.allowed_models))) or texts.t(locale, "admin.any"),
            budget=in_force["daily_budget_per_server"],
            moderation=value(server.moderation, settings.moderation),
            language=server.language or texts.t(locale, "admin.each"),
            roles=" ".join(f"<@&{role}>" for role in server.exempt_role_ids) or texts.t(locale, "admin.none"),
            model=inert(server.image_model) if server.image_model else value(None, settings.image_model),
            log=log,
            blocked=len(server.blocked_words) or texts.t(locale, "admin.none"),
            screening=value(server.screening, settings.screening),
            barred=" ".join(f"<@{user}>" for user in server.barred) or texts.t(locale, "admin.none"),
        )


# How stored ids are shown: as channel or role mentions (which never ping in these private replies).
MENTIONS = {"channels": "<#{}>", "log_channel": "<#{}>", "exempt_role_ids": "<@&{}>"}


def _shown(locale: object, key: str, value: object) -> str:
    items = value if isinstance(value, tuple) else () if value is None else (value,)
    shown = [MENTIONS[key].format(item) if key in MENTIONS else inert(str(item)) for item in items]
    if shown:
        return ", ".join(shown)
    return texts.t(locale, "admin.everywhere" if key == "channels" else "admin.none")


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Admin(bot))
