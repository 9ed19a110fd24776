"""`compilot bench --build FOLDER`: what reading the build changes on a real project, before and after.

*Before*: the source roots found in the folder and no jars (Compilot until build awareness); *after*: the
modules, class paths and releases `project/discover.py` reads from the build, and dependency gaps told once
instead of published (verification/gaps.py). On the files an independent javac compiles with the build's
class path, it counts the diagnostics each would publish (target 0), then completes statement lines of those
files with both and counts the candidates rejected only for the missing class path: those that fail before
and pass, in the same place, with the build's paths.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from compilot.bench.cases import pick_file_cases
from compilot.bench.javac import javac_path
from compilot.project.discover import Workspace, discover
from compilot.project.sources import find_source_roots
from compilot.settings import Settings
from compilot.verification.checker import JavaChecker
from compilot.verification.gaps import file_gaps
from compilot.verification.verifier import Baseline, verify

# javac's plain error lines name each file by the path it was given; the judge's -XDrawDiagnostics (bench/javac.py)
# names only its base name, too little when one run compiles a whole source set
_ERROR_LINE = re.compile(r"^(/.*?\.java):\d+: error:", re.M)


def compiling_files(workspace: Workspace) -> tuple[list[str], list[str]]:
    """(files an independent javac compiles with their module's paths, all files), by one javac run per
    module and source set."""
    everything, failing = [], set()
    for module in workspace.modules:
        for roots in (module.main_sources, module.test_sources):
            files = [
                str(p)
                for root in roots
                for p in sorted(Path(root).rglob("*.java"))
                if p.name not in ("module-info.java", "package-info.java")
            ]
            if not files:
                continue
            everything += files
            paths = workspace.paths_for(files[0])
            with tempfile.TemporaryDirectory() as out:
                command = [
                    javac_path(),
                    "-proc:none",
                    "-implicit:none",
                    "-nowarn",
                    "-Xmaxerrs",
                    "100000",
                    "-d",
                    out,
                ]
                command += ["-cp", ":".join(paths.classpath), "-sourcepath", ":".join(paths.sourcepath)]
                if paths.release is not None:
                    command += ["--release", str(paths.release)]
                run = subprocess.run(command + files, capture_output=True, text=True)
            failing.update(_ERROR_LINE.findall(run.stderr))
    return [f for f in everything if f not in failing], everything


def run_build_bench(
    folder: Path, cases: int, seed: int, settings: Settings, log: Callable[[str], None]
) -> dict:
    build = discover([str(folder)])
    if not build.modules:
        raise ValueError(f"{folder}: no build or Java sources found")
    roots = tuple(find_source_roots(folder))
    log(
        f"compilot bench --build: {len(build.modules)} module(s); checking the files with an independent javac"
    )
    good, everything = compiling_files(build)
    log(f"compilot bench --build: {len(good)} of {len(everything)} files compile with the build's class path")
    before_checker = JavaChecker(sourcepath=roots)  # what the checker was given before: roots, no jars
    after_checker = JavaChecker(project=build.paths_for)
    published = {"before": 0, "after": 0, "files_before": 0, "files_after": 0}
    try:
        for path in good:
            text = Path(path).read_text(encoding="utf-8", errors="replace")
            before = [d for d in before_checker.check(text, path) if d.is_error]
            after = [
                d for d in file_gaps(after_checker.check(text, path), text, build, path).kept if d.is_error
            ]
            published["before"] += len(before)
            published["after"] += len(after)
            published["files_before"] += bool(before)
            published["files_after"] += bool(after)
        completions = _completions(build, roots, good, cases, seed, settings, after_checker, log)
    finally:
        before_checker.close()
        after_checker.close()
    return {
        "bench": "build",
        "folder": str(folder),
        "modules": [
            {"name": m.name, "tool": m.tool, "jars": len(m.test_classpath), "missing": list(m.missing)}
            for m in build.modules
        ],
        "files": len(everything),
        "files_compiling": len(good),
        "published": published,
        "completions": completions,
    }


def _completions(build, roots, good, cases, seed, settings, after_checker, log) -> dict:
    """Statement lines of compiling files, completed before (roots only) and after (the build's paths)."""
    from compilot.engine import Engine

    sources = ((path, path, Path(path).read_text(encoding="utf-8", errors="replace")) for path in good)
    picked, _ = pick_file_cases(sources, cases, ("repo-statement",), "repo", seed, lambda text, name: True)
    settings = settings.updated({"line_seconds": 0})[0]
    engines = {
        "before": Engine(settings.updated({"sourcepath": list(roots)})[0]),
        "after": Engine(settings, build),
    }
    totals = {
        name: {"offered": 0, "candidates": 0, "rejected": 0, "rejected_for_class_path": 0} for name in engines
    }
    try:
        for engine in engines.values():
            engine.load()
        for i, case in enumerate(picked, 1):
            for name, engine in engines.items():
                t0 = time.perf_counter()
                result = engine.complete(case.document, case.offset, filename=case.filename)
                row = totals[name]
                row["offered"] += bool(result.items)
                for c in result.candidates:
                    row["candidates"] += 1
                    if c.verdict != "fail":
                        continue
                    row["rejected"] += 1
                    baseline = Baseline.of(after_checker, case.document, case.filename)
                    verdict = verify(
                        after_checker, case.document, case.offset, c.text, baseline, case.filename
                    )
                    row["rejected_for_class_path"] += verdict.passed
                log(
                    f"  [{i}/{len(picked)}] {name}: {len(result.items)} offered ({time.perf_counter() - t0:.1f} s)"
                )
    finally:
        for engine in engines.values():
            engine.close()
    return {"cases": len(picked), **totals}


def console(run: dict) -> str:
    p, c = run["published"], run["completions"]
    lines = [
        f"build bench on {run['folder']}: {run['files_compiling']} of {run['files']} files compile with the build's class path",
        *(
            f"  module {m['name']} ({m['tool']}): {m['jars']} jars, missing {', '.join(m['missing']) or 'none'}"
            for m in run["modules"]
        ),
        f"  diagnostics published on those files: before {p['before']} (on {p['files_before']} files), after {p['after']} (on {p['files_after']} files)",
        f"  statement-line completions ({c['cases']} cases):",
    ]
    for name in ("before", "after"):
        row = c[name]
        share = row["rejected_for_class_path"] / row["candidates"] if row["candidates"] else 0.0
        lines.append(
            f"    {name}: offered {row['offered']}/{c['cases']}; {row['rejected']} of {row['candidates']} candidates "
            f"rejected, {row['rejected_for_class_path']} ({share:.1%} of all) only for the class path"
        )
    return "\n".join(lines)


def markdown_section(run: dict, label: str) -> str:
    m = run["meta"]
    date = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(m["started"]))
    body = "\n".join("    " + line for line in console(run).splitlines())
    return (
        f"<!-- bench:{label} -->\n## Run `{label}` (build awareness)\n\n"
        f"- Command: `{m['command']}`\n- Date: {date}; commit {m['commit']}; wall time {m['wall_s'] / 60:.1f} min\n"
        "- Before: the source roots found in the folder, no jars, every javac error published. After: the "
        "build's modules, class paths and release, and errors that follow from a missing dependency told once "
        "instead of published. Files: those an independent javac compiles with the build's class path. "
        "Completions: statement lines of those files (engine, no time limit), `rejected only for the class "
        "path`: a candidate that fails and passes with the build's paths at the same place.\n\n"
        f"{body}\n<!-- /bench:{label} -->\n"
    )
