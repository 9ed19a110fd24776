"""Order candidates for the user: compiling ones only (when checked), then model score, then shorter."""

from __future__ import annotations

from collections.abc import Iterable

from compilot.candidate import Candidate


def rank(candidates: Iterable[Candidate], checked: bool, limit: int) -> list[Candidate]:
    """Merge identical texts (keeping the best score), drop failures and empties, best first."""
    best: dict[str, Candidate] = {}
    for c in candidates:
        if not c.text.strip() or (checked and c.verdict != "pass"):
            continue
        if c.text not in best or c.score > best[c.text].score:
            best[c.text] = c
    return sorted(best.values(), key=lambda c: (-c.score, len(c.text)))[:limit]
