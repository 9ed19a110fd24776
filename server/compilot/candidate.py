"""One completion candidate as it moves through the pipeline (generation -> verification -> ranking)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from compilot.generation.backend import Finish
from compilot.verification.diagnostics import Diagnostic

Verdict = Literal["pass", "fail", "unchecked"]  # javac's judgement; unchecked: javac did not run


@dataclass
class Candidate:
    text: str  # inserted at the cursor
    score: float  # mean log-probability of the tokens the model drew for it
    finish: Finish  # how sampling ended
    verdict: Verdict = "unchecked"
    truncated: bool = False  # cut to its longest compiling prefix
    new_errors: list[Diagnostic] = field(default_factory=list)
    fixed: int = 0  # the document's errors after the cursor it makes go away
    raw: str = ""  # the text before truncation
