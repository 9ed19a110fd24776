"""`compilot bench --protocol`: the benchmark's cases through the real language server, as an editor sends them.

One `python -m compilot.lsp` process per configuration, started over stdio with pygls' client, all started first
and kept for the whole run; its settings are the configuration's, sent as `initializationOptions`. Cases outer,
then timing modes, then configurations inner, one request in flight at a time. Two timing modes:

- `jump`: the user opened the file and asks at a new place. didOpen (a fresh URI per case, the case's file
  name), wait `--open-wait` seconds (the server may work ahead on didOpen), then textDocument/inlineCompletion
  at the cursor, timed from send to response.
- `typing`: the editor asked at the keystroke before and cancelled that request when the keystroke came. didOpen
  of the document with the character before the cursor removed, wait `--open-wait`, request R0 there; after
  `--keystroke-ms`, didChange (incremental: that character typed, version 2) and `$/cancelRequest` for R0 (unless
  it was answered already), then request R1 at the case's cursor, timed from send to response.

After the timed request the client waits (untimed) for the server's javac diagnostics of the document version it
asked about, and records their error lines: the judging phase compares them with an independent javac's errors
for the case's document, which shows that the server's copy of the document is the case's (the didChange was
applied where it belongs). Then didClose. Every offered item is re-checked by the independent javac
(compilot.bench.javac.Judge) after all timed requests, so its processes do not disturb the timings.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from compilot.bench import report
from compilot.bench.cases import Case
from compilot.bench.configs import CONFIGS, LOCAL_SERVER, Config
from compilot.bench.measure import compare, failed_items, percentile
from compilot.settings import Settings

MODES = ("jump", "typing")
DEFAULT_PROTOCOL_CONFIGS = ("alone", "defaults")
REQUEST_TIMEOUT_S = 300.0  # a request unanswered this long is recorded as an error
DIAGNOSTICS_WAIT_S = (
    20.0  # the most the client waits (untimed) for the diagnostics of the version it asked about
)
LOAD_TIMEOUT_S = 600.0
CANCELLED = -32800  # JSON-RPC RequestCancelled


class ProtocolError(Exception):
    """A configuration that cannot run through the server, or a server that did not start."""


# ---------------------------------------------------------------------------------------------- settings


def camel(name: str) -> str:
    """A Settings field name as the language server's setting: `line_seconds` -> `lineSeconds`."""
    head, *rest = name.split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def init_options(config: Config, base: dict | None = None) -> dict:
    """`initializationOptions` (camelCase) for a configuration: `base` (snake_case or camelCase, e.g. the model
    and class path given on the command line) and then the configuration's changes, as Config.settings
    applies them (fields Settings does not have are left out)."""
    if config.naive or config.seed_recipe:
        raise ProtocolError(
            f"config {config.name!r} is not available with --protocol: it "
            + (
                "uses the benchmark's own naive path (generate(num_return_sequences), a javac process per check)"
                if config.naive
                else "adds transformers' logits processors inside the benchmark process"
            )
            + ", which the language server does not have"
        )
    known = set(Settings.__dataclass_fields__)
    changes = {k: v for k, v in config.resolved().items() if k in known}
    out: dict = {}
    for key, value in {**(base or {}), **changes}.items():
        out[camel(key) if key in known else key] = list(value) if isinstance(value, tuple) else value
    return out


def protocol_configs(names: list[str]) -> dict[str, Config]:
    for name in names:
        if name not in CONFIGS:
            raise ProtocolError(f"unknown config {name!r}; choose from {', '.join(CONFIGS)}")
        init_options(CONFIGS[name])  # raises for configs the server cannot run
    return {name: CONFIGS[name] for name in names}


# ---------------------------------------------------------------------------------------------- processes


def rss_mb(pid: int, field_name: str = "VmHWM") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def child_pids(pid: int) -> list[int]:
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            children += [int(p) for p in (task / "children").read_text().split()]
    return children


