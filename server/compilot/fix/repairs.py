"""Cheap repairs tried before the model: a missing token where javac expected it, a missing `)` or `}`,
a misspelled name, a declared type that does not fit its value.

Each is a guess; none is offered unless javac confirms it (see `verify`). Guessing several places is cheap, so
the rules propose more than one when the right place is ambiguous.
"""

from __future__ import annotations

import re

from compilot.context.indent import indent_unit
from compilot.context.lexer import IDENT, tokenize
from compilot.fix import source
from compilot.fix.edits import Fix
from compilot.verification.diagnostics import Diagnostic

_EXPECTED = (
    "compiler.err.expected",
    "compiler.err.expected2",
    "compiler.err.expected3",
    "compiler.err.expected4",
)
_INSERTABLE = (";", ")", "]", "}", "(", ",", ">", "=")
_SYMBOL = re.compile(r"symbol:\s+(class|variable|method) ([\w$]+)")
_CONVERSION = re.compile(
    r"incompatible types: (?:possible lossy conversion from )?(\S+?)(?: cannot be converted)? to (\S+)"
)
_PRIMITIVES = {"int", "long", "double", "float", "boolean", "char", "byte", "short"}


def repairs(text: str, d: Diagnostic, names: tuple[str, ...] = ()) -> list[Fix]:
    """Every rule-based guess for diagnostic `d`, in the order worth trying; `names` are known type names."""
    return [
        *expected_token(text, d),
        *missing_paren(text, d),
        *missing_brace(text),
        *misspelled(text, d, names),
        *declared_type(text, d),
    ]


def _insert(offset: int, token: str, title: str) -> Fix:
    return Fix(title, offset, offset, token, 0.0)


def expected_token(text: str, d: Diagnostic) -> list[Fix]:
    """javac says `';' expected` (or "`(` or `[` expected") at the very place the token is missing."""
    if d.code not in _EXPECTED or d.start < 0:
        return []
    tokens = [t for t in re.findall(r"'([^']+)'", d.message) if t in _INSERTABLE]
    return [_insert(d.start, t, f"Fix to compile: insert `{t}` at line {d.line}") for t in tokens]


def missing_paren(text: str, d: Diagnostic) -> list[Fix]:
    """A line with more `(` than `)`: close it before its `;`, before its `{`, or at its end."""
    if d.line <= 0:
        return []
    start, end = source.line_bounds(text, d.line)
    if start < 0 or source.delta(text[start:end], "(", ")") <= 0:
        return []
    code = text[start:end].rstrip()
    places = []
    if d.start >= 0 and start <= d.start <= end:
        places.append(d.start)
    for tail in (";", "{"):
        if code.endswith(tail):
            places.append(start + len(code[:-1].rstrip()))
    places.append(start + len(code))
    title = f"Fix to compile: insert `)` at line {d.line}"
    return [_insert(p, ")", title) for p in dict.fromkeys(places)]


def missing_brace(text: str) -> list[Fix]:
    """More `{` than `}`: close the blocks where the indentation says they ended (before the first line indented
    less than its brace depth, after the code above it), or else at the end of the file."""
    depths = source.depth_at_lines(text)
    if depths[-1] <= 0:
        return []
    unit = indent_unit(text)
    width = len(unit.expandtabs(4))
    spans = source.lines(text)
    fixes = []
    last_code = -1  # index of the last non-blank line seen
    for i, (start, end) in enumerate(spans):
        line = text[start:end]
        body = line.lstrip(" \t")
        if not body or body.startswith(("*", "//")):
            continue
        level = len(line[: len(line) - len(body)].expandtabs(4)) // width
        expected = level + (1 if body.startswith("}") else 0)
        if depths[i] > expected and last_code >= 0:
            closing = "".join(unit * k + "}\n" for k in range(depths[i] - 1, expected - 1, -1))
            title = f"Fix to compile: insert `}}` before line {i + 1}"
            fixes += [_insert(p, closing, title) for p in dict.fromkeys((spans[last_code][1] + 1, start))]
            break
        last_code = i
    closing = "".join(unit * k + "}\n" for k in range(depths[-1] - 1, -1, -1))
    written = [end for start, end in spans if text[start:end].strip()]
    end = written[-1] if written else 0
    at, closing = (end + 1, closing) if end < len(text) else (end, "\n" + closing)
    return [*fixes, _insert(at, closing, "Fix to compile: insert `}` at the end of the file")]


def misspelled(text: str, d: Diagnostic, names: tuple[str, ...] = ()) -> list[Fix]:
    """`cannot find symbol` for a name within two typos of one the file (or `names`) uses: take that one."""
    match = _SYMBOL.search(d.message)
    if not d.code.startswith("compiler.err.cant.resolve") or match is None or d.start < 0:
        return []
    wrong = match.group(2)
    at = (
        d.start
        if text.startswith(wrong, d.start)
        else text.find(wrong, d.start, max(d.end, d.start + len(wrong)))
    )
    if at < 0:
        return []
    tokens = tokenize(text)
    counts: dict[str, int] = {}
    for kind, word in zip(tokens.kinds, tokens.texts, strict=True):
        if kind == IDENT:
            counts[word] = counts.get(word, 0) + 1
    for name in names:
        counts.setdefault(name, 0)
    limit = 1 if len(wrong) <= 4 else 2
    close = [
        (distance(wrong, w), -n, w)
        for w, n in counts.items()
        if w != wrong and abs(len(w) - len(wrong)) <= limit
    ]
    close = sorted(c for c in close if c[0] <= limit)[:3]
    return [
        Fix(f"Fix to compile: change `{wrong}` to `{w}`", at, at + len(wrong), w, 0.0) for _, _, w in close
    ]


def declared_type(text: str, d: Diagnostic) -> list[Fix]:
    """`incompatible types: int cannot be converted to String` in `String s = ...`: declare it an `int`."""
    match = _CONVERSION.search(d.message)
    if d.code != "compiler.err.prob.found.req" or match is None or d.line <= 0:
        return []
    found, required = (_simple(t) for t in match.groups())
    if found in ("<null>", "void") or not re.fullmatch(r"[\w$.<>\[\], ?]+", found):
        return []
    start, end = source.line_bounds(text, d.line)
    decl = re.search(rf"(?<![\w$.])({re.escape(required)})\s+[\w$]+\s*=", text[start:end])
    if decl is None:
        return []
    at = start + decl.start(1)
    title = f"Fix to compile: change `{required}` to `{found}`"
    return [Fix(title, at, at + len(required), found, 0.0)]


def _simple(java_type: str) -> str:
    """`java.lang.String` -> `String`, `java.util.List<java.lang.Integer>` -> `List<Integer>`."""
    return re.sub(r"\b(?:[a-z_$][\w$]*\.)+(?=[A-Z_$])", "", java_type)


def distance(a: str, b: str) -> int:
    """Edit distance with transpositions (optimal string alignment): `cuont` is one typo from `count`."""
    prev2: list[int] = []
    prev = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        cur = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                cur[j] = min(cur[j], prev2[j - 2] + 1)
        prev2, prev = prev, cur
    return prev[-1]
