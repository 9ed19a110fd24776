"""Reports for people: a console summary, a Markdown section in docs/benchmarks.md, PNG charts in docs/img/."""

from __future__ import annotations

import re
from pathlib import Path

from compilot.bench.measure import QUALITY

KIND_TITLES = {
    "block": "HumanEval-X block cases (method body after the prompt)",
    "line": "HumanEval-X line cases (one solution line removed)",
    "jdk-statement": "JDK sources: statement lines",
    "jdk-mid": "JDK sources: rest of a line from mid-statement",
    "jdk-dot": "JDK sources: rest of a line from just after a member access's dot",
    "jdk-block": "JDK sources: short method bodies",
    "repo-statement": "--repo: statement lines",
    "repo-mid": "--repo: rest of a line from mid-statement",
    "repo-dot": "--repo: rest of a line from just after a member access's dot",
    "repo-block": "--repo: short method bodies",
}

HEADER = """# Benchmarks

Produced by `compilot bench` (server/compilot/bench/); each section below is one run, replaced when a run with the
same label is repeated. Every figure comes from running all configurations in one process on the same cases
(cases outer, configurations inner), so machine noise hits every configuration alike. The machine is shared:
read the latency medians, not the means, and compare configurations within a run.

## What is measured

- **Cases.** `block`: a HumanEval-X Java prompt (cursor right after the method header; the class is not closed),
  the first N problems in file order. `line`: the full HumanEval-X file (prompt + canonical solution) with one
  solution line's content removed (indentation kept), cursor after the indentation; lines picked with a fixed
  seed (one per problem, problems in a seeded order), never `}`-lines or comments. `jdk-*`: files of the JDK's own
  java.base sources (Debian `openjdk-17-source`), moved out of their module (`package java.util;` becomes
  `package bench.java.util; import java.util.*;` on the same line) and kept only when javac accepts them unchanged;
  `jdk-statement` removes one statement line, `jdk-mid` the rest of a statement line from a token boundary (8 or more characters),
  `jdk-block` a method body of 1-10 lines (cursor right after `{`). Every case satisfies
  document[:cursor] + expected + document[cursor:] == original file. The JDK is very likely in the model's
  training data: read the jdk figures as an upper bound.
- **offer**: share of cases where the engine offered at least one item.
- **offer compiling**: share of cases whose top offered item passes the independent re-check (no offer counts as a
  miss). This is the "compile-checked offer rate".
- **top compiles**: among offered top items, the share the independent re-check accepts.
- **Independent re-check**: a fresh `javac -proc:none -XDshould-stop.ifError=FLOW` process per item in a temp dir,
  sharing nothing with the engine's warm checker. Block cases are strict (prompt + item + `}` must compile with
  no error at all); line and jdk cases are relative (the item may add no error the document with the gap lacked;
  errors matched on line, error key and arguments). For configurations with javac checking on, any rejected
  offered item is a bug, printed loudly and listed under the run.
- **exact / edit sim**: the top item against the original text. Block cases: code lines, each stripped, blank lines
  dropped. Line cases: the item's first line, stripped, against the removed text (a line opening a block makes the
  engine complete the whole block, so the first line is what corresponds to the original line). Edit similarity
  is difflib's ratio on the same strings, 0 without an offer.
- **pass@1** (block): the top offered item, with the problem's test, compiles and `java -ea Main` exits 0.
  No offer = fail.
- **loops**: share of raw samples caught in a repetition attractor: cut by the guards (`finish == "loop"`) or,
  without guards, whose tokens end in a cycle (`compilot.generation.guards.find_loop`).
- **Latency**: engine timings per request (seconds): context, generation, verification (the engine's javac
  checks), total. The sampler's prompt cache is cleared before every request. In `typing` runs (the default) the
  prompt of the keystroke before (the cursor one character back, that character not typed yet) is then
  prefilled, as the editor's previous request does while the user types, and the request is timed after it;
  `prefill` is that preparatory step, not part of the request: these are engine times, not what a user waits
  for (that is `compilot bench --protocol`, through the language server, jump and typing). `cold` runs (`--cold`, and every run before
  that option existed) time each request from an empty cache. "line rule" latency leaves out line cases whose
  gap is an empty block's only line (the engine completes the whole body there, under `blockSeconds`).
- **javac checks/s**: `compilot.verification.timing.median_check_ms` on a 197-line single-class file.
- **Peak RSS**: `ru_maxrss` of the benchmark process (model + Python), and the checker JVM's VmHWM.
- **False rejections**: candidates the engine's javac rejected are re-checked by the independent javac too; one
  it accepts was thrown away for nothing (a javac crash in the warm checker, or an error matched wrongly).
- Ratios in parentheses are against `alone` (the model alone: one greedy sample, no guards, no javac).
"""


