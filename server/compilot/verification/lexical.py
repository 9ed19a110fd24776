"""A completion's own brackets and literals: does it close what it opens, and where do its statements end.

javac alone cannot always tell that a completion left a `{` open: when the document already ends in
"reached end of file while parsing", the candidate's unclosed block reports that same error at the same
place. Counting the completion's own brackets catches it, and also finds where a long completion can be cut.
Where comments and literals start and end is `compilot.lexer`'s to say.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from compilot.lexer import (
    BLOCK_COMMENT,
    CHAR,
    CODE,
    COMMENTS,
    JAVADOC,
    NEWLINE,
    PUNCT,
    STRING,
    TEXT_BLOCK,
    open_at,
    pieces,
)

UNTERMINATED = {
    STRING: "string",
    CHAR: "char literal",
    TEXT_BLOCK: "text block",
    BLOCK_COMMENT: "comment",
    JAVADOC: "comment",
}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = set(_OPENERS.values())


@dataclass
class Scan:
    state: str = CODE  # the state at the end of the text: CODE, or the kind of comment or literal open there
    unclosed: list[tuple[str, int]] = field(default_factory=list)  # (bracket, index) opened, not closed
    mismatched: int = -1  # index of the first closer that does not match its opener, -1 if none
    broken: int = -1  # index where a string or char literal ran into the end of its line, -1 if none
    boundaries: list[int] = field(default_factory=list)  # indexes of "\n" that end a complete statement


def scan(text: str, state: str = CODE) -> Scan:
    """Lex `text` starting in `state`. Closers of brackets opened before the text are allowed."""
    result = Scan()
    last_code = -1  # index of the last character of code seen: not space, not inside a comment
    for kind, start, end, closed in pieces(text, state):
        if kind == PUNCT:
            last_code = start
            char = text[start]
            if char in _OPENERS:
                result.unclosed.append((char, start))
            elif char in _CLOSERS and result.unclosed:
                opener, _ = result.unclosed.pop()
                if _OPENERS[opener] != char and result.mismatched < 0:
                    result.mismatched = start
        elif kind == NEWLINE:
            if _ends_statement(text, last_code, result):
                result.boundaries.append(start)
        elif closed:
            if kind not in COMMENTS:
                last_code = end - 1  # plain code, or a literal's closing quote
        elif end == len(text):
            result.state = kind
        elif result.broken < 0:
            result.broken = end  # a string or char literal stopped at its line end: javac reports it there
    return result


def _ends_statement(text: str, last_code: int, result: Scan) -> bool:
    """A line end after `;` or `}` with every bracket opened so far closed, and no literal broken."""
    return last_code >= 0 and text[last_code] in ";}" and not result.unclosed and result.broken < 0


def state_at(text: str, offset: int) -> str:
    """The lexical state at `offset`, e.g. STRING when the cursor is inside a string literal."""
    opened = open_at(text, offset)
    return CODE if opened is None else opened[0]


def problem(text: str, state: str = CODE) -> tuple[int, str] | None:
    """Why `text` inserted in `state` cannot compile on its own account: (index, message), or None."""
    result = scan(text, state)
    if result.broken >= 0:
        return result.broken, "unterminated literal at the end of the line"
    if result.mismatched >= 0:
        return result.mismatched, f"'{text[result.mismatched]}' does not match its opening bracket"
    if result.unclosed:
        char, index = result.unclosed[0]
        return index, f"'{char}' is never closed"
    if result.state in UNTERMINATED and result.state != state:
        return len(text), f"unterminated {UNTERMINATED[result.state]}"
    return None


def statement_prefixes(text: str, state: str = CODE) -> list[str]:
    """Prefixes of `text` that end a line after a complete statement (`;` or `}`), longest first."""
    ends = scan(text, state).boundaries
    prefixes = [text[:i].rstrip() for i in reversed(ends)]
    return [p for p in dict.fromkeys(prefixes) if p.strip() and p != text.rstrip()]
