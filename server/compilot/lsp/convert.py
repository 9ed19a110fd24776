"""Conversions between LSP positions and the engine's character offsets, and engine results to LSP types.

Every LSP type the server answers with is shaped here: diagnostics, inline completion items and completion
list items (the one builder of both: clients show what this module says, checked or not).

The engine indexes documents by Python string index (code points); LSP positions count UTF-16 code units
unless the client negotiated another encoding. pygls' own helpers split lines with `str.splitlines`, which
also breaks at U+2028, form feeds and other characters that LSP does not treat as line ends, so positions
are converted here with the protocol's own rule: lines end at `\\n`, `\\r\\n` or `\\r`.
"""

from __future__ import annotations

import bisect
import re
from urllib.parse import unquote, urlparse

from lsprotocol import types

from compilot.candidate import Candidate
from compilot.verification.diagnostics import Diagnostic

_LINE_END = re.compile(r"\r\n|\r|\n")
_SURROGATE = re.compile(r"[\ud800-\udfff]")

UTF8 = types.PositionEncodingKind.Utf8
UTF16 = types.PositionEncodingKind.Utf16
UTF32 = types.PositionEncodingKind.Utf32


def _units(char: str, encoding: str) -> int:
    """Code units one code point takes in the client's encoding (a lone surrogate counts as one)."""
    code = ord(char)
    if encoding == UTF32:
        return 1
    if encoding == UTF8:
        if code < 0x80:
            return 1
        if code < 0x800:
            return 2
        return 3 if code < 0x10000 else 4
    return 2 if code > 0xFFFF else 1


def units_in(text: str, encoding: str = UTF16) -> int:
    """Length of `text` in the client's code units."""
    if encoding == UTF32 or text.isascii():
        return len(text)
    return sum(_units(c, encoding) for c in text)


