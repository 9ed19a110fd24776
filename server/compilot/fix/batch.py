"""Fix a whole file, one error at a time: apply the best verified fix, re-check, go on with what is left.

Later errors are often the same mistake seen again (a missing import breaks every use of the type), so each
fix is chosen against the text as the earlier fixes left it. Used by `compilot fix`; knows nothing of files.
"""

from __future__ import annotations

from dataclasses import dataclass

from compilot.fix.edits import Fix
from compilot.fix.finder import find_fixes
from compilot.fix.source import line_bounds
from compilot.verification.diagnostics import Diagnostic

MAX_STEPS = 50


@dataclass
class Step:
    error: Diagnostic  # as javac reported it in `before`
    fix: Fix | None  # None: no fix javac accepts
    before: str  # the text the fix applies to

    @property
    def after(self) -> str:
        return self.fix.apply(self.before) if self.fix else self.before


@dataclass
class Outcome:
    text: str  # the text with every fix applied
    steps: list[Step]
    remaining: list[Diagnostic]  # the targeted errors still in `text`


def fix_all(engine, text: str, filename: str, line: int | None = None) -> Outcome:
    """Fix every error of `text` (those on 1-based `line` only, when given) that a verified fix removes."""
    errors = _errors(engine, text, filename)
    targets = {_key(text, e) for e in errors if line is None or e.line == line}
    given_up: set[tuple] = set()
    steps: list[Step] = []
    for _ in range(MAX_STEPS):
        pending = [e for e in errors if _key(text, e) in targets - given_up]
        if not pending:
            break
        error = pending[0]
        fixes = find_fixes(engine, text, error, filename, limit=1)
        steps.append(Step(error, fixes[0] if fixes else None, text))
        if not fixes:
            given_up.add(_key(text, error))
            continue
        text = fixes[0].apply(text)
        errors = _errors(engine, text, filename)
    remaining = [e for e in errors if _key(text, e) in targets]
    return Outcome(text, steps, remaining)


def _errors(engine, text: str, filename: str) -> list[Diagnostic]:
    return engine.check(text, filename)  # starts the checker when needed; cached per text


def _key(text: str, error: Diagnostic) -> tuple:
    """An error's identity across edits elsewhere: what javac said, and the code of the line it is on."""
    start, end = line_bounds(text, error.line) if error.line > 0 else (0, 0)
    return error.code, error.message, text[start:end].strip() if start >= 0 else ""
