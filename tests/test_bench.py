"""The benchmark's parts: case pickers, the independent javac judge, the pass@1 runner, the report, a tiny run."""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import random
from pathlib import Path

import pytest

from compilot.bench import cases as casemod
from compilot.bench import report
from compilot.bench.javac import JavacError, Judge, new_errors
from compilot.bench.measure import compare, is_loop, summarize
from compilot.bench.run import parser, run_bench
from compilot.settings import Settings
from java_samples import STACK

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "humanevalx_java.jsonl"

PROMPT = """import java.util.*;
import java.lang.*;

class Solution {
    /** Sum of the list. */
    public int sum(List<Integer> xs) {
"""
SOLUTION = """        int total = 0;
        for (int x : xs) {
            total += x;
        }
        return total;
    }
}"""
TEST = """public class Main {
    public static void main(String[] args) {
        Solution s = new Solution();
        if (s.sum(Arrays.asList(1, 2, 3)) != 6) {
            throw new AssertionError();
        }
    }
}"""
PROBLEMS = [
    {"task_id": f"Java/{i}", "prompt": PROMPT, "canonical_solution": SOLUTION, "test": TEST} for i in range(3)
]

JAVA_FILE = STACK


@pytest.fixture(scope="module")
def judge():
    return Judge()


def test_humaneval_block_cases_reinsert_to_the_canonical_file():
    cases = casemod.humaneval_block_cases(PROBLEMS, 2)
    assert [c.id for c in cases] == ["Java/0", "Java/1"]
    for c in cases:
        assert c.document == PROMPT and c.offset == len(PROMPT)
        assert c.original + "\n}" == PROMPT + SOLUTION
        assert c.expected.endswith("    }") and c.recheck == "strict"


def test_line_cases_are_deterministic_and_reinsert_to_the_original():
    a = casemod.humaneval_line_cases(PROBLEMS, 5, seed=3)
    b = casemod.humaneval_line_cases(PROBLEMS, 5, seed=3)
    assert [(c.id, c.offset) for c in a] == [(c.id, c.offset) for c in b]
    assert len(a) == 5
    for c in a:
        assert c.original == PROMPT + SOLUTION
        assert c.expected == c.expected.strip() and not c.expected.startswith("}")
        assert c.document[: c.offset].endswith("\n" + " " * 8) or c.document[: c.offset].endswith(
            "\n" + " " * 12
        )


def test_line_cases_on_the_real_data_reinsert():
    problems = casemod.load_humaneval(DATA)
    by_id = {p["task_id"]: p for p in problems}
    cases = casemod.humaneval_line_cases(problems, 30, seed=0)
    assert [c.id for c in cases] == [c.id for c in casemod.humaneval_line_cases(problems, 30, seed=0)]
    assert [c.id for c in cases] != [c.id for c in casemod.humaneval_line_cases(problems, 30, seed=1)]
    for c in cases:
        p = by_id[c.id.split(":")[0]]
        assert c.original == p["prompt"] + p["canonical_solution"]


def test_file_cases_are_deterministic_and_reinsert():
    kinds = ("jdk-statement", "jdk-mid", "jdk-block")
    one = casemod.file_cases(JAVA_FILE, "Stack.java", "Stack", "jdk", random.Random(0), kinds)
    two = casemod.file_cases(JAVA_FILE, "Stack.java", "Stack", "jdk", random.Random(0), kinds)
    assert set(one) == set(kinds)
    for kind, case in one.items():
        assert case.original == JAVA_FILE
        assert (case.id, case.offset, case.expected) == (two[kind].id, two[kind].offset, two[kind].expected)
    assert one["jdk-block"].document[: one["jdk-block"].offset].endswith("{")
    assert one["jdk-statement"].expected.endswith(";")


def test_pick_file_cases_skips_files_that_do_not_compile():
    files = [
        ("bad", "Bad.java", JAVA_FILE.replace("items.add(item);", "items.add(item, 1, 2);")),
        ("good", "Stack.java", JAVA_FILE),
    ]
    found, stats = casemod.pick_file_cases(
        iter(files), 1, ("repo-statement",), "repo", 0, lambda text, name: name == "Stack.java"
    )
    assert [c.id.split(":")[0] for c in found] == ["good"]
    assert stats["files_tried"] == 2 and stats["files_compiling"] == 1


