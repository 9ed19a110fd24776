"""Brace scopes at the cursor: which `{` encloses it and what opened that brace.

The parser cannot help with code that is half typed, so scopes come from the token stream alone: every
`{` is labelled by looking at the few tokens before it (`) {` after a method name, `-> {`, `else {`,
`= {`, a `class Name ... {` header...). Parentheses and brackets are tracked per scope, so a cursor inside
an unfinished argument list is known to be mid-statement, and stray closers never pop outer scopes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from compilot.context.lexer import IDENT, Tokens


class ScopeKind(str, Enum):
    FILE = "file"  # the pseudo-scope outside every brace
    CLASS = "class"  # class, interface, enum, record or annotation body, or an anonymous class body
    METHOD = "method"  # method or constructor body, including compact record constructors
    INITIALIZER = "initializer"  # static or instance initializer
    LAMBDA = "lambda"  # `-> {`: a lambda body or a switch-rule block
    CONTROL = "control"  # the block of if/for/while/do/try/catch/finally/else/synchronized
    SWITCH = "switch"  # a switch statement's or expression's body
    BLOCK = "block"  # a bare block inside a body
    ARRAY = "array"  # an array initializer or annotation array value: an expression, not statements
    OTHER = "other"  # a brace whose opener was not recognised


# Scopes whose direct content is statements.
STATEMENT_SCOPES = frozenset(
    {
        ScopeKind.METHOD,
        ScopeKind.INITIALIZER,
        ScopeKind.LAMBDA,
        ScopeKind.CONTROL,
        ScopeKind.SWITCH,
        ScopeKind.BLOCK,
    }
)
# Scopes whose `{` ends a header (signature, `if (...)`, `-> `...): an empty one is completed whole.
HEADED_SCOPES = STATEMENT_SCOPES - {ScopeKind.BLOCK}
# Scopes whose `}` ends a statement or member (an array initializer's or lambda's `}` does not).
_TERMINATING_SCOPES = HEADED_SCOPES | {ScopeKind.BLOCK}

ANONYMOUS = "anonymous"
_CONTROL_BEFORE_PAREN = frozenset({"if", "for", "while", "catch", "synchronized", "try"})
_CONTROL_BEFORE_BRACE = frozenset({"else", "try", "finally", "do"})
_EXPRESSION_BEFORE_BRACE = frozenset({"=", ",", "(", "[", "]", "return", "?"})
_STATEMENT_END = frozenset({";", "{", "}", ":"})
_LOOKBACK = 64  # tokens examined when reading a header backwards; headers are short


@dataclass
class Scope:
    """One open `{` and what it means."""

    kind: ScopeKind
    brace: int  # offset of the `{` (-1 for the file)
    header: int  # offset of the first token of the declaration or statement that the `{` ends
    paren_base: int  # depth of the paren/bracket stack when the scope opened
    stmt_start: int  # token index where the scope's current statement or member starts
    flavor: str = ""  # CLASS: class, interface, enum, record, @interface or anonymous
    enum_constants: bool = False  # CLASS: still in an enum's constant list (before its `;`)
    bounds: list[int] = field(default_factory=list)  # CLASS: offsets of the `{`, `;` and `}` ending members


@dataclass
class ScopeState:
    """The scopes and open parentheses where the token stream stops (at the cursor)."""

    stack: list[Scope]
    parens: list[int]  # token indices of the open `(` and `[`
    last_close: tuple[int, int]  # (index of the latest matched `)`, index of its `(`), or (-1, -1)
    last_closed: Scope | None  # the scope closed by the latest `}`

    @property
    def innermost(self) -> Scope:
        return self.stack[-1]

    def in_class(self) -> bool:
        return any(s.kind is ScopeKind.CLASS for s in self.stack)


def track(tokens: Tokens) -> ScopeState:
    """Walk the tokens once, keeping the stack of open braces and parentheses."""
    kinds, texts, starts = tokens.kinds, tokens.texts, tokens.starts
    stack = [Scope(ScopeKind.FILE, brace=-1, header=0, paren_base=0, stmt_start=0)]
    parens: list[int] = []
    last_close = (-1, -1)
    last_closed: Scope | None = None
    for i, t in enumerate(texts):
        if t == "{":
            outer = stack[-1]
            kind, flavor = _opener(kinds, texts, i, outer, last_close)
            header = starts[min(outer.stmt_start, i)]
            scope = Scope(kind, starts[i], header, len(parens), i + 1, flavor, flavor == "enum")
            if kind is ScopeKind.CLASS:
                scope.bounds.append(starts[i])
            stack.append(scope)
        elif t == "}":
            if len(stack) == 1:
                continue  # a stray `}` closes nothing
            last_closed = stack.pop()
            del parens[last_closed.paren_base :]
            outer = stack[-1]
            if len(parens) == outer.paren_base and _terminates(last_closed):
                outer.stmt_start = i + 1
                if outer.kind is ScopeKind.CLASS:
                    outer.bounds.append(starts[i])
        elif t == "(" or t == "[":
            parens.append(i)
        elif t == ")" or t == "]":
            if len(parens) > stack[-1].paren_base:
                opened = parens.pop()
                if t == ")":
                    last_close = (i, opened)
        elif t == ";":
            scope = stack[-1]
            if len(parens) == scope.paren_base:
                scope.stmt_start = i + 1
                if scope.kind is ScopeKind.CLASS:
                    scope.bounds.append(starts[i])
                    scope.enum_constants = False
    return ScopeState(stack, parens, last_close, last_closed)


def _terminates(scope: Scope) -> bool:
    """Whether a scope's `}` ends the statement or member around it."""
    if scope.kind is ScopeKind.CLASS:
        return scope.flavor != ANONYMOUS
    return scope.kind in _TERMINATING_SCOPES


