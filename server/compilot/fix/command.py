"""`compilot fix FILE`: what the command prints and writes. Nothing is written without `--write`, and never
over uncommitted git changes without `--force`; the original is kept as FILE.orig."""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from pathlib import Path

from compilot.fix.batch import Outcome, fix_all


class Refused(Exception):
    """Why the file is left alone; the CLI prints it as one line."""


def run(
    engine, path: Path, text: str, line: int | None, write: bool, as_json: bool, force: bool, out, err
) -> int:
    """Fix `path` (holding `text`); 0 when no targeted error is left, 1 otherwise."""
    if write and not force:
        dirty = uncommitted(path)
        if dirty:
            raise Refused(f"{path} has uncommitted changes ({dirty}); commit them or pass --force")
    outcome = fix_all(engine, text, str(path.resolve()), line)  # the whole path: its module's class path
    backup = None
    if write and outcome.text != text:
        if path.read_bytes() != text.encode("utf-8"):
            raise Refused(f"{path} changed while fixes were computed; nothing written")
        backup = write_with_backup(path, outcome.text)
    if as_json:
        print(json.dumps(_json(path, outcome, backup), indent=2), file=out)
    else:
        _print(path, outcome, line, out)
    fixed = sum(s.fix is not None for s in outcome.steps)
    done = f"written, original kept as {backup}" if backup else "not written (pass --write)" if fixed else ""
    print(
        f"{fixed} fix(es), {len(outcome.remaining)} error(s) left" + (f"; {done}" if done else ""), file=err
    )
    return 1 if outcome.remaining else 0


def uncommitted(path: Path) -> str:
    """`git status --porcelain` of the file ('' when clean, or when it is in no git work tree)."""
    try:
        done = subprocess.run(
            ["git", "status", "--porcelain", "--", path.name],
            cwd=path.resolve().parent,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def write_with_backup(path: Path, text: str) -> Path:
    """Keep the original as FILE.orig (FILE.orig.1, ... when taken), then replace the file in one step."""
    backup = path.with_name(path.name + ".orig")
    n = 0
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.name}.orig.{n}")
    backup.write_bytes(path.read_bytes())
    tmp = path.with_name(f".{path.name}.compilot-{os.getpid()}")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return backup


def diff(before: str, after: str, name: str) -> str:
    lines = difflib.unified_diff(
        before.splitlines(keepends=True), after.splitlines(keepends=True), f"a/{name}", f"b/{name}"
    )
    return "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )


def _where(path: Path, step) -> str:
    e = step.error
    return f"{path}:{e.line}:{e.column}: error: {e.message.splitlines()[0]}"


def _print(path: Path, outcome: Outcome, line: int | None, out) -> None:
    """One unified diff per fix (each against the text the fixes before it left), `#` lines around them."""
    if not outcome.steps:
        print(f"# {path}: no errors to fix" + (f" on line {line}" if line else ""), file=out)
    for step in outcome.steps:
        print(f"# {_where(path, step)}", file=out)
        if step.fix is None:
            print("# no verified fix found", file=out)
            continue
        print(f"# {step.fix.title}", file=out)
        print(diff(step.before, step.after, path.name), end="", file=out)


def _json(path: Path, outcome: Outcome, backup: Path | None) -> dict:
    return {
        "file": str(path),
        "fixes": [
            {
                "line": s.error.line,
                "column": s.error.column,
                "code": s.error.code,
                "message": s.error.message,
                "fix": None
                if s.fix is None
                else {
                    "title": s.fix.title,
                    "start": s.fix.start,
                    "end": s.fix.end,
                    "replacement": s.fix.replacement,
                    "score": round(s.fix.score, 4),
                },
                "diff": diff(s.before, s.after, path.name) if s.fix else "",
            }
            for s in outcome.steps
        ],
        "remaining_errors": [
            {"line": e.line, "column": e.column, "message": e.message} for e in outcome.remaining
        ],
        "written": backup is not None,
        "backup": str(backup) if backup else None,
    }
