"""Fix to compile as LSP code actions, over real stdio with the real model and javac.

Two servers: one for a client that resolves actions later (VS Code's capabilities: the light bulb comes at once,
the edit on `codeAction/resolve`), one for a client that cannot (verified edits in the codeAction answer). Every
edit is applied here, with this file's own UTF-16 arithmetic, and judged by an independent javac.
"""

from __future__ import annotations

import asyncio
import sys
import time

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from javac_util import javac_errors
from lsp_util import record_status, wait_for

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

FAST = {"samples": 2, "maxNewTokens": 24}
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "compilot.lsp"])

MISSING_SEMICOLON = """\
public class Counter {
    int twice(int count) {
        String note = "😀 x2"; int doubled = count * 2
        return doubled;
    }
}
"""

MISSING_IMPORT = """\
public class Names {
    List<String> names() {
        return null;
    }
}
"""

# No rule, import or regenerated line can make a missing package exist (the model never rewrites imports).
UNFIXABLE = """\
import zzqx.nothing.Thing;

public class Imports {
    int one() {
        return 1;
    }
}
"""

# Two errors: a fix for one must remove it, and must not be blamed for (or claim to fix) the other.
TWO_ERRORS = """\
import zzqx.nothing.Thing;

public class Both {
    int twice(int count) {
        int doubled = count * 2
        return doubled;
    }
}
"""


async def start(client: LanguageClient, capabilities: types.ClientCapabilities, workspace) -> None:
    statuses = record_status(client)

    client.init_result = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            initialization_options=FAST,
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        )
    )
    client.workspace = workspace
    client.versions = {}
    await wait_for(lambda: any(s["state"] in ("ready", "error") for s in statuses), 120, "the model")
    assert statuses[-1]["state"] == "ready", statuses


def resolving_capabilities() -> types.ClientCapabilities:
    caps = client_capabilities("visual-studio-code")
    action = caps.text_document.code_action
    assert action.resolve_support and "edit" in action.resolve_support.properties and action.data_support
    return caps


def plain_capabilities() -> types.ClientCapabilities:
    """Code action literals, but no resolve support and no versioned document changes."""
    return types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(
                code_action_literal_support=types.ClientCodeActionLiteralOptions(
                    code_action_kind=types.ClientCodeActionKindOptions(
                        value_set=[types.CodeActionKind.QuickFix]
                    )
                )
            ),
            publish_diagnostics=types.PublishDiagnosticsClientCapabilities(),
        ),
        window=types.WindowClientCapabilities(work_done_progress=False),
    )


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, embedded_model_dir, tmp_path_factory):
    await start(lsp_client, resolving_capabilities(), tmp_path_factory.mktemp("ws"))
    yield
    await lsp_client.shutdown_session()


@pytest_lsp.fixture(scope="module", config=SERVER)
async def plain_client(lsp_client: LanguageClient, embedded_model_dir, tmp_path_factory):
    await start(lsp_client, plain_capabilities(), tmp_path_factory.mktemp("ws-plain"))
    yield
    await lsp_client.shutdown_session()


# ---------------------------------------------------------------- helpers


async def open_broken(client: LanguageClient, name: str, text: str) -> tuple[str, list[types.Diagnostic]]:
    uri = (client.workspace / name).as_uri()
    client.versions[uri] = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="java", version=1, text=text)
        )
    )
    await wait_for(lambda: client.diagnostics.get(uri), 30, f"diagnostics for {name}")
    return uri, client.diagnostics[uri]


def close(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


async def code_actions(
    client: LanguageClient, uri: str, diagnostics: list[types.Diagnostic], at: types.Range | None = None
) -> list[types.CodeAction]:
    at = at or diagnostics[0].range
    result = await asyncio.wait_for(
        client.text_document_code_action_async(
            types.CodeActionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                range=at,
                context=types.CodeActionContext(diagnostics=diagnostics),
            )
        ),
        30,
    )
    assert all(isinstance(a, types.CodeAction) for a in result or [])
    return list(result or [])


async def resolve(client: LanguageClient, action: types.CodeAction) -> types.CodeAction:
    return await asyncio.wait_for(client.code_action_resolve_async(action), 30)


def offset(text: str, position: types.Position) -> int:
    """A UTF-16 LSP position as a str index (independently of the server's conversion)."""
    lines = text.split("\n")
    before = sum(len(line) + 1 for line in lines[: position.line])
    units, column = 0, 0
    for char in lines[position.line]:
        if units >= position.character:
            break
        units += 2 if ord(char) > 0xFFFF else 1
        column += 1
    return before + column


def applied(text: str, uri: str, edit: types.WorkspaceEdit, version: int | None = None) -> str:
    """The text after the workspace edit's changes to `uri` (edits applied back to front)."""
    if edit.document_changes is not None:
        changes = [c for c in edit.document_changes if c.text_document.uri == uri]
        assert len(changes) == 1
        assert version is None or changes[0].text_document.version == version
        edits = changes[0].edits
    else:
        edits = edit.changes[uri]
    spans = sorted(
        ((offset(text, e.range.start), offset(text, e.range.end), e.new_text) for e in edits), reverse=True
    )
    for start, end, new in spans:
        text = text[:start] + new + text[end:]
    return text


