"""The one Java lexer: regex passes that never fail, because the code being typed is never complete.

javalang's tokenizer raises on unterminated strings and comments and predates text blocks, so Compilot
lexes Java itself, here and nowhere else, so that every stage agrees on where a comment or literal ends:
the cursor context and the fixes read `tokenize`, `structure` and `block_end`; the stop rule and the
verifier's bracket check read `pieces`; the benchmark's case picker reads `literals`.

The rules are javac's:
- `//` runs to the line end; `/*` to the first `*/` (nothing is escaped in a comment); `/**` is javadoc.
- Three double quotes open a text block, which runs to the first three not escaped; a backslash escapes
  any character, a line end included.
- `"` and `'` run to the next quote of their kind not escaped; a backslash escapes the next character
  unless it is the line end. One still open at its line end stops there, unclosed, as javac's "unclosed
  string literal" does, and the next line is code again.
- Anything unterminated runs to the end of the range: it is *open at the end*, where a cursor can be.
Only a line feed ends a line (a carriage return before it stays in the line) and unicode escapes are not
translated: neither occurs in the code Compilot completes.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
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
COMMENTS = frozenset({LINE_COMMENT, BLOCK_COMMENT, JAVADOC})

CODE = "code"  # `pieces`: plain code between the others; also the state outside every comment and literal
NEWLINE = "newline"  # `pieces`: a line end in code
Piece = tuple[str, int, int, bool]  # (kind, start, end, closed): see `pieces`

# Each comment and literal as (opener, body, closer), tried in this order (`"""` before `"`, `/**` before
# `/*`). The bodies are unrolled loops: linear, and fast on a 100k-character line. The closer is optional,
# so an unterminated one still matches, up to where it stops. A backslash's character is optional too: one
# at the end of the range still belongs to the literal, so a cursor right after it is inside.
_BLOCK_BODY = r"[^*]*(?:\*+(?!/)[^*]*)*"
_RULES = {
    TEXT_BLOCK: (r'"""', r'[^"\\]*(?:(?:\\[\s\S]?|"(?!""))[^"\\]*)*', r'"""'),
    STRING: (r'"', r'[^"\\\n]*(?:\\.?[^"\\\n]*)*', r'"'),
    CHAR: (r"'", r"[^'\\\n]*(?:\\.?[^'\\\n]*)*", r"'"),
    JAVADOC: (r"/\*\*(?!/)", _BLOCK_BODY, r"\*+/"),  # `/**/` is an empty block comment
    BLOCK_COMMENT: (r"/\*", _BLOCK_BODY, r"\*+/"),
    LINE_COMMENT: (r"//", r"[^\n]*", None),  # ends before the line end, with nothing to close it
}
_CLOSER_GROUP = {kind: f"{kind}_end" for kind, (_, _, closer) in _RULES.items() if closer is not None}


def _rule(kind: str, with_opener: bool) -> str:
    opener, body, closer = _RULES[kind]
    end = "" if closer is None else f"(?P<{_CLOSER_GROUP[kind]}>{closer})?"
    return f"{opener}{body}{end}" if with_opener else f"{body}{end}"


_LITERALS = "|".join(f"(?P<{kind}>{_rule(kind, True)})" for kind in _RULES)
# The rest of a comment or literal whose opener came before the text: where a completion starts inside one.
_RESUME = {kind: re.compile(_rule(kind, False)) for kind in _RULES}

# Identifiers and numbers first, as the most common (none starts like a comment or literal); punctuation
# last, as `[^\s\w]` would take a quote or slash.
_PATTERN = re.compile(
    rf"""
      (?P<ident>(?:[^\W\d]|\$)[\w$]*)
    | (?P<number>\.?\d(?:[eEpP][+-]|[\w.])*)
    | {_LITERALS}
    | (?P<punct>->|::|\.\.\.|[^\s\w])
    """,
    re.VERBOSE,
)


