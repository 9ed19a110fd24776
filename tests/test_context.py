"""Cursor classification: kinds, stop rules, indentation, prompt windows and robustness."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compilot.context import CursorContext, Kind, StopRule, classify
from compilot.context.indent import indent_unit

HUMANEVAL = Path(__file__).resolve().parents[2] / "shared" / "data" / "humanevalx_java.jsonl"


def at(marked: str, **kwargs) -> CursorContext:
    """Classify `marked` at its `|` (removed from the text)."""
    i = marked.index("|")
    return classify(marked[:i] + marked[i + 1 :], i, **kwargs)


def kind(marked: str) -> Kind:
    return at(marked).kind


# --- each kind of position -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marked, reason",
    [
        ("|package a;\nclass A {}", "outside any class body"),
        ("import java.util.*;\n|\nclass A {}", "outside any class body"),
        ("class A {}\n|", "outside any class body"),
        ("class A {\n    // a { b |\n}", "inside a line comment"),
        ("class A {\n    /* a { | */\n}", "inside a block comment"),
        ("class A {\n    /** Returns { | */\n    int f();\n}", "inside a javadoc comment"),
        ('class A {\n  String s = "{ |";\n}', "inside a string literal"),
        ('class A {\n  String s = "unterminated |\n}', "inside a string literal"),
        ('class A {\n  String s = "an escape \\|\n}', "inside a string literal"),
        ("class A {\n  char c = '|';\n}", "inside a char literal"),
        ('class A {\n  String s = """\n    { "quoted" |\n    """;\n}', "inside a text block"),
        ("class A {\n    /* never closed { |", "inside a block comment"),
    ],
)
def test_none_positions(marked: str, reason: str) -> None:
    ctx = at(marked)
    assert ctx.kind is Kind.NONE
    assert ctx.reason == reason
    assert not ctx.completes


def test_member_positions() -> None:
    assert kind("class A {\n    |\n}") is Kind.MEMBER
    assert kind("class A {\n    int x;\n    |\n}") is Kind.MEMBER
    assert kind("class A {\n    void f() {}\n    |\n}") is Kind.MEMBER
    assert kind("class A {\n    @Override\n    |\n}") is Kind.MEMBER
    assert kind('class A {\n    @SuppressWarnings("x")\n    |\n}') is Kind.MEMBER
    assert kind("interface I {\n    |\n}") is Kind.MEMBER
    assert kind("@interface Ann {\n    |\n}") is Kind.MEMBER
    assert (
        kind("class A {\n    static class B extends C<D> implements E {\n        |\n    }\n}") is Kind.MEMBER
    )


def test_statement_positions() -> None:
    assert kind("class A {\n    void f() {\n        int x = 1;\n        |\n    }\n}") is Kind.STATEMENT
    assert (
        kind("class A {\n    void f() {\n        if (x) {\n        }\n        |\n    }\n}") is Kind.STATEMENT
    )
    assert kind("class A {\n  void f() {\n    if (x)\n      |\n  }\n}") is Kind.STATEMENT
    assert kind(
        "class A {\n  void f(int d) {\n    switch (d) {\n      case 1:\n        |\n    }\n  }\n}"
    ) is (Kind.STATEMENT)
    assert kind("class A {\n  static {\n    x = 1;\n    |\n  }\n}") is Kind.STATEMENT


def test_mid_statement_positions() -> None:
    assert kind("class A {\n    void f() {\n        int x = |\n    }\n}") is Kind.MID_STATEMENT
    assert kind("class A {\n    private int |\n}") is Kind.MID_STATEMENT
    # a blank line that continues a statement is still inside it
    assert kind("class A {\n  void f() {\n    foo(a,\n        |\n  }\n}") is Kind.MID_STATEMENT
    assert kind("class A {\n  void f() {\n    int x = a +\n        |\n  }\n}") is Kind.MID_STATEMENT
    assert kind("class A {\n    int[] a = {\n        |\n    };\n}") is Kind.MID_STATEMENT
    assert kind("class A {\n  void f() {\n    int[] a = {1, 2}\n    |\n  }\n}") is Kind.MID_STATEMENT


def test_member_access_positions() -> None:
    assert kind("class A {\n    void f() {\n        list.|\n    }\n}") is Kind.MEMBER_ACCESS
    assert kind("class A {\n    void f() {\n        list.si|\n    }\n}") is Kind.MEMBER_ACCESS
    assert kind("class A {\n    void f() {\n        return a.b().|") is Kind.MEMBER_ACCESS
    assert kind("class A {\n    void f() {\n        list.size |\n    }\n}") is Kind.MID_STATEMENT
    assert kind("import java.util.|\nclass A {}") is Kind.NONE


def test_stop_rules() -> None:
    assert at("class A {\n    void f() {|}\n}").stop is StopRule.BLOCK
    for marked in ("class A {\n    |\n}", "class A {\n  void f() {\n    x.|\n  }\n}"):
        assert at(marked).stop is StopRule.LINE


# --- BLOCK_BODY and close_block -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marked, close_block",
    [
        ("class A {\n    void f() {|}\n}", False),
        ("class A {\n    void f() {\n        |\n    }\n}", False),
        ("class A {\n    void f() {\n        \n    |}\n}", False),
        ("class A {\n    public int f(int x) {\n|", True),
        ("class A {\n    public int f(int x) {|", True),
        # the `}` at column 0 is the class's: the user typed `{` and Enter without an auto-closed brace
        ("class A {\n    void f() {\n|\n}", True),
        ("class A {\n    void f() {\n    |\n    void g() { return; }\n}", True),
        ("class A {\n    void f() { // todo\n        |\n    }\n}", False),
    ],
)
def test_block_body_close_block(marked: str, close_block: bool) -> None:
    ctx = at(marked)
    assert ctx.kind is Kind.BLOCK_BODY
    assert ctx.stop is StopRule.BLOCK
    assert ctx.close_block is close_block
    assert ctx.indent == "        "


@pytest.mark.parametrize(
    "marked, nested",
    [
        ("class A {\n    int f(int x) {\n        |\n    }\n}", False),
        ("class A {\n    A() {|}\n}", False),
        ("class A {\n    static {|}\n}", False),
        ("class A {\n    void f(int x) {\n        if (x > 0) {\n            |\n        }\n    }\n}", True),
        ("class A {\n    Runnable r = () -> {|};\n}", True),
    ],
)
def test_block_body_knows_a_method_body_from_a_nested_block(marked: str, nested: bool) -> None:
    ctx = at(marked)
    assert ctx.kind is Kind.BLOCK_BODY
    assert ctx.nested is nested


@pytest.mark.parametrize(
    "marked",
    [
        "class A {\n  void f() {\n    if (x) {|}\n  }\n}",
        "class A {\n  void f() {\n    for (int i = 0; i < n; i++) {|}\n  }\n}",
        "class A {\n  void f() {\n    while (true) {|}\n  }\n}",
        "class A {\n  void f() {\n    if (x) {\n    } else {|}\n  }\n}",
        "class A {\n  void f() {\n    try {|} finally {}\n  }\n}",
        "class A {\n  void f() {\n    try (var r = open()) {|}\n  }\n}",
        "class A {\n  void f() {\n    try {\n    } catch (IOException e) {|}\n  }\n}",
        "class A {\n  void f() {\n    run(() -> {|});\n  }\n}",
        "class A {\n  A() throws java.io.IOException, Ex {|}\n}",
        "class A<T extends Comparable<T>> {\n  <U extends Comparable<U>> U max(U a) {|}\n}",
        "class A {\n  Runnable r = new Runnable() {\n    public void run() {|}\n  };\n}",
        "record P(int x, int y) {\n  P {|}\n}",
        "enum E {\n  A(1), B(2);\n  E(int v) {|}\n}",
        "class A {\n  static {|}\n}",
    ],
)
def test_block_body_headers(marked: str) -> None:
    assert kind(marked) is Kind.BLOCK_BODY


def test_not_block_body() -> None:
    # a class body, an array initializer and a body that already has code
    assert kind("class A {|}") is Kind.MID_STATEMENT
    assert kind("class A {\n  int[] a = {|};\n}") is Kind.MID_STATEMENT
    assert kind("class A {\n  void f() {\n    |\n    g();\n  }\n}") is Kind.STATEMENT


def test_block_body_indent_follows_header_and_unit() -> None:
    assert at("class A {\n  void f() {\n    if (x) {|}\n  }\n}").indent == "      "
    tabbed = "class A {\n\tvoid f() {\n\t\tint x;\n\t}\n\tvoid g() {\n|"
    assert at(tabbed).indent == "\t\t"
    assert at("class A {\n    public void f(int a,\n                  int b) {\n|").indent == "        "


# --- Java 17 syntax ------------------------------------------------------------------------------------------


def test_java17_syntax() -> None:
    assert kind("record P(int x, int y) {\n    |\n}") is Kind.MEMBER
    assert kind("record P<T>(T x) implements I {\n    |\n}") is Kind.MEMBER
    assert kind("sealed interface S permits A, B {\n    |\n}") is Kind.MEMBER
    assert kind("non-sealed class B implements S {\n    |\n}") is Kind.MEMBER
    text_block = 'class A {\n  String s = """\n    { "x" }\n    """;\n  |\n}'
    assert kind(text_block) is Kind.MEMBER
    switch_expr = "class A {\n  int f(int d) {\n    return switch (d) {\n      case 1 -> {|}\n      default -> 0;\n    };\n  }\n}"
    assert at(switch_expr).kind is Kind.BLOCK_BODY
    assert at(switch_expr).indent == "        "
    yields = "class A {\n  int f(int d) {\n    int r = switch (d) {\n      case 1 -> {\n        yield 2;\n        |"
    assert kind(yields) is Kind.STATEMENT
    var = "class A {\n  void f() {\n    var m = new java.util.HashMap<String, Integer>();\n    |\n  }\n}"
    assert kind(var) is Kind.STATEMENT
    assert (
        kind("class A {\n  void f(Object o) {\n    if (o instanceof String s) {|}\n  }\n}") is Kind.BLOCK_BODY
    )
    assert kind("class A {\n  void f(Object o) {\n    if (o instanceof String s && s.|") is Kind.MEMBER_ACCESS


def test_enum_bodies() -> None:
    assert kind("enum E {\n    A,\n    |\n}") is Kind.MEMBER
    assert kind("enum E {\n    A, B;\n    |\n}") is Kind.MEMBER
    assert kind("enum E {\n    A {\n        |\n    }, B;\n}") is Kind.MEMBER  # a constant's class body
    assert kind("enum E {\n    A(1) {\n        void f() {|}\n    };\n}") is Kind.BLOCK_BODY


def test_anonymous_and_local_classes() -> None:
    assert kind("class A {\n  Runnable r = new Runnable() {\n    |\n  };\n}") is Kind.MEMBER
    assert kind("class A {\n  void f() {\n    class L {\n      |\n    }\n  }\n}") is Kind.MEMBER
    assert (
        kind("class A {\n  void f() {\n    Object o = new java.util.ArrayList<>() {\n      |") is Kind.MEMBER
    )
    double_brace = (
        "class A {\n  void f() {\n    var m = new HashMap<String, Integer>() {{\n      |\n    }};\n  }\n}"
    )
    assert kind(double_brace) is Kind.BLOCK_BODY


def test_braces_and_quotes_in_literals_and_comments() -> None:
    source = (
        "class A {\n"
        "  // } } {\n"
        "  /* { */\n"
        "  void f() {\n"
        '    String s = "}}} \\" {";\n'
        "    char c = '}';\n"
        "    char q = '\\'';\n"
        '    String t = """\n      } " "" {\n      """;\n'
        "    |\n"
        "  }\n"
        "}\n"
    )
    assert kind(source) is Kind.STATEMENT


