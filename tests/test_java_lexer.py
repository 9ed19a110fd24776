"""One table of Java snippets, run through every view of the one lexer: its own functions, the verifier's
bracket check (`lexical`), the stop rule and the benchmark's code mask. Each row marks the comments and
literals javac would see, so a caller that lexes differently fails on that row."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from compilot import lexer
from compilot.bench.cases import code_mask
from compilot.context.types import StopRule
from compilot.generation.stop_rule import stop_index
from compilot.lexer import (
    BLOCK_COMMENT,
    CHAR,
    CODE,
    COMMENTS,
    JAVADOC,
    LINE_COMMENT,
    NEWLINE,
    PUNCT,
    STRING,
    TEXT_BLOCK,
)
from compilot.verification import lexical

OPEN, CLOSE = "«", "»"  # around each comment and literal in `Case.marked`
_OPENER_LENGTH = {TEXT_BLOCK: 3, STRING: 1, CHAR: 1, JAVADOC: 3, BLOCK_COMMENT: 2, LINE_COMMENT: 2}
_MULTILINE = (TEXT_BLOCK, BLOCK_COMMENT, JAVADOC)


@dataclass(frozen=True)
class Case:
    marked: str  # the snippet, each comment and literal between « and »
    kinds: tuple[str, ...]  # the kind of each marked span, in order
    open: str = CODE  # the state at the end of the snippet
    broken: bool = False  # its last string or char literal stops at its line end, unclosed

    @property
    def text(self) -> str:
        return self.marked.replace(OPEN, "").replace(CLOSE, "")

    @property
    def spans(self) -> list[tuple[str, int, int]]:
        """(kind, start, end) of each marked span in `text`."""
        out, removed, start = [], 0, 0
        for i, c in enumerate(self.marked):
            if c == OPEN:
                start = i - removed
            elif c == CLOSE:
                out.append((self.kinds[len(out)], start, i - removed))
            else:
                continue
            removed += 1
        return out

    def inside(self, kinds: tuple[str, ...] | frozenset[str] | None = None) -> list[bool]:
        """Per character of `text`: whether it is inside a span (of one of `kinds`)."""
        flags = [False] * len(self.text)
        for kind, start, end in self.spans:
            if kinds is None or kind in kinds:
                flags[start:end] = [True] * (end - start)
        return flags


CASES = {
    "text block with quotes": Case('s = «"""\n    say "hi" or ""{\n    """»;', (TEXT_BLOCK,)),
    "text block with an escaped delimiter": Case('s = «"""\n    a \\""" ( b\n    """»;', (TEXT_BLOCK,)),
    "text block ending in an escaped quote": Case('s = «"""\n    say "hi\\""""»;', (TEXT_BLOCK,)),
    "text block open at the end": Case('s = «"""\n    open ( {»', (TEXT_BLOCK,), open=TEXT_BLOCK),
    "text block with a backslash at the end": Case('s = «"""\n    a \\»', (TEXT_BLOCK,), open=TEXT_BLOCK),
    "escaped backslash before the closing quote": Case(r"""s = «"a\\"» + «'\\'»;""", (STRING, CHAR)),
    "escaped quote char": Case(r"c = «'\''»;", (CHAR,)),
    "double quote char": Case(r"""c = «'"'»; d = «"'"»;""", (CHAR, STRING)),
    "string of escaped quotes": Case(r's = «"\"\"\""»;', (STRING,)),
    "string then an empty string, not a text block": Case('s = «"a"»«""»;', (STRING, STRING)),
    "unterminated string at its line end": Case('s = «"abc (»\nf();', (STRING,), broken=True),
    "backslash before a line end in a string": Case('s = «"abc\\»\nf();', (STRING,), broken=True),
    "unterminated string at the end": Case('s = «"abc {»', (STRING,), open=STRING),
    "backslash at the end of a string": Case('s = «"abc\\»', (STRING,), open=STRING),
    "unterminated char": Case("c = «'(»", (CHAR,), open=CHAR),
    "unterminated block comment": Case("f(); «/* never ( closed»", (BLOCK_COMMENT,), open=BLOCK_COMMENT),
    "unterminated javadoc": Case("«/** doc {»", (JAVADOC,), open=JAVADOC),
    "empty block comment, then javadoc": Case("«/**/» f(); «/** doc */» g();", (BLOCK_COMMENT, JAVADOC)),
    "line comment at the end": Case("f(); «// note (»", (LINE_COMMENT,), open=LINE_COMMENT),
    "line comment, then code": Case('f(); «// note "(»\ng();', (LINE_COMMENT,)),
    "// inside a string": Case('u = «"http://x.org"»; f();', (STRING,)),
    "/* inside a string": Case('s = «"/* not ( a comment"»; f();', (STRING,)),
    '" inside comments': Case('f(); «/* say "hi */» g(); «// it\'s "}»\nh();', (BLOCK_COMMENT, LINE_COMMENT)),
    "backslash in a block comment": Case(r"«/* a \*/» f();", (BLOCK_COMMENT,)),
    "block comment closed right after an inner /*": Case("«/* b /*/» f();", (BLOCK_COMMENT,)),
    "block comment closed by stars, then a slash": Case("x = a «/* c **/»/ 2;", (BLOCK_COMMENT,)),
    "backslash in code escapes nothing": Case(r'f(\«"s"»);', (STRING,)),
    "brackets in literals": Case("f(«'('», «\")\"», «'}'»);", (CHAR, STRING, CHAR)),
    "unicode identifiers": Case("int ñandú = «\"ü\"», 变量 = «'é'»;", (STRING, CHAR)),
}
cases = pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())


