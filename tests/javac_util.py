"""An independent javac, run as its own process: the referee for what the engine claims compiles."""

from __future__ import annotations

import re
import subprocess
import tempfile
from pathlib import Path


def javac_errors(source: str) -> str:
    """javac's error output for `source` as one file ('' when it compiles), named after its public class."""
    match = re.search(r"public\s+(?:final\s+|abstract\s+)*(?:class|interface|enum|record)\s+(\w+)", source)
    name = match.group(1) if match else "Main"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"{name}.java"
        path.write_text(source, encoding="utf-8")
        done = subprocess.run(
            ["javac", "-proc:none", "-cp", "", "-d", folder, "-encoding", "UTF-8", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
    return "" if done.returncode == 0 else (done.stdout + done.stderr)
