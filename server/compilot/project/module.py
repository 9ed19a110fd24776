"""A module as javac needs to see it: the one record every build reader (maven, gradle, plain) fills."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Module:
    """One buildable unit: a Maven module, a Gradle project, or a folder of sources with jars."""

    name: str
    root: str  # the folder holding its build file
    tool: str  # "maven", "gradle", "eclipse", "folder"; "settings": the sourcepath setting's roots
    main_sources: tuple[str, ...] = ()  # src/main/java, generated sources
    test_sources: tuple[str, ...] = ()
    main_classpath: tuple[str, ...] = ()  # jars and class folders: compile (and provided) scope
    test_classpath: tuple[str, ...] = ()  # main's, then test scope
    release: int | None = None  # maven.compiler.release, sourceCompatibility, ...; None: not declared
    missing: tuple[str, ...] = ()  # "group:artifact:version" declared but not found in the local caches
    build_files: tuple[str, ...] = ()  # what it was read from: the cache's digest covers their bytes
    dependency_sources: tuple[str, ...] = ()  # main source roots of the modules of its build it depends on

    def holds(self, path: str) -> bool:
        """Whether `path` is one of this module's sources (any source root holds it)."""
        return any(under(path, root) for root in self.main_sources + self.test_sources)

    def is_test(self, path: str) -> bool:
        return any(under(path, root) for root in self.test_sources)


@dataclass(frozen=True)
class Paths:
    """What one javac run of a file is given."""

    classpath: tuple[str, ...] = ()
    sourcepath: tuple[str, ...] = ()
    release: int | None = None


def under(path: str | Path, root: str | Path) -> bool:
    p, r = Path(path), Path(root)
    return p == r or r in p.parents