# --- incomplete code -------------------------------------------------------------------------------------


def test_incomplete_code() -> None:
    assert kind("class A {\n  void f() {\n    int x = foo(1, \n|") is Kind.MID_STATEMENT
    assert kind("class A {\n  void f() {\n    foo(\n      |") is Kind.MID_STATEMENT
    assert kind("class A {\n  void f() {\n    if (x > 0) {\n      y();\n      |") is Kind.STATEMENT
    assert kind("class A {\n  void f() {\n    g());\n  }\n  |\n}") is Kind.MEMBER  # a stray `)`
    assert kind("class A {\n  }\n  }\n  |") is Kind.NONE  # stray `}` closes nothing, and nothing is open


# --- indent ------------------------------------------------------------------------------------------------


def test_indent_unit_detection() -> None:
    assert indent_unit("class A {\n    int x;\n}") == "    "
    assert indent_unit("class A {\n  void f() {\n    int x;\n  }\n}") == "  "
    assert indent_unit("class A {\n\tvoid f() {\n\t\tint x;\n\t}\n}") == "\t"
    assert indent_unit("") == "    "
    assert indent_unit("class A {\n    /**\n     * doc\n     */\n    int x;\n}") == "    "


def test_indent_is_current_line_indentation() -> None:
    assert at("class A {\n  void f() {\n    int x = |").indent == "    "
    assert at("class A {\n\tint |").indent == "\t"


