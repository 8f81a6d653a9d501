"""Working on one image of a result: pick it, vary it, zoom out, pan, upscale or edit it; /blend and /describe."""

from __future__ import annotations

import functools
import io
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from imagegen import logs, texts
from imagegen.errors import InvalidRequest
from imagegen.model import ImageRequest, Job
from imagegen.tools import EDIT, TOOLS
from imagegen.uploads import check_declared, kind

from .utils import choices, custom_ids
from .utils.answers import answer_error
from .utils.buttons import PromptModal, buttons, idea_button, tool_button
from .utils.delivery import tool_buttons
from .utils.jobs import JobItem, bot_of, start_job
from .utils.markup import inert
from .utils.translator import localised

if TYPE_CHECKING:
    from bot import ImageBot

log = logging.getLogger(__name__)

# As /imagine's: the picker in Discord takes at most 6000 characters; the model's own limit is checked later.
PROMPT_LIMIT = 6000


class Iterate(commands.Cog):
    """Carries a result on: the buttons under its images, and the commands that start from members' own images."""

    def __init__(self, bot: ImageBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(Pick, Tool, Idea)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(Pick, Tool, Idea)

    @app_commands.command(name="blend", description=localised("cmd.blend"))
    @app_commands.guild_only()
    @app_commands.describe(
        image1=localised("opt.blend.image"),
        image2=localised("opt.blend.image"),
        image3=localised("opt.blend.image"),
        image4=localised("opt.blend.image"),
        image5=localised("opt.blend.image"),
        prompt=localised("opt.blend.prompt"),
        size=localised("opt.size"),
    )
    async def blend(
        self,
        interaction: discord.Interaction,
        image1: discord.Attachment,
        image2: discord.Attachment,
        image3: discord.Attachment | None = None,
        image4: discord.Attachment | None = None,
        image5: discord.Attachment | None = None,
        prompt: app_commands.Range[str, 1, PROMPT_LIMIT] | None = None,
        size: str = "auto",
    ) -> None:
        """Two to five uploads sent together to the edits endpoint, blended as ``prompt`` says (or just blended)."""
        uploads = [upload for upload in (image1, image2, image3, image4, image5) if upload is not None]
        for upload in uploads:
            check_declared(upload.size, upload.content_type)
        request = ImageRequest(
            prompt=prompt or texts.t(interaction.locale, "blend.prompt"),
            model=self.bot.core.default_model(interaction.guild_id),
            size=size,
            moderation=self.bot.settings.moderation,
            tool="blend",
        )
        await start_job(self.bot, interaction, request, [upload.url for upload in uploads])

    blend.autocomplete("size")(choices.sizes)

    @app_commands.command(name="describe", description=localised("cmd.describe"))
    @app_commands.guild_only()
    @app_commands.describe(image=localised("opt.describe.image"), model=localised("opt.describe.model"))
    async def describe(
        self, interaction: discord.Interaction, image: discord.Attachment, model: str | None = None
    ) -> None:
        """Four prompts for an uploaded image, numbered, with a button to draw each as the clicker's job."""
        check_declared(image.size, image.content_type)
        core = self.bot.core
        core.check_place(interaction.user.id, interaction.guild_id, interaction.channel_id)
        await interaction.response.defer(thinking=True)
        description, thumbnail = await core.describe(
            image.url,
            user_id=interaction.user.id,
            guild_id=interaction.guild_id,
            channel_id=interaction.channel_id or 0,
            locale=interaction.locale,
            model=model.strip() if model else None,
        )
        locale = core.server(interaction.guild_id).language or interaction.locale
        numbered = "\n\n".join(f"**{n}.** {inert(prompt, 900)}" for n, prompt in enumerate(description.prompts, 1))
        name = f"describe.{kind(thumbnail)}"
        embed = discord.Embed(description=numbered).set_thumbnail(url=f"attachment://{name}")
        view = buttons(*(idea_button(description.id, n) for n in range(1, len(description.prompts) + 1)))
        await interaction.edit_original_response(
            content=texts.t(locale, "describe.result"),
            embed=embed,
            attachments=[discord.File(io.BytesIO(thumbnail), filename=name)],
            view=view,
        )

    describe.autocomplete("model")(choices.models)


class Pick(JobItem, template=custom_ids.job_template("pick")):
    """Image ``index`` of a result of several, posted alone as a new message (no API call) with the single-image
    tools, linked to the result it came from."""

    action = "pick"

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        message = interaction.message
        attachments = message.attachments if message is not None else []
        index = self.index or 1
        if message is None or not 1 <= index <= len(attachments):
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        await interaction.response.defer(thinking=True)
        picked = attachments[index - 1]
        # Read now, from the message as it is: its URL is fresh, and nothing is drawn again.
        data = await bot.core.fetch_image(picked.url)
        locale = bot.core.server(job.guild_id).language or interaction.locale
        caption = texts.t(locale, "pick.caption", index=index, link=message.jump_url, user=f"<@{job.user_id}>")
        view = buttons(*tool_buttons(locale, job.id, bot.core.tools(job.request.model)))
        await interaction.edit_original_response(
            content=caption, attachments=[discord.File(io.BytesIO(data), filename=picked.filename)], view=view
        )


class Tool(JobItem, template=custom_ids.TOOL_TEMPLATE):
    """A single-image tool on the clicked message's image, as the clicker's job with its job's prompt and model."""

    action = "tool"

    def __init__(self, job_id: int, tool: str, label: str = "") -> None:
        self.tool = tool
        super().__init__(job_id, None, label)

    def button(self, job_id: int, index: int | None, label: str) -> discord.ui.Button[Any]:
        return tool_button(job_id, self.tool, label)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Tool:
        return cls(int(match["job"]), match["tool"], getattr(item, "label", None) or "")

    async def act(self, bot: ImageBot, interaction: discord.Interaction, job: Job) -> None:
        if self.tool not in TOOLS:
            raise InvalidRequest("tool.unavailable", model=job.request.model)
        message = interaction.message
        picture = message.attachments[0] if message is not None and message.attachments else None
        if message is None or picture is None or not picture.width or not picture.height:
            await interaction.response.send_message(texts.t(interaction.locale, "vary.missing"), ephemeral=True)
            return
        locale = interaction.locale
        if self.tool == EDIT:
            form = custom_ids.edit_form(message.channel.id, message.id, 0)
            await interaction.response.send_modal(
                PromptModal(form, texts.t(locale, "edit.title"), texts.t(locale, "edit.label"))
            )
            return
        # Planned from the size Discord gives, so the admission counts what the tool will really cost.
        request = bot.core.plan_tool(job.request, self.tool, picture.width, picture.height)
        await start_job(bot, interaction, request, prepare=functools.partial(bot.core.render_tool, url=picture.url))


class Idea(discord.ui.DynamicItem[discord.ui.Button[Any]], template=custom_ids.IDEA_TEMPLATE):
    """Draws one prompt of a /describe answer, as the clicker's job, where the answer was given."""

    def __init__(self, description_id: int, index: int) -> None:
        super().__init__(idea_button(description_id, index))
        self.description_id = description_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str]
    ) -> Idea:
        return cls(int(match["description"]), int(match["index"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        logs.about(guild=interaction.guild_id, interaction=interaction.id)
        bot = bot_of(interaction)
        try:
            described = await bot.core.description(self.description_id)
            if described is None or not 1 <= self.index <= len(described.prompts):
                await interaction.response.send_message(texts.t(interaction.locale, "describe.gone"), ephemeral=True)
                return
            if (described.guild_id, described.channel_id) != (interaction.guild_id, interaction.channel_id):
                log.warning("description %d clicked from channel %s", described.id, interaction.channel_id)
                await interaction.response.send_message(texts.t(interaction.locale, "button.elsewhere"), ephemeral=True)
                return
            request = ImageRequest(
                prompt=described.prompts[self.index - 1],
                model=described.model or bot.core.default_model(interaction.guild_id),
                moderation=bot.settings.moderation,
            )
            await start_job(bot, interaction, request)
        except Exception as error:
            await answer_error(bot, interaction, error)


async def setup(bot: ImageBot) -> None:
    """Load the cog."""
    await bot.add_cog(Iterate(bot))
