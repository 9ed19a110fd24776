"""Connections: stdio, or TCP with one client at a time; each read by framing.FrameReader and each message's
JSON-RPC envelope and the LSP lifecycle checked before pygls sees it.

pygls's own loops answer nothing for invalid JSON, non-objects, batches, a missing or wrong `jsonrpc`, or a
request before `initialize` or after `shutdown` (the client waits forever); accept a second `initialize`;
exit 0 on `exit` without `shutdown`; and with `--tcp` give every connection the same protocol object. Here
each of those gets the JSON-RPC error the specifications name, and every TCP connection its own server.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.io_ import StdoutWriter

from compilot.lsp.framing import BadFrame, FrameReader, Message

if TYPE_CHECKING:
    from compilot.lsp.server import CompilotServer

log = logging.getLogger("compilot.lsp")

PARSE_ERROR, INVALID_REQUEST, SERVER_NOT_INITIALIZED = -32700, -32600, -32002
CHUNK = 65536


class Session:
    """One client's messages, in order: framing errors and invalid envelopes answered, the rest to pygls."""

    def __init__(self, server: CompilotServer) -> None:
        self.server = server
        self.protocol = server.protocol
        self.initialized = False  # an initialize request was accepted
        self.shut_down = False
        self.exit_code: int | None = None  # set by `exit`: 0 after shutdown, else 1 (the LSP says so)

    def handle(self, item: Message | BadFrame) -> None:
        if isinstance(item, BadFrame):
            log.warning("unreadable message: %s", item.reason)
            self.error(item.request_id, PARSE_ERROR, f"parse error: {item.reason}")
            return
        data = item.data
        if isinstance(data, list):  # a batch: LSP has none
            ids = [m.get("id") for m in data if isinstance(m, dict) and _valid_id(m.get("id"))] or [None]
            for msg_id in ids:
                self.error(
                    msg_id, INVALID_REQUEST, "batches are not supported by the language server protocol"
                )
            return
        problem = _envelope_problem(data)
        if problem:
            msg_id = data.get("id") if isinstance(data, dict) and _valid_id(data.get("id")) else None
            log.warning("invalid message: %s", problem)
            self.error(msg_id, INVALID_REQUEST, problem)
            return
        self._dispatch(data)

    def _dispatch(self, data: dict[str, Any]) -> None:
        method = data.get("method")
        request = method is not None and "id" in data
        refusal = ""
        if method == types.EXIT:
            self.exit_code = 0 if self.shut_down else 1
            return
        if method is None:
            pass  # a response to one of our requests
        elif not self.initialized and method != types.INITIALIZE:
            refusal = "the server is not initialized (send initialize first)"
        elif self.initialized and method == types.INITIALIZE:
            refusal = "initialize may only be sent once"
        elif self.shut_down:
            refusal = "the server is shutting down (only exit is accepted)"
        if refusal:
            if request:
                code = SERVER_NOT_INITIALIZED if not self.initialized else INVALID_REQUEST
                self.error(data["id"], code, refusal)
            return
        try:
            message = self.protocol.structure_message(data)
        except JsonRpcException as e:  # a notification's params did not fit the LSP types
            log.warning("ignored %s: %s", method, e)
            return
        if method == types.INITIALIZE and isinstance(message, types.InitializeRequest):
            self.initialized = True
        elif method == types.SHUTDOWN:
            self.shut_down = True
        self.protocol.handle_message(message)

    def error(self, msg_id: int | str | None, code: int, message: str) -> None:
        """A JSON-RPC error response (`id` null when the request's id could not be read)."""
        body = {"jsonrpc": "2.0", "id": msg_id, "error": {"code": code, "message": message}}
        self.protocol._send_data(body)  # pygls's writer: the same lock-free path as its own responses


def _valid_id(msg_id: Any) -> bool:
    return isinstance(msg_id, str) or (isinstance(msg_id, int) and not isinstance(msg_id, bool))


