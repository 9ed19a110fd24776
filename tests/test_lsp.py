"""The language server over real stdio (pytest-lsp), with the real embedded model and real javac.

One server process serves the whole module (loading the model and warming the JVM once); the tests run in
file order and each leaves the server usable, which is part of what they check.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from concurrent.futures import Future
from pathlib import Path

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_util import close_text, record_status, replace_text, wait_for

pytestmark = [pytest.mark.model, pytest.mark.asyncio(loop_scope="module")]

FIXTURES = Path(__file__).parent / "fixtures" / "lsp"
CALCULATOR = (FIXTURES / "Calculator.java").read_text()
BROKEN = (FIXTURES / "Broken.java").read_text()
FAST = {"samples": 2, "maxNewTokens": 24}


def capabilities() -> types.ClientCapabilities:
    """VS Code's recorded capabilities plus inline completion, which the recorded profiles lack."""
    caps = client_capabilities("visual-studio-code")
    caps.text_document.inline_completion = types.InlineCompletionClientCapabilities(
        dynamic_registration=False
    )
    return caps


@pytest_lsp.fixture(
    scope="module", config=ClientServerConfig(server_command=[sys.executable, "-m", "compilot.lsp"])
)
async def client(lsp_client: LanguageClient, embedded_model_dir, tmp_path_factory):
    record_status(lsp_client)
    workspace = tmp_path_factory.mktemp("workspace")
    result = await lsp_client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities(),
            initialization_options=FAST,
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
        )
    )
    lsp_client.init_result = result
    lsp_client.workspace = workspace
    await wait_for(lambda: any(s["state"] in ("ready", "error") for s in lsp_client.statuses), 120, "ready")
    assert lsp_client.statuses[-1]["state"] == "ready", lsp_client.statuses
    yield
    await lsp_client.shutdown_session()


_versions: dict[str, int] = {}


def cleared(client: LanguageClient, uri: str) -> bool:
    """Diagnostics were published for `uri`, and they are empty."""
    return uri in client.diagnostics and len(client.diagnostics[uri]) == 0


def open_doc(client: LanguageClient, name: str, text: str, language_id: str = "java") -> str:
    uri = (client.workspace / name).as_uri()
    _versions[uri] = 1
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(uri=uri, language_id=language_id, version=1, text=text)
        )
    )
    return uri


def replace_doc(client: LanguageClient, uri: str, text: str) -> None:
    _versions[uri] += 1
    replace_text(client, uri, _versions[uri], text)


close_doc = close_text


async def inline(
    client: LanguageClient, uri: str, line: int, character: int
) -> list[types.InlineCompletionItem]:
    result = await asyncio.wait_for(
        client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
                context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
            )
        ),
        60,
    )
    if result is None:
        return []
    return list(result.items if isinstance(result, types.InlineCompletionList) else result)


def blank_lines(text: str) -> list[int]:
    """Lines that hold only whitespace inside a method: statement positions where the file compiles."""
    lines = text.split("\n")
    return [
        i
        for i, line in enumerate(lines)
        if not line.strip() and i > 0 and lines[i - 1].startswith("        ")
    ]


def javac_accepts(tmp: Path, name: str, source: str) -> tuple[bool, str]:
    """An independent check: a fresh javac process (no annotation processing) over the edited file."""
    folder = tmp / f"check{time.monotonic_ns()}"
    folder.mkdir()
    (folder / name).write_text(source)
    javac = shutil.which("javac") or "javac"
    proc = subprocess.run(
        [javac, "-proc:none", "-d", str(folder / "out"), str(folder / name)], capture_output=True, text=True
    )
    return proc.returncode == 0, proc.stderr


def insert_at(text: str, line: int, character: int, insert: str) -> str:
    lines = text.split("\n")
    lines[line] = lines[line][:character] + insert + lines[line][character:]
    return "\n".join(lines)


def write_raw(client: LanguageClient, body: bytes) -> None:
    """Bytes to the server's stdin as one framed message, bypassing the client's type checks."""
    client.protocol.writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))


async def raw_request(client: LanguageClient, method: str, params: dict, timeout: float = 10):
    """A request whose params need not fit the LSP types; its answer comes back through the client."""
    msg_id = f"raw-{time.monotonic_ns()}"
    future: Future = Future()
    client.protocol._request_futures[msg_id] = future
    write_raw(
        client, json.dumps({"jsonrpc": "2.0", "id": msg_id, "method": method, "params": params}).encode()
    )
    return await asyncio.wait_for(asyncio.wrap_future(future), timeout)


