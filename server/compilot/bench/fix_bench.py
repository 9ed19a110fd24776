"""Benchmark of "fix to compile": break a compiling file in one realistic way, ask for fixes, judge them.

Files are HumanEval-X Java solutions (prompt + canonical solution, class Solution only). Each gets ONE seeded
mistake: a missing `;`, `)` or `}`, a misspelt name, a missing import, a wrong declared type, a wrong number
of arguments. The fixer is asked about javac's first error; an independent `javac` judges whether the first
fix compiles and whether it restores the original exactly. "The model alone" (regenerate the erroneous line
once, greedily, unchecked) runs on the same cases for comparison.

    python -m compilot.bench.fix_bench --cases 30 --out fix-bench.json
"""

from __future__ import annotations

import json
import random
import re
import time
from pathlib import Path

from compilot.bench.javac import Judge
from compilot.bench.measure import percentile
from compilot.context import classify
from compilot.context.types import StopRule
from compilot.fix import find_fixes
from compilot.fix import source as src
from compilot.fix.regenerate import cut_points
from compilot.generation.backend import SamplingConfig
from compilot.lexer import IDENT, tokenize
from compilot.settings import Settings

KINDS = ("semicolon", "paren", "brace", "misspell", "import", "type", "args")
FILENAME = "Solution.java"
_JAVA_KEYWORDS = (
    "abstract assert boolean break byte case catch char class const continue default do double else enum "
    "extends final finally float for goto if implements import instanceof int interface long native new "
    "package private protected public return short static strictfp super switch synchronized this throw "
    "throws transient try void volatile while true false null var record yield"
)
_KEYWORDS = frozenset(_JAVA_KEYWORDS.split())
_WRONG_TYPE = {"int": "String", "String": "int", "double": "String", "boolean": "int", "long": "String"}


def load_files(path: Path, n: int) -> list[tuple[str, str]]:
    """(task id, prompt + canonical solution): the class Solution as it compiles, without the test's Main."""
    with open(path, encoding="utf-8") as f:
        problems = [json.loads(line) for line in f if line.strip()]
    return [(p["task_id"], p["prompt"] + p["canonical_solution"] + "\n") for p in problems[:n]]


# ---------------------------------------------------------------------------------------------- mistakes


def _code_lines(text: str) -> list[tuple[int, int]]:
    """Lines of method bodies worth breaking: indented two levels or more, not comments."""
    return [
        (s, e)
        for s, e in src.lines(text)
        if text[s:e].startswith("        ") and not text[s:e].strip().startswith(("*", "/", "//"))
    ]


def _drop_char(text: str, rng: random.Random, char: str, where) -> str | None:
    spots = [p for c, p in src.brackets(text) if c == char and where(p)]
    if not spots:
        return None
    p = rng.choice(spots)
    return text[:p] + text[p + 1 :]


def inject(text: str, kind: str, rng: random.Random) -> str | None:
    """`text` with one mistake of `kind`, or None when the file offers no place for it."""
    body = _code_lines(text)
    in_body = lambda p: any(s <= p < e for s, e in body)  # noqa: E731
    if kind == "semicolon":
        return _drop_char(text, rng, ";", lambda p: in_body(p) and text[p + 1 : p + 2] in ("\n", ""))
    if kind == "paren":
        return _drop_char(text, rng, ")", in_body)
    if kind == "brace":
        closers = [(s, e) for s, e in body if text[s:e].strip() == "}"]
        if not closers:
            return None
        s, e = rng.choice(closers)
        return text[:s] + text[e + 1 :]
    if kind == "misspell":
        return _misspell(text, rng, in_body)
    if kind == "import":
        line = "import java.util.*;\n"
        return text.replace(line, "", 1) if line in text else None
    if kind == "type":
        spots = [
            (m.start(1) + s, m.group(1))
            for s, e in body
            for m in [re.match(r"\s*(int|String|double|boolean|long)\s+\w+\s*=", text[s:e])]
            if m
        ]
        if not spots:
            return None
        at, old = rng.choice(spots)
        return text[:at] + _WRONG_TYPE[old] + text[at + len(old) :]
    if kind == "args":
        return _wrong_arguments(text, rng, in_body)
    raise ValueError(kind)


