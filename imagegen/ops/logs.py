"""Log lines as one JSON object each (LOG_FORMAT=json), carrying the job, server and interaction they are about.

What a line is about is carried by context variables, set where a job or an interaction is handled: every line
logged in that task (the bot's, discord.py's or a library's) gets them without being passed by hand.
"""

from __future__ import annotations

import contextvars
import datetime
import json
import logging

job_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("job_id", default=None)
guild_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("guild_id", default=None)
interaction_id: contextvars.ContextVar[int | None] = contextvars.ContextVar("interaction_id", default=None)


def about(*, job: int | None = None, guild: int | None = None, interaction: int | None = None) -> None:
    """Say, for the rest of the current task, which job, server and interaction its log lines are about (a task
    inherits its creator's: each is set, to None when it is about none)."""
    job_id.set(job)
    guild_id.set(guild)
    interaction_id.set(interaction)


CONTEXT = (("job_id", job_id), ("guild_id", guild_id), ("interaction_id", interaction_id))


def install_context() -> None:
    """Have every log record, from the first one on, remember what its task was about when it was made."""
    make = logging.getLogRecordFactory()
    if getattr(make, "carries_context", False):
        return

    def record_with_context(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        for name, variable in CONTEXT:
            setattr(record, name, variable.get())
        return record

    record_with_context.carries_context = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(record_with_context)


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message, what the line is about, and any traceback."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.datetime.fromtimestamp(record.created, datetime.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, variable in CONTEXT:
            value = getattr(record, name, variable.get())
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["traceback"] = self.formatException(record.exc_info)
        elif record.exc_text:
            line["traceback"] = record.exc_text
        return json.dumps(line, ensure_ascii=False)
