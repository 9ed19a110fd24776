"""Scoring one offered item against the original text, and aggregating results per (case kind, config).

Comparison rules (docs/benchmarks.md repeats them):
- block cases: the item's code lines against the original body's, each line stripped, blank lines dropped
  (indentation and blank lines do not count; anything else does).
- line cases (line, jdk-statement, jdk-mid): the item's FIRST line, stripped, against the removed text, stripped.
  A line that opens a block (`for (...) {`) makes the engine complete the whole block, so a longer item is
  normal; `exact_whole` (the whole item, normalized as for blocks) is kept too, and `overlong` counts items
  that span more lines than the original text.
- no offer: not exact, similarity 0.
"""

from __future__ import annotations

import difflib
import re

from compilot.bench.cases import Case
from compilot.generation.guards import find_loop

_IDENTIFIER = re.compile(r"[A-Za-z_$][\w$]*")


def normalize_block(text: str) -> str:
    return "\n".join(line.strip() for line in text.splitlines() if line.strip())


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


def similarity(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def leading_identifier(text: str) -> str:
    """The identifier a text starts with ('' if none): after a dot, the member it names."""
    match = _IDENTIFIER.match(text.strip())
    return match.group() if match else ""


def compare(case: Case, item: str | None) -> dict:
    """The item against the original (rules above); `next_identifier` (None when the original does not start
    with one): the item names the same identifier first."""
    wanted = leading_identifier(case.expected) if not case.is_block else ""
    named = {"next_identifier": (leading_identifier(item or "") == wanted) if wanted else None}
    return named | _compare(case, item)


def _compare(case: Case, item: str | None) -> dict:
    if item is None:
        return {"exact": False, "exact_whole": False, "similarity": 0.0, "overlong": False}
    whole = normalize_block(item) == normalize_block(case.expected)
    if case.is_block:
        a, b = normalize_block(item), normalize_block(case.expected)
        return {"exact": a == b, "exact_whole": whole, "similarity": similarity(a, b), "overlong": False}
    a, b = first_line(item), case.expected.strip()
    overlong = len(normalize_block(item).splitlines()) > max(
        1, len(normalize_block(case.expected).splitlines())
    )
    return {"exact": a == b, "exact_whole": whole, "similarity": similarity(a, b), "overlong": overlong}


def is_loop(sample) -> bool:
    """A raw sample caught in a repetition attractor: cut by the guards, or ending in a cycle (no guards)."""
    if getattr(sample, "finish", "") == "loop":
        return True
    ids = getattr(sample, "token_ids", None)
    return bool(ids) and find_loop(list(ids)) is not None


def percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    k = (len(values) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def _mean(values) -> float | None:
    values = list(values)
    return sum(values) / len(values) if values else None


STAGES = ("context", "generation", "verification", "total", "prefill")


def summarize(results: list[dict]) -> dict:
    """Measures of a list of per-case results of one (kind, config)."""
    n = len(results)
    offered = [r for r in results if r["offered"]]
    rechecked = [r for r in offered if r.get("recheck_ok") is not None]
    all_items = [ok for r in offered for ok in r.get("items_recheck_ok", []) if ok is not None]
    samples = sum(r["n_samples"] for r in results)
    out = {
        "cases": n,
        "offer_rate": len(offered) / n if n else None,
        "top_recheck_pass": _mean(r["recheck_ok"] for r in rechecked),
        "compiled_offer_rate": (sum(1 for r in rechecked if r["recheck_ok"]) / n) if n and rechecked else 0.0,
        "top_clean": _mean(r["recheck_clean"] for r in rechecked),
        "items_offered": len(all_items),
        "items_recheck_failed": sum(1 for ok in all_items if not ok),
        "rejected": sum(1 for r in results for ok in r.get("rejected_recheck_ok", []) if ok is not None),
        "false_rejects": sum(1 for r in results for ok in r.get("rejected_recheck_ok", []) if ok),
        "exact": _mean(r["exact"] for r in results),
        "exact_whole": _mean(r["exact_whole"] for r in results),
        "similarity": _mean(r["similarity"] for r in results),
        "next_identifier": _mean(
            r["next_identifier"] for r in results if r.get("next_identifier") is not None
        ),
        "similarity_offered": _mean(r["similarity"] for r in offered),
        "overlong": _mean(r["overlong"] for r in offered),
        "truncated": _mean(r["top_truncated"] for r in offered),
        "loop_share": (sum(r["n_loops"] for r in results) / samples) if samples else None,
        "samples": samples,
    }
    passes = [r["passed"] for r in results if r.get("passed") is not None]
    out["pass_at_1"] = _mean(passes) if passes else None
    for stage in STAGES:
        values = [r["timings"][stage] for r in results if stage in r["timings"]]
        out[f"{stage}_p50"] = percentile(values, 0.5)
        out[f"{stage}_p95"] = percentile(values, 0.95)
    # Line cases whose gap is an empty block's only line get a whole body (the block budget, not the line one).
    line_rule = [
        r["timings"]["total"]
        for r in results
        if "total" in r["timings"] and r.get("context_kind") != "block_body"
    ]
    out["line_rule_total_p50"] = percentile(line_rule, 0.5)
    out["line_rule_total_p95"] = percentile(line_rule, 0.95)
    return out


# The measures a report shows, with how to print them; higher is better unless noted.
QUALITY = (
    ("offer_rate", "offer", "pct"),
    ("compiled_offer_rate", "offer compiling", "pct"),
    ("top_recheck_pass", "top compiles", "pct"),
    ("exact", "exact", "pct"),
    ("similarity", "edit sim", "num"),
    ("next_identifier", "next ident", "pct"),
    ("pass_at_1", "pass@1", "pct"),
    ("loop_share", "loops", "pct"),
)


def failed_items(result: dict) -> list[dict]:
    """The items of one result that the independent javac rejected, one record each (rank 1 = the top item);
    a failure of the engine's promise when the result was javac-checked."""
    where = {k: result[k] for k in ("case", "kind", "mode", "config") if k in result}
    return [
        {**where, "rank": i + 1, "item": result["items"][i], "errors": result["items_recheck_errors"][i]}
        for i, ok in enumerate(result["items_recheck_ok"])
        if ok is False
    ]
