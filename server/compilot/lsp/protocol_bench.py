"""Benchmark the language server through the protocol, as an editor would drive it.

Starts `python -m compilot.lsp` over stdio with pygls' client, opens the benchmark's HumanEval-X cases as
documents (`--kind line`: a solution line removed, the cursor at its start; `--kind block`: the prompt, the
cursor right after the method header), asks for inline completion at the cursor, and re-checks every offered
item with the benchmark's independent `javac -proc:none` process (compilot.bench.javac.Judge).

    python -m compilot.lsp.protocol_bench --kind line --cases 30 --out r.json

Reports the offer rate, client-side latency p50/p95, the items that failed javac (should be none), and the
server process's peak RSS (VmHWM; the javac JVM is a separate process, reported on its own).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from compilot.bench.cases import Case, humaneval_block_cases, humaneval_line_cases, load_humaneval
from compilot.bench.javac import Judge

DEFAULT_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "humanevalx_java.jsonl"


def percentile(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (q in 0..100)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


def rss_mb(pid: int, field: str = "VmHWM") -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
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


async def run(cases: list[Case], init_options: dict, log_path: Path | None) -> dict:
    client = LanguageClient("compilot-protocol-bench", "1")
    statuses: list[dict] = []

    @client.feature("compilot/status")
    def on_status(params) -> None:
        statuses.append(params if isinstance(params, dict) else params._asdict())

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def on_log(params) -> None:
        pass

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def on_diagnostics(params) -> None:
        pass

    await client.start_io(sys.executable, "-m", "compilot.lsp")
    server = client._server
    log_file = open(log_path, "wb") if log_path else None  # noqa: SIM115 (closed below)

    async def drain_stderr() -> None:  # an undrained pipe would block the server once full
        while line := await server.stderr.readline():
            if log_file:
                log_file.write(line)

    drain = asyncio.create_task(drain_stderr())
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        )
    )
    t0 = time.perf_counter()
    await client.initialize_async(
        types.InitializeParams(
            process_id=os.getpid(), capabilities=capabilities, initialization_options=init_options
        )
    )
    client.initialized(types.InitializedParams())
    while not any(s["state"] in ("ready", "error") for s in statuses):
        if time.perf_counter() - t0 > 600:
            raise RuntimeError("the server did not get ready in 600 s")
        await asyncio.sleep(0.05)
    load_s = time.perf_counter() - t0
    if statuses[-1]["state"] == "error":
        raise RuntimeError(f"the model failed to load: {statuses[-1].get('message')}")

    records = []
    for i, case in enumerate(cases):
        uri = f"file:///compilot-bench/case{i}/{case.filename}"
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="java", version=1, text=case.document
                )
            )
        )
        before = case.document[: case.offset].split("\n")
        position = types.Position(line=len(before) - 1, character=len(before[-1].encode("utf-16-le")) // 2)
        start = time.perf_counter()
        result = await client.text_document_inline_completion_async(
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=position,
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        latency_ms = (time.perf_counter() - start) * 1000
        items = list(result.items if isinstance(result, types.InlineCompletionList) else result or [])
        texts = [it.insert_text if isinstance(it.insert_text, str) else it.insert_text.value for it in items]
        records.append({"task_id": case.id, "latency_ms": round(latency_ms), "items": texts})
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        print(f"{records[-1]['task_id']}: {len(texts)} item(s) in {latency_ms:.0f} ms", file=sys.stderr)

    peak_rss = rss_mb(server.pid)
    jvm_rss = [r for r in (rss_mb(p) for p in child_pids(server.pid)) if r is not None]
    await client.shutdown_async(None)
    client.exit(None)
    try:
        await asyncio.wait_for(server.wait(), 10)
    except asyncio.TimeoutError:
        server.kill()
    drain.cancel()
    await client.stop()
    if log_file:
        log_file.close()

    judge = Judge()
    jobs = [(r, case, text) for r, case in zip(records, cases, strict=True) for text in r["items"]]
    with ThreadPoolExecutor(max_workers=2) as pool:
        verdicts = list(pool.map(lambda job: judge.recheck(job[1], job[2]), jobs))
    failures = [
        {"task_id": r["task_id"], "item": text, "javac": verdict.new_errors[:5]}
        for (r, _, text), verdict in zip(jobs, verdicts, strict=True)
        if not verdict.ok
    ]
    latencies = [r["latency_ms"] for r in records]
    offered = sum(1 for r in records if r["items"])
    return {
        "cases": len(records),
        "offered_cases": offered,
        "offer_rate": offered / len(records) if records else 0.0,
        "items": len(jobs),
        "failures": len(failures),
        "failed_items": failures,
        "latency_ms": {
            "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95),
            "max": max(latencies),
        },
        "server_peak_rss_mb": round(peak_rss, 1) if peak_rss else None,
        "javac_jvm_peak_rss_mb": [round(r, 1) for r in jvm_rss],
        "model_load_s": round(load_s, 1),
        "init_options": init_options,
        "records": records,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m compilot.lsp.protocol_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="HumanEval-X Java JSONL (prompt field)"
    )
    parser.add_argument("--cases", type=int, default=30)
    parser.add_argument("--kind", choices=("line", "block"), default="line", help="HumanEval-X case kind")
    parser.add_argument("--seed", type=int, default=0, help="picks the line cases")
    parser.add_argument("--out", type=Path, help="write the JSON report here")
    parser.add_argument("--init", default="{}", help="initializationOptions as JSON, e.g. '{\"samples\": 2}'")
    parser.add_argument("--server-log", type=Path, help="write the server's stderr here")
    args = parser.parse_args(argv)
    if not args.data.exists():
        parser.error(f"no data file at {args.data}: pass --data")
    problems = load_humaneval(args.data)
    if args.kind == "line":
        cases = humaneval_line_cases(problems, args.cases, args.seed)
    else:
        cases = humaneval_block_cases(problems, args.cases)
    report = asyncio.run(run(cases, json.loads(args.init), args.server_log))
    report["kind"] = args.kind
    text = json.dumps(report, indent=2)
    if args.out:
        args.out.write_text(text)
    summary = {k: v for k, v in report.items() if k not in ("records", "failed_items")}
    print(json.dumps(summary, indent=2))
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
