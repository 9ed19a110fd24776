"""Indentation: the file's indent unit and a line's leading whitespace.

A BLOCK_BODY completion starts one level inside its header, and the model imitates the file, so the
unit is read from the file itself rather than assumed.
"""

from __future__ import annotations

import re
from collections import Counter

DEFAULT_UNIT = "    "
_SAMPLE_CHARS = 20_000  # the top of the file is enough to see its style, and keeps this cheap
_LEADING = re.compile(r"^([ \t]*)(\S)", re.MULTILINE)


def indent_unit(text: str) -> str:
    """The file's indent unit: a tab, two spaces or (by default) four spaces."""
    tabs = spaces = 0
    steps: Counter[int] = Counter()
    previous = 0
    for lead, first in _LEADING.findall(text[:_SAMPLE_CHARS]):
        if first == "*":
            continue  # javadoc and block comment continuation lines sit one space in
        if lead.startswith("\t"):
            tabs += 1
            continue
        if lead:
            spaces += 1
        step = len(lead) - previous
        if step in (2, 4):
            steps[step] += 1
        previous = len(lead)
    if tabs > spaces:
        return "\t"
    if steps[2] > steps[4]:
        return "  "
    return DEFAULT_UNIT


def line_start(text: str, offset: int) -> int:
    """Offset of the first character of the line containing `offset`."""
    return text.rfind("\n", 0, offset) + 1


def leading_whitespace(text: str, start: int, end: int) -> str:
    """The run of spaces and tabs at `text[start:end]`'s beginning."""
    i = start
    while i < end and text[i] in " \t":
        i += 1
    return text[start:i]


def line_indent(text: str, offset: int) -> str:
    """The indentation of the line containing `offset`."""
    start = line_start(text, offset)
    end = text.find("\n", start)
    return leading_whitespace(text, start, len(text) if end < 0 else end)