@dataclass
class Pending:
    """One inline completion request in flight: its id, when it was sent, when its response came."""

    msg_id: str
    sent: float
    future: Future
    answered: float | None = None
    cancel_sent: float | None = None

    async def wait(self, timeout: float) -> None:
        with contextlib.suppress(Exception):  # the outcome is read from the future
            await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(self.future)), timeout)

    def outcome(self) -> dict:
        """items (texts), error (None, "cancelled", or a message), latency_s."""
        if not self.future.done():
            return {"items": [], "error": f"no answer in {REQUEST_TIMEOUT_S:.0f} s", "latency_s": None}
        latency = self.answered - self.sent if self.answered is not None else None
        try:
            result = self.future.result()
        except Exception as e:
            code = getattr(e, "code", None)
            return {
                "items": [],
                "error": "cancelled" if code == CANCELLED else f"{type(e).__name__}: {e}",
                "latency_s": latency,
            }
        return {"items": item_texts(result), "error": None, "latency_s": latency}


def item_texts(result) -> list[str]:
    from lsprotocol import types

    items = result.items if isinstance(result, types.InlineCompletionList) else (result or [])
    return [it.insert_text if isinstance(it.insert_text, str) else it.insert_text.value for it in items]


@dataclass
class Server:
    """One `python -m compilot.lsp` over stdio for one configuration."""

    name: str
    options: dict
    statuses: list[dict] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)  # window/showMessage
    diagnostics: dict[str, tuple[int | None, list]] = field(default_factory=dict)  # uri -> (version, list)
    stderr_tail: list[str] = field(default_factory=list)
    load_s: float | None = None
    _ids: int = 0

    async def start(self) -> None:
        from lsprotocol import types
        from pygls.lsp.client import LanguageClient

        self.client = client = LanguageClient("compilot-bench", "1")

        @client.feature("compilot/status")
        def on_status(params) -> None:
            self.statuses.append(_plain(params))

        @client.feature(types.WINDOW_LOG_MESSAGE)
        def on_log(params) -> None:
            pass

        @client.feature(types.WINDOW_SHOW_MESSAGE)
        def on_message(params) -> None:
            self.messages.append(params.message)

        @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
        def on_diagnostics(params) -> None:
            self.diagnostics[params.uri] = (params.version, list(params.diagnostics))

        await client.start_io(sys.executable, "-m", "compilot.lsp")
        self.process = client._server
        self._drain = asyncio.create_task(self._drain_stderr())
        capabilities = types.ClientCapabilities(
            text_document=types.TextDocumentClientCapabilities(
                inline_completion=types.InlineCompletionClientCapabilities(),
                synchronization=types.TextDocumentSyncClientCapabilities(),
            )
        )
        t0 = time.perf_counter()
        await client.initialize_async(
            types.InitializeParams(
                process_id=os.getpid(), capabilities=capabilities, initialization_options=self.options
            )
        )
        client.initialized(types.InitializedParams())
        while not any(s.get("state") in ("ready", "error") for s in self.statuses):
            if time.perf_counter() - t0 > LOAD_TIMEOUT_S:
                raise ProtocolError(f"{self.name}: the server did not get ready in {LOAD_TIMEOUT_S:.0f} s")
            if self.process.returncode is not None:
                raise ProtocolError(f"{self.name}: the server exited:\n" + "".join(self.stderr_tail[-20:]))
            await asyncio.sleep(0.05)
        self.load_s = time.perf_counter() - t0
        last = [s for s in self.statuses if s.get("state") in ("ready", "error")][-1]
        if last["state"] == "error":
            raise ProtocolError(f"{self.name}: the model failed to load: {last.get('message')}")
        ignored = [m for m in self.messages if "settings ignored" in m]
        if ignored:
            raise ProtocolError(f"{self.name}: the server rejected settings {self.options}: {ignored[0]}")

    async def _drain_stderr(self) -> None:  # an undrained pipe would block the server once full
        while line := await self.process.stderr.readline():
            self.stderr_tail = self.stderr_tail[-199:] + [line.decode("utf-8", "replace")]

    # ----- documents and requests -----

    def open(self, uri: str, text: str) -> None:
        from lsprotocol import types

        self.diagnostics.pop(uri, None)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(uri=uri, language_id="java", version=1, text=text)
            )
        )

    def insert(self, uri: str, version: int, text: str, offset: int, inserted: str) -> None:
        """didChange: `inserted` typed at `offset` of `text` (an incremental change)."""
        from lsprotocol import types

        from compilot.lsp.convert import LineIndex

        at = LineIndex(text).position(offset)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(range=types.Range(start=at, end=at), text=inserted)
                ],
            )
        )

    def close(self, uri: str) -> None:
        from lsprotocol import types

        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

    def request(self, uri: str, text: str, offset: int) -> Pending:
        """textDocument/inlineCompletion at `offset` of `text`, sent now with an id of ours (to cancel it)."""
        from lsprotocol import types

        from compilot.lsp.convert import LineIndex

        self._ids += 1
        msg_id = f"bench-{self._ids}"
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=LineIndex(text).position(offset),
            context=types.InlineCompletionContext(trigger_kind=types.InlineCompletionTriggerKind.Automatic),
        )
        sent = time.perf_counter()
        future = self.client.protocol.send_request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id
        )
        pending = Pending(msg_id, sent, future)

        def answered(_future) -> None:  # runs on the event loop as the response is read
            pending.answered = time.perf_counter()

        future.add_done_callback(answered)
        return pending

    def cancel(self, pending: Pending) -> None:
        """`$/cancelRequest` for a request in flight (pygls' client sends none by itself: cancelling the
        asyncio future of `text_document_inline_completion_async` only stops waiting)."""
        from lsprotocol import types

        pending.cancel_sent = time.perf_counter()
        self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=pending.msg_id))

    async def finish(self, pending: Pending) -> None:
        """Wait for the answer; a request unanswered in REQUEST_TIMEOUT_S is cancelled (and recorded so)."""
        deadline = time.perf_counter() + REQUEST_TIMEOUT_S
        while not pending.future.done() and time.perf_counter() < deadline:
            await pending.wait(1.0)
            if self.process.returncode is not None and not pending.future.done():
                raise ProtocolError(
                    f"{self.name}: the server exited ({self.process.returncode}):\n"
                    + "".join(self.stderr_tail[-20:])
                )
        if not pending.future.done():
            self.cancel(pending)

    def last_status_since(self, index: int) -> dict:
        found = [s for s in self.statuses[index:] if "latencyMs" in s]
        return found[-1] if found else {}

    async def diagnostics_of(self, uri: str, version: int, timeout: float) -> dict:
        """The line spans (1-based, first and last line) of the errors the server publishes for `version` of
        `uri`; None when it published none for that version in `timeout` seconds."""
        deadline = time.perf_counter() + timeout
        while self.diagnostics.get(uri, (None,))[0] != version:
            if time.perf_counter() > deadline:
                got = self.diagnostics.get(uri, (None,))[0]
                return {"version": got, "errors": None}
            await asyncio.sleep(0.02)
        errors = [d for d in self.diagnostics[uri][1] if d.severity == 1]  # DiagnosticSeverity.Error
        spans = {(d.range.start.line + 1, d.range.end.line + 1) for d in errors}
        return {"version": version, "errors": sorted([a, b] for a, b in spans)}

    # ----- the end -----

    def memory(self) -> dict:
        pid = self.process.pid
        server = rss_mb(pid)
        jvms = [r for r in (rss_mb(p) for p in child_pids(pid)) if r is not None]
        return {
            "server_peak_rss_mb": round(server, 1) if server else None,
            "jvm_peak_rss_mb": [round(r, 1) for r in jvms],
            "total_peak_rss_mb": round((server or 0) + sum(jvms), 1),
        }

    async def stop(self) -> None:
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.shutdown_async(None), 15)
            self.client.exit(None)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except asyncio.TimeoutError:
            self.process.kill()
            await self.process.wait()
        self._drain.cancel()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.client.stop(), 10)


