"""How a custom id is defined: once, by the class of the button or form that carries it.

A custom id is only a string that comes back with a click or a submission: it carries the job (or the message)
and nothing else, so buttons and forms work after a restart and whatever a client sends is checked again.
"""

from __future__ import annotations

import re
import string

# A field written without a pattern of its own is an id or a count.
NUMBER = r"\d+"


class CustomId:
    """One custom id, defined once, such as ``imagine:tool:{job}:{tool:[a-z0-9.-]{1,20}}``: it writes the id a
    button or form is sent with, and it is the regex (``template``) discord.py and the form listener read it back
    with.

    A field is a number unless a pattern follows its name; a part in square brackets may be left out, and is
    when its field is None.
    """

    def __init__(self, definition: str) -> None:
        self.definition = definition
        # Each piece in order: literal text or a field, and the bracketed part it is in (0: none).
        self._pieces: list[tuple[int, str, str | None]] = []
        pattern, part, parts = "", 0, 0
        for literal, field, spec, _ in string.Formatter().parse(definition):
            for char in literal:
                if char == "[":
                    parts += 1
                    part, pattern = parts, pattern + "(?:"
                elif char == "]":
                    part, pattern = 0, pattern + ")?"
                else:
                    pattern += re.escape(char)
                    self._pieces.append((part, char, None))
            if field is not None:
                pattern += f"(?P<{field}>{spec or NUMBER})"
                self._pieces.append((part, "", field))
        self.template = re.compile(pattern)

    def __repr__(self) -> str:
        return f"CustomId({self.definition!r})"

    def write(self, **fields: object) -> str:
        """The custom id with these fields; raises ValueError unless it reads back as written."""
        left_out = {part for part, _, field in self._pieces if part and field and fields.get(field) is None}
        written = "".join(
            literal if field is None else str(fields[field])
            for part, literal, field in self._pieces
            if part not in left_out
        )
        if not self.template.fullmatch(written):
            raise ValueError(f"{written!r} is not a custom id of the form {self.definition!r}")
        return written
