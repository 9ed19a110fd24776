"""Classify the cursor position: what kind of completion fits there, and how it should stop.

Runs on every keystroke, so it is one cheap structural pass up to the cursor (braces, parentheses and
literals only), then full tokens just for the headers of the enclosing scopes and the statement at the
cursor. It never raises: an editor buffer can hold anything.
"""

from __future__ import annotations

from compilot.context.indent import indent_unit, leading_whitespace, line_indent, line_start
from compilot.context.prompt import WINDOW, build_prompt
from compilot.context.scopes import (
    ANONYMOUS,
    HEADED_SCOPES,
    STATEMENT_SCOPES,
    ScopeKind,
    ScopeState,
    match_parens,
    track,
)
from compilot.context.types import CursorContext, Kind, StopRule
from compilot.lexer import (
    BLOCK_COMMENT,
    CHAR,
    IDENT,
    JAVADOC,
    LINE_COMMENT,
    STRING,
    TEXT_BLOCK,
    Tokens,
    block_end,
    structure,
    tokenize,
)

_INSIDE = {
    LINE_COMMENT: "inside a line comment",
    BLOCK_COMMENT: "inside a block comment",
    JAVADOC: "inside a javadoc comment",
    STRING: "inside a string literal",
    CHAR: "inside a char literal",
    TEXT_BLOCK: "inside a text block",
}
_CONTROL_HEADS = frozenset({"if", "for", "while"})  # `if (...)` may be followed by a braceless statement


def classify(text: str, offset: int, prompt_chars: int = 3000, prompt_style: str = WINDOW) -> CursorContext:
    """The completion context at `offset` in `text` (clamped into the text); never raises."""
    try:
        return _classify(text, offset, prompt_chars, prompt_style)
    except Exception as exc:  # a crash here would take the keystroke down with it
        return _none(text if isinstance(text, str) else "", 0, "", f"context error: {exc!r}")


def _classify(text: str, offset: int, prompt_chars: int, prompt_style: str) -> CursorContext:
    text = text if isinstance(text, str) else str(text or "")
    offset = max(0, min(int(offset), len(text)))
    items, open_at_end = structure(text, offset)
    state = track(text, items)
    prefix = build_prompt(text, offset, state.stack, int(prompt_chars), prompt_style)
    if open_at_end is not None:
        return _none(text, offset, prefix, _INSIDE[open_at_end[0]])
    if not state.in_class():
        return _none(text, offset, prefix, "outside any class body")
    scope = state.innermost
    # The current statement or member, from the `;`, `{` or `}` that ended the previous one.
    tokens = tokenize(text, max(scope.stmt_mark, 0), offset)
    this_line = line_start(text, offset)

    if scope.kind in HEADED_SCOPES and tokens.starts and tokens.starts[-1] == scope.brace:
        header_indent = line_indent(text, scope.header)
        open_block = _empty_block(text, offset, len(header_indent))
        if open_block is not None:
            return CursorContext(
                kind=Kind.BLOCK_BODY,
                offset=offset,
                prefix=prefix,
                suffix=text[offset:],
                indent=header_indent + indent_unit(text),
                stop=StopRule.BLOCK,
                close_block=open_block,
                nested=scope.kind not in (ScopeKind.METHOD, ScopeKind.INITIALIZER),
            )
    kind = _line_kind(tokens, state, blank_line=not text[this_line:offset].strip(), offset=offset)
    indent = leading_whitespace(text, this_line, offset)
    return CursorContext(kind, offset, prefix, text[offset:], indent, StopRule.LINE)


def _none(text: str, offset: int, prefix: str, reason: str) -> CursorContext:
    return CursorContext(Kind.NONE, offset, prefix, text[offset:], "", StopRule.LINE, reason=reason)


def _empty_block(text: str, offset: int, header_width: int) -> bool | None:
    """For a cursor right after a body's `{`: None if the body has code, else whether its `}` is missing.

    A matching `}` that sits on its own line left of the header belongs to an enclosing scope: the user
    typed `{` and Enter in existing code and the editor did not add the closing brace.
    """
    first, close = block_end(text, offset)
    if close < 0:
        return True
    close_line = line_start(text, close)
    dedented = not text[close_line:close].strip() and close - close_line < header_width
    if dedented:
        return True
    return False if first == close else None


def _line_kind(tokens: Tokens, state: ScopeState, blank_line: bool, offset: int) -> Kind:
    """The kind of a position that is not an empty body: member/statement start, mid-line or after `.`."""
    if _after_dot(tokens, offset):
        return Kind.MEMBER_ACCESS
    scope = state.innermost
    if not blank_line or not tokens.texts:
        return Kind.MID_STATEMENT
    open_parens, last_close = match_parens(tokens.texts)
    if open_parens:
        return Kind.MID_STATEMENT
    if scope.kind is ScopeKind.CLASS and _starts_member(tokens, state, last_close):
        return Kind.MEMBER
    if scope.kind in STATEMENT_SCOPES and _starts_statement(tokens, state, last_close):
        return Kind.STATEMENT
    return Kind.MID_STATEMENT


def _after_dot(tokens: Tokens, offset: int) -> bool:
    """Whether the cursor follows a `.`, directly or with a partly typed name: `list.` or `list.si`."""
    texts = tokens.texts
    if not texts:
        return False
    if texts[-1] == ".":
        return True
    typing_name = tokens.kinds[-1] == IDENT and tokens.starts[-1] + len(texts[-1]) == offset
    return typing_name and len(texts) >= 2 and texts[-2] == "."


def _starts_member(tokens: Tokens, state: ScopeState, last_close: tuple[int, int]) -> bool:
    """Whether the last token ends a member (or an annotation), so a new member declaration starts."""
    last = tokens.texts[-1]
    if last in (";", "{"):
        return True
    if last == "}":
        return _closed_statement(state)
    if last == "," and state.innermost.enum_constants:
        return True
    return _ends_annotation(tokens, last_close)


def _starts_statement(tokens: Tokens, state: ScopeState, last_close: tuple[int, int]) -> bool:
    """Whether the last token ends a statement, a label or a control header, so a new statement starts."""
    texts = tokens.texts
    last = texts[-1]
    if last in (";", "{", ":", "else", "do"):
        return True
    if last == "}":
        return _closed_statement(state)
    close, opened = last_close
    if last == ")" and close == len(texts) - 1 and opened > 0 and texts[opened - 1] in _CONTROL_HEADS:
        return True
    return _ends_annotation(tokens, last_close)


def _closed_statement(state: ScopeState) -> bool:
    """Whether the latest `}` ended a statement or member, unlike an array initializer's or a lambda's."""
    closed = state.last_closed
    if closed is None:
        return True
    if closed.kind is ScopeKind.CLASS:
        return closed.flavor != ANONYMOUS
    return closed.kind not in (ScopeKind.ARRAY, ScopeKind.LAMBDA, ScopeKind.OTHER)


def _ends_annotation(tokens: Tokens, last_close: tuple[int, int]) -> bool:
    """Whether the tokens end with an annotation: `@Name`, `@a.b.Name` or `@Name(...)`."""
    texts, kinds = tokens.texts, tokens.kinds
    j = len(texts) - 1
    if texts[j] == ")":
        if last_close[0] != j:
            return False
        j = last_close[1] - 1
    while j >= 2 and kinds[j] == IDENT and texts[j - 1] == ".":
        j -= 2
    return j >= 1 and kinds[j] == IDENT and texts[j - 1] == "@" and texts[j] != "interface"