def test_relocated_jdk_source_keeps_line_numbers():
    text = "/* x */\npackage java.util;\n\nclass A {}\n"
    moved = casemod.relocate_jdk_source(text)
    assert moved.count("\n") == text.count("\n")
    assert "package bench.java.util; import java.util.*;" in moved


def test_recheck_flags_a_non_compiling_item_and_accepts_a_compiling_one(judge):
    block = casemod.humaneval_block_cases(PROBLEMS, 1)[0]
    assert judge.recheck(block, block.expected).ok
    bad = judge.recheck(block, '        return "six";\n    }')
    assert not bad.ok and any("incompatible" in e or "prob.found.req" in e for e in bad.new_errors)
    line = casemod.humaneval_line_cases(PROBLEMS, 1, seed=0)[0]
    assert judge.recheck(line, line.expected).ok
    assert not judge.recheck(line, "undefinedName.call();").ok


def test_relative_recheck_ignores_the_documents_own_errors():
    before = [JavacError(5, "compiler.err.cant.resolve.location", "x"), JavacError(9, "compiler.err.b", "y")]
    document = "\n" * 3 + "    " + "\n" * 10  # cursor on line 4
    after = [
        JavacError(5 + 1, "compiler.err.cant.resolve.location", "x"),
        JavacError(10, "compiler.err.b", "y"),
        JavacError(4, "compiler.err.new", "z"),
    ]
    new = new_errors(before, after, document, 7, "a;\nb;")
    assert [e.code for e in new] == ["compiler.err.new"]


def test_pass_at_1_runner_passes_the_canonical_solution_and_fails_a_wrong_one(judge):
    canonical = casemod.canonical_completion(PROBLEMS[0])
    assert judge.run_test(PROMPT, canonical, TEST) == (True, "")
    ok, detail = judge.run_test(PROMPT, "        return 0;\n    }", TEST)
    assert not ok and "exit" in detail
    ok, detail = judge.run_test(PROMPT, "        return zzz;\n    }", TEST)
    assert not ok and "does not compile" in detail


def test_compare_rules():
    block = casemod.humaneval_block_cases(PROBLEMS, 1)[0]
    reindented = "\n".join("  " + line.strip() for line in block.expected.splitlines())
    assert compare(block, reindented)["exact"]
    assert compare(block, None) == {
        "exact": False,
        "exact_whole": False,
        "similarity": 0.0,
        "overlong": False,
        "next_identifier": None,  # a block's next identifier is not measured
    }
    line = casemod.humaneval_line_cases(PROBLEMS, 1, seed=0)[0]
    longer = compare(line, line.expected + "\n        extra();")
    assert longer["exact"] and not longer["exact_whole"] and longer["overlong"]
    assert 0 < compare(line, line.expected[:-2])["similarity"] < 1
    dot = dataclasses.replace(line, expected="size() > 0;")
    assert compare(dot, "size() == 0;")["next_identifier"] and not compare(dot, "length;")["next_identifier"]
    assert compare(dot, None)["next_identifier"] is False


def test_loop_detection():
    class S:
        def __init__(self, finish, ids):
            self.finish, self.token_ids = finish, ids

    assert is_loop(S("loop", [1, 2]))
    assert is_loop(S("length", [5, 6, 7] + [1, 2] * 6))
    assert not is_loop(S("stop", [1, 2, 3, 4, 5]))


