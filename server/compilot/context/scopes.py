"""Brace scopes at the cursor: which `{` encloses it and what opened that brace.

The parser cannot help with code that is half typed, so scopes come from the token stream alone: every
`{` is labelled by looking at the few tokens before it (`) {` after a method name, `-> {`, `else {`,
`= {`, a `class Name ... {` header...). Parentheses and brackets are tracked per scope, so a cursor inside
an unfinished argument list is known to be mid-statement, and stray closers never pop outer scopes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

from compilot.lexer import IDENT, Tokens, tokenize


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

ANONYMOUS = "anonymous"
_CONTROL_BEFORE_PAREN = frozenset({"if", "for", "while", "catch", "synchronized", "try"})
_CONTROL_BEFORE_BRACE = frozenset({"else", "try", "finally", "do"})
_EXPRESSION_BEFORE_BRACE = frozenset({"=", ",", "(", "[", "]", "return", "?"})
_STATEMENT_END = frozenset({";", "{", "}", ":"})
_LOOKBACK = 64  # tokens examined when reading a header backwards; headers are short


@dataclass(eq=False)
class Scope:
    """One open `{`. Its kind is worked out only when needed: most braces close before the cursor."""

    brace: int  # offset of the `{` (-1 for the file)
    outer: Scope | None
    mark: int  # offset of the `;`, `{` or `}` before this brace's header in the outer scope (-1: none)
    paren_base: int  # depth of the paren/bracket stack when the scope opened
    in_enum_constants: bool = False  # the outer scope had no `;` yet (meaningful when it is an enum)
    stmt_mark: int = -1  # offset of the `;`, `{` or `}` that ended this scope's latest statement or member
    semicolon: bool = False  # a `;` at this scope's own level has been seen
    bounds: list[int] = field(default_factory=list)  # offsets of this level's `{`, `;` and `}` (member ends)
    kind: ScopeKind = ScopeKind.OTHER  # set by `resolve`
    flavor: str = ""  # CLASS: class, interface, enum, record, @interface or anonymous
    header: int = 0  # offset of the first token of the declaration or statement the `{` ends
    resolved: bool = False

    @property
    def enum_constants(self) -> bool:
        """Whether this is an enum body still in its constant list."""
        return self.flavor == "enum" and not self.semicolon


@dataclass
class ScopeState:
    """The open scopes where the text stops (at the cursor), innermost last, all resolved."""

    stack: list[Scope]
    last_closed: Scope | None  # the scope closed by the latest `}`, resolved

    @property
    def innermost(self) -> Scope:
        return self.stack[-1]

    def in_class(self) -> bool:
        return any(s.kind is ScopeKind.CLASS for s in self.stack)


def track(
    text: str, items: list[tuple[str, int]], on_close: Callable[[Scope, int], None] | None = None
) -> ScopeState:
    """Walk the structural characters (see `lexer.structure`) keeping the open braces and parentheses;
    `on_close(scope, offset)` is called for each scope its `}` closes (unresolved: resolve it if needed)."""
    file = Scope(brace=-1, outer=None, mark=-1, paren_base=0, kind=ScopeKind.FILE, resolved=True)
    stack = [file]
    depth = 0  # open `(` and `[`
    last_closed: Scope | None = None
    for ch, pos in items:
        if ch == "(" or ch == "[":
            depth += 1
        elif ch == ")" or ch == "]":
            if depth > stack[-1].paren_base:
                depth -= 1
        elif ch == ";":
            scope = stack[-1]
            if depth == scope.paren_base:
                scope.stmt_mark = pos
                scope.semicolon = True
                scope.bounds.append(pos)
        elif ch == "{":
            outer = stack[-1]
            stack.append(Scope(pos, outer, outer.stmt_mark, depth, not outer.semicolon, pos, bounds=[pos]))
        elif len(stack) > 1:  # `}`; a stray one closes nothing
            last_closed = stack.pop()
            if on_close is not None:
                on_close(last_closed, pos)
            depth = last_closed.paren_base
            outer = stack[-1]
            if depth == outer.paren_base:
                outer.stmt_mark = pos
                outer.bounds.append(pos)
    for scope in stack:
        resolve(text, scope)
    if last_closed is not None:
        resolve(text, last_closed)
    return ScopeState(stack, last_closed)


def resolve(text: str, scope: Scope) -> None:
    """Label `scope` (outer scopes first) from the tokens of its header."""
    if scope.resolved or scope.outer is None:
        return
    outer = scope.outer
    resolve(text, outer)
    tokens = tokenize(text, max(scope.mark, 0), scope.brace + 1)
    starts = tokens.starts
    first = next((k for k, s in enumerate(starts) if s > scope.mark), len(starts) - 1)
    scope.header = starts[first]
    scope.kind, scope.flavor = _opener(tokens, outer, scope.in_enum_constants)
    scope.resolved = True


def match_parens(texts: list[str]) -> tuple[list[int], tuple[int, int]]:
    """Indices of the `(`/`[` open at the end of `texts`, and (index, opener) of the last matched `)`."""
    opened: list[int] = []
    last_close = (-1, -1)
    for i, t in enumerate(texts):
        if t == "(" or t == "[":
            opened.append(i)
        elif (t == ")" or t == "]") and opened:
            j = opened.pop()
            if t == ")":
                last_close = (i, j)
    return opened, last_close


def _opener(tokens: Tokens, outer: Scope, in_enum_constants: bool) -> tuple[ScopeKind, str]:
    """Label the `{` that ends `tokens` (a statement or member header) from the tokens before it."""
    kinds, texts = tokens.kinds, tokens.texts
    i = len(texts) - 1
    if outer.kind is ScopeKind.ARRAY:
        return ScopeKind.ARRAY, ""
    if i <= 0:
        return ScopeKind.OTHER, ""
    _, last_close = match_parens(texts)
    enum_constants = outer.flavor == "enum" and in_enum_constants
    prev = texts[i - 1]
    if prev == "->":
        return ScopeKind.LAMBDA, ""
    if prev == ")" and last_close[0] == i - 1:
        return _after_parens(kinds, texts, last_close[1], outer, enum_constants)
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
        if enum_constants:
            return ScopeKind.CLASS, ANONYMOUS  # an enum constant with a body: `A {`
        if outer.flavor == "record":
            return ScopeKind.METHOD, ""  # a compact constructor: `Point {`
    before_throws = _before_throws(kinds, texts, i)
    if before_throws >= 0 and before_throws == last_close[0]:
        return _after_parens(kinds, texts, last_close[1], outer, enum_constants)
    return ScopeKind.OTHER, ""


def _after_parens(
    kinds: list[str], texts: list[str], open_idx: int, outer: Scope, enum_constants: bool
) -> tuple[ScopeKind, str]:
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
        if enum_constants:
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
