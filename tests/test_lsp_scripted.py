"""The language server over real stdio with a scripted backend (tests/scripted_server.py): everything real but
the model, so what the server offers for given candidates is tested in seconds, with real javac."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_util import close_text, record_status, replace_text, wait_for

pytestmark = pytest.mark.asyncio(loop_scope="module")

SERVER = ClientServerConfig(
    server_command=[sys.executable, str(Path(__file__).with_name("scripted_server.py"))]
)


@pytest_lsp.fixture(scope="module", config=SERVER)
async def client(lsp_client: LanguageClient, tmp_path_factory):
    record_status(lsp_client)
    caps = client_capabilities("visual-studio-code")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities(
        dynamic_registration=False
    )
    workspace = tmp_path_factory.mktemp("scripted")
    (workspace / "pom.xml").write_text("<project><groupId>org.acme")  # a build file cut off mid-edit
    await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=caps,
            initialization_options={"samples": 3},
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        )
    )
    lsp_client.folder = workspace
    await wait_for(lambda: any(s["state"] in ("ready", "error") for s in lsp_client.statuses), 60, "ready")
    assert lsp_client.statuses[-1]["state"] == "ready", lsp_client.statuses
    yield
    await lsp_client.shutdown_session()


def scripted(candidates: list[str]) -> tuple[str, int]:
    """A file whose method body asks the scripted backend for `candidates`; (text, cursor line)."""
    text = (
        "class Twice {\n    int twice(int x) {\n"
        f"        // script: {json.dumps(candidates)}\n        \n    }}\n}}\n"
    )
    return text, 3


def open_doc(client: LanguageClient, name: str, text: str) -> str:
    uri = (client.folder / name).as_uri()
    client.diagnostics.pop(uri, None)
    item = types.TextDocumentItem(uri=uri, language_id="java", version=1, text=text)
    client.text_document_did_open(types.DidOpenTextDocumentParams(text_document=item))
    return uri


async def inline(client: LanguageClient, uri: str, line: int) -> list[str]:
    result = await asyncio.wait_for(
        client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=8),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        ),
        60,
    )
    items = result.items if isinstance(result, types.InlineCompletionList) else result or []
    return [i.insert_text for i in items]


async def test_only_what_compiles_is_offered(client: LanguageClient):
    text, line = scripted(['return x * "2";', "return x * 2;", "return y;"])
    uri = open_doc(client, "Twice.java", text)
    assert await inline(client, uri, line) == ["return x * 2;"]
    close_text(client, uri)


async def test_nothing_that_compiles_nothing_offered(client: LanguageClient):
    text, line = scripted(["return y;", 'return "two";'])
    uri = open_doc(client, "Twice.java", text)
    assert await inline(client, uri, line) == []
    close_text(client, uri)


async def test_verify_off_offers_unchecked_text_and_says_so(client: LanguageClient):
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"compilot": {"verify": False}})
    )
    text, line = scripted(["return y;"])
    uri = open_doc(client, "Twice.java", text)
    await asyncio.sleep(0.5)  # the configuration is applied in order, before the request
    assert await inline(client, uri, line) == ["return y;"]
    assert client.statuses[-1].get("checked") is False
    close_text(client, uri)
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"compilot": {"verify": True}})
    )


async def test_the_diagnostics_setting_turns_publishing_off_and_on(client: LanguageClient):
    uri = open_doc(
        client, "Broken.java", 'class Broken {\n    int one() {\n        return "one";\n    }\n}\n'
    )
    await wait_for(lambda: client.diagnostics.get(uri), 30, "the error")
    assert len(client.diagnostics[uri]) == 1
    for on in (False, True):
        client.diagnostics.pop(uri, None)
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"compilot": {"diagnostics": on}})
        )
        await wait_for(lambda: uri in client.diagnostics, 30, "diagnostics published again")
        assert len(client.diagnostics[uri]) == (1 if on else 0)
    replace_text(client, uri, 2, "class Broken {\n    int one() {\n        return 1;\n    }\n}\n")
    await wait_for(
        lambda: client.diagnostics.get(uri) is not None and not client.diagnostics[uri], 30, "cleared"
    )
    close_text(client, uri)


async def test_a_new_endpoint_loads_the_backend_with_a_loading_status(client: LanguageClient):
    """backend and endpoint are backend settings like model: a change shows "loading", then "ready"."""
    for endpoint in ("http://127.0.0.1:9/v1", ""):
        seen = len(client.statuses)
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"compilot": {"samples": 3, "endpoint": endpoint}})
        )
        await wait_for(
            lambda s=seen: any(x["state"] == "ready" for x in client.statuses[s:]), 30, "ready again"
        )
        assert [s["state"] for s in client.statuses[seen:]][:2] == ["loading", "ready"]
    text, line = scripted(["return x + 1;"])
    uri = open_doc(client, "Twice.java", text)
    assert await inline(client, uri, line) == ["return x + 1;"]
    close_text(client, uri)


async def test_a_broken_build_file_does_not_stop_checking(client: LanguageClient):
    """The workspace's pom.xml is not XML: its folder is read as plain sources, and javac still checks."""
    uri = open_doc(client, "Odd.java", "class Odd {\n    int one() {\n        return true;\n    }\n}\n")
    await wait_for(lambda: client.diagnostics.get(uri), 30, "the error")
    assert [d.range.start.line for d in client.diagnostics[uri]] == [2]
    text, line = scripted(["return x + x;"])
    other = open_doc(client, "Twice.java", text)
    assert await inline(client, other, line) == ["return x + x;"]
    close_text(client, uri)
    close_text(client, other)


async def test_ghost_text_and_the_list_at_one_place_share_one_generation(client: LanguageClient):
    """VS Code asks for both at a trigger character: neither cancels the other, the engine runs once, and the
    list's items (built by the server alone) say that javac checked them."""
    text, line = scripted(['return x * "2";', "return x * 2;"])
    uri = open_doc(client, "Twice.java", text)
    await asyncio.sleep(0.3)
    before = len([s for s in client.statuses if "latencyMs" in s])
    position = types.Position(line=line, character=8)
    listed, ghost = await asyncio.wait_for(
        asyncio.gather(
            client.text_document_completion_async(
                types.CompletionParams(text_document=types.TextDocumentIdentifier(uri=uri), position=position)
            ),
            inline(client, uri, line),
        ),
        60,
    )
    assert ghost == ["return x * 2;"]
    assert [(i.text_edit.new_text, i.detail) for i in listed.items] == [("return x * 2;", "compiles (javac)")]
    await asyncio.sleep(0.3)
    assert len([s for s in client.statuses if "latencyMs" in s]) == before + 1
    close_text(client, uri)


async def test_asking_the_same_again_asks_the_engine_again(client: LanguageClient):
    """Only the other kind of request shares a finished generation: the same kind at the same place (the
    user asks again, or the backend was down) gets a new one."""
    text, line = scripted(["return x * 2;"])
    uri = open_doc(client, "Twice.java", text)
    await asyncio.sleep(0.3)
    before = len([s for s in client.statuses if "latencyMs" in s])
    assert await inline(client, uri, line) == ["return x * 2;"]
    assert await inline(client, uri, line) == ["return x * 2;"]
    await asyncio.sleep(0.3)
    assert len([s for s in client.statuses if "latencyMs" in s]) == before + 2
    close_text(client, uri)
