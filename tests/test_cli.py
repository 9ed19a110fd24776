"""The `compilot` command's contract: results on stdout, one clear error line on stderr, non-zero exit."""

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "Fibonacci.java"


def compilot(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "compilot", *args], capture_output=True, text=True, timeout=timeout
    )


def test_missing_file_is_one_clear_line(tmp_path):
    done = compilot("complete", str(tmp_path / "Nope.java"), "--line", "1", "--col", "1")
    assert done.returncode == 2
    assert done.stderr.strip().startswith("compilot: cannot read") and done.stderr.count("\n") == 1


def test_non_utf8_file_is_refused_with_the_fix(tmp_path):
    path = tmp_path / "Latin.java"
    path.write_bytes(b'class Latin { String s = "\xe9"; }\n')
    done = compilot("complete", str(path), "--line", "1", "--col", "1")
    assert done.returncode == 2 and "not UTF-8" in done.stderr


def test_position_outside_the_file(tmp_path):
    done = compilot("complete", str(EXAMPLE), "--line", "999", "--col", "1")
    assert done.returncode == 2 and "line 999 is outside the file" in done.stderr


@pytest.mark.model
def test_a_model_that_cannot_load_names_the_fix(tmp_path):
    done = compilot(
        "complete", str(EXAMPLE), "--line", "12", "--col", "13", "--model", str(tmp_path / "none")
    )
    assert done.returncode == 2
    assert "could not load model" in done.stderr and "Traceback" not in done.stderr


def test_check_prints_javac_errors(tmp_path):
    broken = tmp_path / "Broken.java"
    broken.write_text("public class Broken {\n    int f() { return missing; }\n}\n")
    done = compilot("check", str(broken))
    assert done.returncode == 1
    assert "Broken.java:2:" in done.stdout and "cannot find symbol" in done.stdout
    fixed = tmp_path / "Fixed.java"
    fixed.write_text("public class Fixed {\n    int f() { return 1; }\n}\n")
    done = compilot("check", str(fixed))
    assert done.returncode == 0 and done.stdout == ""


def test_complete_is_unhurried_unless_given_a_line_budget():
    """A person waiting for one answer gets the unhurried one; an editor's budget is opt-in here."""
    from compilot.cli import _parser, _settings

    args = _parser().parse_args(["complete", "A.java", "--line", "1", "--col", "1"])
    assert _settings(args).line_seconds == 0
    args = _parser().parse_args(["complete", "A.java", "--line", "1", "--col", "1", "--line-seconds", "2"])
    assert _settings(args).line_seconds == 2.0
