"""Is a fix real? Applied, it must remove the targeted error and add none: judged by the warm javac.

The document's other errors are allowed to stay (a fix for one error must not be blamed for the rest), so each
is matched by code, message and start moved by the edit, as `verification.verifier.new_errors` does for
completions. The targeted error is left out of that baseline: if it is still there, the fix failed.
"""

from __future__ import annotations

from collections.abc import Callable

from compilot.fix.edits import Fix
from compilot.verification.checker import JavaChecker
from compilot.verification.diagnostics import Diagnostic
from compilot.verification.verifier import CRASH

BATCH = 8  # candidates per javac round trip: small enough to stop soon after a deadline

_INSIDE = -2  # "somewhere in the replaced text": an error there cannot be located more precisely


def unexplained(
    after: list[Diagnostic], errors: tuple[Diagnostic, ...], target: Diagnostic, fix: Fix
) -> list[Diagnostic]:
    """The errors of the fixed text that are neither the document's other errors nor gone: empty means pass."""
    delta = len(fix.replacement) - (fix.end - fix.start)
    known: set[tuple[str, str, int]] = set()
    for error in errors:
        if error == target:
            continue
        if error.start < fix.start or (error.start == fix.start == fix.end):
            known.add((error.code, error.message, error.start))
        if error.start >= fix.end:
            known.add((error.code, error.message, error.start + delta))
        elif error.start >= fix.start:
            known.add((error.code, error.message, _INSIDE))
    new_end = fix.start + len(fix.replacement)
    unexplained = []
    for d in after:
        if not d.is_error:
            continue
        inside = (d.code, d.message, _INSIDE) in known and fix.start <= d.start <= new_end
        if d.code == CRASH or not ((d.code, d.message, d.start) in known or inside):
            unexplained.append(d)
    return unexplained


def verified(
    checker: JavaChecker,
    text: str,
    filename: str,
    errors: tuple[Diagnostic, ...],
    target: Diagnostic,
    fixes: list[Fix],
    stop: Callable[[], bool] = lambda: False,
) -> list[tuple[Fix, int]]:
    """The fixes that pass, each with the number of errors left after it, checked `BATCH` at a time until
    `stop()` says the time is up."""
    passed = []
    for i in range(0, len(fixes), BATCH):
        if stop():
            break
        batch = fixes[i : i + BATCH]
        results = checker.check_many([(f.apply(text), filename) for f in batch])
        for fix, after in zip(batch, results, strict=True):
            if not unexplained(after, errors, target, fix):
                passed.append((fix, sum(d.is_error for d in after)))
    return passed
