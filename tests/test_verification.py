"""The javac verification layer against a real javac: checker, baseline comparison, truncation, safety."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest

from compilot.project.sources import find_source_roots
from compilot.verification.checker import CheckerError, JavaChecker, JdkNotFoundError
from compilot.verification.jdk import find_jdk
from compilot.verification.verifier import Baseline, verify, verify_many, verify_with_truncation
from javac_util import build_processor_jar

CURSOR = "|"

DOCUMENT = """\
import java.util.*;

public class Main {
    static int twice(int x) {
        return 2 * x;
    }

    void run(List<String> names) {
        |
    }
}
"""


def at_cursor(text: str) -> tuple[str, int]:
    """The document without its cursor mark, and the cursor's offset."""
    offset = text.index(CURSOR)
    return text[:offset] + text[offset + 1 :], offset


@pytest.fixture(scope="module")
def checker():
    with JavaChecker() as checker:
        yield checker


def codes(diagnostics) -> list[str]:
    return [d.code for d in diagnostics if d.is_error]


# --- the checker --------------------------------------------------------------------------------------


def test_syntax_error_does_not_hide_type_errors(checker):
    source = """\
public class Main {
    void a() {
        int x = ;
    }

    void b() {
        String s = 5;
    }
}
"""
    errors = checker.check(source)
    assert codes(errors) == ["compiler.err.illegal.start.of.expr", "compiler.err.prob.found.req"]
    type_error = errors[1]
    assert (type_error.line, type_error.column) == (7, 20)
    assert source[type_error.start : type_error.end] == "5"


def test_offsets_count_code_points_in_non_ascii_source(checker):
    source = 'public class Main {\n    String s = "héllo 😀 → ü"; int x = "ö";\n}\n'
    [error] = checker.check(source)
    assert error.code == "compiler.err.prob.found.req"
    assert source[error.start : error.end] == '"ö"'
    assert error.column == source.split("\n")[1].index('"ö"') + 1


def test_check_many_keeps_order_and_parse_sees_only_syntax(checker):
    good = "class A { int f() { return 1; } }"
    bad = 'class A { int f() { return "x"; } }'
    broken = "class A { int f() { int x = ; } }"
    assert [codes(d) for d in checker.check_many([(good, "A.java"), (bad, "A.java"), (good, "A.java")])] == [
        [],
        ["compiler.err.prob.found.req"],
        [],
    ]
    assert checker.parse(bad, "A.java") == []
    assert codes(checker.parse(broken, "A.java")) == ["compiler.err.illegal.start.of.expr"]


def test_file_name_and_package_path(checker):
    source = "package com.x;\n\npublic class Foo { java.util.List<String> names; }\n"
    assert checker.check(source, "com/x/Foo.java") == []
    assert codes(checker.check(source, "com/x/Bar.java")) == ["compiler.err.class.public.should.be.in.file"]


def test_plain_javax_tools_when_the_context_pool_is_unreachable(checker, monkeypatch):
    from compilot.verification import checker as checker_module

    options = tuple(o for o in checker_module.JVM_OPTIONS if not o.startswith("--add-exports"))
    monkeypatch.setattr(checker_module, "JVM_OPTIONS", options)
    source = "class A {\n    void a() { int x = ; }\n    String b() { return 1; }\n}\n"
    with JavaChecker() as plain:
        assert plain.engine() == "plain"
        assert plain.check(source, "A.java") == checker.check(source, "A.java")
    assert checker.engine() == "pool"


def test_release(checker):
    assert checker.release == find_jdk().release >= 11
    text_block = 'class A { String s = """\n    text"""; }'
    assert checker.check(text_block, "A.java") == []
    with JavaChecker(release=11) as old:
        assert old.release == 11
        assert codes(old.check(text_block, "A.java")) == [
            "compiler.err.feature.not.supported.in.source.plural"
        ]
    with JavaChecker(release=99) as future, pytest.raises(CheckerError, match="release version 99"):
        future.check(text_block, "A.java")


def test_killed_jvm_is_restarted(checker):
    checker.check("class A {}", "A.java")
    checker._process.process.kill()
    checker._process.process.wait()
    assert codes(checker.check("class A { int x = y; }", "A.java")) == ["compiler.err.cant.resolve.location"]


def test_hanging_jvm_times_out_and_is_restarted():
    with JavaChecker(timeout=10.0) as checker:
        checker.check("class A {}", "A.java")
        process = checker._process.process
        os.kill(process.pid, signal.SIGSTOP)  # a JVM that never answers
        checker.timeout = 0.5
        with pytest.raises(CheckerError, match="did not answer"):
            checker.check("class A {}", "A.java")
        assert process.poll() is not None  # killed, not left behind
        checker.timeout = 10.0
        assert checker.check("class A {}", "A.java") == []


