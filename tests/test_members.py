"""javac's members at a dot (the checker's "members" request), the text around it, and the name constraint."""

from __future__ import annotations

import pytest

from compilot.generation.backend import gbnf_names, name_state
from compilot.verification.checker import JavaChecker
from compilot.verification.members import MARKER, accesses, probe, statement_start

SOURCE = """\
import java.util.*;
import java.util.function.*;

public class Main {
    private final Map<String, List<String>> shelves = new HashMap<>();
    private int secret;

    static class Inner {
        int x;
        private int hidden;
        static int COUNT;
        void go() {}
    }

    <T extends CharSequence> void f(T t, int[] numbers, ArrayList<String> names, Other other) {
        PROBE;
    }
}

class Other {
    private int hidden;
    int shown;
    static int total() { return 0; }
}
"""


@pytest.fixture(scope="module")
def checker():
    with JavaChecker() as checker:
        yield checker


def members(checker, receiver: str):
    return checker.members(SOURCE.replace("PROBE", f"{receiver}.{MARKER}()"))


@pytest.mark.parametrize(
    "receiver, what, present, absent",
    [
        ('shelves.get("a")', "instance", {"add", "size", "subList"}, {"put", "copyOf"}),  # generics: a List
        ("shelves", "instance", {"put", "computeIfAbsent", "entrySet"}, {"add", "copyOf", "entry"}),
        ("names", "instance", {"isEmpty", "ensureCapacity", "stream"}, {"length"}),  # inherited members
        ("numbers", "instance", {"length", "clone"}, {"size"}),  # an array
        ("t", "instance", {"length", "charAt"}, {"append"}),  # a type variable: its bound's members
        ("Math", "static", {"max", "PI", "abs"}, {"equals"}),  # a type name: static members only
        ("Inner", "static", {"COUNT", "class"}, {"x", "go"}),
        ("new Inner()", "instance", {"x", "go", "hidden"}, {"COUNT"}),  # private, but nested in Main
        ("other", "instance", {"shown"}, {"hidden", "total"}),  # another class's private: not accessible
        ("this", "instance", {"secret", "shelves", "f"}, set()),
        ("unknownThing", "none", set(), {"length"}),  # javac cannot tell: no constraint
    ],
)
def test_members_of_a_receiver(checker, receiver, what, present, absent):
    found = members(checker, receiver)
    assert found.what == what
    assert present <= set(found.names), sorted(found.names)
    assert not absent & set(found.names)


def test_a_receiver_inside_a_lambda(checker):
    source = SOURCE.replace("PROBE", f"List.of(1, 2).forEach(n -> n.{MARKER}())")
    found = checker.members(source)
    assert {"intValue", "compareTo"} <= set(found.names) and "length" not in found.names


def test_names_in_scope_at_a_simple_name(checker):
    """A bare `__compilot__` lists what a simple name can refer to there: nearest first."""
    body = f"int local = 1; Runnable r = () -> {{ int inLambda = 2; f(null, null, null, {MARKER}()); }}"
    found = checker.members(SOURCE.replace("PROBE", body))
    names = list(found.names)
    assert found.what == "scope"
    assert {"inLambda", "local", "t", "numbers", "shelves", "secret", "f", "Inner", "Other", "String"} <= set(
        names
    )
    assert not {"hidden", "shown", "x", "COUNT"} & set(names)  # other classes' members, private or not
    assert names.index("inLambda") < names.index("local") < names.index("secret") < names.index("String")


def test_no_marker_means_no_members(checker):
    assert checker.members(SOURCE.replace("PROBE", "int a = 1")).what == "none"


# ----- the text side -----

DOC = "class A {\n    void f() {\n        foo(a,\n            list.get(0)."


def test_statement_start_spans_a_multi_line_call():
    assert DOC[statement_start(DOC, len(DOC)) :].strip().startswith("foo(a,")


def test_accesses_after_the_typed_part():
    statement = "names.get(0).trim().le"
    found = accesses(statement, len("names.get(0)."))
    assert [(a.name, statement[: a.dot]) for a in found] == [
        ("trim", "names.get(0)."),
        ("le", "names.get(0).trim()."),
    ]
    assert accesses("x = 1.5 + s.length()", 0)[0].name == "length"  # a number's dot is not an access
    assert accesses('s = "a.b" + t.x', 0)[0].name == "x"  # nor a string's


def test_probe_closes_what_the_statement_opened():
    text = "class A {\n    void f() {\n        if (run(x -> list.\n    }\n}\n"
    offset = text.index("list.") + len("list.")
    start = statement_start(text, offset)
    statement = text[start:offset]
    rest = text.index("\n", offset) + 1
    made = probe(text, start, statement, len(statement), rest)
    assert f"if (run(x -> list.{MARKER}()));\n    }}\n}}\n" in made


def test_name_constraint_states_and_grammar():
    names = ("size", "sizeLimit")
    assert name_state("", names) == ("", False)
    assert name_state("size", names) == ("size", True)
    assert name_state("size(", names) is None  # the name is over: no constraint left
    grammar = gbnf_names(names)
    assert grammar.startswith('root ::= ("size" | "sizeLimit")') and "[^a-zA-Z0-9_$]" in grammar
