"""Does a completion compile? A candidate passes when javac finds no error in it that the document lacked.

The document being edited is rarely error-free (the line at the cursor is often incomplete), so a candidate
is judged against a baseline: the document's own errors, moved by the length of the inserted text.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass

from . import lexical
from .checker import JavaChecker
from .diagnostics import Diagnostic

CRASH = "compilot.crash"  # javac crashed: no verdict is possible, so never a pass
LEXICAL = "compilot.lexical"  # the candidate's own brackets or literals do not close
PREMATURE_EOF = "compiler.err.premature.eof"  # at most one per file, wherever the file now ends


@dataclass(frozen=True)
class Baseline:
    """The errors of the document as it is, checked once per version of its text."""

    errors: tuple[Diagnostic, ...]

    @classmethod
    def of(cls, checker: JavaChecker, document: str, filename: str = "Main.java") -> Baseline:
        key = (hashlib.sha256(document.encode("utf-8", "replace")).digest(), filename, checker.key)
        with _cache_lock:
            if key in _cache:
                _cache.move_to_end(key)
                return _cache[key]
        baseline = cls(tuple(d for d in checker.check(document, filename) if d.is_error))
        with _cache_lock:
            _cache[key] = baseline
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
        return baseline


_CACHE_SIZE = 32
_cache: OrderedDict[tuple, Baseline] = OrderedDict()
_cache_lock = threading.Lock()


@dataclass(frozen=True)
class Verdict:
    passed: bool
    new_errors: list[Diagnostic]
    text: str  # the text that was checked: the candidate, or the prefix it was cut to
    fixed: int = 0  # the document's errors after the cursor that are gone with it (a variable used below)


def verify(
    checker: JavaChecker,
    document: str,
    offset: int,
    insert: str,
    baseline: Baseline | None = None,
    filename: str = "Main.java",
    closing: str = "",
) -> Verdict:
    """Check `insert` (then `closing`) spliced into `document` at character `offset`."""
    return verify_many(checker, document, offset, [insert], baseline, filename, closing)[0]


def verify_many(
    checker: JavaChecker,
    document: str,
    offset: int,
    inserts: list[str],
    baseline: Baseline | None = None,
    filename: str = "Main.java",
    closing: str = "",
) -> list[Verdict]:
    """`verify` for several candidates at one cursor, checked in one round trip (in parallel in the JVM).

    `closing` (e.g. "\\n    }", the block's brace that the document lacks) is appended to every candidate
    after the lexical check: the candidate's own brackets must balance, so the closing brace cannot hide a
    block the candidate left open.
    """
    if baseline is None:
        baseline = Baseline.of(checker, document, filename)
    state = lexical.state_at(document, offset)
    verdicts: list[Verdict | None] = [_lexical_verdict(document, offset, text, state) for text in inserts]
    todo = [i for i, verdict in enumerate(verdicts) if verdict is None]
    texts = [document[:offset] + inserts[i] + closing + document[offset:] for i in todo]
    for i, diagnostics in zip(todo, checker.check_many([(text, filename) for text in texts]), strict=True):
        inserted = len(inserts[i]) + len(closing)
        new = new_errors(diagnostics, baseline, offset, inserted)
        verdicts[i] = Verdict(
            not new, new, inserts[i] + closing, fixed_errors(diagnostics, baseline, offset, inserted)
        )
    return verdicts


def verify_with_truncation(
    checker: JavaChecker,
    document: str,
    offset: int,
    insert: str,
    baseline: Baseline | None = None,
    filename: str = "Main.java",
    closing: str = "",
    max_checks: int = 4,
) -> Verdict:
    """Check `insert + closing`; when that fails, cut `insert` back to a statement boundary until it passes.

    `closing` is text the candidate must keep however it is cut, e.g. "\\n}" ending a block body that the
    document lacked. Prefixes are tried longest first, at most `max_checks` of them.
    """
    if baseline is None:
        baseline = Baseline.of(checker, document, filename)
    full = verify(checker, document, offset, insert, baseline, filename, closing)
    if full.passed:
        return full
    state = lexical.state_at(document, offset)
    for prefix in lexical.statement_prefixes(insert, state)[:max_checks]:
        verdict = verify(checker, document, offset, prefix, baseline, filename, closing)
        if verdict.passed:
            return verdict
    return full


def new_errors(
    candidate: list[Diagnostic], baseline: Baseline, offset: int, inserted: int
) -> list[Diagnostic]:
    """The candidate's errors that the baseline lacks, positions after the cursor moved by `inserted`.

    An error is the same when its code, message and moved start agree; its end may move (an error spanning
    the cursor grows with the insertion). An error right at the cursor may refer to the text before it or
    after it, so both places count; "reached end of file" stays at the end of the file. A javac crash is always new: it proves nothing.
    """
    known: set[tuple[str, str, int]] = set()
    for error in baseline.errors:
        known.add((error.code, error.message, _moved(error.start, offset, inserted)))
        if error.start == offset:
            known.add((error.code, error.message, error.start))
    unfinished = any(error.code == PREMATURE_EOF for error in baseline.errors)
    return [
        d
        for d in candidate
        if d.is_error
        and (d.code == CRASH or (d.code, d.message, d.start) not in known)
        and not (unfinished and d.code == PREMATURE_EOF)  # the lexical check catches a candidate's open `{`
    ]


def fixed_errors(candidate: list[Diagnostic], baseline: Baseline, offset: int, inserted: int) -> int:
    """How many of the document's errors after the cursor the candidate makes go away: what the code below
    needs from the missing line (`cannot find symbol: variable n`, a `missing return statement`). SmolLM2
    has no fill-in-the-middle training; this is how the code after the cursor still has a say."""
    now = {(d.code, d.message, d.start) for d in candidate if d.is_error}
    return sum(
        1
        for error in baseline.errors
        if error.start > offset and (error.code, error.message, error.start + inserted) not in now
    )


def _moved(start: int, offset: int, inserted: int) -> int:
    return start + inserted if start >= offset else start


def _lexical_verdict(document: str, offset: int, insert: str, state: str) -> Verdict | None:
    """A failing verdict when the candidate leaves a bracket, string or comment open, else None."""
    found = lexical.problem(insert, state)
    if found is None:
        return None
    index, message = found
    start = offset + index
    line = document.count("\n", 0, offset) + insert.count("\n", 0, index) + 1
    line_start = (document[:offset] + insert[:index]).rfind("\n") + 1
    error = Diagnostic("ERROR", LEXICAL, message, line, start - line_start + 1, start, start + 1)
    return Verdict(False, [error], insert)