def _opener(
    kinds: list[str], texts: list[str], i: int, outer: Scope, last_close: tuple[int, int]
) -> tuple[ScopeKind, str]:
    """Label the `{` at token `i` from the tokens before it."""
    if outer.kind is ScopeKind.ARRAY:
        return ScopeKind.ARRAY, ""
    if i == 0:
        return ScopeKind.OTHER, ""
    prev = texts[i - 1]
    if prev == "->":
        return ScopeKind.LAMBDA, ""
    if prev == ")" and last_close[0] == i - 1:
        return _after_parens(kinds, texts, last_close[1], outer)
    if prev in _EXPRESSION_BEFORE_BRACE:
        return ScopeKind.ARRAY, ""
    if prev in _STATEMENT_END:
        if outer.kind is ScopeKind.CLASS:
            return ScopeKind.INITIALIZER, ""
        return (ScopeKind.BLOCK if outer.kind in STATEMENT_SCOPES else ScopeKind.OTHER), ""
    if prev in _CONTROL_BEFORE_BRACE:
        return ScopeKind.CONTROL, ""
    if prev == "static" and outer.kind is ScopeKind.CLASS:
        return ScopeKind.INITIALIZER, ""
    flavor = _class_keyword(kinds, texts, i)
    if flavor:
        return ScopeKind.CLASS, flavor
    if outer.kind is ScopeKind.CLASS and kinds[i - 1] == IDENT:
        if outer.enum_constants:
            return ScopeKind.CLASS, ANONYMOUS  # an enum constant with a body: `A {`
        if outer.flavor == "record":
            return ScopeKind.METHOD, ""  # a compact constructor: `Point {`
    before_throws = _before_throws(kinds, texts, i)
    if before_throws >= 0 and before_throws == last_close[0]:
        return _after_parens(kinds, texts, last_close[1], outer)
    return ScopeKind.OTHER, ""


def _after_parens(kinds: list[str], texts: list[str], open_idx: int, outer: Scope) -> tuple[ScopeKind, str]:
    """Label a `{` that follows `name(...)`, `if (...)`, `new T(...)` or `record R(...)`."""
    j = open_idx - 1
    if j < 0:
        return ScopeKind.OTHER, ""
    word = texts[j]
    if word in _CONTROL_BEFORE_PAREN:
        return ScopeKind.CONTROL, ""
    if word == "switch":
        return ScopeKind.SWITCH, ""
    if word == ">":
        j = _skip_type_arguments(texts, j)
    if j < 0 or kinds[j] != IDENT:
        return ScopeKind.OTHER, ""
    if j >= 1 and texts[j - 1] == "record":
        return ScopeKind.CLASS, "record"
    k = j
    while k >= 2 and texts[k - 1] == "." and kinds[k - 2] == IDENT:
        k -= 2
    if k >= 1 and texts[k - 1] == "new":
        return ScopeKind.CLASS, ANONYMOUS
    if outer.kind is ScopeKind.CLASS:
        if outer.enum_constants:
            return ScopeKind.CLASS, ANONYMOUS  # an enum constant with arguments and a body
        return ScopeKind.METHOD, ""
    if outer.kind is ScopeKind.FILE:
        return ScopeKind.METHOD, ""  # a signature outside any class: a snippet, not a Java file
    return ScopeKind.OTHER, ""


def _skip_type_arguments(texts: list[str], j: int) -> int:
    """Index of the token before the `<` matching the `>` at `j`, or -1."""
    depth = 0
    for k in range(j, max(-1, j - _LOOKBACK), -1):
        t = texts[k]
        if t == ">":
            depth += 1
        elif t == "<":
            depth -= 1
            if depth == 0:
                return k - 1
        elif t in ("(", ")", ";", "{", "}", "="):
            return -1
    return -1


def _class_keyword(kinds: list[str], texts: list[str], i: int) -> str:
    """The type-declaration keyword of the header ending at the `{` at `i`, or ''."""
    for j in range(i - 1, max(-1, i - _LOOKBACK), -1):
        t = texts[j]
        if t in (";", "{", "}", "=", "->"):
            return ""
        if kinds[j] != IDENT:
            continue
        if t in ("class", "interface", "enum") and (j == 0 or texts[j - 1] != "."):
            return "@interface" if t == "interface" and j > 0 and texts[j - 1] == "@" else t
        if t == "record" and j + 2 < i and kinds[j + 1] == IDENT and texts[j + 2] in ("(", "<"):
            return "record"
    return ""


def _before_throws(kinds: list[str], texts: list[str], i: int) -> int:
    """For `... ) throws A, b.C {` with the `{` at `i`: the index of the token before `throws`, else -1."""
    for j in range(i - 1, max(-1, i - _LOOKBACK), -1):
        t = texts[j]
        if t == "throws":
            return j - 1
        if kinds[j] != IDENT and t not in (".", ",", "<", ">", "?", "@"):
            return -1
    return -1
