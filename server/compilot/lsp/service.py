"""What the language server does, apart from the protocol plumbing in server.py.

`Compilot` owns the engine, the open documents and the worker thread. Its coroutines run on the event loop
and only ever *await* engine calls on the worker, so the loop keeps reading `$/cancelRequest` and
`didChange` while the model generates. Every handler answers bad input with an empty result and a log line.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs
from lsprotocol import types

from compilot.lsp import actions, logs
from compilot.lsp.convert import UTF16, LineIndex, shorten, to_lsp_diagnostic, uri_path
from compilot.lsp.documents import Document, Documents
from compilot.lsp.worker import Worker
from compilot.project.discover import BUILD_FILE_NAMES, Workspace, discover
from compilot.project.module import Module
from compilot.settings import Settings, path_problems
from compilot.verification.gaps import file_gaps

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from compilot.candidate import Candidate
    from compilot.engine import CompletionResult, Engine
    from compilot.fix import Fix

log = logging.getLogger("compilot.lsp")

STATUS = "compilot/status"
DEBOUNCE_S = 0.5
PRIME_DEBOUNCE_S = 0.15  # a pause in typing this long prefills the prompt at the edit, ahead of the request
FIX_BUDGET_S = 8.0  # the most a quick fix may take, queueing on the worker included
FIX_LIMIT = 3  # fixes per error for clients that cannot resolve an action later
_IDENT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$")


class Compilot:
    """The server's state and behaviour; one instance per connection."""

    def __init__(
        self,
        server: LanguageServer,
        log_level_fixed: bool = False,
        engine_factory: Callable[[Settings, Workspace], Engine] | None = None,
    ) -> None:
        self.server = server
        self.engine_factory = (
            engine_factory  # None: the real Engine, imported on the worker (it imports torch)
        )
        self.docs = Documents()
        self.worker = Worker()
        self.engine: Engine | None = None
        self.settings = Settings()
        self.init_options: dict = {}
        self.workspace = Workspace()  # the builds of the workspace folders: each file's class path
        self.state = "off"
        self.log_level_fixed = log_level_fixed  # --log-level given: the setting does not override it
        self.loop: asyncio.AbstractEventLoop | None = None
        self._debounce: dict[str, asyncio.TimerHandle] = {}
        self._priming: dict[str, asyncio.TimerHandle] = {}
        self._load_id = 0
        self._generation_error = ""  # the backend's last failure, shown to the user once
        self._checker_warned = ""
        self._gaps_told: set[str] = set()  # packages a missing dependency holds, told once per workspace

    # ----- lifecycle -----

    def initialize(self, params: types.InitializeParams) -> None:
        self.loop = asyncio.get_event_loop()
        options = params.initialization_options
        if isinstance(options, dict) and isinstance(options.get("compilot"), dict):
            options = options["compilot"]
        if options is not None and not isinstance(options, dict):
            self.show(f"Compilot: initializationOptions must be an object, got {options!r}", warning=True)
            options = {}
        self.init_options = options or {}
        self.settings = self._settings_from({}, report=True)
        self._report_paths(self.settings, Settings())
        try:
            self.docs.encoding = self.server.workspace.position_encoding or UTF16
        except RuntimeError:
            self.docs.encoding = UTF16

    async def initialized(self) -> None:
        """Pull the client's configuration and workspace folders, then load the model in the background."""
        if self._supports("workspace", "configuration"):
            await self.refresh_settings(reload=False)
        await self.refresh_workspace(apply=False)
        asyncio.ensure_future(self._watch_build_files())  # a client slow to answer must not delay loading
        self.start_loading()

    def shutdown(self) -> None:
        self._stop_pending()
        engine = self.engine
        if engine is not None:
            self.worker.submit(engine.close)

    async def close(self, timeout: float = 10.0) -> None:
        """The connection ended: stop the JVM and the backend (waiting for the engine's current job at most
        `timeout`), the worker, and the log's copy to this client."""
        self._stop_pending()
        engine = self.engine
        if engine is not None:
            try:
                await asyncio.wait_for(self.worker.run(engine.close), timeout)
            except Exception as e:  # the process is ending: say why the close was not clean, and go on
                log.warning("closing the engine: %s", e)
        self.worker.shutdown()
        logs.detach_client(self.server)

    def _stop_pending(self) -> None:
        for handle in [*self._debounce.values(), *self._priming.values()]:
            handle.cancel()
        self.worker.cancel_generation()

    # ----- settings and workspace -----

    def _settings_from(self, config: dict, report: bool) -> Settings:
        settings, problems = Settings().updated(self.init_options)
        settings, more = settings.updated(config if isinstance(config, dict) else {})
        problems += more
        if not isinstance(config, dict):
            problems.append(f"the compilot settings must be an object, got {config!r}")
        if problems and report:
            self.show("Compilot settings ignored: " + "; ".join(problems), warning=True)
        if not isinstance(config, dict):
            config = {}
        if not self.log_level_fixed and ("logLevel" in config or "logLevel" in self.init_options):
            set_log_level(settings.log_level)
        return settings

    async def refresh_settings(self, config: Any = None, reload: bool = True) -> None:
        """New settings: from didChangeConfiguration's payload, else pulled with workspace/configuration."""
        if config is None and self._supports("workspace", "configuration"):
            try:
                items = [types.ConfigurationItem(section="compilot")]
                result = await asyncio.wait_for(
                    self.server.workspace_configuration_async(types.ConfigurationParams(items=items)), 10
                )
                config = result[0] if result else None
            except Exception as e:  # a client that fails the request must not stop the server
                log.warning("workspace/configuration failed: %s", e)
        new = self._settings_from(config or {}, report=True)
        old, self.settings = self.settings, new
        if new == old:
            return
        log.info("settings changed")
        self._report_paths(new, old)
        if new.diagnostics != old.diagnostics:
            for doc in self.docs:
                self.schedule_diagnostics(doc, 0)  # published afresh, or cleared
        if self.engine is not None:
            await self.worker.run(self.engine.update_settings, new)
            self._warn_checker(self.engine.checker_problem)
        if reload and ((new.model, new.device) != (old.model, old.device) or self.state == "error"):
            self.start_loading()

    def _report_paths(self, new: Settings, old: Settings) -> None:
        if (new.classpath, new.sourcepath) != (old.classpath, old.sourcepath) and (
            problems := path_problems(new)
        ):
            self.show("Compilot: " + "; ".join(problems), warning=True)

    async def refresh_workspace(self, apply: bool = True) -> None:
        """Read the builds of the workspace folders (modules, source roots, class paths from the local
        Maven repository or Gradle cache), off the event loop; completions go on with the last one."""
        folders = [f.uri for f in self.server.workspace.folders.values()]
        if not folders and self.server.workspace.root_uri:
            folders = [self.server.workspace.root_uri]
        paths = [p for p in (uri_path(u) for u in folders) if p]
        workspace = await asyncio.get_running_loop().run_in_executor(None, discover, paths)
        if workspace == self.workspace:
            return
        self.workspace, self._gaps_told = workspace, set()
        for m in workspace.modules:
            missing = f", missing {', '.join(m.missing)}" if m.missing else ""
            log.info(
                "%s module %s: %d source roots, %d jars%s",
                m.tool,
                m.name,
                len(m.main_sources + m.test_sources),
                len(m.test_classpath),
                missing,
            )
        if apply and self.engine is not None:
            await self.worker.run(self.engine.update_settings, self.settings, workspace)
        for doc in self.docs:
            self.schedule_diagnostics(doc, 0)

    async def _watch_build_files(self) -> None:
        """Ask the client to tell us when a build file changes (`workspace/didChangeWatchedFiles`)."""
        if not self._supports("workspace", "did_change_watched_files", "dynamic_registration"):
            return
        watchers = [types.FileSystemWatcher(glob_pattern=f"**/{name}") for name in BUILD_FILE_NAMES]
        registration = types.Registration(
            id=str(uuid.uuid4()),
            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
            register_options=types.DidChangeWatchedFilesRegistrationOptions(watchers=watchers),
        )
        try:
            await asyncio.wait_for(
                self.server.client_register_capability_async(types.RegistrationParams([registration])), 10
            )
        except Exception as e:  # no watching: a reload of the window still reads the build again
            log.warning("could not watch the build files: %s", e)

    async def files_changed(self, params: types.DidChangeWatchedFilesParams) -> None:
        names = {(uri_path(c.uri) or c.uri).rsplit("/", 1)[-1] for c in params.changes}
        if names & set(BUILD_FILE_NAMES):
            log.info("build files changed (%s): reading the builds again", ", ".join(sorted(names)))
            await self.refresh_workspace()

    # ----- model loading -----

    def start_loading(self) -> None:
        self._load_id += 1
        asyncio.ensure_future(self._load(self._load_id))

    async def _load(self, load_id: int) -> None:
        self.set_status("loading", f"loading {self.settings.model}")
        token = await self._begin_progress("Compilot", f"loading {self.settings.model}")
        t0 = time.perf_counter()
        state, message = "ready", ""
        try:
            await self.worker.run(self._load_engine)
        except Exception as e:  # ModelLoadError carries a message for the user; anything else is a bug
            from compilot.generation.backend import ModelLoadError

            state = "error"
            message = str(e) if isinstance(e, ModelLoadError) else f"{type(e).__name__}: {e}"
            log.error("the model failed to load: %s", message, exc_info=not isinstance(e, ModelLoadError))
        if token is not None:
            self.server.work_done_progress.end(token, types.WorkDoneProgressEnd(message=state))
        if load_id != self._load_id:
            return  # settings changed while loading: the newer load reports
        if state == "error":
            self.show(f"Compilot: the model could not be loaded: {message}", error=True)
        else:
            log.info("model loaded in %.1f s", time.perf_counter() - t0)
            message = self.engine.checker_problem if self.engine else ""
            self.worker.submit(_warm_fix_index)
        self.set_status(state, message)
        if state == "ready":
            for doc in self.docs:
                self.schedule_prime(doc, 0)

    def _load_engine(self) -> None:
        """On the worker: create the engine (importing torch here keeps `initialize` fast) and load it."""
        self._ensure_engine()
        self.engine.load()

    def _ensure_engine(self) -> Engine:
        if self.engine is None:
            if self.engine_factory is None:
                from compilot.engine import Engine

                self.engine_factory = Engine
            self.engine = self.engine_factory(self.settings, self.workspace)
        elif self.engine.settings != self.settings or self.engine.workspace != self.workspace:
            self.engine.update_settings(self.settings, self.workspace)
        return self.engine

    async def _begin_progress(self, title: str, message: str) -> str | None:
        if not self._supports("window", "work_done_progress"):
            return None
        token = f"compilot-load-{uuid.uuid4().hex[:8]}"
        try:
            await asyncio.wait_for(self.server.work_done_progress.create_async(token), 5)
            self.server.work_done_progress.begin(
                token, types.WorkDoneProgressBegin(title=title, message=message)
            )
            return token
        except Exception as e:
            log.debug("no work done progress: %s", e)
            return None

    # ----- completions -----

    async def inline_completion(self, params: types.InlineCompletionParams) -> types.InlineCompletionList:
        found = await self._complete(params.text_document.uri, params.position)
        if found is None:
            return types.InlineCompletionList(items=[])
        doc, offset, items, _ = found
        position = doc.index.position(offset, self.docs.encoding)
        cursor = types.Range(start=position, end=position)
        return types.InlineCompletionList(
            items=[types.InlineCompletionItem(insert_text=c.text, range=cursor) for c in items]
        )

    async def completion(self, params: types.CompletionParams) -> types.CompletionList:
        # The list is asked for (a `.` or Ctrl+Space): it gets blockSeconds, not the ghost text's lineSeconds;
        # a member access's line is often longer than 2 s of decoding on a loaded CPU (the e2e test's
        # `System.out.println(...)` was cut every time, so the list never came).
        found = await self._complete(params.text_document.uri, params.position, self.settings.block_seconds)
        if found is None:
            return types.CompletionList(is_incomplete=True, items=[])
        doc, offset, items, checked = found
        # The identifier typed just before the cursor is replaced (and typed again by the edit), so a
        # client that filters the list by that word keeps the items.
        start = offset
        while start > 0 and doc.text[start - 1] in _IDENT_CHARS:
            start -= 1
        partial = doc.text[start:offset]
        edit_range = types.Range(
            start=doc.index.position(start, self.docs.encoding),
            end=doc.index.position(offset, self.docs.encoding),
        )
        detail = "compiles (javac)" if checked else "not compile-checked"
        result = []
        for rank, c in enumerate(items):
            result.append(
                types.CompletionItem(
                    label=shorten(partial + c.text),
                    kind=types.CompletionItemKind.Snippet,
                    detail=detail,
                    documentation=types.MarkupContent(
                        kind=types.MarkupKind.Markdown, value=f"```java\n{partial + c.text}\n```"
                    ),
                    filter_text=partial + c.text.strip().splitlines()[0] if c.text.strip() else partial,
                    sort_text=f"{rank:04d}",
                    preselect=rank == 0,
                    insert_text_format=types.InsertTextFormat.PlainText,
                    text_edit=types.TextEdit(range=edit_range, new_text=partial + c.text),
                )
            )
        return types.CompletionList(is_incomplete=True, items=result)

    async def _complete(
        self, uri: str, position: types.Position, line_seconds: float | None = None
    ) -> tuple[Document, int, list[Candidate], bool] | None:
        """(document, offset, candidates, javac-checked) for a cursor, or None (nothing to offer, bad input,
        cancelled, not ready)."""
        doc = self.docs.get(uri)
        if doc is None:
            log.info("completion for a document that is not open: %s", uri)
            return None
        if reason := doc.unsupported():
            log.info("no completion for %s: %s", uri, reason)
            return None
        if self.state != "ready" or self.engine is None:
            log.debug("no completion: the model is %s", self.state)
            return None
        offset = doc.index.offset(position, self.docs.encoding)
        if offset is None:
            log.info("completion position %s:%s is outside %s", position.line, position.character, uri)
            return None
        text, version = doc.text, doc.version
        cancel = self.worker.new_generation(uri)
        t0 = time.perf_counter()
        try:
            result = await self.worker.run(
                self._generate, text, offset, doc.filename, uri, cancel, line_seconds
            )
        except asyncio.CancelledError:  # $/cancelRequest: stop the generation, pygls answers the request
            cancel.set()
            raise
        finally:
            self.worker.finish_generation(cancel)
        latency_ms = round((time.perf_counter() - t0) * 1000)
        if result is None or doc.version != version or self.docs.get(uri) is not doc:
            log.debug("completion cancelled after %d ms", latency_ms)
            return None
        verify = self.settings.verify
        items = result.items  # ranking.rank decided: javac's passes, or every candidate when none was checked
        log.info(
            "%d of %d candidates offered in %d ms (%s)%s",
            len(items),
            len(result.candidates),
            latency_ms,
            ", ".join(f"{k} {v * 1000:.0f}" for k, v in result.timings.items()),
            f": {result.message}" if result.message and not items else "",
        )
        if result.generation_error and result.generation_error != self._generation_error:
            self.show(f"Compilot: {result.message}", warning=True)  # once, not at every keystroke
        self._generation_error = result.generation_error
        self.set_status(
            "ready",
            result.message if verify and not result.checked else "",
            latency_ms,
            result.checked,
            {k: round(v * 1000) for k, v in result.timings.items()},
        )
        return doc, offset, items, result.checked

    def _generate(
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
            return self.engine.complete(text, offset, filename, cancel, key=uri, line_seconds=line_seconds)
        except Cancelled:
            return None

    # ----- working ahead: the prompt's cache, prefilled while the user reads or types -----

    def schedule_prime(self, doc: Document, delay: float) -> None:
        """Prefill the document's prompt in the background after `delay`: at its latest edit, or (just opened)
        its file context. A newer edit reschedules it; any request preempts it between chunks."""
        if (handle := self._priming.pop(doc.uri, None)) is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self._priming[doc.uri] = loop.call_later(delay, self._start_prime, doc, doc.version)

    def _start_prime(self, doc: Document, version: int) -> None:
        self._priming.pop(doc.uri, None)
        if self.state != "ready" or self.engine is None or doc.unsupported():
            return
        self.worker.background(self._prime, doc, version, doc.text, doc.edited_at)

    def _prime(
        self, doc: Document, version: int, text: str, offset: int | None, preempt: threading.Event
    ) -> bool:
        """On the worker: False when a request preempted it between chunks (what it computed stays cached, and
        the worker runs it again after the request); True when done or no longer wanted."""
        from compilot.generation.backend import BackendError, Cancelled

        if doc.version != version or self.docs.get(doc.uri) is not doc or self.state != "ready":
            return True  # edited, closed or reloading since: a newer prefill is scheduled if one is needed
        try:
            self.engine.prime(text, offset, doc.uri, preempt)
        except Cancelled:
            log.debug("prefill of %s preempted", doc.uri)
            return False
        except BackendError as e:  # the next request reports it to the user
            log.warning("prefill of %s failed: %s", doc.uri, e)
        return True

    # ----- fix to compile (code actions) -----

    async def code_action(self, params: types.CodeActionParams) -> list[types.CodeAction] | None:
        """One "Fix to compile" quick fix per javac error in the range. A client that can resolve actions gets
        them unresolved at once (the light bulb must not wait for javac); any other gets verified fixes now."""
        doc = self.docs.get(params.text_document.uri)
        if doc is None or doc.unsupported() or not actions.wants_quickfix(params.context.only):
            return None
        wanted = [
            d
            for d in params.context.diagnostics
            if actions.fixable(d, foreign=not self.settings.diagnostics)
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
            found = await self._fix_actions(action, FIX_LIMIT, deadline, notify=False)
            result += found
        return result

    async def resolve_code_action(self, action: types.CodeAction) -> types.CodeAction:
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

        uri, version, message, where = actions.read_data(action.data)
        doc = self.docs.get(uri)

        def without_edit(title: str, why: str) -> list[types.CodeAction]:
            if notify:
                self.show(f"Compilot: {why}")
            return [attrs.evolve(action, title=title, edit=None, is_preferred=None)]

        if doc is None or doc.version != version or doc.unsupported():
            return without_edit(actions.STALE, "the document changed since the fix was offered; ask again")
        text, encoding = doc.text, self.docs.encoding
        cancel = threading.Event()
        t0 = time.perf_counter()
        try:
            fixes = await self.worker.run(
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
        if self.docs.get(uri) is not doc or doc.version != version:
            return without_edit(actions.STALE, "the document changed while the fix was computed; ask again")
        if fixes is None:
            return without_edit(actions.GONE, "that error is no longer in the document")
        if not fixes:
            return without_edit(
                actions.NO_FIX,
                f"no verified fix found for `{actions.first_line(message)}` in {FIX_BUDGET_S:.0f} s",
            )
        index = LineIndex(text)
        versioned = self._supports("workspace", "workspace_edit", "document_changes")
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
        engine = self._ensure_engine()
        error = actions.match(engine.check(text, filename), message, where, LineIndex(text), encoding)
        if error is None:
            return None
        if time.monotonic() >= deadline:
            return []
        return find_fixes(engine, text, error, filename, limit, deadline, cancel)

    def _resolves_edits(self) -> bool:
        """Whether the client resolves a code action's edit later (and keeps its data until then)."""
        code_action = getattr(self.server.client_capabilities.text_document, "code_action", None)
        support = getattr(code_action, "resolve_support", None)
        return bool(support and "edit" in (support.properties or []) and code_action.data_support)

    # ----- documents and diagnostics -----

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        doc = self.docs.open(params.text_document)
        self.schedule_diagnostics(doc, 0)
        self.schedule_prime(doc, 0)

    def did_change(self, params: types.DidChangeTextDocumentParams) -> None:
        self.worker.cancel_generation(params.text_document.uri)  # its answer would be for the old text
        try:
            doc = self.docs.change(params)
        except Exception as e:  # a malformed change: ask nothing of the engine, keep serving
            log.warning("could not apply a change to %s: %s", params.text_document.uri, e)
            return
        if doc is None:
            log.warning("a change to %s, which is not open: ignored", params.text_document.uri)
            return
        self.schedule_diagnostics(doc, DEBOUNCE_S)
        self.schedule_prime(doc, PRIME_DEBOUNCE_S)

    def did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        doc = self.docs.get(params.text_document.uri)
        if doc is not None:
            self.schedule_diagnostics(doc, 0)

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        self.worker.cancel_generation(uri)
        for timers in (self._debounce, self._priming):
            if (handle := timers.pop(uri, None)) is not None:
                handle.cancel()
        if self.docs.close(uri) is not None:
            self.publish(uri, [], None)
            if self.engine is not None:
                self.worker.submit(self.engine.forget, uri)

    def schedule_diagnostics(self, doc: Document, delay: float) -> None:
        if (handle := self._debounce.pop(doc.uri, None)) is not None:
            handle.cancel()
        loop = asyncio.get_running_loop()
        self._debounce[doc.uri] = loop.call_later(delay, lambda: asyncio.ensure_future(self._diagnose(doc)))

    async def _diagnose(self, doc: Document) -> None:
        from compilot.verification.checker import CheckerError

        self._debounce.pop(doc.uri, None)
        if self.docs.get(doc.uri) is not doc:
            return
        if reason := doc.unsupported() or (
            "" if self.settings.diagnostics else "the diagnostics setting is off"
        ):
            if doc.is_java:
                log.info("no javac diagnostics for %s: %s", doc.uri, reason)
                self.publish(doc.uri, [], doc.version)
            return
        text, version, path = doc.text, doc.version, doc.filename
        try:
            found = await self.worker.run(self._check, text, path)
        except CheckerError as e:
            self._warn_checker(str(e))
            return
        except Exception:
            log.exception("javac diagnostics failed for %s", doc.uri)
            return
        if self.docs.get(doc.uri) is not doc or doc.version != version:
            return  # the document changed meanwhile: a newer check is scheduled
        gaps = file_gaps(found, text, self.workspace, path)
        if gaps.packages:
            self._tell_gaps(gaps.packages, self.workspace.module_of(path))
        index = doc.index
        diagnostics = [
            to_lsp_diagnostic(d, index, self.docs.encoding)
            for d in gaps.kept
            if d.is_error or d.kind in ("WARNING", "MANDATORY_WARNING") or d.start >= 0
        ]
        self.publish(doc.uri, diagnostics, version)

    def _tell_gaps(self, packages: tuple[str, ...], module: Module | None) -> None:
        """Once per workspace and package: javac cannot see a library, why, and what to do."""
        new = [p for p in packages if p not in self._gaps_told]
        if not new:
            return
        self._gaps_told.update(new)
        names = ", ".join(new)
        hidden = "errors that follow from it are not shown"
        if module is not None and module.missing:
            where = {"maven": "the local Maven repository", "gradle": "the Gradle cache"}.get(module.tool, "")
            message = (
                f"{', '.join(module.missing)} (module {module.name}) not found in {where}, so javac cannot see "
                f"{names}; {hidden}. Fetch the dependencies once (`mvn dependency:resolve`, `gradle build`) or "
                "add their jars to the `compilot.classpath` setting"
            )
        elif module is not None and module.tool in ("maven", "gradle"):
            message = (
                f"no dependency of module {module.name} provides {names} ({module.build_files[0]}); only its "
                f"first error per file is shown. Add the dependency, or its jar to `compilot.classpath`"
            )
        else:
            message = (
                f"javac cannot find {names}: only its first error per file is shown. Add the library's jar to "
                "`compilot.classpath` or a `lib/` folder"
            )
        self.show("Compilot: " + message, warning=True)

    def _check(self, text: str, filename: str):
        return self._ensure_engine().check(text, filename)

    def _warn_checker(self, problem: str) -> None:
        """Why javac cannot check (a wrong javaRelease, a JDK gone): shown once per distinct reason."""
        if problem and problem != self._checker_warned:
            self._checker_warned = problem
            self.show(f"Compilot: javac diagnostics unavailable: {problem}", warning=True)

    def publish(self, uri: str, diagnostics: list[types.Diagnostic], version: int | None) -> None:
        self.server.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics, version=version)
        )

    # ----- messages to the client -----

    def set_status(
        self,
        state: str,
        message: str = "",
        latency_ms: int | None = None,
        checked: bool | None = None,
        stages_ms: dict[str, int] | None = None,
    ) -> None:
        """`compilot/status`: the VS Code extension shows it in the status bar; `stagesMs` (the last
        completion's milliseconds per engine stage) is for logs and benchmarks."""
        self.state = state
        params: dict[str, Any] = {"state": state}
        if message:
            params["message"] = message
        if latency_ms is not None:
            params["latencyMs"] = latency_ms
        if checked is not None:
            params["checked"] = checked
        if stages_ms:
            params["stagesMs"] = stages_ms
        self.server.protocol.notify(STATUS, params)

    def show(self, message: str, warning: bool = False, error: bool = False) -> None:
        kind = (
            types.MessageType.Error
            if error
            else types.MessageType.Warning
            if warning
            else types.MessageType.Info
        )
        (log.error if error else log.warning if warning else log.info)("%s", message)
        self.server.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def _supports(self, *path: str) -> bool:
        """Whether the client declared a capability, e.g. ("window", "work_done_progress")."""
        node: Any = self.server.client_capabilities
        for name in path:
            node = getattr(node, name, None)
            if node is None:
                return False
        return bool(node)


def _warm_fix_index() -> None:
    """On the worker after loading: the JDK class index quick fixes look names up in (seconds the first time)."""
    from compilot.fix.imports import jdk_index

    jdk_index()


def set_log_level(level: str) -> None:
    logging.getLogger("compilot").setLevel(getattr(logging, str(level).upper(), logging.INFO))
