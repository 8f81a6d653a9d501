"""Buttons and forms: each class reads the custom ids earlier versions posted, and writes them the same way."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import discord
import pytest

from cogs.imagine import FORMS, JOB_ITEMS
from cogs.utils.buttons import (
    AnimateButton,
    AnimateForm,
    Cancel,
    Delete,
    MjButton,
    Pick,
    Remix,
    RemixForm,
    Remove,
    Report,
    Reroll,
    Rerun,
    Tool,
    TryInstead,
    Vary,
)
from cogs.utils.custom_ids import CustomId
from cogs.utils.described import Idea
from cogs.utils.items import Item, buttons, submitted_form
from imagegen.model import ImageRequest, Job

ENGLISH = SimpleNamespace(locale=discord.Locale.american_english)

# Custom ids as every earlier version posted them (and as the regexes they were read with accepted them).
POSTED: list[tuple[type[Item], str, dict[str, Any]]] = [
    (Reroll, "imagine:reroll:42", {"job_id": 42, "index": None}),
    (Rerun, "imagine:rerun:42", {"job_id": 42, "index": None}),
    (Remix, "imagine:remix:42", {"job_id": 42, "index": None}),
    (Vary, "imagine:vary:42:3", {"job_id": 42, "index": 3}),
    (TryInstead, "imagine:try:42", {"job_id": 42, "index": None}),
    (Delete, "imagine:delete:42", {"job_id": 42, "index": None}),
    (Cancel, "imagine:cancel:42", {"job_id": 42, "index": None}),
    (Report, "imagine:report:42", {"job_id": 42, "index": None}),
    (Remove, "imagine:remove:42:1300000000000000001", {"job_id": 42, "index": 1300000000000000001}),
    (Pick, "imagine:pick:42:2", {"job_id": 42, "index": 2}),
    (Tool, "imagine:tool:42:zoom-1.5", {"job_id": 42, "tool": "zoom-1.5"}),
    (Idea, "imagine:idea:7:4", {"description_id": 7, "index": 4}),
    (MjButton, "imagine:mj:42:7", {"job_id": 42, "index": 7}),
    (AnimateButton, "imagine:animate:42", {"job_id": 42}),
]


def a_job() -> Job:
    return Job(user_id=1, channel_id=2, guild_id=3, request=ImageRequest(prompt="a kite", model="m"), id=42)


@pytest.mark.parametrize(("kind", "custom_id", "fields"), POSTED, ids=[c for _, c, _ in POSTED])
async def test_a_posted_custom_id_is_read_by_its_class_and_written_back_the_same(
    kind: type[Item], custom_id: str, fields: dict[str, Any]
) -> None:
    classes = (*JOB_ITEMS, Pick, Tool, Idea, AnimateButton)
    [claimed] = [other for other in classes if other.id_format.template.fullmatch(custom_id)]  # type: ignore[union-attr]
    assert claimed is kind
    match = kind.id_format.template.fullmatch(custom_id)  # type: ignore[union-attr]
    item = await kind.from_custom_id(None, None, match)  # type: ignore[arg-type]
    assert {name: getattr(item, name) for name in fields} == fields
    assert item.custom_id == custom_id and item.template is kind.id_format.template  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("custom_id", "fields"),
    [
        ("imagine:remix-modal:42", {"job_id": 42}),
        ("imagine:edit-modal:11:12:0", {"channel_id": 11, "message_id": 12, "index": 0}),
        ("imagine:mj-zoom:42:5", {"job_id": 42, "index": 5}),
        ("imagine:animate-modal:11:12:0", {"channel_id": 11, "message_id": 12, "index": 0}),
    ],
)
async def test_a_posted_form_id_is_read_by_its_class_and_written_back_the_same(
    custom_id: str, fields: dict[str, Any]
) -> None:
    interaction: Any = SimpleNamespace(
        type=discord.InteractionType.modal_submit, data={"custom_id": custom_id}, locale=ENGLISH.locale
    )
    form = submitted_form(interaction, (*FORMS, AnimateForm))
    assert form is not None and form.custom_id == custom_id
    assert {name: getattr(form, name) for name in fields} == fields


async def test_the_buttons_built_for_a_job_carry_the_ids_earlier_versions_posted() -> None:
    job = a_job()
    view = buttons(
        Reroll.for_job(job, "en"),
        Pick.for_job(job, "en", 2),
        Remove.for_job(job, "en", 99),
        Tool.for_job(job, "en", "pan-left"),
        Idea(7, 4),
    )
    sent = [child.to_component_dict() for child in view.children]
    assert [button["custom_id"] for button in sent] == [
        "imagine:reroll:42",
        "imagine:pick:42:2",
        "imagine:remove:42:99",
        "imagine:tool:42:pan-left",
        "imagine:idea:7:4",
    ]
    assert sent[0]["label"] == "Reroll" and sent[0]["emoji"]["name"] == "🔄" and "label" not in sent[3]
    # Nothing of a sent view is kept: clicks reach the registered classes.
    assert view.is_finished()


def test_no_two_classes_claim_the_same_custom_id() -> None:
    classes = (*JOB_ITEMS, Pick, Tool, Idea, AnimateButton, AnimateForm, *FORMS)
    definitions = [kind.id_format.definition for kind in classes]  # type: ignore[union-attr]
    assert len(set(definitions)) == len(definitions)


def test_a_custom_id_definition_writes_what_its_template_reads() -> None:
    definition = CustomId("imagine:tool:{job}:{tool:[a-z0-9.-]{1,20}}[:{index}]")
    assert definition.template.pattern == r"imagine:tool:(?P<job>\d+):(?P<tool>[a-z0-9.-]{1,20})(?::(?P<index>\d+))?"
    assert definition.write(job=5, tool="zoom-2") == "imagine:tool:5:zoom-2"
    assert definition.write(job=5, tool="zoom-2", index=3) == "imagine:tool:5:zoom-2:3"
    with pytest.raises(ValueError, match="is not a custom id"):
        definition.write(job=5, tool="Not A Tool")
    with pytest.raises(KeyError):
        definition.write(tool="zoom-2")


async def test_a_remix_form_reads_the_prompt_from_its_own_text_input() -> None:
    form = RemixForm.for_job(a_job(), "en")
    [field] = form.children
    assert form.custom_id == "imagine:remix-modal:42" and isinstance(field, discord.ui.TextInput)
    assert field.default == "a kite" and field.custom_id == form.prompt.custom_id
    typed = {"type": 4, "custom_id": field.custom_id, "value": "a blue kite"}
    data = {"custom_id": form.custom_id, "components": [{"type": 1, "components": [typed]}]}
    interaction: Any = SimpleNamespace(type=discord.InteractionType.modal_submit, data=data, locale=ENGLISH.locale)
    submitted = submitted_form(interaction, FORMS)
    assert isinstance(submitted, RemixForm)
    entered = []

    async def on_submit(interaction: discord.Interaction) -> None:
        entered.append(submitted.entered(submitted.prompt))

    submitted.on_submit = on_submit  # type: ignore[method-assign]
    await submitted.answer(interaction)
    assert entered == ["a blue kite"]


def test_a_submission_of_something_else_is_no_form() -> None:
    other: Any = SimpleNamespace(type=discord.InteractionType.modal_submit, data={"custom_id": "someone:else:1"})
    click: Any = SimpleNamespace(type=discord.InteractionType.component, data={"custom_id": "imagine:remix-modal:1"})
    assert submitted_form(other, FORMS) is None and submitted_form(click, FORMS) is None
