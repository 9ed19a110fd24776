"""Cheap repairs tried before the model: a missing token where javac expected it, a missing `)` or `}`,
a misspelled name, a declared type that does not fit its value.

Each is a guess; none is offered unless javac confirms it (see `verify`). Guessing several places is cheap, so
the rules propose more than one when the right place is ambiguous.
"""

from __future__ import annotations

import re

from compilot.context.indent import indent_unit
from compilot.fix import source
from compilot.fix.edits import Fix
from compilot.lexer import IDENT, tokenize
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
        *extra_arguments(text, d),
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
    """A line with more `(` than `)`: close it where javac says, before its `;` or `{`, or after another `)`."""
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
    # `filter(p -> p.isEmpty().count()`: the `)` belongs right after some call; javac names the line's end.
    places += [p + 1 for c, p in source.brackets(text, start, end) if c == ")"][-8:]
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


# ---------------------------------------------------------------------------------------------- arguments

_CALLED = re.compile(
    r"(?:method|constructor) ([\w$]+) in |no suitable (?:method|constructor) found for ([\w$]+)\("
)
_REQUIRED = re.compile(r"required: ([^\n]*)|(?:method|constructor) [^\s(]+\(([^)]*)\) is not applicable")
_DEFAULTS = {"int": "0", "long": "0", "short": "0", "byte": "0", "double": "0.0", "float": "0.0"}
_DEFAULTS |= {"boolean": "false", "char": "' '", "String": '""', "java.lang.String": '""'}


def extra_arguments(text: str, d: Diagnostic) -> list[Fix]:
    """`area(side, 1)` where `area` takes one argument: drop the surplus ones (the last first)."""
    call = _call(text, d)
    if call is None:
        return []
    open_paren, close, args, counts = call
    fixes = []
    for n in sorted(c for c in counts if c < len(args)):
        extra = len(args) - n
        for first in range(len(args) - extra, -1, -1):  # which run of `extra` arguments goes
            kept = args[:first] + args[first + extra :]
            inner = ", ".join(text[s:e] for s, e in kept)
            title = f"Fix to compile: remove {'an argument' if extra == 1 else f'{extra} arguments'} at line {d.line}"
            fixes.append(Fix(title, open_paren + 1, close, inner, 0.0))
    return fixes[:6]


def missing_arguments(text: str, d: Diagnostic) -> list[Fix]:
    """`area(side)` where `area` takes two: fill the gap with an argument already there, or a plain default.
    A last resort (the model guesses better), so the finder ranks these after its rewrites."""
    call = _call(text, d)
    if call is None:
        return []
    open_paren, close, args, _ = call
    fixes = []
    for params in _parameter_lists(d.message):
        if len(params) <= len(args):
            continue
        missing = params[len(args) :]
        reused = [text[s:e] for s, e in args if re.fullmatch(r"[\w$.]+", text[s:e])]
        fills = [[r] * len(missing) for r in dict.fromkeys(reused)]
        fills.append([_DEFAULTS.get(_simple(p), "null") for p in missing])
        for fill in fills:
            inner = ", ".join([text[s:e] for s, e in args] + fill)
            title = f"Fix to compile: pass `{', '.join(fill)}` as the missing argument(s) at line {d.line}"
            fixes.append(Fix(title, open_paren + 1, close, inner, 0.0))
    return fixes[:6]


def _call(text: str, d: Diagnostic) -> tuple[int, int, list[tuple[int, int]], set[int]] | None:
    """(`(` offset, `)` offset, argument spans, parameter counts javac would accept) of the call `d` is about."""
    named = _CALLED.search(d.message)
    if not d.code.startswith("compiler.err.cant.apply") or named is None or d.start < 0:
        return None
    name = named.group(1) or named.group(2)
    start, end = source.line_bounds(text, d.line)
    found = re.compile(rf"(?<![\w$]){re.escape(name)}\s*\(").search(text, max(start, d.start), end)
    if found is None:
        return None
    open_paren = found.end() - 1
    tokens = tokenize(text, open_paren + 1, min(len(text), open_paren + 4000))
    args, depth, arg_start = [], 0, open_paren + 1
    for token, at in zip(tokens.texts, tokens.starts, strict=True):
        if token in ("(", "[", "{"):
            depth += 1
        elif token in (")", "]", "}") and depth:
            depth -= 1
        elif token in (",", ")") and depth == 0:
            if token == "," or text[arg_start:at].strip():
                args.append(_trimmed(text, arg_start, at))
            arg_start = at + 1
            if token == ")":
                return open_paren, at, args, {len(p) for p in _parameter_lists(d.message)}
    return None


def _parameter_lists(message: str) -> list[list[str]]:
    """The parameter types of each signature javac tried (`required: int,int`, or one line per overload)."""
    lists = []
    for m in _REQUIRED.finditer(message):
        listed = (m.group(1) if m.group(1) is not None else m.group(2)).strip()
        params, depth, current = [], 0, ""
        for char in "" if listed in ("", "no arguments") else listed:
            depth += (char == "<") - (char == ">")
            if char == "," and depth == 0:
                params.append(current.strip())
                current = ""
            else:
                current += char
        lists.append([*params, current.strip()] if current.strip() else params)
    return lists


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end
