"""The Compilot language server: LSP feature registration over pygls. The behaviour lives in service.py and
the feature modules it composes (completions.py, diagnostics.py, fixes.py).

Run it with `compilot serve` or `python -m compilot.lsp` (stdio), or `--tcp HOST:PORT`. The connections
themselves (framing, the JSON-RPC envelope, the lifecycle, one TCP client at a time) are in transport.py.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from compilot import __version__ as VERSION
from compilot.lsp import logs, transport
from compilot.lsp.service import Compilot

log = logging.getLogger("compilot.lsp")


class _Unreadable:
    """A request whose params did not fit the LSP types (e.g. a negative line): answered with an error."""

    jsonrpc = "2.0"

    def __init__(self, msg_id: Any, method: str) -> None:
        self.id, self.method = msg_id, method


class CompilotProtocol(LanguageServerProtocol):
    """pygls drops a request whose params fail validation without answering it, and the client waits
    forever; this answers it with InvalidParams instead.

    The open documents live in service.py's `Documents` alone: pygls's own copies in its workspace are not
    kept (they cost a second copy and a second edit of every document, and a change to a document that is
    not open raised a KeyError there)."""

    @lsp_method(types.TEXT_DOCUMENT_DID_OPEN)
    def lsp_text_document__did_open(self, params: types.DidOpenTextDocumentParams):
        yield self.fm.features[types.TEXT_DOCUMENT_DID_OPEN], (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams):
        yield self.fm.features[types.TEXT_DOCUMENT_DID_CHANGE], (params,), None

    @lsp_method(types.TEXT_DOCUMENT_DID_CLOSE)
    def lsp_text_document__did_close(self, params: types.DidCloseTextDocumentParams):
        yield self.fm.features[types.TEXT_DOCUMENT_DID_CLOSE], (params,), None

    def structure_message(self, data: dict[str, Any]):
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if data.get("jsonrpc") == "2.0" and "id" in data and isinstance(data.get("method"), str):
                return _Unreadable(data["id"], data["method"])
            raise

    def handle_message(self, message) -> None:
        if isinstance(message, _Unreadable):
            log.warning("invalid params for %s (request %s)", message.method, message.id)
            error = JsonRpcInvalidParams(f"invalid params for {message.method}")
            self._send_response(message.id, None, error.to_response_error())
            return
        super().handle_message(message)


class CompilotServer(LanguageServer):
    def __init__(self, log_level_fixed: bool = False, engine_factory=None) -> None:
        super().__init__("compilot", VERSION, protocol_cls=CompilotProtocol)
        self.compilot = Compilot(self, log_level_fixed, engine_factory)

    def report_server_error(self, error: Exception, source) -> None:
        """pygls pops up every unreadable message or failed notification as an error dialog; bad input from
        a client is not the user's problem, so it goes to the log (and the client's output panel) instead."""
        log.error("%s: %s", getattr(source, "__name__", source), error)


def create_server(log_level_fixed: bool = False, engine_factory=None) -> CompilotServer:
    """A server with every feature registered (one per connection). `engine_factory(settings, workspace)`
    makes its engine (default: the real one; the fast protocol tests give it a scripted backend)."""
    server = CompilotServer(log_level_fixed, engine_factory)
    app = server.compilot

    @server.feature(types.INITIALIZE)
    def initialize(ls: CompilotServer, params: types.InitializeParams) -> None:
        app.initialize(params)
        logs.attach_client(ls, app.loop)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: CompilotServer, params: types.InitializedParams) -> None:
        await app.initialized()

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: CompilotServer, params: None) -> None:
        app.shutdown()

    @server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
    async def inline_completion(
        ls: CompilotServer, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList:
        return await app.completions.inline(params)

    @server.feature(types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=["."]))
    async def completion(ls: CompilotServer, params: types.CompletionParams) -> types.CompletionList:
        return await app.completions.list(params)

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix], resolve_provider=True),
    )
    async def code_action(
        ls: CompilotServer, params: types.CodeActionParams
    ) -> list[types.CodeAction] | None:
        return await app.fixes.code_action(params)

    @server.feature(types.CODE_ACTION_RESOLVE)
    async def resolve_code_action(ls: CompilotServer, params: types.CodeAction) -> types.CodeAction:
        return await app.fixes.resolve(params)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: CompilotServer, params: types.DidOpenTextDocumentParams) -> None:
        app.did_open(params)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: CompilotServer, params: types.DidChangeTextDocumentParams) -> None:
        app.did_change(params)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: CompilotServer, params: types.DidSaveTextDocumentParams) -> None:
        app.did_save(params)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: CompilotServer, params: types.DidCloseTextDocumentParams) -> None:
        app.did_close(params)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def did_change_configuration(
        ls: CompilotServer, params: types.DidChangeConfigurationParams
    ) -> None:
        settings = params.settings
        section = settings.get("compilot") if isinstance(settings, dict) else None
        await app.refresh_settings(section)  # None: pull it with workspace/configuration

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def did_change_folders(ls: CompilotServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        await app.refresh_workspace()

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    async def did_change_watched_files(ls: CompilotServer, params: types.DidChangeWatchedFilesParams) -> None:
        await app.files_changed(params)

    return server


def main(argv: list[str] | None = None, engine_factory=None) -> int:
    """Entry point of `compilot serve` and `python -m compilot.lsp` (`engine_factory`: see create_server)."""
    parser = argparse.ArgumentParser(prog="compilot serve", description="Run the Compilot language server.")
    parser.add_argument("--stdio", action="store_true", help="talk LSP over stdin/stdout (the default)")
    parser.add_argument(
        "--tcp", metavar="HOST:PORT", help="serve one client on a TCP socket instead of stdio, then exit"
    )
    parser.add_argument(
        "--keep-listening",
        action="store_true",
        help="with --tcp: after a client leaves, wait for the next one (each gets a fresh server)",
    )
    parser.add_argument("--log-file", metavar="PATH", help="also write the log to this file")
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="log level (default: the logLevel setting, else info)",
    )
    args = parser.parse_args(argv)
    if args.keep_listening and not args.tcp:
        parser.error("--keep-listening needs --tcp")

    host = port = None
    if args.tcp:
        host, _, port_text = args.tcp.rpartition(":")
        if not port_text.isdigit():
            parser.error(f"--tcp expects HOST:PORT, got {args.tcp!r}")
        host, port = host or "127.0.0.1", int(port_text)

    logs.setup(args.log_level or "info", args.log_file)
    log.info("compilot %s language server (pid %d)", VERSION, os.getpid())
    fixed = args.log_level is not None
    if port is not None:
        return transport.serve_tcp(
            lambda: create_server(fixed, engine_factory), host, port, args.keep_listening
        )
    # The protocol gets its own copy of stdout; file descriptor 1 then points at stderr, so a stray print
    # (from a library, say) cannot corrupt the message stream.
    protocol_out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return transport.serve_stdio(create_server(fixed, engine_factory), sys.stdin.buffer, protocol_out)