# ---------------------------------------------------------------------------------------------- timing


def typed_before(case: Case) -> tuple[str, int, str]:
    """(document before the last keystroke, its cursor, the character that keystroke types)."""
    k = case.offset
    return case.document[: k - 1] + case.document[k:], k - 1, case.document[k - 1]


async def jump(server: Server, case: Case, uri: str, open_wait: float) -> dict:
    server.open(uri, case.document)
    await asyncio.sleep(open_wait)
    index = len(server.statuses)
    request = server.request(uri, case.document, case.offset)
    await server.finish(request)
    out = request.outcome()
    out["status"] = server.last_status_since(index)
    out["server_document"] = await server.diagnostics_of(uri, 1, DIAGNOSTICS_WAIT_S)
    server.close(uri)
    return out


async def typing(server: Server, case: Case, uri: str, open_wait: float, keystroke_s: float) -> dict:
    before, cursor, char = typed_before(case)
    server.open(uri, before)
    await asyncio.sleep(open_wait)
    r0 = server.request(uri, before, cursor)
    await asyncio.sleep(keystroke_s)
    server.insert(uri, 2, before, cursor, char)
    answered_before_cancel = r0.future.done()
    if not answered_before_cancel:
        server.cancel(r0)
    index = len(server.statuses)
    r1 = server.request(uri, case.document, case.offset)
    await server.finish(r1)
    out = r1.outcome()
    out["status"] = server.last_status_since(index)
    await server.finish(r0)
    first = r0.outcome()
    out["r0"] = {
        "answered_before_cancel": answered_before_cancel,
        "cancel_sent": not answered_before_cancel,
        # cancelled: the server answered RequestCancelled; answered: it sent a result (before the cancel, or
        # after it when the cancel came too late to stop it)
        "outcome": "cancelled"
        if first["error"] == "cancelled"
        else "error"
        if first["error"]
        else "answered",
        "error": first["error"] if first["error"] != "cancelled" else None,
        "items": len(first["items"]),
        "latency_s": first["latency_s"],
        # from $/cancelRequest to R0's answer
        "cancel_to_answer_s": (r0.answered - r0.cancel_sent)
        if r0.cancel_sent is not None and r0.answered is not None
        else None,
    }
    out["server_document"] = await server.diagnostics_of(uri, 2, DIAGNOSTICS_WAIT_S)
    server.close(uri)
    return out


