"""Logging: stderr (stdout carries the protocol), an optional file, and window/logMessage to the client."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def setup(level: str = "info", log_file: str | None = None) -> None:
    root = logging.getLogger("compilot")
    root.setLevel(getattr(logging, level.upper(), logging.INFO))
    root.propagate = False
    handlers: list[logging.Handler] = [logging.StreamHandler()]  # stderr
    if log_file:
        handlers.append(logging.FileHandler(log_file, encoding="utf-8"))
    for handler in handlers:
        handler.setFormatter(logging.Formatter(FORMAT))
        root.addHandler(handler)
    # pygls logs every message it sends at INFO (a 5 MB document would be logged whole): warnings only.
    pygls = logging.getLogger("pygls")
    pygls.setLevel(logging.WARNING)
    pygls.propagate = False
    pygls.addHandler(handlers[0])


class ClientLogHandler(logging.Handler):
    """Forwards the server's own log records to the client's output panel (window/logMessage).

    Records come from the worker thread too, so they are handed to the event loop, which owns the writer.
    """

    _TYPES = {
        logging.ERROR: types.MessageType.Error,
        logging.WARNING: types.MessageType.Warning,
        logging.INFO: types.MessageType.Info,
    }

    def __init__(self, server: LanguageServer, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self.server = server
        self.loop = loop
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            kind = self._TYPES.get(record.levelno, types.MessageType.Log)
            if record.levelno > logging.ERROR:
                kind = types.MessageType.Error
            params = types.LogMessageParams(type=kind, message=self.format(record))
            if self.loop.is_closed():
                return
            self.loop.call_soon_threadsafe(self._send, params)
        except Exception:  # logging must never break the server
            self.handleError(record)

    def _send(self, params: types.LogMessageParams) -> None:
        with contextlib.suppress(Exception):
            self.server.window_log_message(params)


def attach_client(server: LanguageServer, loop: asyncio.AbstractEventLoop) -> None:
    root = logging.getLogger("compilot")
    if not any(isinstance(h, ClientLogHandler) and h.server is server for h in root.handlers):
        root.addHandler(ClientLogHandler(server, loop))


def detach_client(server: LanguageServer) -> None:
    """The client has gone: its handler goes (a TCP server serves the next client with a new one)."""
    root = logging.getLogger("compilot")
    for handler in [h for h in root.handlers if isinstance(h, ClientLogHandler) and h.server is server]:
        root.removeHandler(handler)