def _misspell(text: str, rng: random.Random, in_body) -> str | None:
    """Swap two letters of a variable's name at one of its uses (`count` -> `cuont`)."""
    tokens = tokenize(text)
    uses: dict[str, list[int]] = {}
    for i, (kind, word, start) in enumerate(zip(tokens.kinds, tokens.texts, tokens.starts, strict=True)):
        before = tokens.texts[i - 1] if i else ""
        if kind == IDENT and len(word) >= 3 and word not in _KEYWORDS and word[0].islower() and before != ".":
            uses.setdefault(word, []).append(start)
    spots = [(w, p) for w, ps in uses.items() if len(ps) >= 2 for p in ps[1:] if in_body(p)]
    if not spots:
        return None
    word, at = rng.choice(spots)
    k = rng.randrange(1, len(word) - 1)
    wrong = (
        word[:k] + word[k + 1] + word[k] + word[k + 2 :]
        if word[k] != word[k + 1]
        else word[:k] + word[k + 1 :]
    )
    return text[:at] + wrong + text[at + len(word) :]


def _wrong_arguments(text: str, rng: random.Random, in_body) -> str | None:
    """Drop the last argument of a call with two or more, else add one to a call with one."""
    calls = []
    for m in re.finditer(r"\b[a-zA-Z_]\w*\(", text):
        if not in_body(m.start()) or m.group()[:-1] in _KEYWORDS:
            continue
        depth, commas, i = 1, [], m.end()
        while i < len(text) and depth and text[i] != "\n":
            c = text[i]
            depth += (c in "([{") - (c in ")]}")
            if c == "," and depth == 1:
                commas.append(i)
            i += 1
        if depth == 0 and i - 1 > m.end():
            calls.append((m.end(), i - 1, commas))  # argument start, closing paren, top-level commas
    if not calls:
        return None
    start, close, commas = rng.choice(calls)
    if commas:
        return text[: commas[-1]] + text[close:]
    return text[:close] + ", 1" + text[close:]


# ---------------------------------------------------------------------------------------------- running


def model_alone(engine, text: str, error) -> str | None:
    """The erroneous line regenerated once, greedily, with no check: what a plain completion would do."""
    points = cut_points(text, error)
    if not points:
        return None
    cursor, end = points[0]
    document = text[:cursor] + text[end:]
    context = classify(document, cursor, engine.settings.prompt_chars)
    if not context.completes:
        return None
    config = SamplingConfig(samples=1, max_new_tokens=engine.settings.max_new_tokens, temperature=0.0)
    sample = engine.backend.sample(context.prefix, StopRule.LINE, config)[0]
    return text[:cursor] + sample.text.split("\n", 1)[0].rstrip() + text[end:]


def run_fix_bench(engine, files: list[tuple[str, str]], seed: int, budget: float = 20.0, log=None) -> dict:
    """Inject one mistake per file (kinds in turn), fix it, judge with an independent javac."""
    log = log or (lambda msg: None)
    engine.load()
    judge = Judge()
    rng = random.Random(seed)
    cases = []
    for i, (name, original) in enumerate(files):
        if engine.check(original, FILENAME):
            log(f"{name}: does not compile as given; skipped")
            continue
        case = _make_case(engine, name, original, i, rng)
        if case is None:
            log(f"{name}: no place for a mistake; skipped")
            continue
        kind, broken, error = case
        t0 = time.perf_counter()
        fixes = find_fixes(engine, broken, error, FILENAME, limit=3, deadline=time.monotonic() + budget)
        latency = time.perf_counter() - t0
        t1 = time.perf_counter()
        alone = model_alone(engine, broken, error)
        alone_latency = time.perf_counter() - t1
        fixed = [f.apply(broken) for f in fixes]
        compiles = [judge.errors(t, FILENAME) == [] for t in fixed]
        result = {
            "id": name,
            "kind": kind,
            "error": f"{error.line}:{error.column}: {error.message.splitlines()[0]}",
            "offered": [f.title for f in fixes],
            "first_compiles": bool(compiles and compiles[0]),
            "first_restores": bool(fixed and fixed[0] == original),
            "top3_verified": bool(fixes),
            "top3_compiles": any(compiles),
            "top3_restores": original in fixed,
            "latency": latency,
            "model_alone": {
                "compiles": alone is not None and judge.errors(alone, FILENAME) == [],
                "restores": alone == original,
                "latency": alone_latency,
            },
        }
        cases.append(result)
        first = fixes[0].title if fixes else "no fix"
        log(
            f"{name} [{kind}] {result['error']} -> {first} ({latency:.1f} s, compiles={result['first_compiles']})"
        )
    summary = {"fix": _summary(cases), "model_alone": _summary([_alone_row(c) for c in cases])}
    by_kind = {k: _summary([c for c in cases if c["kind"] == k]) for k in KINDS}
    run = {"seed": seed, "budget_s": budget, "summary": summary, "by_kind": by_kind, "cases": cases}
    run["markdown"] = markdown(run)
    return run


