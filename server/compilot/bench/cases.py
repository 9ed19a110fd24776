"""Benchmark cases: a document, a cursor, and the text the original file had there.

Every case satisfies `document[:offset] + expected + document[offset:] == original`: the document is the original
file with `expected` cut out at the cursor. Pickers are deterministic for a seed.

Case kinds:
- `block`: a HumanEval-X Java prompt (ends right after the method header's `{\\n`, class not closed), cursor at its
  end; expected = the canonical method body and the method's closing `}`. Scored by pass@1 with the problem's test.
- `line`: the complete HumanEval-X file (prompt + canonical solution) with the content of one solution line removed
  (its indentation kept), cursor after the indentation; expected = that line's content.
- `jdk-statement`, `jdk-mid`, `jdk-block` (and `repo-*` for `--repo`): real Java files. A statement line's content
  removed (cursor after its indentation); the rest of a statement line from a token boundary removed; a short
  method body removed (cursor right after the body's `{`, the method's `}` kept on its own line).
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import subprocess
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from compilot.lexer import literals

BLOCK, LINE = "block", "line"
JDK_KINDS = ("jdk-statement", "jdk-mid", "jdk-dot", "jdk-block")


@dataclass
class Case:
    id: str
    kind: str  # block, line, jdk-statement, jdk-mid, jdk-dot, jdk-block, repo-statement, ...
    document: str
    offset: int
    expected: str
    filename: str
    # Added after the document when the independent javac re-checks it: the HumanEval prompt leaves the class
    # open, so "\n}\n" closes it. Empty for complete files.
    tail: str = ""
    # "strict": document + item + tail must compile with no error at all (block cases: the file is whole again);
    # "relative": the item may add no error the document lacks (line and jdk cases; the gap may leave errors).
    recheck: str = "relative"
    task: dict = field(default_factory=dict)  # block cases: prompt, test, canonical completion (pass@1)

    @property
    def original(self) -> str:
        return self.document[: self.offset] + self.expected + self.document[self.offset :]

    @property
    def is_block(self) -> bool:
        return self.kind == BLOCK or self.kind.endswith("-block")

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "kind": self.kind,
            "offset": self.offset,
            "expected": self.expected,
            "filename": self.filename,
        }


# ---------------------------------------------------------------------------------------------- HumanEval-X


def default_humaneval_path(repo_root: Path) -> Path:
    env = os.environ.get("COMPILOT_HUMANEVAL")
    if env:
        return Path(env)
    return (repo_root / ".." / "shared" / "data" / "humanevalx_java.jsonl").resolve()


def load_humaneval(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def canonical_completion(problem: dict) -> str:
    """The canonical method body and the method's `}` (the canonical solution minus the class's `}`)."""
    solution = problem["canonical_solution"].rstrip()
    assert solution.endswith("}"), problem["task_id"]
    return solution[:-1].rstrip()


def humaneval_block_cases(problems: list[dict], n: int) -> list[Case]:
    """The first `n` problems, in file order (the engine issue's "first 40 prompts")."""
    cases = []
    for p in problems[:n]:
        prompt = p["prompt"]
        cases.append(
            Case(
                id=p["task_id"],
                kind=BLOCK,
                document=prompt,
                offset=len(prompt),
                expected=canonical_completion(p),
                filename="Solution.java",
                tail="\n}\n",
                recheck="strict",
                task={"prompt": prompt, "test": p["test"], "canonical": canonical_completion(p)},
            )
        )
    return cases


def eligible_solution_line(content: str) -> bool:
    """A solution line worth completing: code that a line completion can produce (not `}`, not a comment)."""
    s = content.strip()
    return bool(s) and not s.startswith(("}", "//", "/*", "*"))


def humaneval_line_cases(problems: list[dict], n: int, seed: int) -> list[Case]:
    """`n` line cases: problems in a seeded order, one seeded line of each (then a second round, ...)."""
    rng = random.Random(seed)
    order = list(range(len(problems)))
    rng.shuffle(order)
    per_problem: dict[int, list[tuple[int, int, int]]] = {}
    for i in order:
        p = problems[i]
        full = p["prompt"] + p["canonical_solution"]
        start = len(p["prompt"])
        lines = []
        for m in re.finditer(r"[^\n]*", full[start:]):
            if m.start() > 0 and full[start + m.start() - 1] != "\n":
                continue  # finditer's empty match right after a line
            line_start, line_end = start + m.start(), start + m.end()
            content = full[line_start:line_end]
            if eligible_solution_line(content):
                indent = len(content) - len(content.lstrip(" \t"))
                lines.append((line_start + indent, line_end, i))
        rng.shuffle(lines)
        per_problem[i] = lines
    cases: list[Case] = []
    round_ = 0
    while len(cases) < n and any(len(v) > round_ for v in per_problem.values()):
        for i in order:
            if len(cases) >= n:
                break
            if len(per_problem[i]) <= round_:
                continue
            begin, end, _ = per_problem[i][round_]
            p = problems[i]
            full = p["prompt"] + p["canonical_solution"]
            line_no = full.count("\n", 0, begin) + 1
            cases.append(
                Case(
                    id=f"{p['task_id']}:L{line_no}",
                    kind=LINE,
                    document=full[:begin] + full[end:],
                    offset=begin,
                    expected=full[begin:end],
                    filename="Solution.java",
                )
            )
        round_ += 1
    return cases


# ---------------------------------------------------------------------------------------------- Java files


def code_mask(text: str) -> bytearray:
    """1 for each character of code, 0 inside comments and string/char literals (text blocks included)."""
    mask = bytearray(b"\x01") * len(text)
    for _, start, end, _ in literals(text):
        mask[start:end] = bytes(end - start)
    return mask


_HEADER = re.compile(
    r"^(?P<indent>[ \t]*)(?:@\w+(?:\([^)]*\))?\s+)*"
    r"(?:(?:public|protected|private|static|final|synchronized|abstract|default|strictfp)\s+)*"
    r"(?:<[^>]*>\s+)?[\w.<>\[\]?, ]*[\w>\]]\s+\w+\s*\([^;{}]*\)\s*(?:throws\s+[\w., ]+)?\{\s*$"
)
_CONTROL = (
    "if",
    "for",
    "while",
    "switch",
    "try",
    "catch",
    "else",
    "do",
    "synchronized",
    "return",
    "new",
    "throw",
)


@dataclass
class _Line:
    start: int  # offset of the line's first character
    code_start: int  # after the indentation
    end: int  # offset of the line break (or the end of the text)
    content: str  # without the indentation


def _lines(text: str) -> list[_Line]:
    out, pos = [], 0
    for raw in text.split("\n"):
        stripped = raw.lstrip(" \t")
        out.append(_Line(pos, pos + len(raw) - len(stripped), pos + len(raw), stripped.rstrip()))
        pos += len(raw) + 1
    return out


def _balanced(s: str) -> bool:
    depth = 0
    for c in s:
        if c in "([":
            depth += 1
        elif c in ")]":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def statement_lines(text: str) -> list[_Line]:
    """Lines that hold one whole statement inside a body: code, indented, ending with `;`, starting fresh."""
    mask = code_mask(text)
    lines = _lines(text)
    out = []
    prev_code_end = ""
    for line in lines:
        content = line.content
        if not content:
            continue
        is_code = mask[line.code_start] == 1
        if (
            is_code
            and line.code_start - line.start >= 8
            and content.endswith(";")
            and mask[line.code_start + len(content) - 1] == 1
            and not content.startswith(("}", "@", "case ", "default"))
            and "{" not in content
            and "}" not in content
            and _balanced(content)
            and prev_code_end in (";", "{", "}")
            and len(content) > 3
        ):
            out.append(line)
        for k in range(line.end - 1, line.start - 1, -1):
            if mask[k] == 1 and not text[k].isspace():
                prev_code_end = text[k]
                break
    return out


def mid_positions(text: str, line: _Line) -> list[int]:
    """Token boundaries inside a statement line where the rest of the line is worth completing."""
    mask = code_mask(text)
    content = line.content
    out = []
    for k in range(1, len(content) - 2):
        prev, cur = content[k - 1], content[k]
        pos = line.code_start + k
        if mask[pos] != 1 or mask[pos - 1] != 1 or cur.isspace():
            continue
        if (prev in "(.=," or prev == " ") and len(content[k:].rstrip(";").strip()) >= 8:
            out.append(pos)
    return out


def dot_positions(text: str, line: _Line) -> list[int]:
    """Just after a member access's dot in a statement line (`items.|add(x)`): where the next identifier is
    the model's to name (the measure Monitor-Guided Decoding reports)."""
    mask = code_mask(text)
    content = line.content
    out = []
    for k in range(2, len(content) - 2):
        pos = line.code_start + k
        before = content[k - 2]
        if content[k - 1] != "." or mask[pos] != 1 or mask[pos - 1] != 1:
            continue
        if (
            (before.isalnum() or before in "_$)]")
            and not before.isdigit()
            and (content[k].isalpha() or content[k] in "_$")
        ):
            out.append(pos)
    return out


def method_bodies(text: str, max_lines: int = 10) -> list[tuple[int, int]]:
    """(after `{`, before the `\\n` of the closing line) of single-line-header methods with a short body."""
    mask = code_mask(text)
    lines = _lines(text)
    out = []
    for i, line in enumerate(lines):
        raw = text[line.start : line.end]
        m = _HEADER.match(raw)
        if not m or mask[line.code_start] != 1 or line.content.split("(")[0].split()[-1:] == []:
            continue
        first_word = line.content.split()[0]
        if first_word in _CONTROL or "=" in line.content.split("(")[0] or " class " in f" {line.content}":
            continue
        brace = line.start + len(raw.rstrip()) - 1
        if text[brace] != "{" or mask[brace] != 1:
            continue
        closing = m.group("indent") + "}"
        body_lines = 0
        for j in range(i + 1, len(lines)):
            other = text[lines[j].start : lines[j].end]
            if other.rstrip() == closing:
                if 1 <= body_lines <= max_lines:
                    out.append((brace + 1, lines[j].start - 1))
                break
            if other.strip():
                body_lines += 1
                if len(other) - len(other.lstrip(" \t")) <= len(m.group("indent")):
                    break  # dedented before the closing brace: not the layout we understand
    return out


# The context kinds (compilot.context.classify) a case of each kind must have in its document: the cases test
# completions where the engine offers one, and the heuristics above only narrow the search.
_WANTED_CONTEXT = {
    "statement": ("statement",),
    "mid": ("mid_statement", "member_access"),
    "dot": ("member_access",),
    "block": ("block_body",),
}


def _context_kind(case: Case) -> str:
    from compilot.context import classify

    return classify(case.document, case.offset).kind.value


def file_cases(text: str, filename: str, source_id: str, prefix: str, rng: random.Random, kinds) -> dict:
    """At most one case of each kind from one file: kind -> Case."""
    spans: dict[str, list[tuple[int, int]]] = {}
    stmts = statement_lines(text)
    if f"{prefix}-statement" in kinds:
        spans["statement"] = [(line.code_start, line.end) for line in stmts]
    if f"{prefix}-mid" in kinds:
        spans["mid"] = [(p, line.end) for line in stmts for p in mid_positions(text, line)]
    if f"{prefix}-dot" in kinds:
        spans["dot"] = [(p, line.end) for line in stmts for p in dot_positions(text, line)]
    if f"{prefix}-block" in kinds:
        spans["block"] = method_bodies(text)
    out = {}
    for short, options in spans.items():
        options = list(options)
        rng.shuffle(options)
        for begin, end in options[:8]:
            case = cut(text, begin, end, f"{prefix}-{short}", filename, source_id)
            if _context_kind(case) in _WANTED_CONTEXT[short]:
                out[case.kind] = case
                break
    return out


def cut(text: str, begin: int, end: int, kind: str, filename: str, source_id: str) -> Case:
    """The case of `text` with `text[begin:end]` cut out, the cursor where it was (id: source:line:column)."""
    line_no = text.count("\n", 0, begin) + 1
    col = begin - (text.rfind("\n", 0, begin) + 1) + 1
    return Case(
        id=f"{source_id}:{line_no}:{col}",
        kind=kind,
        document=text[:begin] + text[end:],
        offset=begin,
        expected=text[begin:end],
        filename=filename,
    )


def compiles_with(checker) -> Callable[[str, str], bool]:
    """`pick_file_cases`'s test, on a warm checker: the file has no javac error (a checker failure: no)."""

    def compiles(text: str, filename: str) -> bool:
        try:
            return not any(d.is_error for d in checker.check(text, filename))
        except Exception:
            return False

    return compiles


def pick_file_cases(
    sources: Iterator[tuple[str, str, str]],
    n: int,
    kinds: tuple[str, ...],
    prefix: str,
    seed: int,
    compiles: Callable[[str, str], bool],
    max_files: int = 400,
) -> tuple[list[Case], dict]:
    """Up to `n` cases of each kind from (source id, filename, text) files that `compiles` accepts unchanged."""
    rng = random.Random(seed)
    found: dict[str, list[Case]] = {k: [] for k in kinds}
    stats = {"files_tried": 0, "files_compiling": 0, "files_used": 0}
    for source_id, filename, text in sources:
        if all(len(v) >= n for v in found.values()) or stats["files_tried"] >= max_files:
            break
        wanted = tuple(k for k in kinds if len(found[k]) < n)
        if not (statement_lines(text) or method_bodies(text)):
            continue
        stats["files_tried"] += 1
        if not compiles(text, filename):
            continue
        stats["files_compiling"] += 1
        got = file_cases(text, filename, source_id, prefix, rng, wanted)
        for kind, case in got.items():
            found[kind].append(case)
        stats["files_used"] += bool(got)
    return [c for k in kinds for c in found[k]], stats


# ---------------------------------------------------------------------------------------------- JDK sources

JDK_PACKAGE = "openjdk-17-source"


def jdk_cache_dir() -> Path:
    return Path(os.environ.get("COMPILOT_BENCH_CACHE", Path.home() / ".cache" / "compilot" / "bench"))


class JdkSourceUnavailable(Exception):
    pass


def jdk_src_zip(cache: Path | None = None) -> Path:
    """The JDK's src.zip from the Debian package openjdk-17-source, downloaded (not installed) once."""
    cache = cache or jdk_cache_dir()
    found = sorted(cache.glob("x/**/src.zip"))
    if found:
        return found[0]
    cache.mkdir(parents=True, exist_ok=True)
    debs = sorted(cache.glob(f"{JDK_PACKAGE}_*.deb"))
    if not debs:
        if not shutil.which("apt-get"):
            raise JdkSourceUnavailable("apt-get is not available to download openjdk-17-source")
        r = subprocess.run(
            ["apt-get", "download", JDK_PACKAGE], cwd=cache, capture_output=True, text=True, timeout=600
        )
        debs = sorted(cache.glob(f"{JDK_PACKAGE}_*.deb"))
        if not debs:
            raise JdkSourceUnavailable(f"`apt-get download {JDK_PACKAGE}` failed: {r.stderr.strip()[-300:]}")
    r = subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(cache / "x")], capture_output=True, text=True)
    found = sorted(cache.glob("x/**/src.zip"))
    if not found:
        raise JdkSourceUnavailable(f"no src.zip inside {debs[-1].name}: {r.stderr.strip()[-300:]}")
    return found[0]


