"""Where a generated method body goes: separators and closing braces around it."""

from compilot.blocks import _first_separator, block_closing
from compilot.context import classify


def context_at_end(document: str, cursor_marker: str = "|"):
    offset = document.index(cursor_marker)
    return classify(document.replace(cursor_marker, ""), offset)


def test_body_after_an_unclosed_header_closes_the_method():
    context = context_at_end("class A {\n    int f() {\n|")
    assert context.close_block
    assert block_closing(context) == "\n    }"
    assert _first_separator(context) == "        "


def test_body_on_the_header_line_starts_on_a_new_line_before_the_existing_brace():
    context = context_at_end("class A {\n    int f() {|\n    }\n}\n")
    assert not context.close_block
    assert _first_separator(context) == "\n        "
    assert block_closing(context) == ""


def test_cursor_already_indented_inside_an_empty_body():
    context = context_at_end("class A {\n    int f() {\n        |}\n}\n")
    assert _first_separator(context) == ""
    assert block_closing(context) == "\n    "
