"""What the language server does, apart from the protocol plumbing in server.py.

`Compilot` owns the engine, the settings, the workspace's builds, the open documents and the worker thread,
and hands each feature its part: completions.py (ghost text, the list, prefill ahead), diagnostics.py (javac's
diagnostics), fixes.py (Fix to compile). Coroutines run on the event loop and only ever *await* engine calls
on the worker, so the loop keeps reading `$/cancelRequest` and `didChange` while the model generates. Every
handler answers bad input with an empty result and a log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from compilot.lsp import logs
from compilot.lsp.completions import Completions
from compilot.lsp.convert import UTF16, uri_path
from compilot.lsp.diagnostics import Diagnostics
from compilot.lsp.documents import Documents
from compilot.lsp.fixes import Fixes
from compilot.lsp.worker import Worker
from compilot.project.discover import BUILD_FILE_NAMES, Workspace, discover
from compilot.settings import BACKEND_FIELDS, Settings, path_problems

if TYPE_CHECKING:
    from pygls.lsp.server import LanguageServer

    from compilot.engine import Engine

log = logging.getLogger("compilot.lsp")

STATUS = "compilot/status"


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
        self._load_id = 0
        self.completions = Completions(self)
        self.diagnostics = Diagnostics(self)
        self.fixes = Fixes(self)

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
        if self.supports("workspace", "configuration"):
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
        self.diagnostics.cancel()
        self.completions.cancel_prime()
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
        if config is None and self.supports("workspace", "configuration"):
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
                self.diagnostics.schedule(doc, 0)  # published afresh, or cleared
        if self.engine is not None:
            await self.worker.run(self.engine.update_settings, new)
            self.diagnostics.warn_checker(self.engine.checker_problem)
        backend = any(getattr(new, k) != getattr(old, k) for k in BACKEND_FIELDS)
        if reload and (backend or self.state == "error"):
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
        self.workspace = workspace
        self.diagnostics.workspace_changed()
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
            self.diagnostics.schedule(doc, 0)

    async def _watch_build_files(self) -> None:
        """Ask the client to tell us when a build file changes (`workspace/didChangeWatchedFiles`)."""
        if not self.supports("workspace", "did_change_watched_files", "dynamic_registration"):
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
                self.completions.schedule_prime(doc, 0)

    def _load_engine(self) -> None:
        """On the worker: create the engine (importing torch here keeps `initialize` fast) and load it."""
        self.ensure_engine().load()

    def ensure_engine(self) -> Engine:
        """On the worker: the engine for the current settings and workspace (created, not loaded)."""
        if self.engine is None:
            if self.engine_factory is None:
                from compilot.engine import Engine

                self.engine_factory = Engine
            self.engine = self.engine_factory(self.settings, self.workspace)
        elif self.engine.settings != self.settings or self.engine.workspace != self.workspace:
            self.engine.update_settings(self.settings, self.workspace)
        return self.engine

    async def _begin_progress(self, title: str, message: str) -> str | None:
        if not self.supports("window", "work_done_progress"):
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

    # ----- documents -----

    def did_open(self, params: types.DidOpenTextDocumentParams) -> None:
        doc = self.docs.open(params.text_document)
        self.diagnostics.schedule(doc, 0)
        self.completions.schedule_prime(doc, 0)

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
        self.diagnostics.schedule(doc)
        self.completions.schedule_prime(doc)

    def did_save(self, params: types.DidSaveTextDocumentParams) -> None:
        doc = self.docs.get(params.text_document.uri)
        if doc is not None:
            self.diagnostics.schedule(doc, 0)

    def did_close(self, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        self.worker.cancel_generation(uri)
        self.completions.cancel_prime(uri)
        if self.docs.close(uri) is not None:
            self.diagnostics.clear(uri)
            if self.engine is not None:
                self.worker.submit(self.engine.forget, uri)

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

    def supports(self, *path: str) -> bool:
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
