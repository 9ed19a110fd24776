"""The language server on the openai backend, against a real llama.cpp server process: it completes; when that
server is killed, requests are answered (empty), the user is told once why, and the server keeps serving."""

from __future__ import annotations

import sys

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from compilot.bench.llama_server import local_server
from java_samples import STACK
from lsp_util import record_status, wait_for

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def inference_server():
    with local_server(api_key="") as (url, _key, process):
        yield url, process


@pytest_lsp.fixture(config=ClientServerConfig(server_command=[sys.executable, "-m", "compilot.lsp"]))
async def client(lsp_client: LanguageClient, inference_server):
    record_status(lsp_client)
    caps = client_capabilities("neovim")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities()
    options = {"backend": "openai", "endpoint": inference_server[0], "samples": 2, "lineSeconds": 0}
    await lsp_client.initialize_session(
        types.InitializeParams(capabilities=caps, initialization_options=options)
    )
    yield
    await lsp_client.shutdown_session()


async def ask(client: LanguageClient, uri: str, line: int, character: int):
    return await client.text_document_inline_completion_async(
        types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=line, character=character),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
        )
    )


async def test_completes_then_survives_its_inference_server(
    client: LanguageClient, inference_server, tmp_path
):
    await wait_for(lambda: any(s["state"] in ("ready", "error") for s in client.statuses), 120, "ready")
    assert client.statuses[-1]["state"] == "ready", client.statuses[-1]
    uri = (tmp_path / "Stack.java").as_uri()
    cursor = STACK.index("        items.remove(")
    text = STACK[:cursor] + "        \n" + STACK[cursor:]
    line = text[:cursor].count("\n")
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id="java", version=1, text=text)
        )
    )
    answered = await ask(client, uri, line, 8)
    assert client.statuses[-1].get("checked") is True  # javac judged what the remote model wrote
    assert all(item.insert_text.strip() for item in answered.items)

    inference_server[1].kill()
    inference_server[1].wait()
    result = await ask(client, uri, line, 8)
    assert len(result.items) == 0
    failure = [m.message for m in client.messages if "generation failed" in m.message]
    assert len(failure) == 1 and "cannot reach" in failure[0], client.messages
    await ask(client, uri, line, 8)  # still serving, and the user is not told again at every request
    assert len([m for m in client.messages if "generation failed" in m.message]) == 1
    assert "generation failed" in client.statuses[-1].get("message", "")
    await wait_for(lambda: client.diagnostics.get(uri) is not None, 60, "diagnostics (javac needs no model)")
