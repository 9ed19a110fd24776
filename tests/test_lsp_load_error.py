"""A model that cannot load: the server says so (status "error" and showMessage) and keeps serving."""

from __future__ import annotations

import sys

import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_util import record_status, wait_for


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "compilot.lsp"]))
async def client(lsp_client: LanguageClient):
    record_status(lsp_client)
    caps = client_capabilities("neovim")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=caps, initialization_options={"model": "/nonexistent", "samples": 2}
        )
    )
    yield
    await lsp_client.shutdown_session()


async def test_model_load_failure_is_reported(client: LanguageClient, tmp_path):
    await wait_for(lambda: any(s["state"] == "error" for s in client.statuses), 60, "status error")
    error = next(s for s in client.statuses if s["state"] == "error")
    assert error.get("message")
    assert any(m.type == types.MessageType.Error and "nonexistent" in m.message for m in client.messages)

    uri = (tmp_path / "Main.java").as_uri()
    text = "public class Main {\n    void f() {\n        int n = \n    }\n}\n"
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="java", version=1, text=text)
        )
    )
    position = types.Position(line=2, character=16)
    result = await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=position,
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
    )
    assert len(result.items) == 0
    completion = await client.text_document_completion_async(
        types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
    )
    assert len(completion.items) == 0
    # javac diagnostics do not need the model.
    await wait_for(lambda: client.diagnostics.get(uri), 60, "diagnostics without a model")
    assert client.diagnostics[uri][0].source == "javac"
