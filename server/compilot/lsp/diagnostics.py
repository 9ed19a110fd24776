"""javac's diagnostics for the open documents: debounced after edits, published once the check is current.

A missing dependency's cascade of errors is not published (verification/gaps.py); the user is told its cause
once per workspace and package instead.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from lsprotocol import types

from compilot.lsp.convert import to_lsp_diagnostic
from compilot.verification.gaps import file_gaps, gap_message

if TYPE_CHECKING:
    from compilot.lsp.documents import Document
    from compilot.lsp.service import Compilot
    from compilot.verification.diagnostics import Diagnostic

log = logging.getLogger("compilot.lsp")

DEBOUNCE_S = 0.5  # a pause in typing this long checks the document


class Diagnostics:
    def __init__(self, app: Compilot) -> None:
        self.app = app
        self._debounce: dict[str, asyncio.TimerHandle] = {}
        self._gaps_told: set[str] = set()  # packages a missing dependency holds, told once per workspace
        self._checker_warned = ""

    def schedule(self, doc: Document, delay: float = DEBOUNCE_S) -> None:
        """Check `doc` after `delay`; a newer edit reschedules it."""
        self.cancel(doc.uri)
        loop = asyncio.get_running_loop()
        self._debounce[doc.uri] = loop.call_later(delay, lambda: asyncio.ensure_future(self._diagnose(doc)))

    def cancel(self, uri: str | None = None) -> None:
        """Drop the scheduled check of `uri` (of every document when None)."""
        for key in [uri] if uri is not None else list(self._debounce):
            if (handle := self._debounce.pop(key, None)) is not None:
                handle.cancel()

    def clear(self, uri: str) -> None:
        """A closed document: no check due, and its diagnostics removed from the client."""
        self.cancel(uri)
        self.publish(uri, [], None)

    def workspace_changed(self) -> None:
        """The builds were read anew: a gap may be closed, or a new one worth telling."""
        self._gaps_told = set()

    async def _diagnose(self, doc: Document) -> None:
        from compilot.verification.checker import CheckerError

        app = self.app
        self._debounce.pop(doc.uri, None)
        if app.docs.get(doc.uri) is not doc:
            return
        if reason := doc.unsupported() or (
            "" if app.settings.diagnostics else "the diagnostics setting is off"
        ):
            if doc.is_java:
                log.info("no javac diagnostics for %s: %s", doc.uri, reason)
                self.publish(doc.uri, [], doc.version)
            return
        text, version, path = doc.text, doc.version, doc.filename
        try:
            found = await app.worker.run(self._check, text, path)
        except CheckerError as e:
            self.warn_checker(str(e))
            return
        except Exception:
            log.exception("javac diagnostics failed for %s", doc.uri)
            return
        if app.docs.get(doc.uri) is not doc or doc.version != version:
            return  # the document changed meanwhile: a newer check is scheduled
        gaps = file_gaps(found, text, app.workspace, path)
        self._tell_gaps(gaps.packages, path)
        diagnostics = [
            to_lsp_diagnostic(d, doc.index, app.docs.encoding)
            for d in gaps.kept
            if d.is_error or d.kind in ("WARNING", "MANDATORY_WARNING") or d.start >= 0
        ]
        self.publish(doc.uri, diagnostics, version)

    def _check(self, text: str, filename: str) -> list[Diagnostic]:
        """On the worker."""
        return self.app.ensure_engine().check(text, filename)

    def _tell_gaps(self, packages: tuple[str, ...], path: str) -> None:
        """Once per workspace and package: javac cannot see a library, why, and what to do."""
        new = [p for p in packages if p not in self._gaps_told]
        if new:
            self._gaps_told.update(new)
            self.app.show("Compilot: " + gap_message(new, self.app.workspace.module_of(path)), warning=True)

    def warn_checker(self, problem: str) -> None:
        """Why javac cannot check (a wrong javaRelease, a JDK gone): shown once per distinct reason."""
        if problem and problem != self._checker_warned:
            self._checker_warned = problem
            self.app.show(f"Compilot: javac diagnostics unavailable: {problem}", warning=True)

    def publish(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        self.app.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )
