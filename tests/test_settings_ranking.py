"""Settings validation and candidate ranking: plain functions, no model."""

from compilot.candidate import Candidate
from compilot.ranking import rank
from compilot.settings import Settings


def test_settings_accept_camel_case_and_report_bad_values():
    settings, problems = Settings().updated(
        {
            "maxNewTokens": 12,
            "topK": 5,
            "verify": False,
            "classpath": "a.jar:b.jar",
            "samples": 0,
            "colour": 1,
        }
    )
    assert (settings.max_new_tokens, settings.top_k, settings.verify) == (12, 5, False)
    assert settings.classpath == ("a.jar", "b.jar")
    assert settings.samples == Settings().samples  # the invalid value was ignored
    assert any("samples" in p for p in problems) and any("colour" in p for p in problems)


def test_settings_reject_wrong_types():
    _, problems = Settings().updated(
        {"guards": "yes", "temperature": "hot", "seed": 1.5, "javaRelease": None}
    )
    assert len(problems) == 3


def test_settings_reject_negative_budgets_and_draft_lengths():
    settings, problems = Settings().updated({"lineSeconds": -1, "promptLookup": -2, "topK": -3})
    assert len(problems) == 3
    assert (settings.line_seconds, settings.prompt_lookup) == (Settings().line_seconds, 0)
    assert Settings().updated({"lineSeconds": 0, "promptLookup": 0})[1] == []  # 0: off


def test_settings_reject_a_check_timeout_of_zero_and_an_unknown_prompt_style():
    settings, problems = Settings().updated({"checkTimeout": 0, "prompt": "everything"})
    assert settings == Settings()
    assert any("checkTimeout" in p and "more than 0" in p for p in problems)
    assert any("'prompt'" in p and "outline, window" in p for p in problems)
    assert Settings().updated({"checkTimeout": 0.5, "prompt": "window"})[1] == []


def test_rank_keeps_passing_candidates_merges_duplicates_and_orders_by_score():
    candidates = [
        Candidate("a();", -0.5, "stop", verdict="pass"),
        Candidate("bad(", -0.1, "stop", verdict="fail"),
        Candidate("a();", -0.2, "stop", verdict="pass"),
        Candidate("b();", -0.2, "stop", verdict="pass"),
        Candidate("longer();", -0.2, "stop", verdict="pass"),
        Candidate("   ", 0.0, "stop", verdict="pass"),
    ]
    ranked = rank(candidates, checked=True, limit=3)
    assert [c.text for c in ranked] == ["a();", "b();", "longer();"]
    assert ranked[0].score == -0.2


def test_rank_without_checking_keeps_unchecked_candidates():
    candidates = [Candidate("x;", -1.0, "stop"), Candidate("y;", -0.5, "stop")]
    assert [c.text for c in rank(candidates, checked=False, limit=5)] == ["y;", "x;"]


def test_a_path_with_a_line_break_or_nul_is_refused():
    for bad in (["lib/a.jar\n-processor x"], ["a\0b"], "lib/a.jar:\r"):
        settings, problems = Settings().updated({"classpath": bad})
        assert settings.classpath == () and "line break or NUL" in problems[0]
    assert Settings().updated({"sourcepath": ["src/main/java"]})[1] == []


def test_rank_puts_candidates_that_fix_the_code_below_first_unless_told_not_to():
    likely = Candidate("int m = 3;", score=-0.1, finish="stop", verdict="pass")
    needed = Candidate("int n = 3;", score=-0.9, finish="stop", verdict="pass", fixed=1)
    assert [c.text for c in rank([likely, needed], True, 3)] == ["int n = 3;", "int m = 3;"]
    assert [c.text for c in rank([likely, needed], True, 3, prefer_fixes=False)] == [
        "int m = 3;",
        "int n = 3;",
    ]