def _pct(v) -> str:
    return "–" if v is None else f"{100 * v:.1f}%"


def _num(v) -> str:
    return "–" if v is None else f"{v:.3f}"


def _sec(v) -> str:
    return "–" if v is None else f"{v:.2f}"


_FMT = {"pct": _pct, "num": _num, "sec": _sec}


def _ratio(v, base) -> str:
    if v is None or base is None:
        return ""
    if base == 0:
        return " (∞)" if v > 0 else " (1.00x)"
    return f" ({v / base:.2f}x)"


def _quality_columns(kind_summary: dict) -> list:
    return [q for q in QUALITY if any(s.get(q[0]) is not None for s in kind_summary.values())]


def quality_table(run: dict, kind: str, ratios: bool = True) -> str:
    summary = run["summary"][kind]
    cols = _quality_columns(summary)
    head = ["config", "cases", *[c[1] for c in cols], "total p50 s"]
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    alone = summary.get("alone")
    for name, s in summary.items():
        cells = [f"`{name}`", str(s["cases"])]
        for key, _, fmt in cols:
            cell = _FMT[fmt](s.get(key))
            if ratios and alone is not None and name != "alone" and key != "loop_share":
                cell += _ratio(s.get(key), alone.get(key))
            cells.append(cell)
        cells.append(
            _sec(s.get("total_p50"))
            + (
                _ratio(s.get("total_p50"), alone.get("total_p50"))
                if ratios and alone and name != "alone"
                else ""
            )
        )
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def latency_table(run: dict, kind: str) -> str:
    summary = run["summary"][kind]
    stages = ["context", "generation", "verification", "total"]
    head = ["config", "context p50/p95", "generation p50/p95", "javac p50/p95", "total p50/p95"]
    if any(s.get("line_rule_total_p50") is not None for s in summary.values()) and kind == "line":
        stages.append("line_rule_total")
        head.append("line rule total p50/p95")
    if any(s.get("prefill_p50") for s in summary.values()):
        stages.append("prefill")
        head.append("prefill before (typing) p50/p95")
    rows = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for name, s in summary.items():
        cells = [f"`{name}`"]
        for stage in stages:
            cells.append(f"{_sec(s.get(stage + '_p50'))} / {_sec(s.get(stage + '_p95'))}")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def console(run: dict) -> str:
    m = run["meta"]
    out = [f"\n{m['command']}  ({m['date']}, {m['cpu']}, {m['cores']} cores, commit {m['commit']})"]
    for kind in run["kinds"]:
        out += [
            "",
            f"## {KIND_TITLES.get(kind, kind)}",
            quality_table(run, kind),
            "",
            latency_table(run, kind),
        ]
    out += ["", "Targets:"]
    for t in run["targets"]:
        mark = "    " if t["met"] is None else "MET " if t["met"] else "MISS"
        out.append(f"  [{mark}] {t['target']}: {t['value']}")
    mic, mem = run["javac_micro"], run["memory"]
    if "checks_per_s" in mic:
        out.append(
            f"javac (warm checker, {mic['lines']} lines): {mic['median_ms']:.1f} ms median, "
            f"{mic['checks_per_s']:.1f} checks/s"
        )
    out.append(
        "memory: " + ", ".join(f"{k} {v:.0f}" if isinstance(v, float) else f"{k} {v}" for k, v in mem.items())
    )
    if run.get("errors"):
        out.append(f"!!! {run['errors']} request(s) raised an exception (see the JSON's results[].message)")
    if run["recheck_failures"]:
        out.append(
            f"!!! {len(run['recheck_failures'])} offered item(s) failed the independent javac re-check"
        )
    return "\n".join(out)


def markdown_section(run: dict, label: str, images: list[str]) -> str:
    m = run["meta"]
    lines = [f"<!-- bench:{label} -->", f"## Run `{label}`", ""]
    lines += [
        f"- Command: `{m['command']}`",
        f"- Date: {m['date']}; commit {m['commit']}; wall time {m.get('wall_s', 0) / 60:.1f} min",
        f"- Machine: {m['cpu']}, {m['cores']} cores (shared; load average {m['loadavg_start'][0]:.1f} at start, "
        f"{m['loadavg_end'][0]:.1f} at end); torch {m.get('torch', '?')} with {m.get('torch_threads', '?')} "
        f"threads on {m['device']}; transformers {m['transformers']}; {m['java']}; Python {m['python']}",
        f"- Model: `{m['model']}` ({m['model_name']}), loaded in {m['model_load_s']:.1f} s",
        f"- Latency: engine time, {m.get('latency', 'cold')} (see What is measured"
        + (
            "; the prefill before each request is untimed: not a user's latency)"
            if m.get("latency") == "typing"
            else ")"
        ),
        "- Cases: "
        + ", ".join(
            f"{k}: {run['summary'][k][next(iter(run['summary'][k]))]['cases']}" for k in run["kinds"]
        ),
    ]
    notes = run.get("notes", {})
    lines += jdk_note(notes)
    if notes.get("rejected_rechecked_offline"):
        lines.append(
            "- Engine-rejected candidates were re-checked after this run, from the raw candidate texts in its JSON "
            "(an earlier bench version did not re-check them during the run)"
        )
    lines += ["", "Configurations:", ""]
    for name, c in run["configs"].items():
        lines.append(f"- `{name}`: {c['description']}")
    for kind in run["kinds"]:
        lines += [
            "",
            f"### {KIND_TITLES.get(kind, kind)}",
            "",
            quality_table(run, kind),
            "",
            "Latency (seconds per request):",
            "",
            latency_table(run, kind),
        ]
        rejected = {n: x for n, x in run["summary"][kind].items() if x.get("rejected")}
        if rejected:
            lines += [
                "",
                "Candidates the engine's javac rejected, re-checked by the independent javac (accepted there = a "
                "false rejection): "
                + "; ".join(f"`{n}` {x['false_rejects']} of {x['rejected']}" for n, x in rejected.items())
                + ".",
            ]
    block = run["summary"].get("block", {})
    if "defaults" in block and "alone" in block:
        d, a = block["defaults"], block["alone"]
        bad = sum(1 for f in run["recheck_failures"] if f["kind"] == "block" and f["config"] == "defaults")
        lines += [
            "",
            f"Engine check on the first {d['cases']} HumanEval-X prompts (completion right after the "
            f"prompt): with the defaults {_pct(d['offer_rate'])} of prompts get an offered completion, and "
            + (
                "every offered completion compiles under an independent javac"
                if not bad
                else f"**{bad} offered completion(s) do not compile under an independent javac**"
            )
            + f" ({d['items_offered']} items re-checked); the model alone (one greedy sample, no guards, "
            f"no javac) gives a completion that compiles for {_pct(a['compiled_offer_rate'])} of prompts "
            f"(it offers text for {_pct(a['offer_rate'])}); with the defaults "
            f"{_pct(d['compiled_offer_rate'])} get one that compiles.",
        ]
    lines += ["", "### Targets", "", "| target | value | met |", "|---|---|---|"]
    for t in run["targets"]:
        met = "–" if t["met"] is None else "yes" if t["met"] else "**no**"
        lines.append(f"| {t['target']} | {t['value']} | {met} |")
    lines += ["", "### Independent re-check failures", ""]
    lines += failure_lines(run["recheck_failures"])
    if not run["recheck_failures"]:
        checked = {r["config"] for r in run["results"] if r["checked"]}
        n_items = sum(
            ok is not None for r in run["results"] if r["checked"] for ok in r.get("items_recheck_ok", [])
        )
        lines.append(
            f"None: all {n_items} items offered by configurations with javac checking ({', '.join(sorted(checked))}) "
            "compiled under an independent javac."
            if n_items
            else "None, but vacuously: configurations with javac checking offered no item."
        )
    mic, mem = run["javac_micro"], run["memory"]
    lines += ["", "### Resources", ""]
    if "checks_per_s" in mic:
        lines.append(
            f"- javac, warm checker, {mic['lines']}-line class: {mic['median_ms']:.1f} ms median "
            f"= {mic['checks_per_s']:.1f} checks/s"
        )
    else:
        lines.append(f"- javac micro-measurement failed: {mic.get('error')}")
    lines.append(
        f"- Peak RSS of the benchmark process (model, all configurations): {mem['bench_peak_rss_mb']:.0f} MB"
        + (
            f"; checker JVM VmHWM {mem['jvm_VmHWM_mb']:.0f} MB"
            if "jvm_VmHWM_mb" in mem
            else f"; checker JVM: {mem.get('jvm', 'n/a')}"
        )
    )
    lines.append(
        f"- Independent judging: {run['judge']['javac_runs']} javac and {run['judge']['java_runs']} java runs"
    )
    if images:
        lines.append("")
        lines += [f"![{Path(i).stem}]({i})" for i in images]
    lines += ["", f"<!-- /bench:{label} -->"]
    return "\n".join(lines) + "\n"


