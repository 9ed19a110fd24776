"""`compilot bench --backends`: decoding speed and greedy agreement of the generation backends, side by side.

On the benchmark's own cases (the prompt each cursor gets), after that prompt is prefilled (here the decode
step is what is measured; the protocol runs time whole requests): milliseconds per decoding step for one row
and for 4 rows, and whether `llamacpp` (the GGUF as it ships, Q4_1) picks the same greedy tokens as `torch` (its
fp32 dequantization). A step is a token of every row (the rows' tokens over their number); a request's fixed
costs (an HTTP round trip for llamacpp, which draws rows one request each) are counted in, as a user pays them.
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import time

from compilot.bench import report
from compilot.bench.measure import percentile
from compilot.context import classify
from compilot.context.types import StopRule
from compilot.generation.backend import SamplingConfig, load_backend
from compilot.settings import Settings

BACKENDS = ("torch", "llamacpp")
STEPS = 32  # tokens decoded per timed request
PARITY_TOKENS = 16


def first_difference(a: list[int], b: list[int]) -> int:
    return next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))


def measure(backend, prompts: list[str], log) -> dict:
    """Per prompt: ms per step at 1 and 4 rows, and the greedy tokens."""
    greedy_config = SamplingConfig(samples=1, max_new_tokens=PARITY_TOKENS, guards=False, temperature=0.0)
    timed = SamplingConfig(samples=1, max_new_tokens=STEPS, guards=False, temperature=0.7, seed=1)
    rows = []
    for i, prompt in enumerate(prompts):
        key = f"p{i}"
        backend.prefill(prompt, key)
        greedy = backend.sample(prompt, StopRule.BLOCK, greedy_config, None, key)[0].token_ids
        per_step = {}
        for n in (1, 4):
            config = dataclasses.replace(timed, samples=n, greedy_first=n == 1)
            t0 = time.perf_counter()
            samples = backend.sample(prompt, StopRule.BLOCK, config, None, key)
            elapsed = time.perf_counter() - t0
            # a step decodes a token of every row: torch batches the rows, llamacpp draws them one after another
            steps = sum(len(s.token_ids) for s in samples) / n or 1
            per_step[n] = 1000 * elapsed / steps
        backend.forget(key)
        rows.append({"greedy": greedy, "ms_per_step_1": per_step[1], "ms_per_step_4": per_step[4]})
        log(f"  {backend.name} [{i + 1}/{len(prompts)}] {per_step[1]:.1f} / {per_step[4]:.1f} ms per step")
    return {"rows": rows}


def run_backends_bench(args, cases, notes, command: str, log) -> dict:
    base = Settings()
    prompts = []
    for case in cases:
        context = classify(case.document, case.offset, base.prompt_chars, base.prompt)
        if context.completes:
            prompts.append(context.prefix)
    started = time.time()
    figures = {}
    for name in BACKENDS:
        log(f"compilot bench --backends: {name} on {len(prompts)} prompts")
        backend = load_backend(dataclasses.replace(base, backend=name))
        try:
            figures[name] = measure(backend, prompts, log)
        finally:
            backend.close()
    summary = {}
    for name, fig in figures.items():
        ones = [r["ms_per_step_1"] for r in fig["rows"]]
        fours = [r["ms_per_step_4"] for r in fig["rows"]]
        summary[name] = {
            "ms_per_step_1_p50": percentile(ones, 0.5),
            "ms_per_step_1_p95": percentile(ones, 0.95),
            "ms_per_step_4_p50": percentile(fours, 0.5),
            "ms_per_step_4_p95": percentile(fours, 0.95),
        }
    pairs = list(zip(figures["torch"]["rows"], figures["llamacpp"]["rows"], strict=True))
    agree = [first_difference(t["greedy"], llama["greedy"]) for t, llama in pairs]
    longest = [max(len(t["greedy"]), len(llama["greedy"])) or 1 for t, llama in pairs]
    parity = {
        "prompts": len(pairs),
        "identical": sum(a == n for a, n in zip(agree, longest, strict=True)) / len(pairs),
        "tokens_before_first_difference": sum(agree) / sum(longest),
    }
    return {
        "bench": "backends",
        "meta": {
            "command": command,
            "date": datetime.datetime.fromtimestamp(started, datetime.timezone.utc).strftime(
                "%Y-%m-%d %H:%M UTC"
            ),
            "cores": os.cpu_count(),
            "loadavg": os.getloadavg(),
            "steps": STEPS,
            "parity_tokens": PARITY_TOKENS,
            "prompt": base.prompt,
            "wall_s": time.time() - started,
        },
        "notes": notes,
        "summary": summary,
        "parity": parity,
        "figures": figures,
    }


def markdown_section(run: dict, label: str) -> str:
    s, p, m = run["summary"], run["parity"], run["meta"]
    torch, llama = s["torch"], s["llamacpp"]
    lines = [
        f"<!-- bench:{label} -->",
        f"## Run `{label}` (decoding speed and greedy agreement of the backends)",
        "",
        f"- Command: `{m['command']}` ({m['date']}, {m['cores']} cores, load average {m['loadavg'][0]:.1f}); "
        f"{p['prompts']} prompts (`{m['prompt']}` prompt of each case's cursor), prefilled first, then "
        f"{m['steps']} tokens decoded per request (temperature 0.7, guards off)",
        "",
        "| backend | ms per step, 1 row (p50 / p95) | ms per step, 4 rows (p50 / p95) |",
        "|---|---|---|",
    ]
    for name in BACKENDS:
        f = s[name]
        lines.append(
            f"| {name} | {f['ms_per_step_1_p50']:.1f} / {f['ms_per_step_1_p95']:.1f} | "
            f"{f['ms_per_step_4_p50']:.1f} / {f['ms_per_step_4_p95']:.1f} |"
        )
    lines += [
        "",
        f"- llamacpp is {torch['ms_per_step_1_p50'] / llama['ms_per_step_1_p50']:.1f}x faster per step at 1 row, "
        f"{torch['ms_per_step_4_p50'] / llama['ms_per_step_4_p50']:.1f}x at 4 rows (p50).",
        f"- Greedy agreement over the first {m['parity_tokens']} tokens: identical for "
        f"{100 * p['identical']:.0f}% of prompts; {100 * p['tokens_before_first_difference']:.0f}% of tokens "
        "come before the first difference (Q4_1 as shipped against its fp32 dequantization: arithmetic, not "
        "weights, differs).",
        f"<!-- /bench:{label} -->",
        "",
    ]
    return "\n".join(lines)


def write(run: dict, args, log) -> None:
    label = args.label or "backends-" + "-".join(run["notes"].get("corpora", []))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(run, indent=1, default=str))
    section = markdown_section(run, label)
    print(section)
    if not args.no_report:
        log(f"compilot bench --backends: wrote {report.write_section(args.out, label, section)}")