_PACKAGE = re.compile(r"^package\s+([\w.]+)\s*;", re.M)


def relocate_jdk_source(text: str) -> str | None:
    """The file moved out of its module so javac takes it standalone: `package java.util;` becomes
    `package bench.java.util; import java.util.*;` (same line, so line numbers do not move)."""
    m = _PACKAGE.search(text)
    if not m:
        return None
    return text[: m.start()] + f"package bench.{m.group(1)}; import {m.group(1)}.*;" + text[m.end() :]


def jdk_sources(
    src_zip: Path, seed: int, module_prefix: str = "java.base/java/"
) -> Iterator[tuple[str, str, str]]:
    with zipfile.ZipFile(src_zip) as z:
        names = sorted(
            n
            for n in z.namelist()
            if n.startswith(module_prefix)
            and n.endswith(".java")
            and not n.endswith(("package-info.java", "module-info.java"))
        )
        random.Random(seed).shuffle(names)
        for name in names:
            text = relocate_jdk_source(z.read(name).decode("utf-8", "replace"))
            if text is None or not 30 <= text.count("\n") <= 1500:
                continue
            yield name, name.rsplit("/", 1)[1], text


def repo_sources(root: Path, seed: int) -> Iterator[tuple[str, str, str]]:
    files = sorted(p for p in root.rglob("*.java") if p.is_file() and ".git" not in p.parts)
    random.Random(seed).shuffle(files)
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if text.count("\n") <= 3000:
            yield str(path.relative_to(root)), path.name, text
