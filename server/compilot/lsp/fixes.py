"""Fix to compile: one quick fix per javac error, its edit found and verified on the worker (compilot/fix).

A client that can resolve actions gets them unresolved at once (the light bulb must not wait for javac) and
asks for the edit when the user picks one; any other gets verified fixes in the `codeAction` answer. The
code action's shape (data, titles, edits) is in actions.py.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from typing import TYPE_CHECKING

import attrs
from lsprotocol import types

from compilot.lsp import actions
from compilot.lsp.convert import LineIndex

if TYPE_CHECKING:
    from compilot.fix import Fix
    from compilot.lsp.service import Compilot

log = logging.getLogger("compilot.lsp")

FIX_BUDGET_S = 8.0  # the most a quick fix may take, queueing on the worker included
FIX_LIMIT = 3  # fixes per error for clients that cannot resolve an action later


class Fixes:
    def __init__(self, app: Compilot) -> None:
        self.app = app

    async def code_action(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        """One "Fix to compile" quick fix per javac error in the range (unresolved, or verified now)."""
        app = self.app
        doc = app.docs.get(params.text_document.uri)
        if doc is None or doc.unsupported() or not actions.wants_quickfix(params.context.only):
            return None
        wanted = [
            d
            for d in params.context.diagnostics
            if actions.fixable(d, foreign=not app.settings.diagnostics)
            and actions.overlaps(d.range, params.range)
        ]
        if not wanted:
            return None
        if self._resolves_edits():
            return [actions.unresolved(doc.uri, doc.version, d) for d in wanted]
        deadline = time.monotonic() + FIX_BUDGET_S
        result: list[types.CodeAction] = []
        for diagnostic in wanted:
            action = actions.unresolved(doc.uri, doc.version, diagnostic)
            result += await self._fix_actions(action, FIX_LIMIT, deadline, notify=False)
        return result

    async def resolve(self, action: types.CodeAction) -> types.CodeAction:
        """The verified edit of an action `code_action` made, found within `FIX_BUDGET_S`."""
        if actions.read_data(action.data) is None:
            log.info("codeAction/resolve for an action that is not ours: %r", action.title)
            return action
        found = await self._fix_actions(action, 1, time.monotonic() + FIX_BUDGET_S, notify=True)
        return found[0]

    async def _fix_actions(
        self, action: types.CodeAction, limit: int, deadline: float, notify: bool
    ) -> list[types.CodeAction]:
        """`action` with each verified fix's edit and title (best first), or once, retitled with the reason there
        is none; `notify` also says that in a message (the user chose the action and sees nothing happen)."""
        from compilot.generation.backend import Cancelled
        from compilot.verification.checker import CheckerError

        app = self.app
        uri, version, message, where = actions.read_data(action.data)
        doc = app.docs.get(uri)

        def without_edit(title: str, why: str) -> list[types.CodeAction]:
            if notify:
                app.show(f"Compilot: {why}")
            return [attrs.evolve(action, title=title, edit=None, is_preferred=None)]

        if doc is None or doc.version != version or doc.unsupported():
            return without_edit(actions.STALE, "the document changed since the fix was offered; ask again")
        text, encoding = doc.text, app.docs.encoding
        cancel = threading.Event()
        t0 = time.perf_counter()
        try:
            fixes = await app.worker.run(
                self._find_fixes, text, doc.filename, message, where, encoding, limit, deadline, cancel
            )
        except asyncio.CancelledError:  # $/cancelRequest: stop the search, pygls answers the request
            cancel.set()
            raise
        except (Cancelled, CheckerError) as e:
            log.info("no fix: %s", e)
            return without_edit(actions.UNAVAILABLE, f"no fix could be verified: {e}")
        log.info(
            "%s fixes for %r in %.0f ms",
            "no" if not fixes else len(fixes),
            actions.first_line(message),
            (time.perf_counter() - t0) * 1000,
        )
        if app.docs.get(uri) is not doc or doc.version != version:
            return without_edit(actions.STALE, "the document changed while the fix was computed; ask again")
        if fixes is None:
            return without_edit(actions.GONE, "that error is no longer in the document")
        if not fixes:
            return without_edit(
                actions.NO_FIX,
                f"no verified fix found for `{actions.first_line(message)}` in {FIX_BUDGET_S:.0f} s",
            )
        index = LineIndex(text)
        versioned = app.supports("workspace", "workspace_edit", "document_changes")
        return [
            attrs.evolve(
                action,
                title=fix.title,
                edit=actions.edit_for(uri, version, fix, index, encoding, versioned),
                is_preferred=True if rank == 0 else None,
            )
            for rank, fix in enumerate(fixes)
        ]

    def _find_fixes(
        self,
        text: str,
        filename: str,
        message: str,
        where: list[int],
        encoding: str,
        limit: int,
        deadline: float,
        cancel: threading.Event,
    ) -> list[Fix] | None:
        """On the worker: the verified fixes of the error javac reports at `where` with `message` (None when the
        text has no such error). The model is used only if it is loaded: the deadline is the user's wait."""
        from compilot.fix import find_fixes

        if cancel.is_set():
            return []
        engine = self.app.ensure_engine()
        error = actions.match(engine.check(text, filename), message, where, LineIndex(text), encoding)
        if error is None:
            return None
        if time.monotonic() >= deadline:
            return []
        return find_fixes(engine, text, error, filename, limit, deadline, cancel)

    def _resolves_edits(self) -> bool:
        """Whether the client resolves a code action's edit later (and keeps its data until then)."""
        code_action = getattr(self.app.server.client_capabilities.text_document, "code_action", None)
        support = getattr(code_action, "resolve_support", None)
        return bool(support and "edit" in (support.properties or []) and code_action.data_support)