async def drive(
    cases: list[Case],
    configs: dict[str, Config],
    options: dict[str, dict],
    modes: tuple[str, ...],
    open_wait: float,
    keystroke_s: float,
) -> tuple[list[dict], dict]:
    """Phase 1: every case through every server in every mode. Returns the results and each server's figures."""
    servers: dict[str, Server] = {}
    try:
        for name in configs:  # one after the other: each load time is the server's own
            log(f"compilot bench --protocol: starting the server for {name} ({json.dumps(options[name])})")
            servers[name] = Server(name, options[name])
            await servers[name].start()
            log(f"compilot bench --protocol: {name} ready in {servers[name].load_s:.1f} s")
        results = []
        n = 0
        for i, case in enumerate(cases):
            for mode in modes:
                for name, server in servers.items():
                    n += 1
                    uri = f"file:///compilot-bench/{n}/{case.filename}"
                    r = {"case": case.id, "kind": case.kind, "mode": mode, "config": name, "uri": uri}
                    if mode == "typing" and case.offset == 0:
                        r.update(items=[], error="no character before the cursor to type", latency_s=None)
                    elif mode == "jump":
                        r.update(await jump(server, case, uri, open_wait))
                    else:
                        r.update(await typing(server, case, uri, open_wait, keystroke_s))
                    r["offered"] = bool(r["items"] and r["items"][0].strip())
                    results.append(r)
                    r0 = r.get("r0")
                    log(
                        f"[{i + 1}/{len(cases)}] {case.id} {mode} {name}: "
                        + (f"error {r['error']}" if r["error"] else f"{len(r['items'])} item(s)")
                        + (f" in {r['latency_s']:.2f} s" if r["latency_s"] is not None else "")
                        + (f" (R0 {r0['outcome']})" if r0 else "")
                    )
        figures = {name: {"model_load_s": s.load_s, **s.memory()} for name, s in servers.items()}
        return results, figures
    finally:
        await asyncio.gather(*(s.stop() for s in servers.values() if hasattr(s, "process")))


# ---------------------------------------------------------------------------------------------- judging


