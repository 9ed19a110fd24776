"""End-to-end: the Compilot extension in a real VS Code (code-server 4.100.3) in headless Chromium.

Needs what `scripts/setup-e2e` installs (Debian chromium, code-server under .e2e/, playwright-core, the built
extension in out/); fails with a message naming the fix when those are missing. Drives the editor with tests/e2e/drive.mjs
and checks what it saw: ghost text that javac accepts, taken with Tab; a completion list after "."; a javac
diagnostic for a broken line.

Environment:
  COMPILOT_E2E_PYTHON         the Python that runs `-m compilot serve` (default: the repo's .venv/bin/python)
  COMPILOT_E2E_ARTIFACTS      where screenshots and logs go, a folder per test (default: tmp_path/artifacts)
  COMPILOT_E2E_TRACE          1: log every LSP message (the Compilot log in the artifacts' logs/)
  COMPILOT_UPDATE_SCREENSHOT  1: also copy the ghost-text screenshot to docs/img/ghost-text.png
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
E2E = ROOT / ".e2e"
CODE_SERVER = E2E / "code-server" / "node_modules" / ".bin" / "code-server"
PLAYWRIGHT = E2E / "node" / "node_modules" / "playwright-core"
CHROMIUM = Path("/usr/bin/chromium")
EXTENSION_ID = "compilot.compilot-0.1.0"
JAVA_FILE = "src/main/java/com/example/Calculator.java"
DRIVER_TIMEOUT_S = 420  # the whole browser session: startup, model load, three checks
STARTUP_TIMEOUT_S = 60


def _missing() -> list[str]:
    missing = []
    for what, path in [
        ("code-server (.e2e/code-server)", CODE_SERVER),
        ("playwright-core (.e2e/node)", PLAYWRIGHT),
        ("chromium (/usr/bin/chromium)", CHROMIUM),
        ("the built extension (out/extension.js)", ROOT / "out" / "extension.js"),
    ]:
        if not path.exists():
            missing.append(what)
    for tool in ("node", "javac"):
        if shutil.which(tool) is None:
            missing.append(tool)
    return missing


def _python() -> str:
    env = os.environ.get("COMPILOT_E2E_PYTHON")
    if env:
        return env
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _descendants(pid: int) -> list[int]:
    """PIDs of every process below `pid`, from /proc (children before their own children)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    out: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie that is not ours to reap counts as gone
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return False


