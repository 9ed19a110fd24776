"""The engine with a tiny random model: contexts without completion, checking switched off or unavailable."""

import threading

import pytest

from compilot.engine import Cancelled, Engine
from compilot.settings import Settings
from java_samples import PATTERN_CHECK, PATTERN_CHECK_AT

DOC = "public class A {\n    int f(int x) {\n        int y = x;\n        \n    }\n}\n"
CURSOR = DOC.index("        \n") + 8


@pytest.fixture
def tiny_settings(tiny_model_dir):
    return Settings(model=str(tiny_model_dir), samples=2, max_new_tokens=6, max_block_tokens=6)


def test_no_completion_inside_a_comment(tiny_settings):
    doc = "public class A {\n    // a comment\n}\n"
    result = Engine(tiny_settings).complete(doc, doc.index("comment"))
    assert result.items == [] and result.message
    assert "load" not in result.timings  # the model is not even loaded for it


def test_missing_jdk_turns_checking_off_and_says_so(tiny_settings, monkeypatch, tmp_path):
    monkeypatch.delenv("JAVA_HOME", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    engine = Engine(tiny_settings)
    result = engine.complete(DOC, CURSOR)
    assert not result.checked
    assert "javac checking is off" in result.message and "JAVA_HOME" in result.message
    assert len(result.candidates) == 2 and all(c.verdict == "unchecked" for c in result.candidates)


def test_every_offered_item_passed_javac(tiny_settings):
    engine = Engine(tiny_settings)
    result = engine.complete(DOC, CURSOR)
    assert result.checked
    assert all(item.verdict == "pass" for item in result.items)
    assert {"context", "generation", "verification", "total"} <= set(result.timings)
    engine.close()


def test_a_cancelled_request_raises(tiny_settings):
    cancel = threading.Event()
    cancel.set()
    engine = Engine(tiny_settings.updated({"verify": False})[0])
    with pytest.raises(Cancelled):
        engine.complete(DOC, CURSOR, cancel=cancel)


def test_a_line_request_ends_at_its_time_budget(tiny_settings):
    engine = Engine(tiny_settings.updated({"lineSeconds": 1e-6})[0])
    result = engine.complete(DOC, CURSOR)
    # The greedy round ran out of time at once, so the second round (the other samples) never started.
    assert [c.finish for c in result.candidates] == ["time"]
    assert result.items == [] and result.message == "no candidate compiled within lineSeconds (1e-06 s)"
    engine.close()


def test_the_line_budget_does_not_cut_a_whole_body_short(tiny_settings):
    doc = "public class A {\n    int f(int x) {\n        \n    }\n}\n"
    settings = tiny_settings.updated({"lineSeconds": 1e-6, "stepwise": False})[0]
    engine = Engine(settings)
    result = engine.complete(doc, doc.index("        \n") + 8)
    assert result.context.kind.value == "block_body"
    assert len(result.candidates) == 2  # both adaptive rounds ran: lineSeconds is for lines
    assert all(c.finish != "time" for c in result.candidates)
    engine.close()


def test_a_primed_document_prefills_only_the_member_at_a_jump(tiny_settings):
    """didOpen primes the file context; a request in the class then reuses it up to the member it is in."""
    from compilot.context.prompt import document_prompt

    doc = (
        "public class A {\n    int a;\n    int f(int x) {\n        return x;\n    }\n"
        "    int g(int y) {\n        int z = y;\n        \n    }\n}\n"
    )
    engine = Engine(tiny_settings.updated({"verify": False, "prompt": "outline"})[0])
    engine.load()
    engine.prime(doc, None, key="file:///A.java")
    context_ids = engine.backend.encode(document_prompt(doc, engine.settings.prompt_chars))[0]
    assert engine.backend.prompts.cached_ids("file:///A.java") == context_ids
    context = document_prompt(doc, engine.settings.prompt_chars)
    shared_ids = engine.backend.encode(context[: context.index("    int g(int y) { ... }")])[0]
    engine.prime(doc, doc.index("        \n") + 8, key="file:///A.java")  # what a request in g prefills
    assert engine.backend.prompts.reused_tokens >= len(shared_ids) - 1
    engine.forget("file:///A.java")
    assert "file:///A.java" not in engine.backend.prompts


def _java_children() -> int:
    """Java processes this test process started and that still run."""
    import contextlib
    import os
    from pathlib import Path

    count = 0
    for task in Path(f"/proc/{os.getpid()}/task").iterdir():
        for pid in (task / "children").read_text().split():
            with contextlib.suppress(OSError):
                count += "java" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0].decode()
    return count


def test_new_settings_restart_the_checker_at_once(tiny_settings, tmp_path):
    """At once, so a wrong javaRelease is reported when it is set, not at some later request."""
    engine = Engine(tiny_settings)
    assert engine.complete(DOC, CURSOR).checked
    old = engine.checker
    engine.update_settings(tiny_settings.updated({"classpath": [str(tmp_path)]})[0])
    assert engine.checker is not None and engine.checker is not old  # a new JVM with the new class path...
    assert old._process is None  # ...and the old one closed
    assert engine.complete(DOC, CURSOR).checked
    engine.update_settings(tiny_settings.updated({"javaRelease": 99})[0])
    assert engine.checker is None and "javac checking is off" in engine.checker_problem
    engine.close()


def test_a_checker_that_cannot_start_leaves_no_jvm_behind(tiny_settings):
    before = _java_children()
    engine = Engine(tiny_settings.updated({"javaRelease": 99})[0])
    result = engine.complete(DOC, CURSOR)
    assert not result.checked and "javac checking is off" in result.message
    assert _java_children() == before


