"""Fix to compile as LSP code actions: the pure parts (what an action carries, matching, edits).

`textDocument/codeAction` answers at once with one unresolved action per javac error under the cursor; its `data`
names the document, its version and the error, and `codeAction/resolve` computes the verified edit on the worker
(see `Compilot.resolve_code_action`). Nothing here touches the engine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lsprotocol import types

from compilot.lsp.convert import UTF16, LineIndex, to_lsp_diagnostic
from compilot.verification.diagnostics import Diagnostic

if TYPE_CHECKING:
    from compilot.fix import Fix  # imports the sampler (torch): only ever on the worker

PREFIX = "Fix to compile: "
NO_FIX = PREFIX + "no verified fix found"
STALE = PREFIX + "the document changed since; ask again"
GONE = PREFIX + "the error is no longer in the document"
UNAVAILABLE = PREFIX + "javac is not available"
DATA_KIND = "compilot.fix"


def first_line(message: str) -> str:
    lines = [line for line in message.splitlines() if line.strip()]
    return lines[0].strip() if lines else message.strip()


def overlaps(a: types.Range, b: types.Range) -> bool:
    """Whether two ranges share a position (ends included, so an empty cursor range touches its neighbours)."""

    def key(p: types.Position) -> tuple[int, int]:
        return (p.line, p.character)

    return key(a.start) <= key(b.end) and key(b.start) <= key(a.end)


def fixable(diagnostic: types.Diagnostic, foreign: bool = False) -> bool:
    """An error of ours (source "javac"), or with `foreign` (the `diagnostics` setting is off, so another
    Java extension shows the errors) any tool's error: its fix is found for javac's error on the same line.
    Warnings have nothing to make compile."""
    return (foreign or diagnostic.source == "javac") and diagnostic.severity in (
        None,
        types.DiagnosticSeverity.Error,
    )


def wants_quickfix(only: list[str] | None) -> bool:
    """Whether a request's `context.only` admits quick fixes (a kind admits its sub-kinds)."""
    if not only:
        return True
    quickfix = types.CodeActionKind.QuickFix.value
    return any(quickfix == k or quickfix.startswith(f"{k}.") or k == "" for k in map(str, only))


def _range_list(r: types.Range) -> list[int]:
    return [r.start.line, r.start.character, r.end.line, r.end.character]


def make_data(uri: str, version: int, diagnostic: types.Diagnostic) -> dict[str, Any]:
    """What `codeAction/resolve` needs to find the error again; plain JSON."""
    return {
        "kind": DATA_KIND,
        "uri": uri,
        "version": version,
        "message": diagnostic.message,
        "range": _range_list(diagnostic.range),
    }


def read_data(data: Any) -> tuple[str, int, str, list[int]] | None:
    """(uri, version, message, [line, character, end line, end character]) from an action's data, or None."""
    if not isinstance(data, dict) or data.get("kind") != DATA_KIND:
        return None
    uri, version, message, where = (data.get(k) for k in ("uri", "version", "message", "range"))
    if not (isinstance(uri, str) and isinstance(version, int) and isinstance(message, str)):
        return None
    if not (isinstance(where, list) and len(where) == 4 and all(isinstance(v, int) for v in where)):
        return None
    return uri, version, message, where


def unresolved(uri: str, version: int, diagnostic: types.Diagnostic) -> types.CodeAction:
    return types.CodeAction(
        title=PREFIX + first_line(diagnostic.message),
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        data=make_data(uri, version, diagnostic),
    )


def match(
    errors: list[Diagnostic], message: str, where: list[int], index: LineIndex, encoding: str = UTF16
) -> Diagnostic | None:
    """The engine's error that an LSP diagnostic reports: same message and range, else same message and line,
    else (another tool's wording) the first error on its line."""
    errors = [e for e in errors if e.is_error]
    same_message = [e for e in errors if e.message == message]
    for e in same_message:
        if _range_list(to_lsp_diagnostic(e, index, encoding).range) == where:
            return e
    for candidates in (same_message, errors):
        for e in candidates:
            if to_lsp_diagnostic(e, index, encoding).range.start.line == where[0]:
                return e
    return None


def edit_for(
    uri: str, version: int, fix: Fix, index: LineIndex, encoding: str = UTF16, versioned: bool = True
) -> types.WorkspaceEdit:
    """The fix as a workspace edit (positions in the client's encoding): a versioned document change, so the
    client refuses it for a newer text, or a plain `changes` map for clients without `documentChanges`."""
    edit = types.TextEdit(
        range=types.Range(start=index.position(fix.start, encoding), end=index.position(fix.end, encoding)),
        new_text=fix.replacement,
    )
    if not versioned:
        return types.WorkspaceEdit(changes={uri: [edit]})
    return types.WorkspaceEdit(
        document_changes=[
            types.TextDocumentEdit(
                text_document=types.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
                edits=[edit],
            )
        ]
    )