def judge_results(results: list[dict], cases: list[Case], judge, workers: int) -> None:
    """Phase 2: every offered item re-checked; the server's document errors against the judge's."""
    by_case = {c.id: c for c in cases}
    jobs = [("item", r, i) for r in results for i in range(len(r["items"]))]
    jobs += [("document", r, 0) for r in results if r.get("server_document", {}).get("errors") is not None]

    def work(job):
        what, r, i = job
        case = by_case[r["case"]]
        if what == "item":
            return job, judge.recheck(case, r["items"][i])
        return job, judge.errors(case.document, case.filename)

    with ThreadPoolExecutor(max(1, workers)) as pool:
        outcomes = list(pool.map(work, jobs))
    for r in results:
        r["items_recheck_ok"] = [None] * len(r["items"])
        r["items_recheck_errors"] = [[] for _ in r["items"]]
        r["recheck_ok"] = None
    for (what, r, i), outcome in outcomes:
        if what == "item":
            r["items_recheck_ok"][i] = outcome.ok
            r["items_recheck_errors"][i] = outcome.new_errors
            if i == 0:
                r["recheck_ok"] = outcome.ok
        else:
            doc = r["server_document"]
            if isinstance(outcome, str):
                doc["judge_error_lines"], doc["agrees"] = None, None
            else:
                doc["judge_error_lines"] = sorted({e.line for e in outcome})
                doc["agrees"] = same_errors(doc["errors"], doc["judge_error_lines"])
    for r in results:
        r.update(compare(by_case[r["case"]], r["items"][0] if r["offered"] else None))


def same_errors(spans: list[list[int]], lines: list[int]) -> bool:
    """Whether the server's error spans and the judge's error lines describe the same errors: javac's line is
    the error's preferred position, inside the span the server publishes (a "missing return statement" spans
    the method body), so every line must fall in a span and every span must hold a line."""
    inside = [any(a <= line <= b for a, b in spans) for line in lines]
    held = [any(a <= line <= b for line in lines) for a, b in spans]
    return all(inside) and all(held)


def failures_of(results: list[dict], verify: dict[str, bool]) -> list[dict]:
    """Items offered as javac-checked (the server said so, or the config checks) that the judge rejects."""
    return [
        f for r in results if r.get("status", {}).get("checked", verify[r["config"]]) for f in failed_items(r)
    ]


def summarize(results: list[dict], failures: list[dict]) -> dict:
    n = len(results)
    latencies = [r["latency_s"] for r in results if r["latency_s"] is not None and not r["error"]]
    offered = [r for r in results if r["offered"]]
    r0 = [r["r0"] for r in results if r.get("r0")]
    docs = [r["server_document"] for r in results if r.get("server_document")]

    def mean(values):
        values = list(values)
        return sum(values) / len(values) if values else None

    out = {
        "cases": n,
        "offer_rate": len(offered) / n if n else None,
        # the top item passes the independent re-check; no offer counts as a miss
        "compiled_offer_rate": sum(1 for r in results if r.get("recheck_ok")) / n if n else None,
        "exact": mean(r["exact"] for r in results),
        "similarity": mean(r["similarity"] for r in results),
        "next_identifier": mean(
            r["next_identifier"] for r in results if r.get("next_identifier") is not None
        ),
        "latency_p50": percentile(latencies, 0.5),
        "latency_p95": percentile(latencies, 0.95),
        "latency_max": max(latencies) if latencies else None,
        "items_offered": sum(len(r["items"]) for r in results),
        "failures": len(failures),
        "errors": sum(1 for r in results if r["error"]),
        "document_checked": sum(1 for d in docs if d.get("agrees") is not None),
        "document_mismatch": sum(1 for d in docs if d.get("agrees") is False),
    }
    if r0:
        out["r0_cancel_sent"] = sum(1 for x in r0 if x["cancel_sent"])
        out["r0_cancelled"] = sum(1 for x in r0 if x["outcome"] == "cancelled")
        out["r0_answered_before_cancel"] = sum(1 for x in r0 if x["answered_before_cancel"])
        out["r0_answered_after_cancel"] = sum(
            1 for x in r0 if x["cancel_sent"] and x["outcome"] == "answered"
        )
        waits = [x["cancel_to_answer_s"] for x in r0 if x["cancel_to_answer_s"] is not None]
        out["r0_cancel_to_answer_p50"] = percentile(waits, 0.5)
    return out


def summaries(results: list[dict], failures: list[dict], modes, names, kinds) -> dict:
    """mode -> kind ("all" first) -> config -> measures."""
    out: dict = {}
    for mode in modes:
        out[mode] = {}
        for kind in ["all", *kinds]:
            out[mode][kind] = {}
            for name in names:
                mine = [r for r in results if r["mode"] == mode and r["config"] == name]
                bad = [f for f in failures if f["mode"] == mode and f["config"] == name]
                if kind != "all":
                    mine = [r for r in mine if r["kind"] == kind]
                    bad = [f for f in bad if f["kind"] == kind]
                out[mode][kind][name] = summarize(mine, bad)
    return out