# --- prefix window -----------------------------------------------------------------------------------------


def _long_class(methods: int) -> str:
    body = "".join(f"    int m{i}(int x) {{\n        return x + {i};\n    }}\n\n" for i in range(methods))
    return "package p;\n\nimport java.util.*;\n\nclass A {\n" + body + "    void last() {\n        |"


def test_prefix_window_is_everything_when_it_fits() -> None:
    marked = _long_class(3)
    ctx = at(marked, prompt_style="window")
    assert ctx.prefix == marked[: marked.index("|")]
    assert ctx.suffix == ""


def test_prefix_window_is_bounded_and_starts_at_a_member() -> None:
    marked = _long_class(200)
    ctx = at(marked, prompt_chars=1000, prompt_style="window")
    assert 0 < len(ctx.prefix) <= 1000
    assert marked[: marked.index("|")].endswith(ctx.prefix)
    first_line = ctx.prefix.splitlines()[0]
    assert first_line.startswith("    int m") or first_line == ""  # a member boundary, not mid-method


def test_prefix_window_prefers_the_class_header() -> None:
    marked = _long_class(10)
    full = marked.index("|")
    class_start = marked.index("class A")
    ctx = at(marked, prompt_chars=full - class_start + 5, prompt_style="window")
    assert ctx.prefix.startswith("class A {")


