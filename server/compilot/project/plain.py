"""A folder without Maven or Gradle: an Eclipse `.classpath`, else its source roots and `lib/`/`libs/` jars."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from pathlib import Path

from .module import Module
from .sources import find_source_roots

JAR_FOLDERS = ("lib", "libs")


def eclipse_module(folder: str | os.PathLike) -> Module | None:
    """The module an Eclipse `.classpath` describes (`src` and `lib` entries), None without one."""
    folder = Path(folder).resolve()
    path = folder / ".classpath"
    try:
        entries = ET.parse(path).getroot().findall("classpathentry")
    except (OSError, ET.ParseError):
        return None
    sources, tests, jars = [], [], []
    for entry in entries:
        kind, where = entry.get("kind", ""), entry.get("path", "")
        target = (folder / where).resolve()
        if kind == "src" and target.is_dir():
            is_test = any(
                a.get("name") == "test" and a.get("value") == "true" for a in entry.iter("attribute")
            )
            (tests if is_test else sources).append(str(target))
        elif kind == "lib" and target.exists():
            jars.append(str(target))
    return Module(
        name=folder.name,
        root=str(folder),
        tool="eclipse",
        main_sources=tuple(sources),
        test_sources=tuple(tests),
        main_classpath=tuple(jars),
        test_classpath=tuple(jars),
        build_files=(str(path),),
    )


def folder_module(folder: str | os.PathLike) -> Module:
    """Source roots found by package declarations, and the jars in `lib/` and `libs/` (recursively)."""
    folder = Path(folder).resolve()
    jars = sorted(str(j) for name in JAR_FOLDERS for j in (folder / name).rglob("*.jar") if j.is_file())
    roots = find_source_roots(folder)
    tests = tuple(r for r in roots if "test" in Path(r).relative_to(folder).parts)
    return Module(
        name=folder.name,
        root=str(folder),
        tool="folder",
        main_sources=tuple(r for r in roots if r not in tests),
        test_sources=tests,
        main_classpath=tuple(jars),
        test_classpath=tuple(jars),
    )
