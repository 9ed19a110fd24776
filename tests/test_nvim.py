"""End to end: headless Neovim's built-in LSP client against the real server, model and javac.

tests/nvim/init.lua does the editor side and writes what it saw to a JSON file, asserted on here.
Needs Debian's `neovim` (0.7.2) on PATH (.ci/run installs it).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.model]

HERE = Path(__file__).parent
CALCULATOR = (HERE / "fixtures" / "lsp" / "Calculator.java").read_text()
BROKEN_LINE = (
    "        n = n + 1"  # after the completions, the cursor's line becomes this (no `;`) and is fixed
)


def test_neovim_completion_diagnostics_and_quick_fix(tmp_path, embedded_model_dir):
    partial = "        n = values."
    text = CALCULATOR.replace("int n = 0;\n\n", f"int n = 0;\n{partial}\n", 1)
    line = text.split("\n").index(partial)
    project = tmp_path / "project"
    project.mkdir()
    java = project / "Calculator.java"
    java.write_text(text)
    out = tmp_path / "result.json"
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "COMPILOT_CMD": json.dumps([sys.executable, "-m", "compilot.lsp"]),
        "COMPILOT_INIT": json.dumps({"samples": 2, "maxNewTokens": 24}),
        "COMPILOT_RESULT": str(out),
        "COMPILOT_LINE": str(line),
        "COMPILOT_CHARACTER": str(len(partial)),
        "COMPILOT_BROKEN": BROKEN_LINE,
    }
    # The embedded model lives in the real user's cache, not in the temporary HOME.
    env.setdefault("XDG_CACHE_HOME", str(Path.home() / ".cache"))
    proc = subprocess.run(
        [
            "nvim",
            "--headless",
            "-n",
            "-i",
            "NONE",
            "--noplugin",
            "-u",
            str(HERE / "nvim" / "init.lua"),
            str(java),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        cwd=project,
    )
    assert out.exists(), f"Neovim wrote no result (exit {proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
    result = json.loads(out.read_text())
    assert proc.returncode == 0 and result["ok"], result

    assert result["filetype"] == "java"
    assert result["capabilities"]["completion"] is True and result["capabilities"]["inline"] is True
    assert result["capabilities"]["codeAction"] == {"codeActionKinds": ["quickfix"], "resolveProvider": True}
    assert any(s["state"] == "ready" for s in result["statuses"])
    items = result["completion"]
    assert items and all(item["detail"] == "compiles (javac)" for item in items)
    for item in items:
        edited = text.split("\n")
        start = item["range"]["start"]["character"]
        edited[line] = edited[line][:start] + item["newText"] + edited[line][len(partial) :]
        check = tmp_path / f"check{items.index(item)}"
        check.mkdir()
        (check / "Calculator.java").write_text("\n".join(edited))
        javac = subprocess.run(
            ["javac", "-proc:none", "-d", str(check / "out"), str(check / "Calculator.java")],
            capture_output=True,
            text=True,
        )
        assert javac.returncode == 0, (item, javac.stderr)
    assert isinstance(result["inline"], list)
    # The partial statement is itself an error: javac's diagnostic arrives through publishDiagnostics.
    assert any(d["source"] == "javac" and d["lnum"] == line for d in result["diagnostics"]), result[
        "diagnostics"
    ]

    # Fix to compile: Neovim 0.7 resolves code actions, so the light bulb's action came without an edit and
    # `codeAction/resolve` supplied it; Neovim applied the edit and wrote the file, which javac accepts.
    fix = result["fix"]
    assert fix["client_resolves"] is True and fix["resolved"] is True, fix
    assert fix["actions"] == [{"title": "Fix to compile: ';' expected", "kind": "quickfix", "edit": False}], (
        fix
    )
    assert fix["title"].startswith("Fix to compile: insert `;`"), fix
    assert fix["line"] == BROKEN_LINE + ";", fix
    written = Path(fix["written"])
    assert written.resolve() == java.resolve()
    assert "n = n + 1;" in written.read_text()
    check = tmp_path / "check-fix"
    check.mkdir()
    javac = subprocess.run(
        ["javac", "-proc:none", "-d", str(check), str(written)], capture_output=True, text=True
    )
    assert javac.returncode == 0, javac.stderr
