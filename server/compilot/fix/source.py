"""Lines, indentation and bracket depth of a Java document, as the repairs need them."""

from __future__ import annotations

from bisect import bisect_right

from compilot.lexer import structure


def line_bounds(text: str, line: int) -> tuple[int, int]:
    """(start, end) offsets of 1-based `line`, end at its newline (or the text's end); (-1, -1) if absent."""
    start = 0
    for _ in range(line - 1):
        newline = text.find("\n", start)
        if newline < 0:
            return -1, -1
        start = newline + 1
    end = text.find("\n", start)
    return start, len(text) if end < 0 else end


def content_start(text: str, start: int, end: int) -> int:
    """The first character after a line's indentation."""
    while start < end and text[start] in " \t":
        start += 1
    return start


def lines(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line."""
    out, start = [], 0
    while True:
        newline = text.find("\n", start)
        if newline < 0:
            out.append((start, len(text)))
            return out
        out.append((start, newline))
        start = newline + 1


def brackets(text: str, start: int = 0, end: int | None = None) -> list[tuple[str, int]]:
    """Every bracket and `;` of code (not in strings or comments) in `text[start:end]`, with its offset."""
    end = len(text) if end is None else end
    items, _ = structure(text, end)
    return [(c, p) for c, p in items if p >= start]


def depth_at_lines(text: str) -> list[int]:
    """Brace depth at the start of each line (as `lines` lists them), and at the end of the text last."""
    items = [p for c, p in brackets(text) if c in "{}"]
    signs = [1 if text[p] == "{" else -1 for p in items]
    running, depth = [], 0
    for s in signs:
        depth += s
        running.append(depth)
    out = []
    for start, _ in lines(text):
        k = bisect_right(items, start - 1)
        out.append(running[k - 1] if k else 0)
    out.append(running[-1] if running else 0)
    return out


def delta(code: str, opener: str, closer: str) -> int:
    """How many more `opener` than `closer` a piece of code has (strings and comments skipped)."""
    found = [c for c, _ in brackets(code)]
    return found.count(opener) - found.count(closer)
