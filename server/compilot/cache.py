"""The user's cache folder: everything Compilot writes once and reuses (models, the checker, class files)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """`$XDG_CACHE_HOME/compilot`, else `~/.cache/compilot`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "compilot"
