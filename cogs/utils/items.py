"""The base of every button and form the bot sends: each defines its custom id once, and its errors go to the
command tree, to be answered as a failed command is."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, Self, cast

import discord

from .custom_ids import CustomId

if TYPE_CHECKING:
    from bot import ImageBot

    from .tree import ImageTree

# The template of a base class, which is never registered: it matches nothing.
_NOTHING = re.compile(r"(?!)")


def bot_of(interaction: discord.Interaction) -> ImageBot:
    """The bot an interaction came to."""
    return cast("ImageBot", interaction.client)


async def answer_failure(interaction: discord.Interaction, error: Exception) -> None:
    """Hand an error of a button or form to the command tree, which answers it as it answers a command's."""
    tree = cast("ImageTree", bot_of(interaction).tree)
    await tree.on_error(interaction, error)


class Item(discord.ui.DynamicItem[discord.ui.Button[Any]], template=_NOTHING):
    """A persistent button: its class, registered by its cog, answers every click on it, after a restart too.

    A subclass names its custom id once, as ``class Tool(JobItem, custom_id="imagine:tool:{job}:{tool:...}")``; the
    same definition writes the id the button is sent with (``written``) and is its ``template``. A subclass
    answers a click in ``clicked``; whatever that raises goes to ``on_error``, and from there to the tree.
    """

    id_format: ClassVar[CustomId | None] = None
    style: ClassVar[discord.ButtonStyle] = discord.ButtonStyle.secondary
    emoji: ClassVar[str | None] = None

    def __init_subclass__(cls, *, custom_id: str | None = None, **options: Any) -> None:
        # A base class (JobItem, say) has no custom id of its own and is never registered.
        if custom_id is not None:
            cls.id_format = CustomId(custom_id)
        super().__init_subclass__(template=cls.id_format.template if cls.id_format else _NOTHING, **options)

    @classmethod
    def written(cls, **fields: object) -> str:
        """This button's custom id with these fields."""
        if cls.id_format is None:
            raise TypeError(f"{cls.__name__} has no custom id of its own")
        return cls.id_format.write(**fields)

    @classmethod
    def button(cls, label: str | None, *, emoji: str | None = None, **fields: object) -> discord.ui.Button[Any]:
        """The button as sent: this class's look, ``label`` and the custom id with ``fields``."""
        custom_id = cls.written(**fields)
        return discord.ui.Button(label=label, style=cls.style, emoji=emoji or cls.emoji, custom_id=custom_id)

    async def callback(self, interaction: discord.Interaction) -> None:
        """A click: ``clicked``, with its errors sent on (discord.py would only log what a dynamic item raises)."""
        try:
            await self.clicked(interaction)
        except Exception as error:
            await self.on_error(interaction, error)

    async def clicked(self, interaction: discord.Interaction) -> None:
        """What a click does."""
        raise NotImplementedError

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        """A click failed: the tree answers, as for a command."""
        await answer_failure(interaction, error)


class Form(discord.ui.Modal):
    """A form: its class answers every submission, whether discord.py still holds the form or not (it forgets
    them at a restart and after their timeout).

    A subclass names its custom id once (``class RemixForm(Form, custom_id="imagine:remix-modal:{job}")``),
    builds itself again from a submission in ``from_custom_id``, and answers it in ``on_submit``, reading what
    was typed with ``entered``; errors go to ``on_error``, and from there to the tree.
    """

    id_format: ClassVar[CustomId]

    def __init_subclass__(cls, *, custom_id: str | None = None, **options: Any) -> None:
        super().__init_subclass__(**options)
        if custom_id is not None:
            cls.id_format = CustomId(custom_id)

    def __init__(self, title: str, **fields: object) -> None:
        super().__init__(title=title, custom_id=self.id_format.write(**fields))
        self._entered: dict[str, str] = {}
        # Submissions reach ``answer`` through the cog's listener; discord.py need not hold the form for them.
        self.stop()

    @classmethod
    def from_custom_id(cls, interaction: discord.Interaction, match: re.Match[str]) -> Self:
        """The form a submission answers, from its custom id (its fields are ``match``'s groups)."""
        raise NotImplementedError

    def entered(self, field: discord.ui.TextInput[Any]) -> str | None:
        """What was typed in ``field`` of a submitted form (None if the submission lacks it)."""
        return self._entered.get(field.custom_id)

    async def answer(self, interaction: discord.Interaction) -> None:
        """Answer a submission of this form, as discord.py answers a form it holds: ``on_submit``, and
        ``on_error`` if that fails."""
        self._entered = {
            child.custom_id: value
            for child in self.walk_children()
            if isinstance(child, discord.ui.TextInput)
            and (value := _submitted_text(interaction.data, child.custom_id)) is not None
        }
        try:
            await self.on_submit(interaction)
        except Exception as error:
            await self.on_error(interaction, error)

    # As discord.py's own Modal.on_error, which takes no item, unlike the view's it overrides.
    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        """A submission failed: the tree answers, as for a command."""
        await answer_failure(interaction, error)


def submitted_form(interaction: discord.Interaction, forms: Iterable[type[Form]]) -> Form | None:
    """The form of ``forms`` an interaction submits, built again from its custom id; None for anything else."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    custom_id = str(dict(interaction.data or {}).get("custom_id", ""))
    for form in forms:
        match = form.id_format.template.fullmatch(custom_id)
        if match is not None:
            return form.from_custom_id(interaction, match)
    return None


def buttons(*items: Item) -> discord.ui.View:
    """A view holding persistent buttons, as sent with a message.

    A click reaches the button's class (registered by its cog), never this view; so the view is finished as
    soon as built and discord.py keeps nothing of it. (A timeout of its own, as discord.py gives every private
    message's view, would unregister its buttons' classes for every message when it ran out.)
    """
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()
    return view


def _submitted_text(data: Any, custom_id: str) -> str | None:
    # The value of a text input in a submission's raw data, however it is nested.
    if isinstance(data, dict):
        value = data.get("value")
        if data.get("custom_id") == custom_id and isinstance(value, str):
            return value
        children = [data.get("component"), *(data.get("components") or [])]
        data = [child for child in children if child is not None]
    if isinstance(data, list):
        for child in data:
            found = _submitted_text(child, custom_id)
            if found is not None:
                return found
    return None
