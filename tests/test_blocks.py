"""Where a generated method body goes: separators and closing braces around it."""

from compilot.blocks import _first_separator, block_closing
from compilot.context import classify


def context_at_end(document: str, cursor_marker: str = "|"):
    offset = document.index(cursor_marker)
    return classify(document.replace(cursor_marker, ""), offset)


def test_body_after_an_unclosed_header_closes_the_method():
    context = context_at_end("class A {\n    int f() {\n|")
    assert context.close_block
    assert block_closing(context) == "\n    }"
    assert _first_separator(context) == "        "


def test_body_on_the_header_line_starts_on_a_new_line_before_the_existing_brace():
    context = context_at_end("class A {\n    int f() {|\n    }\n}\n")
    assert not context.close_block
    assert _first_separator(context) == "\n        "
    assert block_closing(context) == ""


def test_cursor_already_indented_inside_an_empty_body():
    context = context_at_end("class A {\n    int f() {\n        |}\n}\n")
    assert _first_separator(context) == ""
    assert block_closing(context) == "\n    "


class ScriptedSampler:
    """Plays back fixed statements, one per call, so the body builder's javac gate is tested on its own."""

    def __init__(self, pieces):
        self.pieces = list(pieces)
        self.prompts = []
        self.configs = []

    def sample(self, prompt, rule, config, cancel=None, key=""):
        from compilot.generation.backend import Sample

        self.prompts.append(prompt)
        self.configs.append(config)
        text, finish = self.pieces.pop(0) if self.pieces else ("", "stop")
        return [Sample(text=text, token_ids=[1] * 5, mean_logprob=-0.5, finish=finish)]


def build(pieces, sampler=None, feedback=False, samples=2, adaptive=True):
    from compilot.blocks import complete_body
    from compilot.generation.backend import SamplingConfig
    from compilot.verification.checker import JavaChecker

    document = "class Solution {\n    int twice(int x) {\n"
    with JavaChecker() as checker:
        return complete_body(
            sampler or ScriptedSampler(pieces),
            checker,
            document,
            classify(document, len(document)),
            "Solution.java",
            SamplingConfig(samples=samples),
            max_tokens=100,
            feedback=feedback,
            adaptive=adaptive,
        )


def test_a_statement_cut_off_mid_block_is_never_kept():
    result = build(
        [("int y = 2 * x;", "stop"), ("for (int i = 0; i < x; i++) {\n            y = y", "length")]
    )
    assert "for" not in result.candidate.text
    assert result.candidate.verdict == "fail"  # `int y = 2 * x;` alone leaves the method without a return


def test_a_body_that_returns_passes():
    result = build([("int y = 2 * x;", "stop"), ("return y;", "stop"), ("", "stop")])
    assert result.candidate.verdict == "pass"
    assert result.candidate.text == "        int y = 2 * x;\n        return y;\n    }"


def test_a_method_closed_without_its_return_is_given_return_to_finish():
    sampler = ScriptedSampler([("int y = 2 * x;", "stop"), ("", "stop"), (" y;", "stop"), ("", "stop")])
    result = build(None, sampler)
    assert sampler.prompts[2].endswith("int y = 2 * x;\n        return")
    assert result.candidate.verdict == "pass"
    assert result.candidate.text == "        int y = 2 * x;\n        return y;\n    }"


def test_a_statement_repeated_with_new_numbers_is_a_loop():
    pieces = [
        ("int y1 = x;", "stop"),
        ("int y2 = x;", "stop"),
        ("int y3 = x;", "stop"),
        ("return y1;", "stop"),
    ]
    sampler = ScriptedSampler(pieces)
    result = build(None, sampler)
    assert "y3" not in result.candidate.text
    # the third near-copy was rejected, the other samples were asked for, and one finished the method
    assert result.candidate.text == "        int y1 = x;\n        int y2 = x;\n        return y1;\n    }"
    assert result.candidate.verdict == "pass"


def test_javac_feedback_prompts_the_other_samples_with_the_greedy_statements_error():
    """The greedy statement calls a method that does not exist; the next round's prompt (not the body) carries
    javac's message about it, and a comment the model echoes is not a statement."""
    pieces = [("int y = twice2(x);", "stop"), ("// cannot find symbol", "stop"), ("", "stop")]
    sampler = ScriptedSampler(pieces)
    result = build(None, sampler, feedback=True)
    assert sampler.prompts[1].endswith(
        "    int twice(int x) {\n        // javac: cannot find symbol\n        "
    )
    assert "javac" not in result.candidate.text and "//" not in result.candidate.text
    plain = ScriptedSampler(pieces)
    build(None, plain)
    assert "javac" not in plain.prompts[1]


def test_one_sample_is_the_greedy_statement_alone():
    """`samples: 1` (the no-best-of-n configuration) is greedy for bodies too: no sampled second round."""
    sampler = ScriptedSampler([("int y = twice2(x);", "stop"), ("return x;", "stop"), ("", "stop")])
    result = build(None, sampler, samples=1)
    assert [(c.samples, c.greedy_first) for c in sampler.configs] == [(1, True)]
    assert (
        result.candidate.verdict == "fail"
    )  # the greedy statement did not compile, and nothing else was drawn


def test_without_adaptive_each_statement_draws_all_samples_at_once():
    sampler = ScriptedSampler([("int y = 2 * x;", "stop"), ("return y;", "stop")])
    result = build(None, sampler, samples=4, adaptive=False)
    assert [(c.samples, c.greedy_first) for c in sampler.configs] == [(4, True)] * 2
    assert result.candidate.verdict == "pass"


def test_adaptive_draws_the_greedy_statement_then_the_others():
    sampler = ScriptedSampler([("int y = twice2(x);", "stop"), ("return x;", "stop"), ("", "stop")])
    build(None, sampler, samples=4)
    assert [(c.samples, c.greedy_first) for c in sampler.configs][:2] == [(1, True), (3, False)]
