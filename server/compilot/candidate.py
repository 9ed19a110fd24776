"""One completion candidate as it moves through the pipeline (generation -> verification -> ranking)."""

from __future__ import annotations

from dataclasses import dataclass, field

from compilot.verification.diagnostics import Diagnostic


@dataclass
class Candidate:
    text: str  # inserted at the cursor
    score: float  # mean log-probability of the tokens the model drew for it
    finish: str  # how sampling ended: "stop", "loop", "eos", "length"
    verdict: str = "unchecked"  # "pass", "fail" or "unchecked"
    truncated: bool = False  # cut to its longest compiling prefix
    new_errors: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0  # the document's errors after the cursor it makes go away
    raw: str = ""  # the text before truncation
