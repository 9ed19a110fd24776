"""The pure parts of verification: lexing candidates, cutting them, and comparing errors with a baseline."""

from __future__ import annotations

from compilot.lexer import LINE_COMMENT, STRING
from compilot.verification import lexical
from compilot.verification.diagnostics import Diagnostic
from compilot.verification.verifier import CRASH, Baseline, new_errors


def error(code: str, start: int, message: str = "m") -> Diagnostic:
    return Diagnostic("ERROR", code, message, 1, 1, start, start + 1)


def test_problems_ignore_brackets_in_literals_and_comments():
    assert lexical.problem("foo(\"a)b\", '('); // (\n") is None
    assert lexical.problem("a /* ( */ b") is None
    assert lexical.problem('s = """\n  ( text\n  """;') is None
    assert lexical.problem("foo();\n}") is None  # closes a block opened before the cursor


def test_problems_found():
    assert lexical.problem("if (x) {\n  foo();") == (7, "'{' is never closed")
    assert lexical.problem('"hello;') == (7, "unterminated string")
    assert lexical.problem("foo(]") == (4, "']' does not match its opening bracket")
    assert lexical.problem('"abc\n";')[1] == "unterminated literal at the end of the line"
    assert lexical.problem("/* open")[1] == "unterminated comment"


def test_state_at_the_cursor():
    assert lexical.state_at('String s = "abc', 15) == STRING
    assert lexical.state_at("int x; // note", 14) == LINE_COMMENT
    assert lexical.problem('world") + 1;', STRING) is None  # completes the string the cursor is in


def test_statement_prefixes_longest_first():
    text = "a = 1; /* c; */\nif (b) {\n  c();\n}\nd(1,\n  2);\ne(; // x\nf();"
    assert lexical.statement_prefixes(text) == [
        "a = 1; /* c; */\nif (b) {\n  c();\n}\nd(1,\n  2);",
        "a = 1; /* c; */\nif (b) {\n  c();\n}",
        "a = 1; /* c; */",
    ]
    assert lexical.statement_prefixes('x = "a;\ny();\nz();') == []  # the broken string spoils every prefix


def test_baseline_errors_move_with_the_insertion():
    baseline = Baseline((error("before", 5), error("after", 20), error("at", 10)))
    moved = [error("before", 5), error("after", 24), error("at", 14)]
    assert new_errors(moved, baseline, offset=10, inserted=4) == []
    assert new_errors([error("at", 10)], baseline, offset=10, inserted=4) == []  # refers to text before it
    assert new_errors([error("after", 20)], baseline, offset=10, inserted=4) == [error("after", 20)]
    assert new_errors([error("before", 5, "other")], baseline, 10, 4) == [error("before", 5, "other")]


def test_a_crash_is_never_a_pass():
    crash = error(CRASH, -1)
    assert new_errors([crash], Baseline((crash,)), offset=0, inserted=1) == [crash]
