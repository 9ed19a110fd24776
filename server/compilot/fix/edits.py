"""A fix is one text edit: replace `text[start:end]` with `replacement`. Plain data, so any front end can apply it."""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Fix:
    title: str  # what the editor shows, e.g. "Fix to compile: add import java.util.List"
    start: int  # character offsets into the document the fix was computed for
    end: int
    replacement: str
    score: float  # model score (mean log-probability); 0.0 for rule-based repairs

    def apply(self, text: str) -> str:
        return text[: self.start] + self.replacement + text[self.end :]


def minimal(fix: Fix, text: str) -> Fix:
    """The same fix with the unchanged characters at both ends of the replaced text trimmed off.

    A regenerated line usually differs from the old one in a few characters; a small edit keeps the editor's
    cursor, undo step and diff where the change really is, and its size is what ranks fixes.
    """
    old, new = text[fix.start : fix.end], fix.replacement
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    return replace(fix, start=fix.start + head, end=fix.end - tail, replacement=new[head : len(new) - tail])


def size(fix: Fix) -> int:
    """Characters removed plus characters inserted (on a minimal fix): the smaller, the likelier intended."""
    return (fix.end - fix.start) + len(fix.replacement)


def ranked(fixes: list[tuple[Fix, int, int]]) -> list[Fix]:
    """(fix, errors left, tier) sorted: fewest errors left (a missing `}` explains several), then the rule-based
    tier before the model's (a targeted repair beats a rewrite), then the smallest edit, then the model's score.
    Stable, so the order rules proposed them in breaks the remaining ties."""
    return [f for f, _, _ in sorted(fixes, key=lambda t: (t[1], t[2], size(t[0]), -t[0].score))]
