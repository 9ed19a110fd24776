"""Ask the model to write the erroneous line again, conditioned on the code before it.

The line is cut out (its indentation kept), the cursor put where its code started, and a LINE completion drawn
with the engine's guarded sampler (greedy first, then samples); each candidate replaces the old line. A second
cut keeps the line up to the error and regenerates only the rest, which suits a wrong name or argument list.
"""

from __future__ import annotations

import threading

from compilot.context import classify
from compilot.context.types import StopRule
from compilot.fix import source
from compilot.fix.edits import Fix, minimal
from compilot.settings import Settings
from compilot.verification.diagnostics import Diagnostic


def cut_points(text: str, d: Diagnostic) -> list[tuple[int, int]]:
    """(cursor, line end) pairs to regenerate from: the start of the line's code, then the error's start."""
    if d.line <= 0:
        return []
    start, end = source.line_bounds(text, d.line)
    if start < 0:
        return []
    code = source.content_start(text, start, end)
    old = text[code:end].strip()
    if not old or old in ("}", "{", "};") or old.startswith(("//", "/*", "*", "import ", "package ")):
        return []
    points = [(code, end)]
    if code < d.start < end and text[code : d.start].strip():
        points.append((d.start, end))
    return points


def line_fixes(
    sampler,
    settings: Settings,
    text: str,
    d: Diagnostic,
    cursor: int,
    end: int,
    cancel: threading.Event | None,
) -> list[Fix]:
    """Candidates that replace `text[cursor:end]` with what the model writes at `cursor` instead."""
    document = text[:cursor] + text[end:]
    context = classify(document, cursor, settings.prompt_chars)
    if not context.completes:
        return []
    config = settings.sampling(settings.max_new_tokens)
    line_start = text.rfind("\n", 0, cursor) + 1
    kept = text[source.content_start(text, line_start, end) : cursor]
    old = text[cursor:end]
    opened = source.delta(old, "{", "}")
    fixes = []
    for sample in sampler.sample(context.prefix, StopRule.LINE, config, cancel):
        new = sample.text.split("\n", 1)[0].rstrip()
        if not new.strip() or new == old.rstrip() or source.delta(new, "{", "}") != opened:
            continue
        title = f"Fix to compile: replace line {d.line} with `{(kept + new).strip()}`"
        fixes.append(minimal(Fix(title, cursor, end, new, sample.mean_logprob), text))
    return fixes