def test_a_request_can_replace_the_line_budget(tiny_settings):
    """The completion list (asked for) gets more time than ghost text: a per-request line budget."""
    engine = Engine(tiny_settings.updated({"lineSeconds": 1e-6, "verify": False})[0])
    assert [c.finish for c in engine.complete(DOC, CURSOR).candidates] == ["time"] * 2
    result = engine.complete(DOC, CURSOR, line_seconds=0)
    assert all(c.finish != "time" for c in result.candidates)


def test_what_the_caller_gives_the_engine_stays_the_callers(tiny_settings):
    """A given checker is used and left running when the engine closes; the sampling hook sees every round."""
    import dataclasses

    from compilot.verification.checker import JavaChecker

    seen = []

    def one_sample(config):
        seen.append(config)
        return dataclasses.replace(config, samples=1)

    with JavaChecker() as checker:
        checker.check("class B {}", "B.java")
        pid = checker.pid
        with Engine(tiny_settings, checker=checker, sampling=one_sample) as engine:
            result = engine.complete(DOC, CURSOR)
            assert engine.checker is checker and result.checked
        assert pid is not None and checker.pid == pid  # the caller's JVM still runs
        assert seen and len(result.candidates) == 1
    assert checker.pid is None


class RowByRowBackend:
    """Draws rows one request each, as llama.cpp in process does: answers each row with the next of `rows`
    and records the sampling config it was asked with."""

    name = "row-by-row"
    rows_one_by_one = True

    def __init__(self, rows: list[str]) -> None:
        self.rows, self.asked, self.prompts = list(rows), [], []

    def sample(self, prompt, rule, config, cancel=None, key=""):
        from compilot.generation.backend import Sample

        self.asked.append(config)
        self.prompts.append(prompt)
        return [Sample(self.rows.pop(0), [], -0.5, "stop") for _ in range(config.samples)]

    def prefill(self, prompt, key="", cancel=None):
        pass

    def forget(self, key):
        pass

    def close(self):
        pass


def test_rows_drawn_one_by_one_end_at_the_first_that_compiles(tiny_settings):
    """Greedy and the first sampled row do not compile, the second does: the third is never drawn, and each
    sampled row has the seed it has in a round of all."""
    backend = RowByRowBackend(["return missing;", "int z = nope;", "return y;", "return x;"])
    settings = tiny_settings.updated({"samples": 4, "seed": 5, "guided": False, "guidedNames": False})[0]
    with Engine(settings, backend=backend) as engine:
        result = engine.complete(DOC, CURSOR)
    assert [c.text for c in result.items] == ["return y;"]
    assert [(c.samples, c.greedy_first, c.seed) for c in backend.asked] == [
        (1, True, 5),
        (1, False, 5),
        (1, False, 6),
    ]
    assert backend.rows == ["return x;"]


def test_a_line_rejected_for_an_unknown_name_is_written_again_from_it(tiny_settings):
    """The greedy line names `thrown`, which javac cannot find: the line is continued from that name with
    the names in scope as its only start (the method's `threw` among them, `thrown` not), and that compiles."""
    backend = RowByRowBackend(["assertTrue(thrown);", "threw);", "int nope = 1;"])
    settings = tiny_settings.updated({"samples": 2, "guided": False})[0]
    with Engine(settings, backend=backend) as engine:
        result = engine.complete(PATTERN_CHECK, PATTERN_CHECK_AT, "PatternCheck.java")
    assert [c.text for c in result.items] == ["assertTrue(threw);"]
    renaming = backend.asked[1]
    assert backend.prompts[1].endswith("assertTrue(")
    assert {"threw", "regex", "String"} <= set(renaming.names)  # a variable, or a type (`Assert.`)
    assert not {"thrown", "condition", "assertTrue", "rejects"} & set(renaming.names)  # no method here
    assert renaming.greedy_first and renaming.samples == 1
    assert backend.rows == ["int nope = 1;"]  # the sampled round never ran: the renamed line compiled


def test_a_backend_that_cannot_hold_rows_to_names_is_not_guided(tiny_settings):
    """The same unknown name with a backend that has no grammar (openai): no row is asked to start with a
    name it would not be held to; the sampled row is drawn instead."""
    backend = RowByRowBackend(["assertTrue(thrown);", "int nope = 1;"])
    backend.constrains_names = False
    settings = tiny_settings.updated({"samples": 2})[0]
    with Engine(settings, backend=backend) as engine:
        result = engine.complete(PATTERN_CHECK, PATTERN_CHECK_AT, "PatternCheck.java")
    assert [c.names for c in backend.asked] == [(), ()] and backend.rows == []
    assert [c.text for c in result.items] == ["int nope = 1;"]


def test_rounds_of_one_keep_the_seeds_of_a_round_of_all():
    from compilot.generation.backend import SamplingConfig, sampling_rounds

    config = SamplingConfig(samples=4, seed=3)
    batched = sampling_rounds(config, adaptive=True)
    apart = sampling_rounds(config, adaptive=True, one_by_one=True)
    assert [(r.samples, r.seed) for r in batched] == [(1, 3), (3, 3)]
    assert [(r.samples, r.seed, r.greedy_first) for r in apart] == [
        (1, 3, True),
        (1, 3, False),
        (1, 4, False),
        (1, 5, False),
    ]
    assert sampling_rounds(config, adaptive=False, one_by_one=True) == [config]
