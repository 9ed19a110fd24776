"""The prompt window: which text before the cursor the model sees.

The model only reads what precedes the cursor, so the window is as long as the budget allows, but it
starts at a line boundary, and preferably where a declaration starts (an enclosing class or method
header, or the line after a member ends) so the model never sees half a signature.
"""

from __future__ import annotations

from bisect import bisect_left

from compilot.context.indent import line_start
from compilot.context.scopes import Scope, ScopeKind


def window_start(text: str, offset: int, budget: int, stack: list[Scope]) -> int:
    """Start offset of a window of at most `budget` characters that ends at `offset`."""
    if budget <= 0:
        return offset
    earliest = offset - budget
    if earliest <= 0:
        return 0
    best = _declaration_start(text, earliest, offset, stack)
    if best is not None:
        return best
    if text[earliest - 1] == "\n":
        return earliest
    newline = text.find("\n", earliest, offset)
    return earliest if newline < 0 else newline + 1  # one line longer than the budget is cut mid-line


def _declaration_start(text: str, earliest: int, offset: int, stack: list[Scope]) -> int | None:
    """The earliest declaration boundary in [earliest, offset], if any."""
    best: int | None = None
    for scope in stack[1:]:
        candidates = [line_start(text, scope.header)]
        if scope.kind is ScopeKind.CLASS:
            k = bisect_left(scope.bounds, earliest)
            if k < len(scope.bounds):
                candidates.append(_next_line(text, scope.bounds[k], offset))
        for c in candidates:
            if earliest <= c <= offset and (best is None or c < best):
                best = c
    return best


def _next_line(text: str, pos: int, offset: int) -> int:
    """Start of the line after the one containing `pos`, or -1 when that is past `offset`."""
    newline = text.find("\n", pos, offset)
    return -1 if newline < 0 else newline + 1
