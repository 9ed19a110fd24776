"""Position and offset conversion (UTF-16 by default, LSP's own line breaks) and document changes."""

from __future__ import annotations

from lsprotocol import types

from compilot.lsp.convert import (
    UTF8,
    UTF16,
    UTF32,
    LineIndex,
    apply_change,
    clean_text,
    shorten,
    uri_filename,
)
from compilot.lsp.documents import MAX_CHARS, Document


def pos(line: int, character: int) -> types.Position:
    return types.Position(line=line, character=character)


def test_utf16_positions_round_trip():
    text = "a\n😀b\r\ncé\rz"
    index = LineIndex(text)
    assert index.line_count() == 4
    assert index.offset(pos(1, 2), UTF16) == text.index("b")  # the emoji is two UTF-16 units
    assert index.offset(pos(1, 1), UTF16) == text.index("😀")  # inside the pair: rounds down
    assert index.offset(pos(1, 1), UTF32) == text.index("b")
    assert index.offset(pos(1, 4), UTF8) == text.index("b")
    assert index.offset(pos(3, 0)) == text.index("z")  # a lone \r ends a line
    for offset in range(len(text) + 1):
        if text[offset - 1 : offset] != "\r" or text[offset : offset + 1] != "\n":
            assert index.offset(index.position(offset)) == offset


def test_positions_outside_the_document():
    index = LineIndex("ab\ncd")
    assert index.offset(pos(0, 99)) == 2  # past the line's end: the line's end
    assert index.offset(pos(2, 0)) is None


def test_only_lsp_line_breaks_count():
    text = "a\u2028b\x0cc\nd"  # U+2028 and form feed are not LSP line ends (str.splitlines says they are)
    index = LineIndex(text)
    assert index.line_count() == 2
    assert index.offset(pos(1, 0)) == text.index("d")


def test_incremental_change():
    text = "int x = 1\nint 😀 = 2\n"
    change = types.TextDocumentContentChangePartial(
        range=types.Range(start=pos(1, 6), end=pos(1, 6)), text="y"
    )
    assert apply_change(text, change) == ("int x = 1\nint 😀y = 2\n", len("int x = 1\nint 😀y"))
    whole = types.TextDocumentContentChangeWholeDocument(text="new")
    assert apply_change(text, whole) == ("new", None)


def test_clean_text_keeps_offsets():
    text = 'a"\ud800"b'
    cleaned = clean_text(text)
    assert len(cleaned) == len(text) and cleaned.encode("utf-8")


def test_documents_and_names():
    assert uri_filename("file:///p/My%20Dir/Foo.java") == "/p/My Dir/Foo.java"
    assert uri_filename("jdt://contents/Foo.java") == "Foo.java"
    assert uri_filename("untitled:Untitled-1") == "Main.java"
    assert Document("file:///a/A.java", "java", 1, "class A {}").unsupported() == ""
    assert "not a Java" in Document("file:///a/a.py", "python", 1, "").unsupported()
    assert Document("file:///a/A.java", "", 1, "class A {}").is_java
    assert "too large" in Document("file:///a/A.java", "java", 1, "x" * (MAX_CHARS + 1)).unsupported()
    assert "NUL" in Document("file:///a/A.java", "java", 1, "class A {\x00}").unsupported()
    assert shorten("foo();\n    bar();") == "foo(); …"
    assert len(shorten("x" * 200)) == 60