def test_missing_jdk_names_the_fix(tmp_path, monkeypatch):
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(JdkNotFoundError, match="JAVA_HOME") as raised:
        JavaChecker().check("class A {}", "A.java")
    assert "apt-get install openjdk-17-jdk-headless" in str(raised.value)
    assert isinstance(raised.value, CheckerError)


def test_workspace_classes_resolve_through_the_sourcepath(tmp_path):
    (tmp_path / "p").mkdir()
    util = tmp_path / "p" / "Util.java"
    util.write_text("package p;\npublic class Util { public static int one() { return 1; } }\n")
    other = 'package p;\nclass Other { static String name() { return Util.one() + ""; } }\n'
    (tmp_path / "p" / "Other.java").write_text(other)
    source = "package p;\npublic class Main {\n    int f() { return Util.one() + Other.name().length(); }\n}"
    with JavaChecker(sourcepath=[tmp_path]) as checker:
        assert checker.check(source, "p/Main.java") == []
        missing = checker.check(source.replace("one()", "two()", 1), "p/Main.java")
        assert codes(missing) == ["compiler.err.cant.resolve.location.args"]
        # The workspace changes on disk: the next check sees it.
        util.write_text("package p;\npublic class Util { public static int two() { return 2; } }\n")
        errors = checker.check(source, "p/Main.java")
        assert codes(errors) == ["compiler.err.cant.resolve.location.args"] * 2
        elsewhere = [d for d in errors if d.start < 0]  # Other.java breaks too: reported without offsets
        assert len(elsewhere) == 1 and "Other.java:2: cannot find symbol" in elsewhere[0].message


def test_annotation_processors_on_the_class_path_never_run(tmp_path):
    marker = tmp_path / "processor-ran"
    jar = build_processor_jar(tmp_path, marker)
    source = tmp_path / "Main.java"
    source.write_text("@Deprecated public class Main {}\n")
    jdk = find_jdk()
    # Without -proc:none javac runs the processor: so this test can fail.
    subprocess.run([str(jdk.javac), "-cp", str(jar), "-d", str(tmp_path / "out"), str(source)], check=True)
    assert marker.exists()
    marker.unlink()
    with JavaChecker(classpath=[jar]) as checker:
        assert checker.check(source.read_text()) == []
    assert not marker.exists()


# --- the verifier -------------------------------------------------------------------------------------


def test_passing_and_failing_candidates(checker):
    document, offset = at_cursor(DOCUMENT)
    baseline = Baseline.of(checker, document)
    assert baseline.errors == ()
    passed = verify(checker, document, offset, "int n = twice(names.size());", baseline)
    assert passed.passed and passed.new_errors == [] and passed.text == "int n = twice(names.size());"
    failed = verify(checker, document, offset, "int n = twice(names);", baseline)
    assert not failed.passed
    assert codes(failed.new_errors) == ["compiler.err.prob.found.req"]
    undefined = verify(checker, document, offset, "int n = thrice(1);", baseline)
    assert codes(undefined.new_errors) == ["compiler.err.cant.resolve.location.args"]


def test_baseline_errors_elsewhere_do_not_hide_new_type_errors(checker):
    document, offset = at_cursor(
        DOCUMENT.replace(
            "    void run(",
            "    void broken() {\n        int y = ;\n    }\n\n    String wrong = 1;\n\n    void run(",
        )
    )
    baseline = Baseline.of(checker, document)
    assert codes(baseline.errors) == ["compiler.err.illegal.start.of.expr", "compiler.err.prob.found.req"]
    assert verify(checker, document, offset, "int n = twice(3);", baseline).passed
    failed = verify(checker, document, offset, "String t = twice(3);", baseline)
    assert not failed.passed
    assert codes(failed.new_errors) == ["compiler.err.prob.found.req"]
    assert failed.new_errors[0].start == offset + len("String t = ")


def test_baseline_error_at_the_cursor(checker):
    document, offset = at_cursor(DOCUMENT.replace("        |", "        int n = |"))
    baseline = Baseline.of(checker, document)
    assert codes(baseline.errors) == ["compiler.err.illegal.start.of.expr"]
    assert verify(checker, document, offset, "twice(names.size());", baseline).passed  # fixes it
    assert not verify(checker, document, offset, "twice(names.size())", baseline).passed  # a new ';' expected
    assert not verify(checker, document, offset, "twice(names);", baseline).passed
    # An unrelated candidate on an earlier line leaves the cursor's error as it was: not new.
    earlier = document.index("    void run")
    assert verify(checker, document, earlier, "    int count;\n", baseline).passed


def test_unclosed_block_and_unterminated_string_fail(checker):
    # The document already lacks a brace, so javac alone reports the same error before and after.
    document, offset = at_cursor("public class Main {\n    void f(int x) {\n        |\n}\n")
    baseline = Baseline.of(checker, document)
    assert codes(baseline.errors) == ["compiler.err.premature.eof"]
    unclosed = verify(checker, document, offset, "if (x > 0) {\n            return;", baseline)
    assert not unclosed.passed
    assert unclosed.new_errors[0].code == "compilot.lexical"
    assert unclosed.new_errors[0].start == offset + len("if (x > 0) ")
    assert not verify(checker, document, offset, 'String s = "abc;', baseline).passed
    assert not verify(checker, document, offset, "/* unfinished", baseline).passed
    assert verify(checker, document, offset, 'String s = "a{b(c";', baseline).passed


