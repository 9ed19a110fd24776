"""Inline completions and the completion list, from one generation per place; and the prefill that works ahead.

An editor often asks for both kinds at one cursor: VS Code, at a trigger character such as ".", asks for ghost
text and for the list together, and the newest request would cancel the other's generation (the worker runs
one at a time). So the two kinds share: a request at the document version and offset of a generation that
runs (or answered in the last `SHARE_S` with something to offer) awaits that generation instead of starting
its own; a finished one answers only a kind that has not had it yet (asking the same again is asking anew).
The generation stops early only when no request waits for it any more.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lsprotocol import types

from compilot.lsp.convert import completion_items, inline_items

if TYPE_CHECKING:
    from compilot.engine import CompletionResult
    from compilot.lsp.documents import Document
    from compilot.lsp.service import Compilot

log = logging.getLogger("compilot.lsp")

PRIME_DEBOUNCE_S = 0.15  # a pause in typing this long prefills the prompt at the edit, ahead of the request
SHARE_S = 15.0  # how long a finished generation answers the other kind of request at its place


@dataclass
class _Generation:
    """One engine run at a place: (document, version, offset)."""

    place: tuple[str, int, int]
    cancel: threading.Event
    result: asyncio.Future  # CompletionResult, or None when cancelled
    waiting: int = 0  # requests awaiting it
    done_at: float = math.inf  # time.monotonic() when it finished
    served: set[str] = field(default_factory=set)  # the kinds of request ("inline", "list") it answered

    def shareable(self, place: tuple[str, int, int], kind: str) -> bool:
        if place != self.place or self.cancel.is_set():
            return False
        if not self.result.done():
            return True
        if kind in self.served:
            return False
        finished = not self.result.cancelled() and self.result.exception() is None
        return (
            finished
            and bool(self.result.result() and self.result.result().items)
            and (time.monotonic() - self.done_at < SHARE_S)
        )


class Completions:
    def __init__(self, app: Compilot) -> None:
        self.app = app
        self._last: _Generation | None = None
        self._priming: dict[str, asyncio.TimerHandle] = {}
        self._generation_error = ""  # the backend's last failure, shown to the user once

    async def inline(self, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        found = await self._complete("inline", params.text_document.uri, params.position)
        if found is None:
            return types.InlineCompletionList(items=[])
        doc, offset, result = found
        return inline_items(doc.index, offset, result.items, self.app.docs.encoding)

    async def list(self, params: types.CompletionParams) -> types.CompletionList:
        # The list is asked for (a `.` or Ctrl+Space): it gets blockSeconds, not the ghost text's lineSeconds;
        # a member access's line is often longer than 2 s of decoding on a loaded CPU (the e2e test's
        # `System.out.println(...)` was cut every time, so the list never came).
        uri, budget = params.text_document.uri, self.app.settings.block_seconds
        found = await self._complete("list", uri, params.position, budget)
        if found is None:
            return types.CompletionList(is_incomplete=True, items=[])
        doc, offset, result = found
        return completion_items(doc.index, offset, result.items, result.checked, self.app.docs.encoding)

    async def _complete(
        self, kind: str, uri: str, position: types.Position, line_seconds: float | None = None
    ) -> tuple[Document, int, CompletionResult] | None:
        """(document, offset, result) for a cursor, or None (nothing to offer, bad input, cancelled, not ready)."""
        app = self.app
        doc = app.docs.get(uri)
        if doc is None:
            log.info("completion for a document that is not open: %s", uri)
            return None
        if reason := doc.unsupported():
            log.info("no completion for %s: %s", uri, reason)
            return None
        if app.state != "ready" or app.engine is None:
            log.debug("no completion: the model is %s", app.state)
            return None
        offset = doc.index.offset(position, app.docs.encoding)
        if offset is None:
            log.info("completion position %s:%s is outside %s", position.line, position.character, uri)
            return None
        place = (uri, doc.version, offset)
        doc.asked_version = doc.version
        generation = self._last
        shared = generation is not None and generation.shareable(place, kind)
        if not shared:
            generation = self._start(doc, offset, line_seconds)
        result = await self._await(generation, kind)
        if shared and (result is None or not result.items):
            result = await self._await(self._start(doc, offset, line_seconds), kind)  # its own budget, again
        if result is None or doc.version != place[1] or app.docs.get(uri) is not doc:
            return None
        return doc, offset, result

    def _start(self, doc: Document, offset: int, line_seconds: float | None) -> _Generation:
        cancel = self.app.worker.new_generation(doc.uri)  # the newest request wins: the last one stops
        result = asyncio.ensure_future(self._generate(doc, offset, cancel, line_seconds))
        generation = _Generation((doc.uri, doc.version, offset), cancel, result)
        result.add_done_callback(lambda _: setattr(generation, "done_at", time.monotonic()))
        self._last = generation
        return generation

    async def _await(self, generation: _Generation, kind: str) -> CompletionResult | None:
        generation.waiting += 1
        generation.served.add(kind)
        try:
            return await asyncio.shield(generation.result)
        except asyncio.CancelledError:  # $/cancelRequest: stop the generation unless another request waits
            if generation.waiting == 1:
                generation.cancel.set()
            raise
        finally:
            generation.waiting -= 1

    async def _generate(
        self, doc: Document, offset: int, cancel: threading.Event, line_seconds: float | None
    ) -> CompletionResult | None:
        """One generation on the worker, logged and reported in the status once, whoever awaits it."""
        app = self.app
        text, version = doc.text, doc.version
        t0 = time.perf_counter()
        try:
            result = await app.worker.run(
                self._run_engine, text, offset, doc.filename, doc.uri, cancel, line_seconds
            )
        finally:
            app.worker.finish_generation(cancel)
        latency_ms = round((time.perf_counter() - t0) * 1000)
        if result is None or doc.version != version or app.docs.get(doc.uri) is not doc:
            log.debug("completion cancelled after %d ms", latency_ms)
            return None
        log.info(
            "%d of %d candidates offered in %d ms (%s)%s",
            len(result.items),
            len(result.candidates),
            latency_ms,
            ", ".join(f"{k} {v * 1000:.0f}" for k, v in result.timings.items()),
            f": {result.message}" if result.message and not result.items else "",
        )
        if result.generation_error and result.generation_error != self._generation_error:
            app.show(f"Compilot: {result.message}", warning=True)  # once, not at every keystroke
        self._generation_error = result.generation_error
        app.set_status(
            "ready",
            result.message if app.settings.verify and not result.checked else "",
            latency_ms,
            result.checked,
            {k: round(v * 1000) for k, v in result.timings.items()},
        )
        return result

    def _run_engine(
        self,
        text: str,
        offset: int,
        filename: str,
        uri: str,
        cancel: threading.Event,
        line_seconds: float | None = None,
    ) -> CompletionResult | None:
        """On the worker. None when cancelled, also while queued behind another job."""
        from compilot.generation.backend import Cancelled

        if cancel.is_set():
            return None
        try:
            return self.app.engine.complete(
                text, offset, filename, cancel, key=uri, line_seconds=line_seconds
            )
        except Cancelled:
            return None

    # ----- working ahead: the prompt's cache, prefilled while the user reads or types -----

    def schedule_prime(self, doc: Document, delay: float = PRIME_DEBOUNCE_S) -> None:
        """Prefill the document's prompt in the background after `delay`: at its latest edit, or (just opened)
        its file context. A newer edit reschedules it; any request preempts it between chunks."""
        self.cancel_prime(doc.uri)
        loop = asyncio.get_running_loop()
        self._priming[doc.uri] = loop.call_later(delay, self._start_prime, doc, doc.version)

    def cancel_prime(self, uri: str | None = None) -> None:
        """Drop the scheduled prefill of `uri` (of every document when None)."""
        for key in [uri] if uri is not None else list(self._priming):
            if (handle := self._priming.pop(key, None)) is not None:
                handle.cancel()

    def _start_prime(self, doc: Document, version: int) -> None:
        self._priming.pop(doc.uri, None)
        if self.app.state != "ready" or self.app.engine is None or doc.unsupported():
            return
        self.app.worker.background(self._prime, doc, version, doc.text, doc.edited_at)

    def _prime(
        self, doc: Document, version: int, text: str, offset: int | None, preempt: threading.Event
    ) -> bool:
        """On the worker: False when a request preempted it between chunks (what it computed stays cached, and
        the worker runs it again after the request); True when done or no longer wanted."""
        from compilot.generation.backend import BackendError, Cancelled

        app = self.app
        if doc.version != version or app.docs.get(doc.uri) is not doc or app.state != "ready":
            return True  # edited, closed or reloading since: a newer prefill is scheduled if one is needed
        if doc.asked_version == version:
            # A request at this version came: it prefilled its own prompt, which the user is likely to ask at
            # again (the next keystroke). Going on here would overwrite it in the document's cache slot.
            return True
        try:
            app.engine.prime(text, offset, doc.uri, preempt)
        except Cancelled:
            log.debug("prefill of %s preempted", doc.uri)
            return False
        except BackendError as e:  # the next request reports it to the user
            log.warning("prefill of %s failed: %s", doc.uri, e)
        return True