# ---------------------------------------------------------------------------------------------- the run


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or ""


def start_local_server(stack: contextlib.ExitStack) -> str:
    """The `openai-local` configuration's server: a llama.cpp process on 127.0.0.1, its API key in this
    process's environment (which the language servers inherit), both gone when `stack` closes."""
    from compilot.bench.llama_server import local_server
    from compilot.generation.completions import API_KEY_ENV

    url, key, _ = stack.enter_context(local_server())
    previous = os.environ.get(API_KEY_ENV)
    os.environ[API_KEY_ENV] = key
    stack.callback(
        lambda: (
            os.environ.pop(API_KEY_ENV) if previous is None else os.environ.update({API_KEY_ENV: previous})
        )
    )
    log(f"openai-local: a llama.cpp server at {url}")
    return url


def run_protocol_bench(args, command: str) -> dict:
    """`compilot bench --protocol` with run.py's parsed arguments."""
    from compilot.bench import run as runmod
    from compilot.bench.javac import JavacMissing, Judge

    names = [c.strip() for c in (args.configs or ",".join(DEFAULT_PROTOCOL_CONFIGS)).split(",") if c.strip()]
    modes = tuple(m.strip() for m in (args.modes or ",".join(MODES)).split(",") if m.strip())
    for mode in modes:
        if mode not in MODES:
            raise ProtocolError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
    if args.open_wait < 0 or args.keystroke_ms < 0:
        raise ProtocolError("--open-wait and --keystroke-ms must not be negative")
    configs = protocol_configs(names)
    classpath = tuple(p for p in args.classpath.split(":") if p)
    sourcepath = tuple(p for p in args.sourcepath.split(":") if p)
    base: dict = {}
    if args.model:
        base["model"] = args.model
    if args.max_new_tokens:
        base["max_new_tokens"] = args.max_new_tokens
    if classpath:
        base["classpath"] = list(classpath)
    if sourcepath:
        base["sourcepath"] = list(sourcepath)
    options = {name: init_options(config, base) for name, config in configs.items()}
    verify = {name: Settings().updated(options[name])[0].verify for name in names}
    try:
        judge = Judge(classpath, sourcepath)
    except JavacMissing as e:
        raise ProtocolError(str(e)) from e

    load_before = os.getloadavg()
    commit = runmod.git_state()
    started = time.time()
    cases, notes = runmod.pick_cases_with_own_checker(args)  # its javac closed before the servers start
    kinds = sorted({c.kind for c in cases}, key=lambda k: (k != "block", k != "line", k))
    log(
        f"compilot bench --protocol: {len(cases)} cases "
        f"({', '.join(f'{k}: {sum(c.kind == k for c in cases)}' for k in kinds)}) x {len(modes)} modes "
        f"x {len(names)} configs"
    )
    with contextlib.ExitStack() as stack:
        if any(o.get("endpoint") == LOCAL_SERVER for o in options.values()):
            url = start_local_server(stack)
            for o in options.values():
                o["endpoint"] = url if o.get("endpoint") == LOCAL_SERVER else o.get("endpoint", "")
        results, figures = asyncio.run(
            drive(cases, configs, options, modes, args.open_wait, args.keystroke_ms / 1000)
        )
    load_after = os.getloadavg()
    timed_s = time.time() - started
    judge_results(results, cases, judge, args.workers)
    failures = failures_of(results, verify)
    for f in failures:
        log(
            "\n"
            + "!" * 100
            + f"\nRECHECK FAILURE (bug): {f['config']} ({f['mode']}) offered item #{f['rank']} for {f['case']} "
            f"as compiling, but an independent javac rejects it:\n{f['item']}\n--- errors: {f['errors']}\n"
            + "!"
            * 100
        )
    java = subprocess.run(["java", "-version"], capture_output=True, text=True).stderr.splitlines()
    run = {
        "bench": "protocol",
        "meta": {
            "command": command,
            "date": datetime.datetime.fromtimestamp(started, datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"
            ),
            "commit": commit,
            "cpu": _cpu(),
            "cores": os.cpu_count(),
            "loadavg_start": load_before,
            "loadavg_end": load_after,
            "model": base.get("model", Settings().model),
            "java": java[0] if java else "",
            "python": platform.python_version(),
            "server": f"{sys.executable} -m compilot.lsp (stdio, pygls LanguageClient)",
            "modes": list(modes),
            "open_wait_s": args.open_wait,
            "keystroke_ms": args.keystroke_ms,
            "configs": names,
            "timed_s": timed_s,
        },
        "configs": {
            name: {
                "description": configs[name].description,
                "init_options": options[name],
                **figures[name],
            }
            for name in names
        },
        "notes": notes,
        "kinds": kinds,
        "modes": list(modes),
        "cases": [c.to_json() for c in cases],
        "results": results,
        "summary": summaries(results, failures, modes, names, kinds),
        "recheck_failures": failures,
        "errors": sum(1 for r in results if r["error"]),
        "judge": {"javac_runs": judge.javac_runs},
    }
    run["meta"]["wall_s"] = time.time() - started
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(run, indent=1, default=str))
    print(console(run))
    if not args.no_report:
        label = args.label or default_label(notes, bool(args.repo))
        path = report.write_section(args.out, label, markdown_section(run, label))
        log(f"compilot bench --protocol: wrote {path}")
    return run