@cases
def test_literals_and_pieces(case: Case) -> None:
    text = case.text
    assert [(k, s, e) for k, s, e, _ in lexer.literals(text)] == case.spans
    pieces = list(lexer.pieces(text))
    assert [(k, s, e) for k, s, e, _ in pieces if k not in (CODE, PUNCT, NEWLINE)] == case.spans
    inside = case.inside()
    assert not any(inside[s] for k, s, _, _ in pieces if k in (CODE, PUNCT, NEWLINE))
    assert [(k, e) for k, _, e, closed in pieces if not closed] == [
        (k, e) for k, _, e in case.spans[-1:] if case.broken or case.open != CODE
    ]


@cases
def test_tokenize_and_structure(case: Case) -> None:
    text = case.text
    tokens = lexer.tokenize(text)
    literals = [text[s:e] for k, s, e in case.spans if k not in COMMENTS]
    assert [
        t for k, t in zip(tokens.kinds, tokens.texts, strict=True) if k in (STRING, CHAR, TEXT_BLOCK)
    ] == literals
    expected_open = None if case.open == CODE else (case.open, case.spans[-1][1])
    assert tokens.open_at_end == expected_open
    comments: list[tuple[int, int]] = []
    _, open_at_end = lexer.structure(text, len(text), comments)
    assert comments == [(s, e) for k, s, e in case.spans if k in COMMENTS]
    assert open_at_end == lexer.open_at(text, len(text)) == expected_open


@cases
def test_lexical_state_and_problem(case: Case) -> None:
    text = case.text
    scan = lexical.scan(text)
    assert scan.state == lexical.state_at(text, len(text)) == case.open
    # The code's brackets balance; those in comments and literals do not count.
    assert scan.unclosed == [] and scan.mismatched == -1
    if case.broken:
        end = case.spans[-1][2]
        assert lexical.problem(text) == (end, "unterminated literal at the end of the line")
    elif case.open in lexical.UNTERMINATED:
        assert lexical.problem(text) == (len(text), f"unterminated {lexical.UNTERMINATED[case.open]}")
    else:
        assert lexical.problem(text) is None


@cases
def test_resuming_inside_each_span(case: Case) -> None:
    """A completion starting just inside a comment or literal lexes as the whole text does from there."""
    text = case.text
    whole = list(lexer.pieces(text))
    for kind, start, end in case.spans:
        cut = start + _OPENER_LENGTH[kind]
        assert lexical.state_at(text, cut) == kind
        rest = [(k, s + cut, e + cut, closed) for k, s, e, closed in lexer.pieces(text[cut:], kind)]
        i = next(i for i, piece in enumerate(whole) if piece[1] == start)
        assert rest == [(kind, cut, end, whole[i][3]), *whole[i + 1 :]]
        assert lexical.scan(text[cut:], kind).state == case.open


@cases
def test_stop_index(case: Case) -> None:
    text = case.text
    multiline_open = case.open in _MULTILINE
    assert stop_index(text + "\n}", StopRule.BLOCK) == (None if multiline_open else len(text) + 1)
    inside, comment = [*case.inside(), multiline_open], [*case.inside(COMMENTS), False]
    line = text + "\n"
    ends = [
        i
        for i, c in enumerate(line)
        if c == "\n" and not inside[i] and any(not line[j].isspace() and not comment[j] for j in range(i))
    ]
    assert stop_index(line, StopRule.LINE) == (ends[0] if ends else None)


@cases
def test_code_mask(case: Case) -> None:
    assert code_mask(case.text) == bytearray(0 if flag else 1 for flag in case.inside())
