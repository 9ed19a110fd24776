"""One worker thread for every engine call; cancellation of a document's generation; background work that yields.

The engine (torch model, JVM checker, baseline cache) is not thread-safe, and the event loop must keep
reading messages (cancellations, changes) while a generation runs. So every engine call goes through a
single-thread executor, and a completion carries a `threading.Event` the engine polls between tokens and
prefill chunks. Work ahead of the user (prefilling a document's prompt) runs as background jobs that get
`preempt`: it is set while a foreground job waits or runs, so a request never waits for more than one chunk.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

log = logging.getLogger(__name__)
T = TypeVar("T")


class Worker:
    """Runs jobs one at a time on a dedicated thread; awaitable from the event loop."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="compilot-engine")
        self._lock = threading.Lock()
        self._generation: tuple[str, threading.Event] | None = None  # (document, cancel flag)
        self._foreground = 0  # foreground jobs submitted and not finished
        self.preempt = (
            threading.Event()
        )  # set while _foreground > 0: background jobs stop at their next chunk

    async def run(self, fn: Callable[..., T], *args: Any) -> T:
        """Run `fn(*args)` on the worker, ahead of any background work still to start or between chunks."""
        with self._lock:
            self._foreground += 1
            self.preempt.set()
        try:
            future = self._executor.submit(fn, *args)
        except BaseException:
            self._foreground_done()
            raise
        # Called on the worker thread as soon as `fn` returns (before the next job starts), or on cancellation.
        future.add_done_callback(self._foreground_done)
        return await asyncio.wrap_future(future, loop=asyncio.get_running_loop())

    def _foreground_done(self, _future: Future | None = None) -> None:
        with self._lock:
            self._foreground -= 1
            if self._foreground == 0:
                self.preempt.clear()

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future:
        """Fire and forget (from any thread); exceptions are logged."""
        future = self._executor.submit(fn, *args)
        future.add_done_callback(_log_failure)
        return future

    def background(self, fn: Callable[..., bool], *args: Any) -> Future:
        """Fire and forget `fn(*args, preempt)`: work ahead that returns early when `preempt` is set, False if
        it did not finish. Preempted (or due while a request waits), it is queued again behind the requests,
        and goes on from where it stopped."""

        def job() -> None:
            if self.preempt.is_set() or not fn(*args, self.preempt):
                self.submit(job)

        return self.submit(job)

    def new_generation(self, document: str) -> threading.Event:
        """A cancel flag for a new generation; the previous one is cancelled: the newest request wins."""
        event = threading.Event()
        with self._lock:
            if self._generation is not None:
                self._generation[1].set()
            self._generation = (document, event)
        return event

    def cancel_generation(self, document: str | None = None) -> None:
        """Stop the running generation (of `document` only, when given): it returns empty at its next step."""
        with self._lock:
            if self._generation is not None and document in (None, self._generation[0]):
                self._generation[1].set()

    def finish_generation(self, event: threading.Event) -> None:
        with self._lock:
            if self._generation is not None and self._generation[1] is event:
                self._generation = None

    def shutdown(self) -> None:
        self.cancel_generation()
        self._executor.shutdown(wait=False, cancel_futures=True)


def _log_failure(future) -> None:
    if not future.cancelled() and future.exception() is not None:
        log.error("engine job failed", exc_info=future.exception())