def default_label(notes: dict, repo: bool) -> str:
    return "protocol-" + "+".join(notes["corpora"] + (["repo"] if repo else []))


# ---------------------------------------------------------------------------------------------- tables


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _sec(v) -> str:
    return "–" if v is None else f"{v:.2f}"


def table_rows(run: dict, mode: str) -> tuple[list[str], list[list[str]]]:
    """The head and rows of one mode's table: per case kind ("all" first, when there are several) x config."""
    head = ["cases", "config", "n", "offer", "offers adding no error", "exact", "edit sim", "next ident"]
    head += ["p50 s", "p95 s", "max s", "failures"]
    typing = mode == "typing"
    if typing:
        head += ["R0 cancelled / answered late / answered first"]
    rows = []
    kinds = run["summary"][mode]
    for kind, by_config in kinds.items():
        if kind == "all" and len(kinds) == 2:
            continue  # one kind: its rows are the same
        for name, s in by_config.items():
            row = [kind, name, str(s["cases"]), _pct(s["offer_rate"]), _pct(s["compiled_offer_rate"])]
            row += [_pct(s["exact"]), "–" if s["similarity"] is None else f"{s['similarity']:.3f}"]
            row += [_pct(s.get("next_identifier"))]
            row += [_sec(s["latency_p50"]), _sec(s["latency_p95"]), _sec(s["latency_max"])]
            row += [str(s["failures"]) if not s["failures"] else f"**{s['failures']}**"]
            if typing:
                row += [
                    f"{s.get('r0_cancelled', 0)} / {s.get('r0_answered_after_cancel', 0)} / "
                    f"{s.get('r0_answered_before_cancel', 0)}"
                ]
            rows.append(row)
    return head, rows


def markdown_table(run: dict, mode: str) -> str:
    head, rows = table_rows(run, mode)
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


MODE_TITLES = {
    "jump": "jump: didOpen, {wait:g} s, then a request at the cursor",
    "typing": "typing: a request at the keystroke before, cancelled {ms:g} ms later by that keystroke, then the "
    "timed request",
}


def mode_title(run: dict, mode: str) -> str:
    m = run["meta"]
    return MODE_TITLES[mode].format(wait=m["open_wait_s"], ms=m["keystroke_ms"])


