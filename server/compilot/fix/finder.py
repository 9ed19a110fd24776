"""Fix to compile: candidate edits for one javac error, kept only when javac confirms them.

Cheap rule-based repairs and imports go first (one javac round trip for all of them); the model regenerates
the line (seconds on a CPU) only when no rule made the whole file compile and there is room under `limit`.
Everything respects `deadline` and `cancel`, because the language server calls this while the user waits.
"""

from __future__ import annotations

import threading
import time

from compilot.fix import imports, regenerate, repairs, verify
from compilot.fix.edits import Fix, minimal, ranked
from compilot.generation.backend import Cancelled
from compilot.verification.checker import CheckerError, JavaChecker
from compilot.verification.diagnostics import Diagnostic
from compilot.verification.verifier import Baseline


class _Stop:
    """An `is_set()` that turns true at the deadline or on the caller's cancel: the sampler polls it per token."""

    def __init__(self, deadline: float | None, cancel: threading.Event | None):
        self.deadline, self.cancel = deadline, cancel

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.is_set()

    def is_set(self) -> bool:
        return self.cancelled() or (self.deadline is not None and time.monotonic() >= self.deadline)


def find_fixes(
    engine,
    text: str,
    diagnostic: Diagnostic,
    filename: str,
    limit: int = 3,
    deadline: float | None = None,
    cancel: threading.Event | None = None,
) -> list[Fix]:
    """Up to `limit` verified fixes for `diagnostic` (an error of `text`), smallest edit first.

    `deadline` is a `time.monotonic()` value: work stops there and what is verified so far is returned. The model
    is used when the engine has it loaded, or is loaded here when there is no deadline. Raises `Cancelled` when
    `cancel` is set, and `CheckerError` when javac cannot run (nothing could be verified).
    """
    stop = _Stop(deadline, cancel)
    checker = _checker(engine)
    errors = Baseline.of(checker, text, filename).errors
    diagnostic = _current(errors, diagnostic)
    if diagnostic is None:
        return []  # not an error of this text (stale, or a warning): nothing to verify a fix against
    found: list[tuple[Fix, int, int]] = []  # (fix, errors left, tier: 0 rules, 1 model, 2 last resorts)
    tried: set[str] = set()

    def attempt(candidates: list[Fix], tier: int) -> None:
        fresh = []
        for fix in candidates:
            fixed = fix.apply(text)
            if fixed != text and fixed not in tried:
                tried.add(fixed)
                fresh.append(minimal(fix, text))
        passed = verify.verified(checker, text, filename, errors, diagnostic, fresh, stop.is_set)
        found.extend((fix, left, tier) for fix, left in passed)
        if stop.cancelled():
            raise Cancelled()

    sourcepath = tuple(engine.settings.sourcepath) + engine.workspace.sourcepath
    rules = repairs.repairs(text, diagnostic, java_lang_names())
    attempt(rules + imports.import_fixes(text, diagnostic, errors, sourcepath), tier=0)
    complete = any(left == 0 for _, left, _ in found)  # a rule made the file compile: no rewrite can beat it
    if len(found) < limit and not complete and not stop.is_set() and _model_ready(engine, deadline):
        for k, (cursor, end) in enumerate(regenerate.cut_points(text, diagnostic)):
            if (k > 0 and found) or stop.is_set():  # the shorter cut is only a second chance
                break
            try:
                model = regenerate.line_fixes(
                    engine.backend, engine.settings, text, diagnostic, cursor, end, stop
                )
                attempt(model, tier=1)
            except Cancelled:
                if stop.cancelled():
                    raise
    if not found and not stop.is_set():
        attempt(repairs.missing_arguments(text, diagnostic), tier=2)
    return ranked(found)[:limit]


def fixes_for_file(
    engine,
    text: str,
    filename: str,
    line: int | None = None,
    limit: int = 3,
    deadline: float | None = None,
    cancel: threading.Event | None = None,
) -> list[tuple[Diagnostic, list[Fix]]]:
    """Every error of `text` (only those on 1-based `line` when given) with its verified fixes."""
    errors = Baseline.of(_checker(engine), text, filename).errors
    return [
        (d, find_fixes(engine, text, d, filename, limit, deadline, cancel))
        for d in errors
        if line is None or d.line == line
    ]


def _current(errors: tuple[Diagnostic, ...], d: Diagnostic) -> Diagnostic | None:
    """The error of `errors` that `d` reports (matched by message and offset, or line and column)."""
    for e in errors:
        if e.message == d.message and (e.start == d.start >= 0 or (e.line, e.column) == (d.line, d.column)):
            return e
    return None


def java_lang_names() -> tuple[str, ...]:
    """Class names usable without an import: a misspelt `Strng` may mean `String`."""
    return tuple(n for n, packages in imports.jdk_index().items() if "java.lang" in packages)


def _checker(engine) -> JavaChecker:
    """The engine's warm javac, started if it is not yet; fixes cannot be offered unverified."""
    if engine.checker is None:
        engine.check("class Main {}\n")  # starts it, or raises CheckerError with the reason
    if engine.checker is None:
        raise CheckerError(engine.checker_problem or "javac checking is off")
    return engine.checker


def _model_ready(engine, deadline: float | None) -> bool:
    """Loading the model takes seconds: only without a deadline (the CLI); a server loads it at start."""
    if engine.loaded:
        return True
    if deadline is not None:
        return False
    engine.load()
    return engine.loaded