def _stop(proc: subprocess.Popen, name: str) -> None:
    """SIGTERM `proc` (code-server ends its extension host and the language server), then SIGKILL by PID
    whatever of its process tree is left."""
    if proc.poll() is not None:
        return
    tree = _descendants(proc.pid)
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    deadline = time.monotonic() + 5
    while any(_alive(p) for p in tree) and time.monotonic() < deadline:
        time.sleep(0.2)
    for pid in tree:
        if _alive(pid):
            print(f"[e2e] {name}: killing leftover process {pid}", file=sys.stderr)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _javac(java_file: Path, out_dir: Path) -> subprocess.CompletedProcess:
    out_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.run(
        ["javac", "-proc:none", "-Xlint:none", "-d", str(out_dir), str(java_file)],
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def artifacts(tmp_path: Path, request: pytest.FixtureRequest) -> Path:
    env = os.environ.get("COMPILOT_E2E_ARTIFACTS")
    path = Path(env) / request.node.name if env else tmp_path / "artifacts"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _run_vscode(tmp_path: Path, artifacts: Path, python: str, scenario: str) -> dict:
    """Start code-server with the extension and drive it with drive.mjs; return the driver's result."""
    missing = _missing()
    if missing:
        pytest.fail("e2e prerequisites missing: " + ", ".join(missing) + "; run scripts/setup-e2e")

    # A fresh profile, HOME and extensions folder per run (hot exit restores edits from an old profile).
    home = tmp_path / "home"
    user_data = tmp_path / "user-data"
    extensions = tmp_path / "extensions"
    for d in (home, user_data / "User", extensions):
        d.mkdir(parents=True)
    ext_dir = extensions / EXTENSION_ID
    ext_dir.mkdir()
    shutil.copy2(ROOT / "package.json", ext_dir / "package.json")
    shutil.copytree(ROOT / "out", ext_dir / "out")

    workspace = tmp_path / "workspace"
    shutil.copytree(HERE / "workspace", workspace)

    user_settings = {
        "compilot.pythonPath": python,
        "workbench.startupEditor": "none",
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "security.workspace.trust.enabled": False,
        "telemetry.telemetryLevel": "off",
        "extensions.autoCheckUpdates": False,
        "extensions.autoUpdate": False,
        "extensions.ignoreRecommendations": True,
        "update.mode": "none",
        "git.enabled": False,
        "chat.disableAIFeatures": True,
        "files.autoSave": "off",
        "files.hotExit": "off",
        "editor.inlineSuggest.enabled": True,
        # Only the server's completions: no word-based items, no list while typing words. (Not
        # editor.snippetSuggestions "none": the server's items are of kind Snippet.)
        "editor.quickSuggestions": {"other": "off", "comments": "off", "strings": "off"},
        "editor.wordBasedSuggestions": "off",
        "editor.suggest.showInlineDetails": True,
        "editor.suggestOnTriggerCharacters": True,
        "editor.minimap.enabled": False,
        "editor.stickyScroll.enabled": False,
        "editor.fontSize": 15,
        "window.commandCenter": False,
        "workbench.colorTheme": "Default Dark Modern",
    }
    if os.environ.get("COMPILOT_E2E_TRACE") == "1":  # LSP messages in the Compilot log (artifacts/logs)
        user_settings["compilot.trace.server"] = "verbose"
    (user_data / "User" / "settings.json").write_text(json.dumps(user_settings, indent=2))
    config = tmp_path / "code-server.yaml"
    config.write_text("bind-addr: 127.0.0.1:0\nauth: none\ncert: false\n")

    port = _free_port()
    env = dict(os.environ)
    env["HOME"] = str(home)
    # The model cache stays where it was, so a fresh HOME does not mean converting the model again.
    env.setdefault("XDG_CACHE_HOME", str(Path(os.environ.get("HOME", "/root")) / ".cache"))
    env.pop("VSCODE_IPC_HOOK_CLI", None)
    server_log = open(artifacts / "code-server.log", "w")  # noqa: SIM115 - closed in finally
    code_server = subprocess.Popen(
        [
            str(CODE_SERVER),
            "--bind-addr",
            f"127.0.0.1:{port}",
            "--auth",
            "none",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            "--user-data-dir",
            str(user_data),
            "--extensions-dir",
            str(extensions),
            "--config",
            str(config),
            str(workspace),
        ],
        env=env,
        stdout=server_log,
        stderr=subprocess.STDOUT,
        cwd=str(tmp_path),
    )
    driver = None
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            assert code_server.poll() is None, f"code-server exited: see {artifacts / 'code-server.log'}"
            try:
                with urllib.request.urlopen(url + "/healthz", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            assert time.monotonic() < deadline, "code-server did not answer /healthz"
            time.sleep(0.3)

        drive_cfg = tmp_path / "drive.json"
        drive_cfg.write_text(
            json.dumps(
                {
                    "url": url,
                    "workspace": str(workspace),
                    "file": JAVA_FILE,
                    "artifacts": str(artifacts),
                    "playwright": str(PLAYWRIGHT),
                    "chromium": str(CHROMIUM),
                    "timeoutS": DRIVER_TIMEOUT_S,
                    "scenario": scenario,
                }
            )
        )
        driver_env = dict(os.environ, HOME=str(home))
        driver = subprocess.Popen(
            ["node", str(HERE / "drive.mjs"), str(drive_cfg)],
            env=driver_env,
            stdout=subprocess.PIPE,
            stderr=None,  # progress lines go straight to the test's stderr
            text=True,
            cwd=str(tmp_path),
        )
        try:
            stdout, _ = driver.communicate(timeout=DRIVER_TIMEOUT_S + 60)
        except subprocess.TimeoutExpired:
            _stop(driver, "driver")
            pytest.fail(f"the browser driver ran past {DRIVER_TIMEOUT_S + 60} s; artifacts in {artifacts}")
        lines = [line for line in stdout.splitlines() if line.startswith("{")]
        assert lines, f"no result from the driver (rc {driver.returncode}); artifacts in {artifacts}"
        result = json.loads(lines[-1])
        assert result["ok"], (
            f"{result.get('error')}\nsteps: {json.dumps(result.get('steps'), indent=1)}\n"
            f"console: {json.dumps(result.get('consoleTail'), indent=1)}\nartifacts in {artifacts}"
        )
    finally:
        if driver is not None:
            _stop(driver, "driver")
        _stop(code_server, "code-server")
        server_log.close()
        # The extension's log (Compilot output channel, with the server's stderr) and VS Code's own logs.
        if (user_data / "logs").is_dir():
            shutil.copytree(user_data / "logs", artifacts / "logs", dirs_exist_ok=True)
    return result


def test_ghost_text_completion_list_and_diagnostic(tmp_path: Path, artifacts: Path) -> None:
    started = time.monotonic()
    original = (HERE / "workspace" / JAVA_FILE).read_text()
    result = _run_vscode(tmp_path, artifacts, _python(), "full")

    # 1. The ghost text: the file with it inserted compiles (our own javac, not the server's) ...
    accepted = result["accepted"]
    assert accepted["ghost"].strip(), "empty ghost text"
    candidate = artifacts / "candidate" / Path(JAVA_FILE).name
    compiled = _javac(candidate, tmp_path / "classes-candidate")
    assert compiled.returncode == 0, (
        f"the suggested text does not compile: {accepted['ghost']!r}\n{compiled.stderr}"
    )
    # ... and after Tab it is in the document: the editor shows the line, and the saved file holds the typed
    # text followed by the whole suggestion (compared without whitespace: the editor may re-indent).
    first = accepted["ghost"].split("\n")[0].strip()
    assert first in (accepted["shown"] or ""), accepted
    assert accepted["savedLine"] and first in accepted["savedLine"], accepted
    squash = lambda text: "".join(text.split())  # noqa: E731
    assert squash(accepted["typed"] + accepted["ghost"]) in squash(accepted["savedText"]), accepted
    saved = accepted["savedText"]
    assert saved != original
    saved_file = tmp_path / "saved" / Path(JAVA_FILE).name
    saved_file.parent.mkdir()
    saved_file.write_text(saved)
    compiled = _javac(saved_file, tmp_path / "classes-saved")
    assert compiled.returncode == 0, f"the accepted file does not compile:\n{compiled.stderr}"

    # 2. A completion list after ".".
    rows = result["completionRows"]
    assert rows and all(r["label"].strip() for r in rows), rows
    # Items from Compilot say whether javac checked them ("compiles (javac)" / "not compile-checked").
    assert any(
        "javac" in r["detail"] or "compile" in r["detail"] or "Compilot" in r["detail"] for r in rows
    ), rows

    # 3. A javac diagnostic for the broken line.
    problems = " | ".join(result["problems"])
    assert "incompatible types" in problems or "cannot be converted" in problems, problems

    # 4. Toggle Completions turned the server off, and the status bar says so.
    assert "off" in result["toggledOff"]["text"], result["toggledOff"]

    screenshot = artifacts / "ghost-text.png"
    assert screenshot.exists()
    if os.environ.get("COMPILOT_UPDATE_SCREENSHOT") == "1":
        target = ROOT / "docs" / "img" / "ghost-text.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(screenshot, target)
    print(
        f"[e2e] ghost text {accepted['ghost']!r}; completion items {[r['label'] for r in rows][:5]}; "
        f"problems {result['problems'][:2]}; driver {result['elapsedS']} s, "
        f"total {time.monotonic() - started:.1f} s; artifacts in {artifacts}",
        file=sys.stderr,
    )


def test_missing_python_shows_error(tmp_path: Path, artifacts: Path) -> None:
    """No server can start: an error notification says how to fix it and offers the settings."""
    result = _run_vscode(tmp_path, artifacts, str(tmp_path / "no-such-python"), "no-server")
    toast = result["notification"]
    assert "compilot.pythonPath" in toast["message"], toast
    assert "no-such-python" in toast["message"], toast
    assert "Open Settings" in toast["buttons"], toast
    assert "Compilot" in (result["status"]["label"] or result["status"]["text"] or ""), result["status"]
    assert "error" in (result["status"]["label"] or "").lower(), result["status"]
