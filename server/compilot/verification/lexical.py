"""Just enough Java lexing to see brackets: where strings, chars, text blocks and comments start and end.

javac alone cannot always tell that a completion left a `{` open: when the document already ends in
"reached end of file while parsing", the candidate's unclosed block reports that same error at the same
place. Counting the completion's own brackets catches it, and also finds where a long completion can be cut.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CODE, STRING, CHAR, TEXT_BLOCK, LINE_COMMENT, BLOCK_COMMENT = (
    "code", "string", "char", "text block", "line comment", "block comment"
)  # fmt: skip
UNTERMINATED = {STRING: "string", CHAR: "char literal", TEXT_BLOCK: "text block", BLOCK_COMMENT: "comment"}
_OPENERS = {"(": ")", "[": "]", "{": "}"}
_START = {'"""': TEXT_BLOCK, '"': STRING, "'": CHAR, "//": LINE_COMMENT, "/*": BLOCK_COMMENT}
_END = {TEXT_BLOCK: '"""', STRING: '"', CHAR: "'", LINE_COMMENT: "\n", BLOCK_COMMENT: "*/"}
_CLOSERS = set(_OPENERS.values())
# Every token that can change the state, longest first; the loop below ignores those irrelevant to a state.
_TOKEN = re.compile(r'"""|"|\'|//|/\*|\*/|\\[^\n]|\n|[(){}\[\]]')


@dataclass
class Scan:
    state: str = CODE  # the state at the end of the text
    unclosed: list[tuple[str, int]] = field(default_factory=list)  # (bracket, index) opened, not closed
    mismatched: int = -1  # index of the first closer that does not match its opener, -1 if none
    broken: int = -1  # index where a string or char literal ran into the end of its line, -1 if none
    boundaries: list[int] = field(default_factory=list)  # indexes of "\n" that end a complete statement


def scan(text: str, state: str = CODE) -> Scan:
    """Lex `text` starting in `state`. Closers of brackets opened before the text are allowed."""
    result = Scan(state)
    last_code = -1  # index of the last character of code seen: not space, not inside a comment
    code_from = 0  # where the plain code between this token and the previous one begins
    for match in _TOKEN.finditer(text):
        token, i = match.group(), match.start()
        if state == CODE:
            stretch = text[code_from:i].rstrip()
            if stretch:
                last_code = code_from + len(stretch) - 1
            if token == "\n":
                if _ends_statement(text, last_code, result):
                    result.boundaries.append(i)
            elif token in _START:
                state = _START[token]
            else:
                last_code = match.end() - 1
                if token in _OPENERS:
                    result.unclosed.append((token, i))
                elif token in _CLOSERS and result.unclosed:
                    opener, _ = result.unclosed.pop()
                    if _OPENERS[opener] != token and result.mismatched < 0:
                        result.mismatched = i
        elif token == _END[state] or (state == STRING and token == '"""'):  # '"""': a string, then ""
            if state in (STRING, CHAR, TEXT_BLOCK):
                last_code = match.end() - 1
            elif state == LINE_COMMENT and _ends_statement(text, last_code, result):
                result.boundaries.append(i)
            state = CODE
        elif token == "\n" and state in (STRING, CHAR):
            state = CODE  # javac ends the literal here too, with an error
            if result.broken < 0:
                result.broken = i
        code_from = match.end()
    result.state = state
    return result


def _ends_statement(text: str, last_code: int, result: Scan) -> bool:
    """A line end after `;` or `}` with every bracket opened so far closed, and no literal broken."""
    return last_code >= 0 and text[last_code] in ";}" and not result.unclosed and result.broken < 0


def state_at(text: str, offset: int) -> str:
    """The lexical state at `offset`, e.g. STRING when the cursor is inside a string literal."""
    return scan(text[:offset]).state


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