async def sanity(client: LanguageClient) -> None:
    """The server still answers a normal request (after bad input)."""
    uri = open_doc(client, "Sanity.java", "public class Sanity {\n}\n")
    result = await asyncio.wait_for(inline(client, uri, 0, 0), 30)
    assert isinstance(result, list)
    close_doc(client, uri)


# ---------------------------------------------------------------- capabilities and completions


async def test_capabilities(client: LanguageClient):
    caps = client.init_result.capabilities
    assert caps.inline_completion_provider is not None and caps.inline_completion_provider is not False
    assert caps.completion_provider is not None
    assert "." in (caps.completion_provider.trigger_characters or [])
    assert client.init_result.server_info.name == "compilot"
    # The model loaded with work done progress and status notifications.
    assert any(s["state"] == "loading" for s in client.statuses)
    kinds = [getattr(v, "kind", None) for reports in client.progress_reports.values() for v in reports]
    assert "begin" in kinds and "end" in kinds


# Statements cut short at the cursor (the rest of the file compiles): (text to replace, replacement).
PARTIAL_STATEMENTS = [
    ("int n = 0;\n\n", "int n = 0;\n        n = values."),
    ("new ArrayList<>(values);\n\n", "new ArrayList<>(values);\n        boolean empty = copy."),
    ("int n = 0;\n\n", "int n = 0;\n        n = "),
    ("new StringBuilder();\n\n", "new StringBuilder();\n        sb.append("),
]


def with_cursor(old: str, new: str) -> tuple[str, int, int]:
    """The fixture with a partial statement; the cursor (line, character) at its end."""
    text = CALCULATOR.replace(old, new + "\n", 1)
    line = text[: text.index(new) + len(new)].count("\n")
    return text, line, len(text.split("\n")[line])


async def test_inline_completion_offers_only_compiling_code(client: LanguageClient, tmp_path):
    uri = open_doc(client, "Calculator.java", CALCULATOR)
    offered = 0
    for old, new in PARTIAL_STATEMENTS:
        text, line, character = with_cursor(old, new)
        replace_doc(client, uri, text)
        items = await inline(client, uri, line, character)
        for item in items:
            assert item.range is not None
            assert (item.range.start.line, item.range.start.character) == (line, character)
            assert item.range.start == item.range.end
            insert = item.insert_text if isinstance(item.insert_text, str) else item.insert_text.value
            ok, errors = javac_accepts(tmp_path, "Calculator.java", insert_at(text, line, character, insert))
            assert ok, f"offered item does not compile:\n{insert}\n{errors}"
            offered += 1
    assert offered > 0, "no completion offered at any position"
    latencies = [s.get("latencyMs") for s in client.statuses if "latencyMs" in s]
    assert latencies and all(isinstance(v, int) for v in latencies)
    assert client.statuses[-1]["state"] == "ready" and client.statuses[-1].get("checked") is True
    close_doc(client, uri)


async def test_completion_list(client: LanguageClient):
    text, line, character = with_cursor(*PARTIAL_STATEMENTS[0])
    uri = open_doc(client, "Calculator.java", text)
    result = await asyncio.wait_for(
        client.text_document_completion_async(
            types.CompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=line, character=character),
                context=types.CompletionContext(
                    trigger_kind=types.CompletionTriggerKind.TriggerCharacter, trigger_character="."
                ),
            )
        ),
        60,
    )
    assert isinstance(result, types.CompletionList) and result.is_incomplete is True
    assert result.items, "no completion item after `values.`"
    for item in result.items:
        assert item.detail in ("compiles (javac)", "not compile-checked")
        assert item.kind in (types.CompletionItemKind.Snippet, types.CompletionItemKind.Text)
        assert isinstance(item.text_edit, types.TextEdit)
        assert item.text_edit.range.end == types.Position(line=line, character=character)
        assert item.label and "\n" not in item.label and len(item.label) <= 60
        assert item.filter_text is not None and item.text_edit.new_text.startswith(item.filter_text)
    assert result.items[0].detail == "compiles (javac)"
    close_doc(client, uri)


# ---------------------------------------------------------------- diagnostics