def jdk_note(notes: dict) -> list[str]:
    """The line saying which JDK source files the run's cases came from, if it used them."""
    j = notes.get("jdk")
    if not isinstance(j, dict):
        return []
    if "unavailable" in j:
        return [f"- JDK sources: unavailable ({j['unavailable']})"]
    return [
        f"- JDK sources: {j['files_compiling']} of {j['files_tried']} files tried compile unchanged; "
        f"{j['files_used']} used"
    ]


def failure_lines(failures: list[dict]) -> list[str]:
    """One Markdown bullet per re-check failure (`compilot.bench.measure.failed_items`)."""
    lines = []
    for f in failures:
        item = f["item"].replace("`", "'").replace("\n", "⏎")
        mode = f" ({f['mode']})" if "mode" in f else ""
        lines.append(
            f"- **{f['config']}**{mode}, {f['case']} item #{f['rank']}: `{item[:200]}` — "
            f"{'; '.join(f['errors'])[:300]}"
        )
    return lines


def charts(run: dict, folder: Path, label: str) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    safe = re.sub(r"[^\w.-]+", "-", label)
    kinds = run["kinds"]
    paths = []
    fig, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 4.2), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=False):
        summary = run["summary"][kind]
        cols = [c for c in _quality_columns(summary) if c[0] != "top_recheck_pass"]
        configs = list(summary)
        width = 0.8 / max(1, len(configs))
        for i, name in enumerate(configs):
            values = [summary[name].get(c[0]) or 0.0 for c in cols]
            ax.bar([x + i * width for x in range(len(cols))], values, width, label=name)
        ax.set_xticks([x + width * (len(configs) - 1) / 2 for x in range(len(cols))])
        ax.set_xticklabels([c[1] for c in cols], rotation=30, ha="right", fontsize=8)
        ax.set_ylim(0, 1)
        ax.set_title(kind)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7)
    fig.suptitle(f"compilot bench — {label}: quality (share of cases)")
    fig.tight_layout()
    path = folder / f"bench-{safe}-quality.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    paths.append(path)

    fig, axes = plt.subplots(1, len(kinds), figsize=(5.5 * len(kinds), 4.2), squeeze=False)
    for ax, kind in zip(axes[0], kinds, strict=False):
        summary = run["summary"][kind]
        configs = list(summary)
        bottom = [0.0] * len(configs)
        for stage in ("context", "generation", "verification"):
            values = [summary[n].get(f"{stage}_p50") or 0.0 for n in configs]
            ax.bar(configs, values, bottom=bottom, label=f"{stage} p50")
            bottom = [b + v for b, v in zip(bottom, values, strict=False)]
        p95 = [summary[n].get("total_p95") or 0.0 for n in configs]
        ax.scatter(configs, p95, marker="_", s=300, color="black", label="total p95", zorder=3)
        ax.set_title(kind)
        ax.set_ylim(bottom=0, top=max([*p95, *bottom, 0.1]) * 1.25)
        ax.set_ylabel("seconds")
        ax.tick_params(axis="x", rotation=30, labelsize=8)
        ax.grid(axis="y", alpha=0.3)
    axes[0][0].legend(fontsize=7, loc="upper left")
    fig.suptitle(f"compilot bench — {label}: latency per request")
    fig.tight_layout()
    path = folder / f"bench-{safe}-latency.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    paths.append(path)
    return paths


def write(run: dict, out: Path, label: str) -> list[Path]:
    """Write (or replace) this run's section of the Markdown report, and its charts in img/ beside it."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    images = charts(run, out.parent / "img", label)
    section = markdown_section(run, label, [f"img/{p.name}" for p in images])
    return [write_section(out, label, section), *images]


def write_section(out: Path, label: str, section: str) -> Path:
    """Write (or replace) the section `label` of the Markdown report; the other sections and the notes stay.
    `section` runs from `<!-- bench:LABEL -->` to `<!-- /bench:LABEL -->` and a line end (`compilot bench
    --protocol` writes its sections with this)."""
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    old = out.read_text(encoding="utf-8") if out.exists() else ""
    notes = re.search(r"<!-- notes -->\n.*?<!-- /notes -->\n", old, flags=re.S)  # hand-written, kept
    sections = re.findall(r"<!-- bench:(.+?) -->\n.*?<!-- /bench:\1 -->\n", old, flags=re.S)
    bodies = {
        name: re.search(
            rf"<!-- bench:{re.escape(name)} -->\n.*?<!-- /bench:{re.escape(name)} -->\n", old, flags=re.S
        ).group(0)
        for name in sections
    }
    bodies[label] = section
    order = sections + ([label] if label not in sections else [])
    kept = (notes.group(0) + "\n") if notes else ""
    out.write_text(HEADER + "\n" + kept + "\n".join(bodies[n] for n in order), encoding="utf-8")
    return out
