"""A forgiving Java lexer: one regex pass that never fails, because the code being typed is never complete.

javalang's tokenizer raises on unterminated strings and comments and predates text blocks, so the
context module lexes Java itself. Only what scope tracking needs is kept: identifiers and keywords,
literals and single punctuation characters (plus `->`, `::` and `...`). Comments are skipped but
remembered when one reaches the end of the scanned range, so a cursor inside one can be recognised.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Token kinds, kept as short strings so the hot loop compares interned constants.
IDENT = "ident"
NUMBER = "number"
STRING = "string"
CHAR = "char"
TEXT_BLOCK = "text_block"
PUNCT = "punct"

LINE_COMMENT = "line_comment"
BLOCK_COMMENT = "block_comment"
JAVADOC = "javadoc"

# Comments and literals, each written as an unrolled loop: linear, and fast on a 100k-character line.
# An unterminated one runs to the end of the range (a string or char to the end of its line).
_LITERALS = r"""
      (?P<text_block>\"\"\"[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*(?P<tb_end>\"\"\")?)
    | (?P<string>"[^"\\\n]*(?:\\.[^"\\\n]*)*(?P<str_end>")?)
    | (?P<char>'[^'\\\n]*(?:\\.[^'\\\n]*)*(?P<chr_end>')?)
    | (?P<block_comment>/\*[^*]*(?:\*+(?!/)[^*]*)*(?P<cm_end>\*+/)?)
    | (?P<line_comment>//[^\n]*)
"""
_PATTERN = re.compile(
    _LITERALS
    + r"""
    | (?P<ident>(?:[^\W\d]|\$)[\w$]*)
    | (?P<number>\.?\d(?:[eEpP][+-]|[\w.])*)
    | (?P<punct>->|::|\.\.\.|[^\s\w])
    """,
    re.VERBOSE,
)

_COMMENTS = (LINE_COMMENT, BLOCK_COMMENT)
_UNTERMINATED_GROUP = {TEXT_BLOCK: "tb_end", STRING: "str_end", CHAR: "chr_end", BLOCK_COMMENT: "cm_end"}


@dataclass
class Tokens:
    """Significant tokens of a range as parallel lists (cheaper than one object per token)."""

    kinds: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    starts: list[int] = field(default_factory=list)
    # A comment or literal that is still open where the range ends: (kind, start), else None.
    open_at_end: tuple[str, int] | None = None


def tokenize(text: str, start: int = 0, end: int | None = None) -> Tokens:
    """Lex `text[start:end]` as if the text stopped at `end`, so a token cut by `end` counts as open there."""
    end = len(text) if end is None else end
    out = Tokens()
    kinds, texts, starts = out.kinds, out.texts, out.starts
    last = None
    for m in _PATTERN.finditer(text, start, end):
        kind = m.lastgroup
        if kind in _COMMENTS:
            last = m
            continue
        kinds.append(kind)
        texts.append(m.group())
        starts.append(m.start())
        last = m
    if last is not None and last.end() == end:
        out.open_at_end = _open_token(last)
    return out


# Only braces, parentheses, brackets and `;` outside comments and literals; the rest is skipped in C.
_STRUCTURE = re.compile(
    r"""
    [^"'/{}()\[\];]*(?:/(?![/*])[^"'/{}()\[\];]*)*  # skipped code; unrolled, so it cannot backtrack
    (?:"""
    + _LITERALS
    + r"""
    | (?P<punct>[{}()\[\];])
    | \Z  # code up to the end: matched here, or every later start would rescan it
    )
    """,
    re.VERBOSE,
)


def structure(
    text: str, end: int, comments: list[tuple[int, int]] | None = None
) -> tuple[list[tuple[str, int]], tuple[str, int] | None]:
    """The (char, offset) of every brace, paren, bracket and `;` in `text[:end]`, and what is open at `end`.

    Much cheaper than `tokenize` because identifiers and operators never become match objects. With a
    `comments` list, the (start, end) of every comment is appended to it as well.
    """
    items = []
    last = None
    for m in _STRUCTURE.finditer(text, 0, end):
        if m.lastgroup is None:
            break  # the trailing code, matched by `\Z`
        last = m
        p = m.start("punct")
        if p >= 0:
            items.append((text[p], p))
        elif comments is not None and m.lastgroup in _COMMENTS:
            comments.append((m.start(m.lastgroup), m.end()))
    open_at_end = _open_token(last) if last is not None and last.end() == end else None
    return items, open_at_end


def block_end(text: str, start: int) -> tuple[int, int]:
    """For a block open at `start`: (offset of its first token, offset of its closing `}`), -1 for none."""
    first = -1
    depth = 1
    for m in _PATTERN.finditer(text, start):
        kind = m.lastgroup
        if kind in _COMMENTS:
            continue
        if first < 0:
            first = m.start()
        if kind == PUNCT:
            ch = m.group()
            if ch == "{":
                depth += 1
            elif ch == "}":
                depth -= 1
                if depth == 0:
                    return first, m.start()
    return first, -1


def _open_token(m: re.Match) -> tuple[str, int] | None:
    """The (kind, start) of a comment or literal that `m` leaves open at its end, else None."""
    kind = m.lastgroup
    start = m.start(kind)
    if kind == LINE_COMMENT:
        return kind, start
    group = _UNTERMINATED_GROUP.get(kind)
    if group is None or m.group(group) is not None:
        return None
    if kind == BLOCK_COMMENT and m.group(kind).startswith("/**"):
        return JAVADOC, start
    return kind, start
