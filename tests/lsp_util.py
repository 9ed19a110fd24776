"""Helpers shared by the language-server tests: the server's status notifications, and waiting on them."""

from __future__ import annotations

import asyncio
import time

from pytest_lsp import LanguageClient


def record_status(client: LanguageClient) -> list[dict]:
    """Collect every `compilot/status` notification in `client.statuses` (and return that list)."""
    statuses: list[dict] = []

    @client.feature("compilot/status")
    def on_status(params) -> None:
        statuses.append(params if isinstance(params, dict) else params._asdict())

    client.statuses = statuses
    return statuses


async def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        await asyncio.sleep(0.05)
