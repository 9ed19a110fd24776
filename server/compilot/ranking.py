"""Order candidates for the user: compiling ones only (when checked), then model score, then shorter."""

from __future__ import annotations

from collections.abc import Iterable

from compilot.candidate import Candidate


def rank(
    candidates: Iterable[Candidate], checked: bool, limit: int, prefer_fixes: bool = True
) -> list[Candidate]:
    """Merge identical texts (keeping the best score), drop failures and empties, best first: with
    `prefer_fixes`, those that remove more of the document's errors after the cursor first, then by score."""
    best: dict[str, Candidate] = {}
    for c in candidates:
        if not c.text.strip() or (checked and c.verdict != "pass"):
            continue
        if c.text not in best or c.score > best[c.text].score:
            best[c.text] = c
    return sorted(best.values(), key=lambda c: (-c.fixed if prefer_fixes else 0, -c.score, len(c.text)))[
        :limit
    ]