def console(run: dict) -> str:
    m = run["meta"]
    out = [f"\n{m['command']}  ({m['date']}, {m['cpu']}, {m['cores']} cores, commit {m['commit']})"]
    for mode in run["modes"]:
        head, rows = table_rows(run, mode)
        widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(head)]
        out += ["", f"## {mode_title(run, mode)}"]
        out.append("  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True)))
        out += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    out.append("")
    for name, c in run["configs"].items():
        out.append(
            f"{name}: model loaded in {_sec(c['model_load_s'])} s; peak RSS server {c['server_peak_rss_mb']} MB, "
            f"JVM {c['jvm_peak_rss_mb']} MB"
        )
    out.append(f"load average {m['loadavg_start'][0]:.1f} at start, {m['loadavg_end'][0]:.1f} at end")
    mismatch = sum(
        s["document_mismatch"] for by_kind in run["summary"].values() for s in by_kind["all"].values()
    )
    if mismatch:
        out.append(
            f"!!! {mismatch} request(s): the server's javac errors on its document differ from the independent "
            "javac's on the case's document (see results[].server_document)"
        )
    if run["errors"]:
        out.append(f"!!! {run['errors']} request(s) failed (see the JSON's results[].error)")
    if run["recheck_failures"]:
        out.append(
            f"!!! {len(run['recheck_failures'])} offered item(s) failed the independent javac re-check"
        )
    return "\n".join(out)


def markdown_section(run: dict, label: str) -> str:
    m = run["meta"]
    lines = [f"<!-- bench:{label} -->", f"## Run `{label}` (through the language server)", ""]
    lines += [
        f"- Command: `{m['command']}`",
        f"- Date: {m['date']}; commit {m['commit']}; wall time {m.get('wall_s', 0) / 60:.1f} min",
        f"- Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['loadavg_start'][0]:.1f} at start, "
        f"{m['loadavg_end'][0]:.1f} at end of the timed requests); {m['java']}; Python {m['python']}",
        f"- Model: `{m['model']}`; one `python -m compilot.lsp` per configuration, over stdio (pygls' "
        "LanguageClient), its settings sent as initializationOptions; cases outer, then modes, then "
        "configurations; one request in flight at a time",
        "- Cases: " + ", ".join(f"{k}: {sum(c['kind'] == k for c in run['cases'])}" for k in run["kinds"]),
        "- Latency: from sending textDocument/inlineCompletion to its response, seconds. offers adding no error: "
        "share of cases whose top item passes the independent javac re-check (no offer: a miss); failures: items "
        "offered as javac-checked that the independent javac rejects (must be 0)",
    ]
    lines += report.jdk_note(run.get("notes", {}))
    lines += ["", "Configurations:", ""]
    for name, c in run["configs"].items():
        lines.append(
            f"- `{name}`: {c['description']} (`{json.dumps(c['init_options'])}`); model loaded in "
            f"{_sec(c['model_load_s'])} s; peak RSS: server {c['server_peak_rss_mb']} MB, javac JVM "
            f"{', '.join(f'{r:.0f}' for r in c['jvm_peak_rss_mb']) or '–'} MB"
        )
    for mode in run["modes"]:
        lines += ["", f"### {mode_title(run, mode)}", "", markdown_table(run, mode)]
        if mode == "typing":
            s = run["summary"]["typing"]["all"]
            lines += [
                "",
                "R0 (the keystroke before's request): "
                + "; ".join(
                    f"`{n}` `$/cancelRequest` sent for {x.get('r0_cancel_sent', 0)}: "
                    f"{x.get('r0_cancelled', 0)} answered RequestCancelled, "
                    f"{x.get('r0_answered_after_cancel', 0)} answered with a result after the cancel; "
                    f"{x.get('r0_answered_before_cancel', 0)} answered before the keystroke"
                    for n, x in s.items()
                )
                + ".",
            ]
    docs = [r["server_document"] for r in run["results"] if r.get("server_document")]
    checked = [d for d in docs if d.get("agrees") is not None]
    lines += [
        "",
        "The server's copy of each document (the didChange applied, in typing): its published javac errors agree "
        f"with the independent javac's on the case's document in {sum(d['agrees'] for d in checked)} of "
        f"{len(checked)} requests"
        + (
            f" ({len(docs) - len(checked)} published no diagnostics in time)"
            if len(docs) > len(checked)
            else ""
        )
        + ".",
    ]
    lines += ["", "### Independent re-check failures", ""]
    lines += report.failure_lines(run["recheck_failures"])
    if not run["recheck_failures"]:
        n_items = sum(len(r["items"]) for r in run["results"])
        lines.append(f"None ({n_items} offered items re-checked).")
    lines += ["", f"<!-- /bench:{label} -->"]
    return "\n".join(lines) + "\n"


def _plain(value):
    """pygls's client gives a custom notification's params as namedtuples, nested ones too (`stagesMs` came
    out as a list of values in the JSON): plain dicts, all the way down."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value