# ---------------------------------------------------------------- a client that resolves


async def test_capabilities(client: LanguageClient):
    provider = client.init_result.capabilities.code_action_provider
    assert isinstance(provider, types.CodeActionOptions)
    assert provider.resolve_provider is True
    assert list(provider.code_action_kinds) == [types.CodeActionKind.QuickFix]


@pytest.mark.parametrize(
    ("name", "text", "expected_title"),
    [
        ("Counter.java", MISSING_SEMICOLON, "Fix to compile: insert `;`"),
        ("Names.java", MISSING_IMPORT, "Fix to compile: add import java.util.List"),
    ],
)
async def test_quick_fix_resolves_to_an_edit_that_compiles(client, name, text, expected_title):
    uri, diagnostics = await open_broken(client, name, text)
    assert javac_errors(text), "the test file should not compile"
    t0 = time.monotonic()
    actions = await code_actions(client, uri, diagnostics)
    assert time.monotonic() - t0 < 2, "the light bulb waited for the fix"
    assert len(actions) == 1
    action = actions[0]
    first_line = diagnostics[0].message.splitlines()[0]
    assert action.title == f"Fix to compile: {first_line}"
    assert action.kind == types.CodeActionKind.QuickFix and action.edit is None and action.data
    assert list(action.diagnostics) == [diagnostics[0]]

    resolved = await resolve(client, action)
    assert resolved.title.startswith(expected_title), resolved.title
    assert resolved.edit is not None
    fixed = applied(text, uri, resolved.edit, version=1)
    assert javac_errors(fixed) == "", (resolved.title, fixed)
    close(client, uri)


async def test_only_errors_in_the_range_get_an_action(client):
    uri, diagnostics = await open_broken(client, "Both.java", TWO_ERRORS)
    assert len(diagnostics) == 2
    elsewhere = types.Range(
        start=types.Position(line=3, character=0), end=types.Position(line=3, character=4)
    )
    assert await code_actions(client, uri, diagnostics, at=elsewhere) == []
    # The whole file: one action per error; warnings and other servers' diagnostics get none.
    other = types.Diagnostic(range=diagnostics[0].range, message="from another tool", source="lint")
    everything = types.Range(
        start=types.Position(line=0, character=0), end=types.Position(line=9, character=0)
    )
    actions = await code_actions(client, uri, [*diagnostics, other], at=everything)
    assert [list(a.diagnostics) for a in actions] == [[d] for d in diagnostics]

    semicolon = next(a for a in actions if "';' expected" in a.title)
    resolved = await resolve(client, semicolon)
    assert resolved.edit is not None
    after = javac_errors(applied(TWO_ERRORS, uri, resolved.edit))
    assert "';' expected" not in after and "zzqx.nothing does not exist" in after
    close(client, uri)


async def test_an_unfixable_error_says_so_and_offers_no_edit(client):
    uri, diagnostics = await open_broken(client, "Imports.java", UNFIXABLE)
    client.messages.clear()
    actions = await code_actions(client, uri, diagnostics)
    assert len(actions) == 1
    resolved = await resolve(client, actions[0])
    assert resolved.title == "Fix to compile: no verified fix found"
    assert resolved.edit is None
    await wait_for(lambda: client.messages, 5, "a showMessage")
    assert client.messages[-1].type == types.MessageType.Info
    assert "no verified fix found" in client.messages[-1].message
    close(client, uri)


async def test_a_stale_version_gets_no_edit(client):
    uri, diagnostics = await open_broken(client, "Counter.java", MISSING_SEMICOLON)
    actions = await code_actions(client, uri, diagnostics)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangeWholeDocument(text="// edited\n" + MISSING_SEMICOLON)
            ],
        )
    )
    resolved = await resolve(client, actions[0])
    assert resolved.edit is None
    assert "changed" in resolved.title
    close(client, uri)


# ---------------------------------------------------------------- a client that cannot resolve


async def test_without_resolve_support_the_fixes_come_with_their_edits(plain_client):
    client = plain_client
    for name, text in (("Counter.java", MISSING_SEMICOLON), ("Names.java", MISSING_IMPORT)):
        uri, diagnostics = await open_broken(client, name, text)
        actions = await code_actions(client, uri, diagnostics)
        assert 1 <= len(actions) <= 3
        assert actions[0].is_preferred
        for action in actions:
            assert action.title.startswith("Fix to compile: ") and action.edit is not None
            assert action.edit.document_changes is None  # the client did not declare versioned changes
            fixed = applied(text, uri, action.edit)
            assert javac_errors(fixed) == "", (action.title, fixed)
        close(client, uri)

    uri, diagnostics = await open_broken(client, "Imports.java", UNFIXABLE)
    actions = await code_actions(client, uri, diagnostics)
    assert [(a.title, a.edit) for a in actions] == [("Fix to compile: no verified fix found", None)]
    close(client, uri)