def _make_case(engine, name: str, original: str, i: int, rng: random.Random):
    """(kind, broken text, javac's first error): kinds in turn from the i-th, the first that breaks the file."""
    for k in range(len(KINDS)):
        kind = KINDS[(i + k) % len(KINDS)]
        broken = inject(original, kind, random.Random(f"{rng.random()}:{name}:{kind}"))
        if broken is None or broken == original:
            continue
        errors = engine.check(broken, FILENAME)
        if errors:
            return kind, broken, errors[0]
    return None


def _alone_row(case: dict) -> dict:
    a = case["model_alone"]
    return {
        "first_compiles": a["compiles"],
        "first_restores": a["restores"],
        "top3_verified": False,
        "top3_compiles": a["compiles"],
        "latency": a["latency"],
    }


def _summary(rows: list[dict]) -> dict:
    n = len(rows)
    latencies = sorted(r["latency"] for r in rows)

    def share(key: str) -> float | None:
        return sum(bool(r[key]) for r in rows) / n if n else None

    return {
        "cases": n,
        "first_compiles": share("first_compiles"),
        "first_restores": share("first_restores"),
        "top3_verified": share("top3_verified"),
        "top3_compiles": share("top3_compiles"),
        "latency_p50": percentile(latencies, 0.5),
        "latency_p95": percentile(latencies, 0.95),
    }


def markdown(run: dict) -> str:
    """The summary, and the fixer by kind of mistake, as Markdown tables."""

    def pct(v) -> str:
        return "-" if v is None else f"{100 * v:.0f}%"

    def sec(v) -> str:
        return "-" if v is None else f"{v:.2f} s"

    head = (
        "| | cases | first fix compiles | first fix restores original | verified fix in top 3 | p50 | p95 |\n"
    )
    head += "|---|---|---|---|---|---|---|\n"
    rows = [
        ("fix to compile", run["summary"]["fix"]),
        ("model alone (greedy line, unchecked)", run["summary"]["model_alone"]),
    ]
    rows += [(f"fix: {k}", s) for k, s in run["by_kind"].items() if s["cases"]]
    body = "".join(
        f"| {label} | {s['cases']} | {pct(s['first_compiles'])} | {pct(s['first_restores'])} | "
        f"{pct(s['top3_verified']) if label != rows[1][0] else '-'} | {sec(s['latency_p50'])} | {sec(s['latency_p95'])} |\n"
        for label, s in rows
    )
    return head + body


def run_from_args(args, base: Settings, humaneval: Path, log) -> int:
    """`compilot bench --fix` (its arguments are in bench/run.py's one parser)."""
    from compilot.engine import Engine

    with Engine(base.updated({"samples": args.samples})[0] if args.samples else base) as engine:
        run = run_fix_bench(engine, load_files(humaneval, args.cases or 30), args.seed, args.budget, log=log)
    if args.json:
        args.json.write_text(json.dumps(run, indent=2), encoding="utf-8")
    print(run["markdown"])
    return 0
