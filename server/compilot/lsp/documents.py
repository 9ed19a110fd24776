"""The open documents, kept by the server itself so positions follow LSP's line rule (see convert.py)."""

from __future__ import annotations

from dataclasses import dataclass, field

from lsprotocol import types

from compilot.lsp.convert import UTF16, LineIndex, apply_change, clean_text, uri_filename

# Larger documents are not given to the model or javac: they are almost never hand-written Java, and one
# javac run over them would stall every completion behind it.
MAX_CHARS = 1_000_000


@dataclass
class Document:
    uri: str
    language_id: str
    version: int
    text: str
    edited_at: int | None = (
        None  # where the latest change's text ends (the cursor, most likely); None: unknown
    )
    asked_version: int | None = None  # the version the latest completion request saw: prefill for it is done
    _index: LineIndex | None = field(default=None, repr=False)

    @property
    def index(self) -> LineIndex:
        if self._index is None or self._index.text is not self.text:
            self._index = LineIndex(self.text)
        return self._index

    @property
    def filename(self) -> str:
        return uri_filename(self.uri)

    @property
    def is_java(self) -> bool:
        """Java by language id, or by extension when the client sends none or a generic one."""
        if self.language_id == "java":
            return True
        return self.language_id in ("", "plaintext") and self.uri.lower().endswith(".java")

    def unsupported(self) -> str:
        """Why the engine must not see this document, or "" when it may."""
        if not self.is_java:
            return f"not a Java document (languageId {self.language_id!r})"
        if self.filename.endswith("module-info.java"):
            return "a module declaration (javac checks it only with the module path, which is not given)"
        if len(self.text) > MAX_CHARS:
            return f"document too large ({len(self.text)} characters; the limit is {MAX_CHARS})"
        if "\x00" in self.text:
            return "document contains NUL characters (binary content?)"
        return ""


class Documents:
    """Open documents by URI; change events are applied in the client's position encoding."""

    def __init__(self) -> None:
        self._docs: dict[str, Document] = {}
        self.encoding: str = UTF16

    def get(self, uri: str) -> Document | None:
        return self._docs.get(uri)

    def open(self, item: types.TextDocumentItem) -> Document:
        doc = Document(item.uri, item.language_id or "", item.version, clean_text(item.text))
        self._docs[item.uri] = doc
        return doc

    def change(self, params: types.DidChangeTextDocumentParams) -> Document | None:
        doc = self._docs.get(params.text_document.uri)
        if doc is None:
            return None
        text, edited_at = doc.text, None
        for change in params.content_changes:
            text, edited_at = apply_change(text, change, self.encoding)
        doc.text, doc.edited_at = clean_text(text), edited_at
        doc.version = params.text_document.version
        return doc

    def close(self, uri: str) -> Document | None:
        return self._docs.pop(uri, None)

    def __iter__(self):
        return iter(list(self._docs.values()))
