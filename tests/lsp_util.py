"""Helpers shared by the language-server tests: the server's status notifications, and waiting on them."""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path

from lsprotocol import types
from pytest_lsp import LanguageClient


def record_status(client: LanguageClient) -> list[dict]:
    """Collect every `compilot/status` notification in `client.statuses` (and return that list)."""
    statuses: list[dict] = []

    @client.feature("compilot/status")
    def on_status(params) -> None:
        statuses.append(params if isinstance(params, dict) else params._asdict())

    client.statuses = statuses
    return statuses


def replace_text(client: LanguageClient, uri: str, version: int, text: str) -> None:
    """didChange replacing the whole document with `text` at `version`."""
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )


def close_text(client: LanguageClient, uri: str) -> None:
    client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
    )


async def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)


def listening_sockets(pid: int) -> set[str]:
    """The TCP/UDP sockets process `pid` and its children hold open for others to connect to (inodes)."""
    listening = set()
    for table, state in (("tcp", "0A"), ("tcp6", "0A"), ("udp", "07"), ("udp6", "07")):  # LISTEN, unbound UDP
        for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == state:
                listening.add(fields[9])
    held = set()
    for proc in [pid, *descendants(pid)]:
        try:
            fds = os.listdir(f"/proc/{proc}/fd")
        except OSError:
            continue
        for fd in fds:
            try:
                target = os.readlink(f"/proc/{proc}/fd/{fd}")
            except OSError:
                continue
            if target.startswith("socket:["):
                held.add(target[8:-1])
    return held & listening


def descendants(pid: int) -> list[int]:
    """Every process started by `pid`, and by those (the JVM, a model server)."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except OSError:
            continue
        for child in map(int, children):
            found += [child, *descendants(child)]
    return found
