"""One worker thread for every engine call, and cancellation of the running generation.

The engine (torch model, JVM checker, baseline cache) is not thread-safe, and the event loop must keep
reading messages (cancellations, changes) while a generation runs. So every engine call goes through a
single-thread executor, and a completion carries a `threading.Event` the engine polls between tokens.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Worker:
    """Runs jobs one at a time on a dedicated thread; awaitable from the event loop."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compilot-engine")
        self._lock = threading.Lock()
        self._generation: threading.Event | None = None

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, fn, *args)

    def submit(self, fn: Callable[..., Any], *args: Any):
        """Fire and forget (from any thread); exceptions are logged."""
        future = self._executor.submit(fn, *args)
        future.add_done_callback(_log_failure)
        return future

    def new_generation(self) -> threading.Event:
        """A cancel flag for a new generation; the previous one is cancelled: the newest request wins."""
        event = threading.Event()
        with self._lock:
            if self._generation is not None:
                self._generation.set()
            self._generation = event
        return event

    def cancel_generation(self) -> None:
        """Stop the running generation (document changed, request cancelled); it returns empty at once."""
        with self._lock:
            if self._generation is not None:
                self._generation.set()

    def finish_generation(self, event: threading.Event) -> None:
        with self._lock:
            if self._generation is event:
                self._generation = None

    def shutdown(self) -> None:
        self.cancel_generation()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("engine job failed", exc_info=future.exception())
