"""javac steers at member accesses: the name constraint on the sampler, and guided completions end to end."""

from __future__ import annotations

import re

import pytest

from compilot.context.types import StopRule
from compilot.engine import Engine
from compilot.generation.guards import TokenTable
from compilot.generation.model import load_model
from compilot.generation.sampler import Sampler, SamplingConfig
from compilot.guidance import Place, rename, unknown_name
from compilot.settings import Settings
from compilot.verification.checker import JavaChecker
from compilot.verification.members import MemberIndex
from compilot.verification.verifier import verify
from java_samples import PATTERN_CHECK, PATTERN_CHECK_AT
from javac_util import javac_errors

LIBRARY = """\
import java.util.*;

public class Library {
    static class Shelf {
        private final List<String> titles = new ArrayList<>();

        int bookCount() {
            return titles.size();
        }

        void shelve(String title) {
            titles.add(title);
        }
    }

    private final Map<String, Shelf> shelves = new HashMap<>();

    void add(String name, String title) {
        Shelf shelf = shelves.get(name);
        shelf.
    }
}
"""
CURSOR = LIBRARY.index("shelf.\n") + len("shelf.")
SHELF_MEMBERS = {
    "titles",
    "bookCount",
    "shelve",
    "equals",
    "hashCode",
    "toString",
    "getClass",
    "notify",
    "wait",
}


@pytest.fixture(scope="module")
def sampler(tiny_model_dir):
    return Sampler(load_model(str(tiny_model_dir), "cpu"))


def test_a_random_model_constrained_to_names_writes_one(sampler):
    names = ("shelve", "shelveAll", "bookCount")  # one name a prefix of another; several tokens each
    config = SamplingConfig(samples=6, max_new_tokens=8, temperature=1.0, top_k=0, names=names)
    for sample in sampler.sample("class A { void f(Shelf s) { s.", StopRule.LINE, config):
        head = re.match(r"[\w$]*", sample.text).group()
        assert head in names, sample.text


def test_token_table_follows_names_across_tokens(sampler):
    tokenizer = sampler.lm.tokenizer
    table = TokenTable(tokenizer, sampler.lm.model.config.vocab_size)
    vocab = sampler.lm.model.config.vocab_size

    def allowed(partial, names, complete):
        mask = table.allowed(partial, names, complete, vocab)
        return {tokenizer.decode([i]) for i in mask.nonzero().flatten().tolist()}

    start = allowed("", ("computeIfAbsent",), False)
    assert "compute" in start and "get" not in start and "(" not in start
    after = allowed("compute", ("computeIfAbsent",), False)
    assert "If" in after and "(" not in after
    done = allowed("size", ("size", "sizeLimit"), True)
    assert "(" in done and "()" in done and "Limit" in done and "s" not in done


@pytest.mark.model
@pytest.mark.parametrize("backend", ["torch", "llamacpp"])
def test_guided_names_a_member_that_exists_where_unguided_does_not(backend):
    firsts = {}
    for guided in (False, True):
        engine = Engine(Settings(backend=backend, guided=guided, line_seconds=0, samples=4))
        try:
            result = engine.complete(LIBRARY, CURSOR, "Library.java")
        finally:
            engine.close()
        firsts[guided] = [re.match(r"[\w$]*", c.text).group() for c in result.candidates]
        if guided:
            assert result.items, result.candidates
            top = result.items[0].text
            assert re.match(r"[\w$]*", top).group() in SHELF_MEMBERS
            assert javac_errors(LIBRARY[:CURSOR] + top + LIBRARY[CURSOR:]) == ""
            assert result.timings["guidance"] > 0
    assert not set(firsts[False]) & SHELF_MEMBERS, firsts  # the model alone invents: setTitle, add, ...


@pytest.fixture(scope="module")
def checker():
    with JavaChecker() as checker:
        yield checker


def judged(checker, written: str):
    return verify(checker, PATTERN_CHECK, PATTERN_CHECK_AT, written, None, "PatternCheck.java")


@pytest.mark.parametrize(
    "written, expected",
    [
        ("assertTrue(thrown);", (11, "thrown", "variable")),
        ("thrown = true;", (0, "thrown", "variable")),
        ("assertTrue(rejected(regex));", (11, "rejected", "method")),
        ("assertTrue(threw.isBlank());", None),  # not a missing name: a member of a boolean
        ("assertTrue(regex.isBlankish());", None),  # a member after a dot: guide()'s part
        ("assertTrue(thrown) + 1;", None),  # another error besides the name: a name cannot fix the line
    ],
)
def test_unknown_name_only_when_a_name_is_all_the_line_lacks(checker, written, expected):
    verdict = judged(checker, written)
    assert not verdict.passed
    assert unknown_name(written, PATTERN_CHECK_AT, verdict.new_errors) == expected


@pytest.mark.model
@pytest.mark.parametrize("backend", ["torch", "llamacpp"])
def test_a_wrong_simple_name_is_written_again_with_one_in_scope(checker, backend):
    written = "assertTrue(thrown);"
    unknown = unknown_name(written, PATTERN_CHECK_AT, judged(checker, written).new_errors)
    place = Place.at(PATTERN_CHECK, PATTERN_CHECK_AT, "PatternCheck.java")
    with Engine(Settings(backend=backend)) as engine:
        engine.load()
        config = engine.settings.sampling(engine.settings.max_new_tokens)
        prompt = PATTERN_CHECK[:PATTERN_CHECK_AT]
        sample = rename(
            engine.backend, MemberIndex(checker), place, prompt, StopRule.LINE, config, written, -0.5, unknown
        )
    assert sample is not None and sample.text.startswith("assertTrue(threw"), sample
    assert judged(checker, sample.text).passed, sample.text