def _small_run() -> dict:
    results = []
    for config, offered, exact in (("alone", True, False), ("defaults", True, True)):
        results.append(
            {
                "case": "Java/0",
                "kind": "block",
                "config": config,
                "offered": offered,
                "items": ["x"],
                "recheck_ok": True,
                "recheck_clean": True,
                "items_recheck_ok": [True],
                "exact": exact,
                "exact_whole": exact,
                "similarity": 0.5,
                "overlong": False,
                "top_truncated": False,
                "n_samples": 1,
                "n_loops": 0,
                "passed": exact,
                "checked": config == "defaults",
                "timings": {"context": 0.01, "generation": 1.0, "verification": 0.1, "total": 1.11},
            }
        )
    summary = {
        "block": {c: summarize([r for r in results if r["config"] == c]) for c in ("alone", "defaults")}
    }
    return {
        "meta": {
            "command": "compilot bench --test",
            "date": "today",
            "commit": "abc",
            "cpu": "cpu",
            "cores": 2,
            "loadavg_start": (1.0, 1.0, 1.0),
            "loadavg_end": (1.0, 1.0, 1.0),
            "model": "m",
            "model_name": "m",
            "device": "cpu",
            "java": "openjdk 17",
            "python": "3.11",
            "transformers": "5",
            "model_load_s": 1.0,
        },
        "configs": {"alone": {"description": "alone"}, "defaults": {"description": "defaults"}},
        "notes": {},
        "kinds": ["block"],
        "summary": summary,
        "results": results,
        "targets": [
            {"target": "block cases: pass@1 >= 2x the model alone", "value": "100% vs 0%", "met": True}
        ],
        "javac_micro": {"lines": 197, "median_ms": 25.0, "checks_per_s": 40.0},
        "memory": {"bench_peak_rss_mb": 900.0},
        "recheck_failures": [],
        "judge": {"javac_runs": 2, "java_runs": 2},
    }


def test_report_writes_a_markdown_table_and_pngs(tmp_path):
    run = _small_run()
    out = tmp_path / "docs" / "benchmarks.md"
    paths = report.write(run, out, "unit")
    text = out.read_text()
    assert "| `defaults` | 1 | 100.0% (1.00x)" in text
    assert "pass@1" in text and "<!-- bench:unit -->" in text
    pngs = [p for p in paths if p.suffix == ".png"]
    assert pngs and all(p.read_bytes()[:4] == b"\x89PNG" for p in pngs)
    report.write(run, out, "other")
    out.write_text(
        out.read_text().replace(
            "<!-- bench:unit", "<!-- notes -->\nBy hand.\n<!-- /notes -->\n<!-- bench:unit", 1
        )
    )
    report.write(run, out, "unit")  # replaced in place, the other section and the notes kept
    text = out.read_text()
    assert "By hand." in text
    assert text.count("<!-- bench:unit -->") == 1 and text.count("<!-- bench:other -->") == 1


def test_a_tiny_end_to_end_run(tiny_model_dir, tmp_path):
    data = tmp_path / "he.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS))
    args = parser().parse_args(
        [
            "--quick",
            "--cases",
            "2",
            "--configs",
            "alone,defaults",
            "--humaneval",
            str(data),
            "--out",
            str(tmp_path / "docs" / "benchmarks.md"),
            "--json",
            str(tmp_path / "r.json"),
            "--javac-micro",
            "3",
        ]
    )
    base = Settings(model=str(tiny_model_dir), samples=2, max_new_tokens=8)
    run = run_bench(args, base)
    assert run["kinds"] == ["block", "line"]
    assert len(run["results"]) == 2 * 2 * 2
    assert not run["errors"] and not run["recheck_failures"]
    assert run["summary"]["block"]["defaults"]["cases"] == 2
    assert json.loads((tmp_path / "r.json").read_text())["summary"]
    assert (tmp_path / "docs" / "img" / "bench-quick-quality.png").exists()


def test_unknown_config_is_a_clear_error():
    from compilot.bench.run import main

    assert main(["--configs", "nope", "--no-report"]) == 2


def test_argparse_defaults():
    args = parser().parse_args([])
    assert isinstance(args, argparse.Namespace) and args.seed == 0 and args.recheck == "all"


def test_report_from_saved_json(tmp_path):
    from compilot.bench.run import main

    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(_small_run()))
    out = tmp_path / "benchmarks.md"
    assert main(["--from-json", str(saved), "--label", "saved", "--out", str(out)]) == 0
    assert "<!-- bench:saved -->" in out.read_text()