def _envelope_problem(data: Any) -> str:
    """Why `data` is not a JSON-RPC 2.0 request, notification or response; empty when it is one."""
    if not isinstance(data, dict):
        return f"a message must be a JSON object, got {type(data).__name__}"
    if data.get("jsonrpc") != "2.0":
        return f'"jsonrpc" must be "2.0", got {data.get("jsonrpc")!r}'
    if "id" in data and not _valid_id(data["id"]):
        return f'"id" must be an integer or a string, got {data["id"]!r}'
    if "method" in data:
        if not isinstance(data["method"], str):
            return f'"method" must be a string, got {data["method"]!r}'
        if data.get("params") is not None and not isinstance(data["params"], (dict, list)):
            return '"params" must be an object or an array'
        return ""
    if "id" in data and ("result" in data or "error" in data):
        return ""
    return 'a message needs a "method", or an "id" with a "result" or an "error"'


async def serve(server: CompilotServer, chunks: AsyncIterator[bytes]) -> int:
    """Read one connection to its end or to `exit`; close what the session started. Returns the exit code."""
    session, frames = Session(server), FrameReader()
    try:
        async for data in chunks:
            for item in frames.feed(data):
                try:
                    session.handle(item)
                except BrokenPipeError:
                    raise
                except Exception:  # one message's failure must not end the session
                    log.exception("failed to handle a message")
                if session.exit_code is not None:
                    return session.exit_code
        log.info("the client closed the connection")
        return 0 if session.shut_down else 1
    except (BrokenPipeError, ConnectionError):
        log.warning("the connection to the client is lost")
        return 1
    finally:
        await server.compilot.close()
        server.shutdown()


def serve_stdio(server: CompilotServer, stdin: BinaryIO, stdout: BinaryIO) -> int:
    server.protocol.set_writer(StdoutWriter(stdout))
    return asyncio.run(serve(server, _stdin_chunks(stdin)))


async def _stdin_chunks(stdin: BinaryIO) -> AsyncIterator[bytes]:
    """stdin in pieces as they arrive, read on a daemon thread (a blocked read never holds up the exit; it
    reads the file descriptor, as a buffered reader's lock held at exit aborts the interpreter)."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    fd = stdin.fileno()

    def pump() -> None:
        while True:
            try:
                data = os.read(fd, CHUNK)
            except OSError:
                data = b""
            loop.call_soon_threadsafe(queue.put_nowait, data)
            if not data:
                return

    threading.Thread(target=pump, name="compilot-stdin", daemon=True).start()
    while data := await queue.get():
        yield data


async def _stream_chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
    while data := await reader.read(CHUNK):
        yield data


def serve_tcp(make_server: Callable[[], CompilotServer], host: str, port: int, keep_listening: bool) -> int:
    """One client at a time, each with a fresh server; a second client while one is served is told so and
    closed. When the client leaves the process exits (its JVM and model with it) unless `keep_listening`."""
    return asyncio.run(_serve_tcp(make_server, host, port, keep_listening))


async def _serve_tcp(make_server: Callable[[], CompilotServer], host: str, port: int, keep: bool) -> int:
    finished = asyncio.Event()
    state = {"busy": False, "code": 0}

    async def connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        if state["busy"]:
            log.warning("refused a second client %s: one client at a time", peer)
            writer.write(_frame(_REFUSAL))
            await _close(writer)
            return
        state["busy"] = True
        log.info("client %s connected", peer)
        server = make_server()
        server.protocol.set_writer(writer)
        try:
            state["code"] = await serve(server, _stream_chunks(reader))
        finally:
            state["busy"] = False
            await _close(writer)
            log.info("client %s left", peer)
            if not keep:
                finished.set()

    listener = await asyncio.start_server(connection, host, port)
    log.info("listening on %s", ", ".join(str(s.getsockname()) for s in listener.sockets))
    async with listener:
        await finished.wait()
    return state["code"]


_REFUSAL = {
    "jsonrpc": "2.0",
    "method": types.WINDOW_SHOW_MESSAGE,
    "params": {
        "type": types.MessageType.Error.value,
        "message": "Compilot serves one client at a time on this port, and another client is connected.",
    },
}


def _frame(message: dict) -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


async def _close(writer: asyncio.StreamWriter) -> None:
    try:
        await writer.drain()
        writer.close()
        await writer.wait_closed()
    except (ConnectionError, OSError):
        pass
