"""The independent judge: a fresh `javac -proc:none` process per check, in a temp dir, and `java -ea` for tests.

Nothing here uses the engine's checker (its warm JVM, its baseline cache, its error matching): a bug there must
show up here as a disagreement.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import tempfile
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from compilot.bench.cases import Case

# Quick JVM start for a one-shot compiler (C1 only, serial GC, class data sharing).
JVM_FLAGS = ("-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC", "-J-Xshare:auto")
# Keep attributing after a syntax error, so "relative" checks compare type errors too.
JAVAC_FLAGS = (
    "-proc:none",
    "-XDrawDiagnostics",
    "-Xmaxerrs",
    "10000",
    "-XDshould-stop.ifError=FLOW",
    "-implicit:none",
    "-encoding",
    "UTF-8",
    "-nowarn",
)
_DIAG = re.compile(
    r"^(?P<file>[^:\n]+\.java):(?P<line>\d+):(?P<col>\d+): (?P<code>compiler\.err\.[\w.]+)(?::\s?(?P<args>.*))?$"
)


def run_javac(
    javac: str,
    source: str,
    filename: str,
    classpath: tuple[str, ...],
    sourcepath: tuple[str, ...],
    jvm_flags: tuple[str, ...] = (),
    timeout: float | None = None,
) -> tuple[list[re.Match], subprocess.CompletedProcess] | str:
    """Compile `source` as `filename` in a fresh `javac` process and temp dir: javac's error lines about that
    file (matches of `_DIAG`) and the process, or a message when it timed out."""
    with tempfile.TemporaryDirectory(prefix="compilot-bench-") as tmp:
        path = Path(tmp) / filename
        path.write_text(source, encoding="utf-8")
        out = Path(tmp) / "classes"
        out.mkdir()
        cmd = [javac, *jvm_flags, *JAVAC_FLAGS, "-d", str(out), "-cp", ":".join(classpath)]
        if sourcepath:
            cmd += ["-sourcepath", ":".join(sourcepath)]
        try:
            process = subprocess.run(
                [*cmd, str(path)], capture_output=True, text=True, timeout=timeout, cwd=tmp
            )
        except subprocess.TimeoutExpired:
            return f"javac timed out after {timeout:.0f} s"
    found = [_DIAG.match(line) for line in (process.stdout + process.stderr).splitlines()]
    return [m for m in found if m and Path(m["file"]).name == filename], process


class JavacMissing(Exception):
    pass


@dataclass(frozen=True)
class JavacError:
    line: int
    code: str
    args: str

    def __str__(self) -> str:
        return f"{self.line}: {self.code}: {self.args}"


@dataclass
class Recheck:
    ok: bool  # no error the document lacked ("strict": no error at all)
    clean: bool  # the file has no error at all
    new_errors: list[str] = field(default_factory=list)
    detail: str = ""  # javac's own output when it did not run normally


def javac_path() -> str:
    path = shutil.which("javac")
    if not path:
        raise JavacMissing("javac not found on PATH (a JDK 17 is needed)")
    return path


class Judge:
    """Runs the independent checks; results are cached by source text (configs often offer the same item)."""

    def __init__(
        self,
        classpath: tuple[str, ...] = (),
        sourcepath: tuple[str, ...] = (),
        timeout: float = 120.0,
        run_timeout: float = 15.0,
    ):
        self.javac = javac_path()
        self.java = str(Path(self.javac).with_name("java"))
        self.classpath = classpath
        self.sourcepath = sourcepath
        self.timeout = timeout
        self.run_timeout = run_timeout
        self._errors: dict[str, list[JavacError] | str] = {}
        self._tests: dict[str, tuple[bool, str]] = {}
        self._lock = threading.Lock()
        self.javac_runs = 0
        self.java_runs = 0

    # ---------------------------------------------------------------- compile

    def errors(self, source: str, filename: str) -> list[JavacError] | str:
        """javac's errors for `source` as `filename`; a string when javac itself failed (crash, timeout)."""
        key = hashlib.sha256((filename + "\0" + source).encode()).hexdigest()
        with self._lock:
            if key in self._errors:
                return self._errors[key]
        result = self._compile(source, filename)
        with self._lock:
            self._errors[key] = result
            self.javac_runs += 1
        return result

    def _compile(self, source: str, filename: str) -> list[JavacError] | str:
        ran = run_javac(
            self.javac, source, filename, self.classpath, self.sourcepath, JVM_FLAGS, self.timeout
        )
        if isinstance(ran, str):
            return ran
        found, process = ran
        errors = [JavacError(int(m["line"]), m["code"], (m["args"] or "").strip()) for m in found]
        if process.returncode != 0 and not errors:
            return f"javac exit {process.returncode}: {(process.stdout + process.stderr).strip()[-500:]}"
        return errors

    def recheck(self, case: Case, item: str) -> Recheck:
        """Does `item` inserted at the case's cursor compile (strict) / add no error the document lacked?"""
        source = case.document[: case.offset] + item + case.document[case.offset :] + case.tail
        after = self.errors(source, case.filename)
        if isinstance(after, str):
            return Recheck(False, False, [after], after)
        clean = not after
        if case.recheck == "strict" or clean:
            return Recheck(clean, clean, [str(e) for e in after])
        before = self.errors(case.document + case.tail, case.filename)
        if isinstance(before, str):
            return Recheck(False, False, [before], before)
        new = new_errors(before, after, case.document, case.offset, item)
        return Recheck(not new, clean, [str(e) for e in new])

    # ---------------------------------------------------------------- tests

    def run_test(self, prompt: str, completion: str, test: str) -> tuple[bool, str]:
        """pass@1 for one HumanEval-X completion: `prompt + completion + "\\n}\\n" + test` as Main.java."""
        source = prompt + completion + "\n}\n" + test
        key = hashlib.sha256(source.encode()).hexdigest()
        with self._lock:
            if key in self._tests:
                return self._tests[key]
        result = self._run(source)
        with self._lock:
            self._tests[key] = result
            self.java_runs += 1
        return result

    def _run(self, source: str) -> tuple[bool, str]:
        with tempfile.TemporaryDirectory(prefix="compilot-bench-test-") as tmp:
            Path(tmp, "Main.java").write_text(source, encoding="utf-8")
            try:
                r = subprocess.run(
                    [
                        self.javac,
                        *JVM_FLAGS,
                        "-proc:none",
                        "-nowarn",
                        "-encoding",
                        "UTF-8",
                        "-cp",
                        "",
                        "-d",
                        tmp,
                        "Main.java",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=self.timeout,
                    cwd=tmp,
                )
            except subprocess.TimeoutExpired:
                return False, "javac timed out"
            if r.returncode != 0:
                return False, "does not compile: " + (r.stdout + r.stderr).strip()[:300]
            try:
                r = subprocess.run(
                    [
                        self.java,
                        "-XX:TieredStopAtLevel=1",
                        "-XX:+UseSerialGC",
                        "-Xshare:auto",
                        "-Xmx256m",
                        "-ea",
                        "-cp",
                        tmp,
                        "Main",
                    ],
                    capture_output=True,
                    text=True,
                    timeout=self.run_timeout,
                    cwd=tmp,
                )
            except subprocess.TimeoutExpired:
                return False, f"timed out after {self.run_timeout:.0f} s"
            if r.returncode != 0:
                return False, f"exit {r.returncode}: " + r.stderr.strip()[-300:]
            return True, ""


def new_errors(
    before: list[JavacError], after: list[JavacError], document: str, offset: int, item: str
) -> list[JavacError]:
    """Errors of the document with `item` inserted that the document alone lacked.

    Matched on (line, code, arguments), lines after the cursor's moved by the item's line breaks; an error on the
    cursor's own line may have stayed or moved with the text after the cursor. Columns are ignored. Each error of
    the document excuses one error of the new file (a multiset difference).
    """
    cursor_line = document.count("\n", 0, offset) + 1
    shift = item.count("\n")
    known = Counter()
    for e in before:
        if e.line < cursor_line:
            known[(e.line, e.code, e.args)] += 1
        elif e.line > cursor_line:
            known[(e.line + shift, e.code, e.args)] += 1
        else:
            known[("cursor", e.code, e.args)] += 1
    out = []
    for e in after:
        key = (e.line, e.code, e.args)
        if known[key] > 0:
            known[key] -= 1
            continue
        if e.line in (cursor_line, cursor_line + shift) and known[("cursor", e.code, e.args)] > 0:
            known[("cursor", e.code, e.args)] -= 1
            continue
        out.append(e)
    return out