def test_prefix_window_on_one_huge_line() -> None:
    text = "class A { int x = " + "1 + " * 5000
    ctx = classify(text, len(text), prompt_chars=100, prompt_style="window")
    assert len(ctx.prefix) == 100


def test_suffix_is_all_text_after_the_cursor() -> None:
    ctx = at("class A {\n  void f() {|}\n}\n")
    assert ctx.suffix == "}\n}\n"
    assert ctx.offset == len("class A {\n  void f() {")


# --- robustness --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [-5, 0, 3, 10**9])
def test_offsets_are_clamped(offset: int) -> None:
    text = "class A {\n  void f() {\n"
    ctx = classify(text, offset)
    assert 0 <= ctx.offset <= len(text)
    assert ctx.prefix == text[: ctx.offset][-3000:]


def test_empty_and_odd_inputs() -> None:
    assert classify("", 0).kind is Kind.NONE
    assert classify("", 5).kind is Kind.NONE
    assert classify("{", 1).kind is Kind.NONE
    assert classify("}}}{{{", 3).kind is Kind.NONE
    assert classify('class Ä { String s = "héllo ✓"; void f() {\n', 45).completes
    assert classify("class A {\n", 10, prompt_chars=0).prefix == ""


SAMPLES = [
    'package p;\nimport java.util.*;\n/** Doc { */\n@Deprecated(since = "1")\npublic final class A<T extends '
    "Comparable<T>> implements I {\n  private static final int[][] T = {{1, 2}, {3}};\n  static { x = 1; }\n"
    "  A() throws E { super(); }\n  @Override public String toString() { return \"}\" + '{' + '\\''; }\n"
    "  void f(List<T> xs) {\n    for (T x : xs) { if (x == null) continue; else { g(x); } }\n"
    "    xs.forEach(x -> { System.out.println(x); });\n    Runnable r = new Runnable() { public void run() {} };\n"
    '    String s = """\n      {text}\n      """;\n    label: { break label; }\n  }\n}\n',
    "sealed interface Shape permits Circle, Square {}\nrecord Circle(double r) implements Shape {\n  Circle {\n"
    "    if (r < 0) throw new IllegalArgumentException();\n  }\n}\nenum Color { RED { int f() { return 1; } }, "
    "GREEN(2); Color() {} Color(int x) {} }\nclass U {\n  int area(Shape s) {\n    return switch (s) {\n"
    "      case Circle c -> { yield 1; }\n      default -> 0;\n    };\n  }\n  /* unterminated",
    'class Broken {\n  void f( {\n    int x = "abc\n    char c = \'\n    } } ) ] {\n  /** { "\n',
]


