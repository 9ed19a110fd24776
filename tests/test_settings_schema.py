"""One settings schema (compilot/settings.py): package.json and the README are generated from it and agree."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from compilot.settings import Settings, camel, vscode_properties

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = json.loads((ROOT / "package.json").read_text())
PROPERTIES = PACKAGE["contributes"]["configuration"]["properties"]
SERVER_PROPERTIES = {
    k: v for k, v in PROPERTIES.items() if k not in ("compilot.enable", "compilot.pythonPath")
}


def test_package_json_and_readme_are_generated_from_the_schema():
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "sync-settings"), "--check"], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_every_setting_reaches_vscode_and_back():
    assert set(SERVER_PROPERTIES) == {f"compilot.{camel(f.name)}" for f in dataclasses.fields(Settings)}
    # VS Code sends every default it declares: the server takes each as it is, with no complaint.
    defaults = {key.removeprefix("compilot."): prop["default"] for key, prop in SERVER_PROPERTIES.items()}
    settings, problems = Settings().updated(defaults)
    assert problems == [] and settings == Settings()


@pytest.mark.parametrize("key", [k for k, p in vscode_properties().items() if "minimum" in p or "enum" in p])
def test_what_vscode_refuses_the_server_refuses(key):
    prop = vscode_properties()[key]
    bad = prop["minimum"] - 1 if "minimum" in prop else "no-such-choice"
    _, problems = Settings().updated({key.removeprefix("compilot."): bad})
    assert len(problems) == 1 and key.removeprefix("compilot.") in problems[0]
