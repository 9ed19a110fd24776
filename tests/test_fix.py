"""Fix to compile against real javac: every offered fix, applied, compiles under an independent javac."""

from __future__ import annotations

import subprocess
import time

import pytest

from compilot.cli import main
from compilot.engine import Engine
from compilot.fix import Fix, find_fixes, fixes_for_file
from compilot.fix import repairs as repairs_module
from compilot.settings import Settings
from javac_util import javac_errors

MISSING_SEMICOLON = """\
class Counter {
    int twice(int count) {
        int doubled = count * 2
        return doubled;
    }
}
"""

MISSING_IMPORT = """\
class Names {
    List<String> names() {
        return new ArrayList<>();
    }
}
"""

WRONG_METHOD = """\
class Words {
    int letters(String word) {
        return word.size();
    }
}
"""


@pytest.fixture(scope="module")
def engine(embedded_model_dir):
    engine = Engine(Settings(samples=3, max_new_tokens=32))
    engine.load()
    yield engine
    engine.close()


def first_error(engine: Engine, text: str, filename: str):
    errors = engine.check(text, filename)
    assert errors, "the test file should not compile"
    return errors[0]


def test_missing_semicolon_is_fixed_and_compiles_under_independent_javac(engine):
    error = first_error(engine, MISSING_SEMICOLON, "Counter.java")
    fixes = find_fixes(engine, MISSING_SEMICOLON, error, "Counter.java")
    assert fixes, "no fix offered"
    assert fixes[0].replacement == ";" and "insert `;`" in fixes[0].title
    for fix in fixes:
        assert javac_errors(fix.apply(MISSING_SEMICOLON)) == "", fix.title


def test_missing_import_is_fixed_by_an_import(engine):
    error = first_error(engine, MISSING_IMPORT, "Names.java")
    fixes = find_fixes(engine, MISSING_IMPORT, error, "Names.java")
    assert fixes and fixes[0].title.startswith("Fix to compile: add import java.util.")
    assert fixes[0].replacement.startswith("import java.util.")
    assert javac_errors(fixes[0].apply(MISSING_IMPORT)) == ""


@pytest.mark.model
def test_the_model_regenerates_a_line_rules_cannot_fix(engine):
    """No rule knows what `size()` on a String should have been; the model rewrites the line."""
    error = first_error(engine, WRONG_METHOD, "Words.java")
    assert error.code == "compiler.err.cant.resolve.location.args"
    fixes = find_fixes(engine, WRONG_METHOD, error, "Words.java")
    assert fixes, "the model found no compiling line"
    assert all(f.score < 0 and "replace line 3" in f.title for f in fixes)  # model-made, scored
    for fix in fixes:
        assert javac_errors(fix.apply(WRONG_METHOD)) == "", fix.title


def test_a_fix_is_never_offered_for_an_error_it_does_not_remove(engine, monkeypatch):
    text = MISSING_SEMICOLON.replace("return doubled;", "return doubled + zzqx;")
    errors = engine.check(text, "Counter.java")
    semicolon, unknown = errors[0], errors[1]
    assert "zzqx" in unknown.message
    at = semicolon.start
    only_semicolon = [Fix("insert ;", at, at, ";", 0.0)]  # removes the `;` error, never the unknown name
    monkeypatch.setattr(repairs_module, "repairs", lambda *args: list(only_semicolon))
    rules_only = Engine(engine.settings, checker=engine.checker)  # no model: only the planted candidate
    deadline = time.monotonic() + 30
    assert find_fixes(rules_only, text, semicolon, "Counter.java", deadline=deadline) == only_semicolon
    assert find_fixes(rules_only, text, unknown, "Counter.java", deadline=deadline) == []
    fixed = only_semicolon[0].apply(text)  # a stale diagnostic: the error is no longer in the text
    assert find_fixes(rules_only, fixed, semicolon, "Counter.java", deadline=deadline) == []


def test_fixes_for_file_lists_each_error_of_a_line(engine):
    results = fixes_for_file(
        engine, MISSING_SEMICOLON, "Counter.java", line=3, deadline=time.monotonic() + 30
    )
    assert [d.line for d, _ in results] == [3]
    assert results[0][1] and results[0][1][0].replacement == ";"
    assert fixes_for_file(engine, MISSING_SEMICOLON, "Counter.java", line=1) == []


# ---------------------------------------------------------------------------------------------- CLI


def test_cli_prints_a_diff_and_edits_nothing(tmp_path, capsys):
    path = tmp_path / "Counter.java"
    path.write_text(MISSING_SEMICOLON)
    assert main(["fix", str(path)]) == 0
    out = capsys.readouterr().out
    assert "--- a/Counter.java" in out and "+        int doubled = count * 2;" in out
    assert path.read_text() == MISSING_SEMICOLON
    assert not (tmp_path / "Counter.java.orig").exists()


def test_cli_write_applies_the_fixes_and_keeps_a_backup(tmp_path, capsys):
    path = tmp_path / "Names.java"
    path.write_text(MISSING_IMPORT)
    assert main(["fix", str(path), "--write"]) == 0
    assert javac_errors(path.read_text()) == ""
    assert (tmp_path / "Names.java.orig").read_text() == MISSING_IMPORT


def test_cli_refuses_a_file_with_uncommitted_changes_unless_forced(tmp_path, capsys):
    path = tmp_path / "Counter.java"
    path.write_text(MISSING_SEMICOLON.replace("count * 2\n", "count * 2;\n"))
    git = ["git", "-C", str(tmp_path), "-c", "user.email=t@example.com", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "Counter.java"], check=True)
    subprocess.run([*git, "commit", "-qm", "compiles"], check=True)
    path.write_text(MISSING_SEMICOLON)  # an uncommitted edit
    assert main(["fix", str(path), "--write"]) == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert path.read_text() == MISSING_SEMICOLON
    assert main(["fix", str(path), "--write", "--force"]) == 0
    assert javac_errors(path.read_text()) == ""


def test_a_rewritten_line_is_sampled_with_the_users_sampling_settings():
    """The fix's rewrite asks the backend with the settings' sampling, penalty and lookup included (they had
    drifted: a fix sampled with a 1.1 repetition penalty and no lookup, whatever the settings said)."""
    from compilot.fix.regenerate import line_fixes
    from compilot.generation.backend import Sample
    from compilot.verification.diagnostics import Diagnostic

    class Recording:
        configs = []

        def sample(self, prompt, rule, config, cancel=None, key=""):
            self.configs.append(config)
            return [Sample("int y = 2;", [1], -0.1, "stop")]

    text = "class A {\n    void f() {\n        int y = ;\n    }\n}\n"
    start = text.index("int y")
    error = Diagnostic(
        "ERROR", "compiler.err.illegal.start.of.expr", "illegal start", 3, 17, start, start + 1
    )
    settings = Settings(repetition_penalty=1.3, prompt_lookup=5, samples=2, temperature=0.4)
    sampler = Recording()
    fixes = line_fixes(sampler, settings, text, error, start, text.index("\n", start), None)
    assert len(fixes) == 1
    (config,) = sampler.configs
    assert (config.repetition_penalty, config.lookup, config.samples, config.temperature) == (1.3, 5, 2, 0.4)
