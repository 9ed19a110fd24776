"""Where a workspace keeps its Java sources, so that the checker can resolve the user's own classes."""

from __future__ import annotations

import os
import re
from pathlib import Path

SKIPPED = {"build", "target", "node_modules", "out", "bin"}  # build output and dependencies, not sources
MAX_FILES_READ = 2000  # a package declaration is read per file outside known roots; bound the cost
_PACKAGE = re.compile(r"^\s*package\s+([\w.]+)\s*;", re.M)
_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


def find_source_roots(folder: str | os.PathLike) -> list[str]:
    """Source roots under `folder`: Maven/Gradle `src/<set>/java` folders, and any folder whose .java files
    sit in directories matching their package declarations. Sorted, absolute."""
    folder = Path(folder).resolve()
    roots: set[Path] = set()
    explained: set[Path] = set()  # roots whose files need no reading: all of theirs follow their packages
    files_read = 0
    for directory, subdirs, files in os.walk(folder):
        here = Path(directory)
        subdirs[:] = sorted(d for d in subdirs if d not in SKIPPED and not d.startswith("."))
        if here.name == "java" and here.parent.parent.name == "src":
            roots.add(here)
            explained.add(here)
        if _inside(here, explained):
            continue  # one root explains its files; reading them all would cost time on big projects
        for name in sorted(files):
            if not name.endswith(".java") or name in ("module-info.java", "package-info.java"):
                continue
            if files_read >= MAX_FILES_READ:
                break
            files_read += 1
            root = _root_of(here / name)
            if root is not None and (root == folder or folder in root.parents):
                roots.add(root)
                if root != here:  # a default-package folder explains nothing about its subfolders
                    explained.add(root)
                break
    return sorted(str(root) for root in roots)


def _inside(path: Path, roots: set[Path]) -> bool:
    return any(root == path or root in path.parents for root in roots)


def _root_of(file: Path) -> Path | None:
    """The folder that `file`'s package declaration is relative to, or None when its path does not match."""
    try:
        with open(file, encoding="utf-8", errors="replace") as f:
            head = _COMMENT.sub(" ", f.read(8192))
    except OSError:
        return None
    match = _PACKAGE.search(head)
    parts = match.group(1).split(".") if match else []
    directory = file.parent
    if parts and list(directory.parts[-len(parts) :]) != parts:
        return None
    return directory.parents[len(parts) - 1] if parts else directory


def package_prefixes(roots: tuple[str, ...] | list[str]) -> tuple[str, ...]:
    """The two-level packages (`org.acme`) under each source root, and single-level ones that hold sources:
    where the user's own packages live."""
    prefixes: set[str] = set()
    for root in roots:
        try:
            for top in Path(root).iterdir():
                if not top.is_dir():
                    continue
                if any(p.suffix == ".java" for p in top.iterdir()):
                    prefixes.add(top.name)
                prefixes.update(f"{top.name}.{sub.name}" for sub in top.iterdir() if sub.is_dir())
        except OSError:
            continue
    return tuple(sorted(prefixes))