@pytest.mark.parametrize("style", ["outline", "window"])
@pytest.mark.parametrize("sample", SAMPLES)
def test_never_raises_at_any_offset(sample: str, style: str) -> None:
    for offset in range(len(sample) + 1):
        ctx = classify(sample, offset, prompt_style=style)
        assert not ctx.reason.startswith("context error"), (offset, ctx.reason)
        cursor_line = sample[sample.rfind("\n", 0, offset) + 1 : offset]
        assert ctx.prefix.endswith(cursor_line), offset  # the prompt ends with the text typed at the cursor
        if style == "window":
            assert ctx.prefix == sample[:offset][-len(ctx.prefix) :] if ctx.prefix else True
        assert ctx.suffix == sample[offset:]


def test_big_inputs_are_classified() -> None:
    """A 5 MB-class input still gets a verdict (its speed is measured by `compilot bench`, not here)."""
    method = '  int f(int x) {\n    String s = "{"; // }\n    if (x > 0) { return x; }\n    return -x;\n  }\n'
    thousand = "class A {\n" + method * 200 + "  void g() {\n"
    assert classify(thousand, len(thousand)).kind is Kind.BLOCK_BODY
    huge = "class A {\n" + method * 40_000
    assert classify(huge, len(huge)).kind is Kind.MEMBER


# --- HumanEval-X prompts ---------------------------------------------------------------------------------


def test_humaneval_prompts_are_open_method_bodies() -> None:
    prompts = [json.loads(line)["prompt"] for line in HUMANEVAL.read_text().splitlines() if line.strip()]
    assert len(prompts) == 164
    for prompt in prompts:
        ctx = classify(prompt, len(prompt))
        assert ctx.kind is Kind.BLOCK_BODY, prompt
        assert ctx.close_block
        assert ctx.indent == " " * 8
        assert ctx.stop is StopRule.BLOCK
        assert ctx.prefix.endswith(prompt[prompt.rindex("/**") :])  # the method with its javadoc, whole
        assert len(ctx.prefix) <= len(prompt)  # helpers' bodies and javadoc elided
        assert classify(prompt, len(prompt), prompt_style="window").prefix == prompt