def _scanner(marks: dict[str, str]) -> re.Pattern[str]:
    """A pattern matching plain code up to the next comment, literal or mark, and that; `marks` maps each
    kind of mark (its group name) to its characters. The plain code is skipped in C: an identifier or
    operator never becomes a match object."""
    chars = "".join(marks.values())
    skip = f"[^\"'/{chars}]*"
    groups = "".join(f"(?P<{kind}>[{mark}]) | " for kind, mark in marks.items())  # tried first: most common
    return re.compile(
        rf"""
        {skip}(?:/(?![/*]){skip})*  # skipped code; unrolled, so it cannot backtrack
        (?: {groups} {_LITERALS}
        | \Z  # code up to the end: matched here, or every later start would rescan it
        )
        """,
        re.VERBOSE,
    )


_BRACKETS = r"{}()\[\];"  # braces, parentheses, brackets and `;`
_LITERAL_SCAN = _scanner({})
_STRUCTURE = _scanner({PUNCT: _BRACKETS})
_LINES = _scanner({PUNCT: _BRACKETS, NEWLINE: r"\n"})


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
        last = m
        kind = m.lastgroup
        if kind in COMMENTS:
            continue
        kinds.append(kind)
        texts.append(m.group())
        starts.append(m.start())
    out.open_at_end = _open_at(last, end)
    return out


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
        p = m.start(PUNCT)
        if p >= 0:
            items.append((text[p], p))
        elif comments is not None and m.lastgroup in COMMENTS:
            comments.append((m.start(m.lastgroup), m.end()))
    return items, _open_at(last, end)


def open_at(text: str, offset: int) -> tuple[str, int] | None:
    """The (kind, start) of the comment or literal open at `offset`, else None: `structure`'s answer, cheaper."""
    last = None
    for m in _LITERAL_SCAN.finditer(text, 0, offset):
        if m.lastgroup is None:
            break
        last = m
    return _open_at(last, offset)


def block_end(text: str, start: int) -> tuple[int, int]:
    """For a block open at `start`: (offset of its first token, offset of its closing `}`), -1 for none."""
    first = -1
    depth = 1
    for m in _PATTERN.finditer(text, start):
        kind = m.lastgroup
        if kind in COMMENTS:
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


def literals(text: str) -> Iterator[Piece]:
    """Every comment and literal of `text`, in order, as `pieces` gives them."""
    end = len(text)
    for m in _LITERAL_SCAN.finditer(text):
        kind = m.lastgroup
        if kind is None:
            break
        yield kind, m.start(kind), m.end(), _closed(m, kind, end)


def pieces(text: str, state: str = CODE) -> Iterator[Piece]:
    """`text` in order as (kind, start, end, closed): each comment and literal, each bracket and `;` (PUNCT),
    each line end in code (NEWLINE), and the other code between them (CODE, never blank, up to its last
    non-space character).

    `closed` is False for a comment or literal left unterminated: one that runs to the end of the text, or a
    string or char that stops at its line end. With a `state` other than CODE, the text starts inside a
    comment or literal of that kind (a completion at a cursor inside one): its rest is the first piece.
    """
    end = len(text)
    pos = 0
    if state != CODE:
        m = _RESUME[state].match(text)
        pos = m.end()
        yield state, 0, pos, _closed(m, state, end)
    for m in _LINES.finditer(text, pos):
        start, stop = m.span()
        kind = m.lastgroup
        at = stop if kind is None else m.start(kind)  # where the plain code before the match ends
        if at > start:
            code = text[start:at].rstrip()
            if code:
                yield CODE, start, start + len(code), True
        if kind in (PUNCT, NEWLINE):
            yield kind, at, stop, True
        elif kind is not None:  # None: the trailing code, matched by `\Z`
            yield kind, at, stop, _closed(m, kind, end)


def _closed(m: re.Match, kind: str, end: int) -> bool:
    """Whether the comment or literal `kind` matched by `m` ends before `end` as it should, not cut short."""
    if kind == LINE_COMMENT:
        return m.end() < end
    return m.group(_CLOSER_GROUP[kind]) is not None


def _open_at(m: re.Match | None, end: int) -> tuple[str, int] | None:
    """The (kind, start) of a comment or literal that the last match `m` leaves open at `end`, else None."""
    if m is None or m.end() != end:
        return None
    kind = m.lastgroup
    if kind not in _RULES or _closed(m, kind, end):
        return None
    return kind, m.start(kind)
