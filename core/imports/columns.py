"""A template's column: the header a user reads and the key the code uses."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False
    choices: tuple[str, ...] = ()  # the labels a cell may hold; a data validation list in the template
    width: int = 14


def labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for label in choices.labels)


def letter(index: int) -> str:
    """The spreadsheet letter of the 0-based column ``index`` (A, B, … Z, AA …)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name
