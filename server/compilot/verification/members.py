"""Member accesses in code being written, and what javac says each receiver has.

A 135M model invents members (`shelves.put(shelf, ...)` on a `Map<String, List<String>>`). At an access
`expr.name` the compiler knows every name that could follow the dot; this module finds such accesses in the
current statement plus a candidate, and asks the warm checker for expr's members through a probe: the
document up to the statement, the statement up to the dot with `__compilot__()` written after it and its open
brackets closed, then the document from the next line on.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

from compilot.lexer import IDENT, PUNCT, tokenize

from .checker import JavaChecker
from .protocol import Members

MARKER = "__compilot__"
STATEMENT_WINDOW = 4000  # characters before the cursor searched for the statement's start
_CLOSERS = {"(": ")", "[": "]", "{": ";}"}
_RECEIVER_ENDS = (")", "]")


@dataclass(frozen=True)
class Access:
    """`expr.name` in a statement's text: `dot` is the index just after the dot, `name` what follows it."""

    dot: int
    name: str


def statement_start(text: str, offset: int) -> int:
    """Where the statement holding `offset` starts: after the last `;`, `{` or `}` outside brackets (a
    multi-line call or chain is one statement); the start of the search window if none is found."""
    window = text.rfind("\n", 0, max(0, offset - STATEMENT_WINDOW)) + 1
    tokens = tokenize(text, window, offset)
    depth = 0
    for kind, token, start in zip(
        reversed(tokens.kinds), reversed(tokens.texts), reversed(tokens.starts), strict=True
    ):
        if kind != PUNCT:
            continue
        if token in ")]":
            depth += 1
        elif token in "([":
            depth -= 1
        elif token in ";{}" and depth <= 0:
            return start + 1
    return window


def accesses(statement: str, after: int) -> list[Access]:
    """Member accesses in `statement` whose name ends past index `after` (the part a candidate wrote)."""
    tokens = tokenize(statement)
    kinds, texts, starts = tokens.kinds, tokens.texts, tokens.starts
    found = []
    for i, (kind, token) in enumerate(zip(kinds, texts, strict=True)):
        if kind != PUNCT or token != "." or i == 0:
            continue
        before = kinds[i - 1] == IDENT or texts[i - 1] in _RECEIVER_ENDS
        if not before or i + 1 >= len(kinds) or kinds[i + 1] != IDENT:
            continue
        name_end = starts[i + 1] + len(texts[i + 1])
        if name_end > after and texts[i + 1] != "class":
            found.append(Access(starts[i] + 1, texts[i + 1]))
    return found


def probe(text: str, start: int, statement: str, dot: int, rest: int) -> str:
    """The document with the statement cut at its dot `dot` and made parseable around `__compilot__()`;
    `text[rest:]` (the next line on) follows it."""
    head = statement[:dot]
    stack: list[str] = []
    tokens = tokenize(head)
    for kind, token in zip(tokens.kinds, tokens.texts, strict=True):
        if kind != PUNCT:
            continue
        if token in _CLOSERS:
            stack.append(token)
        elif token in ")]}" and stack and _CLOSERS[stack[-1]].endswith(token):
            stack.pop()
    closing = "".join(_CLOSERS[opener] for opener in reversed(stack))
    return f"{text[:start]}{head}{MARKER}(){closing};\n{text[rest:]}"


class MemberIndex:
    """javac's members per probe, cached (a request often asks the same receiver for several rows)."""

    def __init__(self, checker: JavaChecker, size: int = 256) -> None:
        self.checker = checker
        self._cache: OrderedDict[tuple[str, str], Members] = OrderedDict()
        self._size = size

    def members(self, source: str, filename: str) -> Members:
        key = (source, filename)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        found = self.checker.members(source, filename)
        self._cache[key] = found
        if len(self._cache) > self._size:
            self._cache.popitem(last=False)
        return found