def test_naive_and_unhurried_configs_run_and_report_latency_targets(tiny_model_dir, tmp_path):
    data = tmp_path / "he.jsonl"
    data.write_text("".join(json.dumps(p) + "\n" for p in PROBLEMS))
    args = parser().parse_args(
        ["--corpus", "humaneval-line", "--cases", "1", "--configs", "defaults,unhurried,naive"]
        + ["--humaneval", str(data), "--no-report", "--javac-micro", "0"]
    )
    run = run_bench(args, Settings(model=str(tiny_model_dir), samples=2, max_new_tokens=6))
    assert not run["errors"] and not run["recheck_failures"]
    by_config = {r["config"]: r for r in run["results"]}
    assert by_config["defaults"]["timings"]["prefill"] > 0  # the keystroke before was prefilled
    assert by_config["naive"]["timings"]["prefill"] == 0  # the naive path keeps no cache
    assert by_config["naive"]["n_samples"] == 2
    names = " ".join(t["target"] for t in run["targets"])
    assert "p50 <= 1 s" in names and "unhurried" in names and "naive path" in names


def test_cold_javac_reports_the_warm_checkers_errors():
    from compilot.bench.naive import ColdJavac
    from compilot.verification.checker import JavaChecker

    source = "class Main {\n    int f() {\n        return y;\n    }\n}\n"
    cold = ColdJavac().check(source, "Main.java")
    with JavaChecker() as warm:
        expected = [d for d in warm.check(source, "Main.java") if d.is_error]
    assert [(d.code, d.line, d.start) for d in cold] == [(d.code, d.line, d.start) for d in expected]


def test_the_build_bench_counts_what_the_build_changes(tiny_model_dir, tmp_path, monkeypatch):
    """`compilot bench --build` on the two-module Maven fixture (Debian's real jars as ~/.m2): without the
    build's class path every file gets errors, with it none; the completion counts add up."""
    from compilot.bench.build import console, run_build_bench
    from projects import maven_project, user_home

    cache = Path.home() / ".cache"
    monkeypatch.setenv("XDG_CACHE_HOME", os.environ.get("XDG_CACHE_HOME", str(cache)))
    monkeypatch.setenv("HOME", str(user_home(tmp_path)))
    shop = maven_project(tmp_path / "shop")
    settings = Settings(model=str(tiny_model_dir), backend="torch", samples=2, max_new_tokens=8)
    run = run_build_bench(shop, 2, 0, settings, lambda message: None)
    assert run["files"] == run["files_compiling"] == 3
    assert run["published"]["after"] == 0 and run["published"]["files_before"] == 3
    completions = run["completions"]
    assert completions["cases"] >= 1
    for name in ("before", "after"):
        row = completions[name]
        assert row["rejected_for_class_path"] <= row["rejected"] <= row["candidates"]
    assert completions["after"]["rejected_for_class_path"] == 0  # already given the build's paths
    assert "diagnostics published" in console(run)


def test_one_parser_for_every_bench_mode():
    """--fix and --build are modes of `compilot bench`'s one parser (fix_bench.py had its own)."""
    args = parser().parse_args(["--fix", "--cases", "2", "--budget", "3", "--samples", "2"])
    assert args.fix and args.cases == 2 and args.budget == 3.0 and args.samples == 2
    assert parser().parse_args(["--build", "some/project"]).build == Path("some/project")


def test_repo_cases_get_the_builds_paths(tmp_path, monkeypatch):
    """`--repo` on a Maven project without --classpath: the jars and roots the language server would read."""
    from compilot.bench.run import repo_paths
    from projects import maven_project, user_home

    monkeypatch.setenv("HOME", str(user_home(tmp_path)))
    shop = maven_project(tmp_path / "shop")
    classpath, sourcepath = repo_paths(shop)
    names = {Path(p).name for p in classpath.split(":")}
    assert {"guava-31.1-jre.jar", "commons-lang3-3.12.0.jar", "junit-jupiter-api-5.9.2.jar"} <= names
    assert set(sourcepath.split(":")) == {
        str(shop / "core/src/main/java"),
        str(shop / "app/src/main/java"),
        str(shop / "app/src/test/java"),
    }