class LineIndex:
    """Line starts of one document version, for position <-> offset conversion in O(log n) per lookup."""

    def __init__(self, text: str):
        self.text = text
        self.starts = [0] + [m.end() for m in _LINE_END.finditer(text)]

    def line_count(self) -> int:
        return len(self.starts)

    def line_text(self, line: int) -> str:
        """The line's content without its line ending."""
        start = self.starts[line]
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.text)
        return self.text[start:end].rstrip("\r\n")

    def offset(self, position: types.Position, encoding: str = UTF16) -> int | None:
        """Character offset of an LSP position; None when its line is outside the document.

        A character past the end of its line means the line's end, as the specification says. A position
        inside a surrogate pair (UTF-16) or a multi-byte character (UTF-8) rounds down to that character.
        """
        if position.line < 0 or position.character < 0 or position.line >= len(self.starts):
            return None
        start = self.starts[position.line]
        line = self.line_text(position.line)
        if encoding == UTF32 or line.isascii():
            return start + min(position.character, len(line))
        units = 0
        for i, char in enumerate(line):
            units += _units(char, encoding)
            if units > position.character:
                return start + i
        return start + len(line)

    def position(self, offset: int, encoding: str = UTF16) -> types.Position:
        """LSP position of a character offset (clamped to the document)."""
        offset = max(0, min(offset, len(self.text)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        return types.Position(line=line, character=units_in(self.text[start:offset], encoding))


def apply_change(
    text: str, change: types.TextDocumentContentChangeEvent, encoding: str = UTF16
) -> tuple[str, int | None]:
    """The document after one content change, and the offset where the inserted text ends (None for a
    whole-document change): where the cursor most likely is."""
    if not isinstance(change, types.TextDocumentContentChangePartial):
        return change.text, None
    index = LineIndex(text)
    start = _clamped_offset(index, change.range.start, encoding)
    end = _clamped_offset(index, change.range.end, encoding)
    if end < start:
        start, end = end, start
    return text[:start] + change.text + text[end:], start + len(change.text)


def _clamped_offset(index: LineIndex, position: types.Position, encoding: str) -> int:
    offset = index.offset(position, encoding)
    if offset is None:  # a line past the end: the end of the document
        return len(index.text) if position.line >= 0 else 0
    return offset


def clean_text(text: str) -> str:
    """Lone surrogates (a client can send them as JSON escapes) become U+FFFD: encodable as UTF-8 for the
    model and javac, and still one code point (and one UTF-16 unit) each, so offsets do not move."""
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def uri_filename(uri: str, default: str = "Main.java") -> str:
    """The file name javac should see for a document: a public class must match its file's name, and a
    local file's whole path says which module's class path it gets (project/discover.py)."""
    path = unquote(urlparse(uri).path or "")
    name = path.rsplit("/", 1)[-1]
    if not (name.endswith(".java") and len(name) > 5):
        return default
    return path if urlparse(uri).scheme == "file" and path.startswith("/") else name


def uri_path(uri: str) -> str | None:
    """The local file system path of a file:// URI, else None."""
    parsed = urlparse(uri)
    if parsed.scheme != "file":
        return None
    return unquote(parsed.path) or None


_SEVERITY = {
    "ERROR": types.DiagnosticSeverity.Error,
    "WARNING": types.DiagnosticSeverity.Warning,
    "MANDATORY_WARNING": types.DiagnosticSeverity.Warning,
    "NOTE": types.DiagnosticSeverity.Information,
}


def to_lsp_diagnostic(diag: Diagnostic, index: LineIndex, encoding: str = UTF16) -> types.Diagnostic:
    """One javac diagnostic as an LSP diagnostic; positions come from javac's code point offsets."""
    if diag.start >= 0:
        start = index.position(diag.start, encoding)
        end = index.position(diag.end if diag.end > diag.start else diag.start + 1, encoding)
        if end.line != start.line and diag.end <= diag.start:
            end = start
    elif diag.line > 0:
        line = min(diag.line - 1, index.line_count() - 1)
        start = types.Position(line=line, character=0)
        end = types.Position(line=line, character=units_in(index.line_text(line), encoding))
    else:
        start = end = types.Position(line=0, character=0)
    return types.Diagnostic(
        range=types.Range(start=start, end=end),
        message=diag.message,
        severity=_SEVERITY.get(diag.kind, types.DiagnosticSeverity.Information),
        code=diag.code or None,
        source="javac",
    )


def shorten(text: str, limit: int = 60) -> str:
    """The first non-blank line of a completion, trimmed for a completion list label."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    first = lines[0] if lines else text.strip()
    if len(lines) > 1:
        first += " …"
    return first if len(first) <= limit else first[: limit - 1] + "…"


def inline_items(
    index: LineIndex, offset: int, candidates: list[Candidate], encoding: str = UTF16
) -> types.InlineCompletionList:
    """Ghost text: each candidate inserted at the cursor."""
    position = index.position(offset, encoding)
    cursor = types.Range(start=position, end=position)
    return types.InlineCompletionList(
        items=[types.InlineCompletionItem(insert_text=c.text, range=cursor) for c in candidates]
    )


_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


def completion_items(
    index: LineIndex, offset: int, candidates: list[Candidate], checked: bool, encoding: str = UTF16
) -> types.CompletionList:
    """The completion list: one item per candidate, best first, labelled with whether javac checked it.

    The identifier typed just before the cursor is replaced (and typed again by the edit), so a client that
    filters the list by that word keeps the items. Incomplete: a keystroke asks the server again.
    """
    text = index.text
    start = offset
    while start > 0 and text[start - 1] in _IDENT_CHARS:
        start -= 1
    partial = text[start:offset]
    edit_range = types.Range(start=index.position(start, encoding), end=index.position(offset, encoding))
    detail = "compiles (javac)" if checked else "not compile-checked"
    items = []
    for rank, c in enumerate(candidates):
        inserted = partial + c.text
        items.append(
            types.CompletionItem(
                label=shorten(inserted),
                kind=types.CompletionItemKind.Snippet,
                detail=detail,
                documentation=types.MarkupContent(
                    kind=types.MarkupKind.Markdown, value=f"```java\n{inserted}\n```"
                ),
                filter_text=partial + c.text.strip().splitlines()[0] if c.text.strip() else partial,
                sort_text=f"{rank:04d}",
                preselect=rank == 0,
                insert_text_format=types.InsertTextFormat.PlainText,
                text_edit=types.TextEdit(range=edit_range, new_text=inserted),
            )
        )
    return types.CompletionList(is_incomplete=True, items=items)