async def test_diagnostics_appear_and_clear(client: LanguageClient):
    uri = open_doc(client, "Broken.java", BROKEN)
    await wait_for(lambda: client.diagnostics.get(uri), 30, "diagnostics for Broken.java")
    diagnostics = client.diagnostics[uri]
    assert all(d.source == "javac" for d in diagnostics)
    error = diagnostics[0]
    assert error.severity == types.DiagnosticSeverity.Error
    assert error.range.start.line == 2  # `int y = x * 2` lacks its semicolon
    assert "';' expected" in error.message

    replace_doc(client, uri, BROKEN.replace("x * 2\n", "x * 2;\n"))
    await wait_for(lambda: cleared(client, uri), 30, "diagnostics to clear")

    replace_doc(client, uri, BROKEN.replace("int y", "String y").replace("x * 2\n", "x * 2;\n"))
    await wait_for(lambda: client.diagnostics.get(uri), 30, "a type error")
    assert "incompatible types" in client.diagnostics[uri][0].message

    close_doc(client, uri)
    await wait_for(lambda: cleared(client, uri), 10, "diagnostics cleared on close")


async def test_diagnostic_positions_in_utf16(client: LanguageClient):
    # An astral character before the error: LSP counts it as two UTF-16 units, Python as one code point.
    text = 'public class Emoji {\n    String s = "😀"; int x = "no";\n}\n'
    uri = open_doc(client, "Emoji.java", text)
    await wait_for(lambda: client.diagnostics.get(uri), 30, "diagnostics for Emoji.java")
    start = client.diagnostics[uri][0].range.start
    utf16_column = len(text.split("\n")[1][: text.split("\n")[1].index('"no"')].encode("utf-16-le")) // 2
    assert (start.line, start.character) == (1, utf16_column)
    close_doc(client, uri)


# ---------------------------------------------------------------- responsiveness


def inline_params(uri: str, line: int, character: int) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Invoked),
    )


def send_inline(client: LanguageClient, uri: str, line: int, character: int, msg_id=None) -> asyncio.Task:
    """Send the request now (pytest-lsp's send_request_async is a coroutine: it sends when first awaited)."""
    coroutine = client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri, line, character), msg_id=msg_id
    )
    return asyncio.ensure_future(coroutine)


async def test_cancel_request_returns_quickly(client: LanguageClient):
    # Long generations, so that a cancellation that did not reach the generation would show.
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"compilot": {"maxNewTokens": 200, "samples": 4}})
    )
    await asyncio.sleep(0.3)
    uri = open_doc(client, "Calculator.java", CALCULATOR)
    line = blank_lines(CALCULATOR)[0]
    try:
        msg_id = "cancel-me"
        t0 = time.monotonic()
        future = send_inline(client, uri, line, 8, msg_id=msg_id)
        await asyncio.sleep(0.5)
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        try:
            result = await asyncio.wait_for(future, 20)
            assert result is None or len(result.items) >= 0
        except JsonRpcException as e:
            assert e.code == types.LSPErrorCodes.RequestCancelled
        # The next request starts at once: the cancelled generation stopped.
        t1 = time.monotonic()
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"compilot": FAST})
        )
        await asyncio.sleep(0.3)
        items = await inline(client, uri, line, 8)
        assert isinstance(items, list)
        assert time.monotonic() - t1 < 30
        assert t1 - t0 < 5, f"the cancelled request took {t1 - t0:.1f} s"

        # A newer request wins over a running one; a document change cancels the running generation.
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"compilot": {"maxNewTokens": 200, "samples": 4}})
        )
        await asyncio.sleep(0.3)
        first = send_inline(client, uri, line, 8)
        await asyncio.sleep(0.5)
        t2 = time.monotonic()
        replace_doc(client, uri, CALCULATOR)
        result = await asyncio.wait_for(first, 20)
        assert len(result.items) == 0
        assert time.monotonic() - t2 < 5
    finally:
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"compilot": FAST})
        )
        await asyncio.sleep(0.3)
        close_doc(client, uri)


async def test_newest_request_wins(client: LanguageClient):
    uri = open_doc(client, "Calculator.java", CALCULATOR)
    line = blank_lines(CALCULATOR)[0]
    first = client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri, line, 8)
    )
    await asyncio.sleep(0.2)
    second = client.protocol.send_request_async(
        types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri, line, 8)
    )
    r1, r2 = await asyncio.wait_for(asyncio.gather(first, second), 60)
    assert len(r1.items) == 0  # superseded
    assert r2 is not None
    close_doc(client, uri)


# ---------------------------------------------------------------- settings


async def test_invalid_settings_are_reported_and_ignored(client: LanguageClient):
    client.messages.clear()
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"compilot": {**FAST, "samples": -3, "temperature": "hot", "noSuchSetting": 1}}
        )
    )
    await wait_for(lambda: client.messages, 10, "a showMessage warning")
    message = client.messages[-1]
    assert message.type == types.MessageType.Warning
    assert (
        "samples" in message.message
        and "temperature" in message.message
        and "noSuchSetting" in message.message
    )
    await sanity(client)


