"""`compilot bench --protocol`: real-file cases through the real language server (a tiny random model), in the
jump and typing timing modes; the settings conversion; one percentile function."""

from __future__ import annotations

import asyncio
import importlib.util
import json

import pytest

from compilot.bench import cases as casemod
from compilot.bench import measure, protocol
from compilot.bench.configs import CONFIGS
from compilot.bench.javac import Judge
from compilot.bench.run import main
from compilot.settings import Settings
from java_samples import STACK


@pytest.fixture(scope="module")
def file_cases() -> list[casemod.Case]:
    """One statement case and one method-body case of a small real Java file."""
    judge = Judge()
    found, _ = casemod.pick_file_cases(
        iter([("demo/Stack.java", "Stack.java", STACK)]),
        1,
        ("repo-statement", "repo-block"),
        "repo",
        0,
        lambda text, name: judge.errors(text, name) == [],
    )
    assert [c.kind for c in found] == ["repo-statement", "repo-block"]
    return found


@pytest.fixture(scope="module")
def protocol_run(tiny_model_dir, file_cases, tmp_path_factory):
    """One `compilot bench --protocol` run over the two cases, both modes, configs alone and defaults."""
    tmp = tmp_path_factory.mktemp("protocol")
    argv = ["--protocol", "--configs", "alone,defaults", "--model", str(tiny_model_dir)]
    argv += ["--open-wait", "0.2", "--keystroke-ms", "100", "--max-new-tokens", "8"]
    argv += ["--json", str(tmp / "r.json"), "--out", str(tmp / "benchmarks.md"), "--label", "unit-protocol"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("compilot.bench.run.pick_cases", lambda args, factory: (file_cases, {"corpora": ["repo"]}))
        rc = main(argv)
    return rc, json.loads((tmp / "r.json").read_text()), tmp


def test_both_modes_run_end_to_end_through_the_server(protocol_run, file_cases):
    rc, run, tmp = protocol_run
    assert rc == 0 and run["bench"] == "protocol" and not run["errors"] and not run["recheck_failures"]
    assert run["modes"] == ["jump", "typing"] and run["kinds"] == ["repo-block", "repo-statement"]
    results = run["results"]
    assert len(results) == 2 * 2 * 2  # cases x modes x configs
    assert len({r["uri"] for r in results}) == len(results)  # a fresh document per request
    assert all(r["uri"].endswith("/Stack.java") for r in results)
    for r in results:
        assert r["error"] is None and r["latency_s"] > 0
        assert None not in r["items_recheck_ok"]  # every offered item judged
    for mode in ("jump", "typing"):
        for name in ("alone", "defaults"):
            s = run["summary"][mode]["all"][name]
            assert s["cases"] == 2 and 0 < s["latency_p50"] <= s["latency_p95"] <= s["latency_max"]
            assert run["summary"][mode]["repo-block"][name]["cases"] == 1
    # Each server got its configuration's settings: only defaults checks with javac.
    by_config = {r["config"]: r for r in results}
    assert by_config["alone"]["status"]["checked"] is False
    assert by_config["defaults"]["status"]["checked"] is True
    assert run["configs"]["alone"]["init_options"] == {
        "model": run["meta"]["model"],
        "maxNewTokens": 8,
        "samples": 1,
        "temperature": 0.0,
        "guards": False,
        "verify": False,
    }
    for c in run["configs"].values():
        assert c["model_load_s"] > 0 and c["server_peak_rss_mb"] > 50 and c["jvm_peak_rss_mb"]
    text = (tmp / "benchmarks.md").read_text()
    assert text.count("<!-- bench:unit-protocol -->") == 1
    assert "### jump: didOpen, 0.2 s" in text and "### typing:" in text


def test_typing_sends_and_cancels_the_keystroke_before_and_applies_the_change(protocol_run, file_cases):
    _, run, _ = protocol_run
    typing = [r for r in run["results"] if r["mode"] == "typing"]
    assert len(typing) == 4
    for r in typing:
        r0 = r["r0"]
        assert r0["outcome"] in ("cancelled", "answered") and r0["latency_s"] is not None
        assert r0["cancel_sent"] is (not r0["answered_before_cancel"])
        # The server's copy after didChange is the case's document: its javac errors (version 2) are the
        # independent javac's for the case's document.
        assert r["server_document"]["version"] == 2 and r["server_document"]["agrees"] is True
    for r in run["results"]:
        assert r["server_document"]["agrees"] is True
    # ... and that check can tell: before the keystroke, the block case's document lacked the body's `{`.
    block = next(c for c in file_cases if c.kind == "repo-block")
    before, _, char = protocol.typed_before(block)
    assert char == "{"
    judge = Judge()
    lines_before = sorted({e.line for e in judge.errors(before, block.filename)})
    r = next(r for r in typing if r["kind"] == "repo-block")
    assert not protocol.same_errors(r["server_document"]["errors"], lines_before)


def test_a_cancelled_request_is_answered_request_cancelled_and_the_next_one_is_served(tiny_model_dir):
    async def go():
        options = protocol.init_options(CONFIGS["defaults"], {"model": str(tiny_model_dir)})
        server = protocol.Server("defaults", options)
        await server.start()
        try:
            uri = "file:///compilot-bench/cancel/Stack.java"
            server.open(uri, STACK)
            offset = STACK.index("        return n;") + 8
            first = server.request(uri, STACK, offset)
            server.cancel(first)  # before the server could answer it
            second = server.request(uri, STACK, offset)
            await server.finish(second)
            await server.finish(first)
            return first.outcome(), second.outcome()
        finally:
            await server.stop()

    first, second = asyncio.run(go())
    assert first["error"] == "cancelled"
    assert second["error"] is None and second["latency_s"] > 0


def test_camel_case_settings_from_the_configs():
    assert protocol.camel("line_seconds") == "lineSeconds"
    assert protocol.camel("max_new_tokens") == "maxNewTokens"
    assert protocol.camel("top_k") == "topK" and protocol.camel("samples") == "samples"
    defaults = Settings()
    for name in Settings.__dataclass_fields__:  # every setting is a name the server accepts
        value = getattr(defaults, name)
        _, problems = defaults.updated(
            {protocol.camel(name): list(value) if isinstance(value, tuple) else value}
        )
        assert not problems, name
    for config in CONFIGS.values():
        if config.naive or config.seed_recipe:
            with pytest.raises(protocol.ProtocolError, match="not available with --protocol"):
                protocol.init_options(config)
            continue
        options = protocol.init_options(config, {"model": "m", "classpath": ("a.jar",)})
        assert all("_" not in key for key in options)
        settings, problems = Settings().updated(options)
        assert not problems
        assert settings == config.settings(Settings(model="m", classpath=("a.jar",)))
    assert protocol.init_options(CONFIGS["unhurried"]) == {"lineSeconds": 0.0}


def test_naive_configs_are_refused_with_a_clear_message(capsys):
    assert main(["--protocol", "--configs", "alone,naive", "--no-report"]) == 2
    assert "'naive' is not available with --protocol" in capsys.readouterr().err


def test_one_percentile_function(protocol_run):
    from compilot.bench import backends, fix_bench

    assert protocol.percentile is measure.percentile is fix_bench.percentile is backends.percentile
    assert importlib.util.find_spec("compilot.lsp.protocol_bench") is None
    _, run, _ = protocol_run
    for mode in run["modes"]:
        for name in ("alone", "defaults"):
            latencies = [r["latency_s"] for r in run["results"] if r["mode"] == mode and r["config"] == name]
            s = run["summary"][mode]["all"][name]
            assert s["latency_p50"] == measure.percentile(latencies, 0.5)
            assert s["latency_p95"] == measure.percentile(latencies, 0.95)


def test_status_params_are_plain_all_the_way_down():
    """pygls's client gives nested params as namedtuples: `stagesMs` must stay a mapping in the JSON."""
    from collections import namedtuple

    status = namedtuple("Status", "state stagesMs")
    stages = namedtuple("Stages", "prefill total")
    assert protocol._plain(status("ready", stages(5, 9))) == {
        "state": "ready",
        "stagesMs": {"prefill": 5, "total": 9},
    }


def test_same_errors_matches_javac_lines_to_the_servers_spans():
    assert protocol.same_errors([[6, 7]], [7])  # a missing return: the body's span, javac's closing line
    assert protocol.same_errors([], [])
    assert not protocol.same_errors([[6, 6]], [7])
    assert not protocol.same_errors([[6, 7], [9, 9]], [7])
    assert not protocol.same_errors([], [3])


def test_report_from_saved_protocol_json(protocol_run, tmp_path, capsys):
    _, run, tmp = protocol_run
    out = tmp_path / "benchmarks.md"
    assert main(["--from-json", str(tmp / "r.json"), "--out", str(out)]) == 0
    assert "<!-- bench:protocol-repo -->" in out.read_text()
    assert "typing: a request at the keystroke before" in capsys.readouterr().out


def test_typed_before_removes_the_character_before_the_cursor():
    case = casemod.Case("x", "repo-mid", "int a = b;\n", 8, "", "A.java")
    assert protocol.typed_before(case) == ("int a =b;\n", 7, " ")