def test_truncation_keeps_the_longest_passing_statement_prefix(checker):
    document, offset = at_cursor(DOCUMENT)
    insert = (
        "int a = twice(names.size());\n"
        "        if (a > 2) {\n"
        "            a = twice(a);\n"
        "        }\n"
        "        int b = a + 1;\n"
        "        String c = b;\n"
        "        int d = 4;"
    )
    verdict = verify_with_truncation(checker, document, offset, insert)
    assert verdict.passed
    assert verdict.text == insert[: insert.index("\n        String c")]
    hopeless = verify_with_truncation(checker, document, offset, "String c = 1;\n        int d = 4;")
    assert not hopeless.passed and hopeless.text == "String c = 1;\n        int d = 4;"


def test_truncation_keeps_the_closing_brace(checker):
    document, offset = at_cursor("public class Main {\n    int f(int x) {\n        |\n}\n")
    insert = "int y = x * 2;\n        return y;\n        String s = y;"
    verdict = verify_with_truncation(checker, document, offset, insert, closing="\n    }")
    assert verdict.passed
    assert verdict.text == "int y = x * 2;\n        return y;\n    }"


def test_verify_many_matches_verify(checker):
    document, offset = at_cursor(DOCUMENT)
    inserts = ["int n = twice(1);", "int n = twice(", "int n = twice(names);"]
    assert [v.passed for v in verify_many(checker, document, offset, inserts)] == [True, False, False]


# --- the workspace ------------------------------------------------------------------------------------


def test_find_source_roots(tmp_path):
    def write(path: str, text: str = "") -> None:
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)

    write("app/src/main/java/com/x/A.java", "package com.x;\nclass A {}\n")
    write("app/src/test/java/com/x/ATest.java", "package com.x;\nclass ATest {}\n")
    write("lib/sources/org/y/B.java", "/* header */\npackage org.y;\nclass B {}\n")
    write("scratch/Hello.java", "class Hello {}\n")
    write("misplaced/C.java", "package some.where;\nclass C {}\n")
    write("app/target/generated/com/z/G.java", "package com.z;\nclass G {}\n")
    write("node_modules/pkg/D.java", "class D {}\n")
    roots = find_source_roots(tmp_path)
    assert roots == [
        str(tmp_path / p) for p in ("app/src/main/java", "app/src/test/java", "lib/sources", "scratch")
    ]


def test_a_body_completed_in_an_unclosed_file_keeps_only_the_end_of_file_error(checker):
    document = "class Solution {\n    public int twice(int x) {\n"
    body = "        return 2 * x;\n    }"
    verdict = verify(checker, document, len(document), body, filename="Solution.java")
    assert verdict.passed, verdict.new_errors
    assert not verify(
        checker, document, len(document), "        return y;\n    }", filename="Solution.java"
    ).passed


def test_a_closing_brace_cannot_hide_a_block_the_body_left_open(checker):
    document = "class Solution {\n    public int twice(int x) {\n"
    open_loop = "        int y = 0;\n        for (int i = 0; i < x; i++) {\n            y += 2;"
    verdict = verify(checker, document, len(document), open_loop, filename="Solution.java", closing="\n    }")
    assert not verdict.passed
    closed = open_loop + "\n        }\n        return y;"
    assert verify(
        checker, document, len(document), closed, filename="Solution.java", closing="\n    }"
    ).passed


def test_a_candidate_that_gives_the_code_below_what_it_needs_is_counted(checker):
    """`fixed`: the document's errors after the cursor that a candidate makes go away (no FIM: the code
    after the cursor still says what the line must declare)."""
    document, offset = at_cursor(
        "public class Main {\n    int f() {\n        " + CURSOR + "\n        return n * 2;\n    }\n}\n"
    )
    declares, other = verify_many(checker, document, offset, ["int n = 3;", "int m = 3;"])
    assert declares.passed and other.passed
    assert declares.fixed == 1 and other.fixed == 0


@pytest.mark.parametrize("name", ["Odd Name.java", "a[b]#c.java", "Über Sicht.java", "x%20y.java"])
def test_any_file_name(checker, name):
    """Spaces, brackets, `#`, non-ASCII: javac's diagnostics as for a plain name, and the JVM lives on
    (an unescaped URI once threw in its main thread and ended it at every check)."""
    source = 'class A { int x = "s"; }'
    plain = checker.check(source, "Main.java")
    process = checker._process
    assert [(d.code, d.start) for d in checker.check(source, name)] == [(d.code, d.start) for d in plain]
    assert checker._process is process