async def test_a_settings_section_that_is_not_an_object_is_reported(client: LanguageClient):
    client.messages.clear()
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"compilot": 5}))
    await wait_for(lambda: client.messages, 10, "a showMessage warning")
    assert "must be an object" in client.messages[-1].message
    await sanity(client)


async def test_checked_completions_go_on_after_a_class_path_change(client: LanguageClient, tmp_path):
    """A changed class path restarts javac; the next completion is checked again (it used to get nothing)."""
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"compilot": {**FAST, "classpath": [str(tmp_path)]}})
    )
    await asyncio.sleep(0.5)
    uri = open_doc(client, "Calculator.java", CALCULATOR)
    offered = 0
    for old, new in PARTIAL_STATEMENTS:
        text, line, character = with_cursor(old, new)
        replace_doc(client, uri, text)
        offered += len(await inline(client, uri, line, character))
    assert offered > 0
    assert client.statuses[-1].get("checked") is True
    client.workspace_did_change_configuration(types.DidChangeConfigurationParams(settings={"compilot": FAST}))
    await asyncio.sleep(0.3)
    close_doc(client, uri)


# ---------------------------------------------------------------- bad input


async def test_unknown_uri(client: LanguageClient):
    items = await inline(client, "file:///nowhere/Missing.java", 0, 0)
    assert items == []
    await sanity(client)


async def test_position_outside_document(client: LanguageClient):
    uri = open_doc(client, "Calculator.java", CALCULATOR)
    assert await inline(client, uri, 500, 0) == []
    items = await inline(client, uri, 3, 10_000)  # past the end of the line: the line's end
    assert isinstance(items, list)
    # A negative line does not fit LSP's types: a protocol error, not a hang.
    raw = {
        "textDocument": {"uri": uri},
        "position": {"line": -1, "character": 0},
        "context": {"triggerKind": 1},
    }
    with pytest.raises(JsonRpcException) as info:
        await raw_request(client, types.TEXT_DOCUMENT_INLINE_COMPLETION, raw)
    assert info.value.code == types.ErrorCodes.InvalidParams
    close_doc(client, uri)
    await sanity(client)


async def test_non_java_document(client: LanguageClient):
    uri = open_doc(client, "notes.txt", "public class Notes {\n    \n}\n", language_id="plaintext")
    assert await inline(client, uri, 1, 4) == []
    await asyncio.sleep(1)
    assert not client.diagnostics.get(uri)
    close_doc(client, uri)
    await sanity(client)


async def test_binary_and_unpaired_surrogates(client: LanguageClient):
    uri = open_doc(client, "Binary.java", "public class Binary {\x00\x01\x02\xff\ufffe\n    \n}\n")
    assert await inline(client, uri, 1, 4) == []
    close_doc(client, uri)
    # A lone surrogate is valid JSON ("\ud800") but not encodable text.
    text = 'public class Lone {\n    String s = "\ud800";\n    int x = "no";\n}\n'
    uri = open_doc(client, "Lone.java", text)
    await wait_for(lambda: client.diagnostics.get(uri), 30, "diagnostics for Lone.java")
    assert client.diagnostics[uri][0].range.start.line == 2
    assert isinstance(await inline(client, uri, 1, 4), list)
    close_doc(client, uri)
    # Bytes that are not UTF-8 at all, in a notification: the server logs them and goes on.
    body = b'{"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": "\xff\xfe\x00"}'
    write_raw(client, body)
    await sanity(client)


async def test_huge_document(client: LanguageClient):
    body = "    int f%d = %d;\n"
    text = "public class Huge {\n" + "".join(body % (i, i) for i in range(300_000)) + "    \n}\n"
    assert len(text.encode()) > 5_000_000
    uri = open_doc(client, "Huge.java", text)
    t0 = time.monotonic()
    items = await inline(client, uri, 300_001, 4)
    assert items == []
    assert time.monotonic() - t0 < 10
    close_doc(client, uri)
    await sanity(client)


async def test_incremental_changes(client: LanguageClient):
    uri = open_doc(client, "Broken.java", BROKEN)
    await wait_for(lambda: client.diagnostics.get(uri), 30, "diagnostics for Broken.java")
    _versions[uri] += 1
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=_versions[uri]),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=2, character=21), end=types.Position(line=2, character=21)
                    ),
                    text=";",
                )
            ],
        )
    )
    await wait_for(lambda: cleared(client, uri), 30, "the fix to clear the diagnostics")
    close_doc(client, uri)


async def test_status_json_shape(client: LanguageClient):
    for status in client.statuses:
        assert status["state"] in ("loading", "ready", "error", "off")
        json.dumps(status)
