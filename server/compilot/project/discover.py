"""The modules of a set of workspace folders, and what javac is given for one file among them."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from .gradle import gradle_modules, project_dependencies
from .maven import local_repository, maven_modules
from .module import Module, Paths, under
from .plain import eclipse_module, folder_module
from .sources import package_prefixes

log = logging.getLogger(__name__)
GRADLE_FILES = ("settings.gradle", "settings.gradle.kts", "build.gradle", "build.gradle.kts")
# a change to one of these re-reads the builds (the language server asks the client to watch them)
BUILD_FILE_NAMES = ("pom.xml", *GRADLE_FILES, "gradle.properties", "libs.versions.toml", ".classpath")
_cache: dict[str, tuple[str, tuple[Module, ...]]] = {}  # folder -> (digest of its build files, modules)


@dataclass(frozen=True)
class Workspace:
    """Every module found, and how to compile any file: its module's paths, else all roots and jars."""

    modules: tuple[Module, ...] = ()

    def module_of(self, path: str) -> Module | None:
        """The module whose source roots hold `path` (the innermost), else whose folder holds it (but not an
        aggregator without sources, such as a reactor's top pom: a file there sees the whole workspace)."""
        holding = [m for m in self.modules if m.holds(path)]
        if not holding:
            holding = [m for m in self.modules if under(path, m.root) and (m.main_sources or m.test_sources)]
        return max(holding, key=lambda m: len(m.root), default=None)

    def paths_for(self, path: str) -> Paths:
        """Class path, source path and release for checking the file at `path`. A file outside every
        module sees every module's sources and main jars (a scratch file in the workspace)."""
        module = self.module_of(path) if os.path.isabs(path) else None
        if module is None:
            return Paths(classpath=self.classpath, sourcepath=self.sourcepath)
        test = module.is_test(path)
        sources = module.main_sources + (module.test_sources if test else ()) + module.dependency_sources
        return Paths(
            classpath=module.test_classpath if test else module.main_classpath,
            sourcepath=tuple(dict.fromkeys(sources)),
            release=module.release,
        )

    # Computed once: paths_for gives them to every check of a file outside the modules.
    @cached_property
    def sourcepath(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(r for m in self.modules for r in m.main_sources + m.test_sources))

    @cached_property
    def classpath(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(j for m in self.modules for j in m.main_classpath))

    @cached_property
    def package_prefixes(self) -> tuple[str, ...]:
        """Packages the workspace's own sources start with (`org.acme`): a missing package under one is a
        typo, not a missing library."""
        return package_prefixes(self.sourcepath)


def discover(
    folders: list[str],
    maven_repository: str | os.PathLike | None = None,
    gradle_home: str | os.PathLike | None = None,
) -> Workspace:
    """The modules of each folder's build (Maven, Gradle, Eclipse, else plain source roots and lib jars).
    Cached per folder while its build files' contents stay the same."""
    repository = Path(maven_repository) if maven_repository is not None else local_repository()
    modules: list[Module] = []
    for folder in folders:
        try:
            modules += _cached(str(Path(folder).resolve()), repository, gradle_home)
        except Exception as e:  # one unreadable build must not cost the others their paths
            log.warning("could not read the build of %s: %s", folder, e)
    return Workspace(tuple(modules))


def build_root(file: str | os.PathLike) -> Path | None:
    """The folder whose build `file` belongs to, for the CLI: the top of a Maven reactor (the highest of
    consecutive folders with a pom.xml), a Gradle settings file's folder, else the nearest folder with a
    Gradle build or an Eclipse `.classpath`. None: no build around it."""
    folder = Path(file).resolve().parent
    chain = [folder, *folder.parents]
    poms = [f for f in chain if (f / "pom.xml").is_file()]
    if poms:
        top = poms[0]
        while (top.parent / "pom.xml").is_file() and top.parent != top:
            top = top.parent
        return top
    for names in (("settings.gradle", "settings.gradle.kts"), GRADLE_FILES, (".classpath",)):
        for f in chain:
            if any((f / name).is_file() for name in names):
                return f
    return None


def _cached(folder: str, repository: Path, gradle_home) -> tuple[Module, ...]:
    key = f"{folder}\0{repository}\0{gradle_home}"
    hit = _cache.get(key)
    if hit is not None and hit[0] == _digest(hit[1], folder) and not any(m.missing for m in hit[1]):
        return hit[1]  # (with artifacts missing it is read again: a `mvn install` may have added them)
    modules = tuple(_read(Path(folder), repository, gradle_home))
    _cache[key] = (_digest(modules, folder), modules)
    return modules


def _read(folder: Path, repository: Path, gradle_home) -> list[Module]:
    """The builds at `folder`, or else one level down (a folder holding several projects)."""
    found = _builds(folder, repository, gradle_home)
    if found:
        return found
    for child in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        found += _builds(child, repository, gradle_home)
    return found or [folder_module(folder)]


def _builds(folder: Path, repository: Path, gradle_home) -> list[Module]:
    if (folder / "pom.xml").is_file():
        return maven_modules(folder, repository)
    if any((folder / name).is_file() for name in GRADLE_FILES):
        return _with_project_sources(gradle_modules(folder, gradle_home, maven_repo=repository), folder)
    module = eclipse_module(folder)
    return [module] if module is not None else []


def _with_project_sources(modules: list[Module], folder: Path) -> list[Module]:
    """Gradle modules with the main sources of the projects each depends on (`project(':core')`)."""
    by_name = {m.name: m for m in modules}
    uses = project_dependencies(folder)
    return [
        dataclasses.replace(
            m,
            dependency_sources=tuple(
                dict.fromkeys(
                    r for name in uses.get(m.name, ()) if name in by_name for r in by_name[name].main_sources
                )
            ),
        )
        for m in modules
    ]


def _digest(modules: tuple[Module, ...], folder: str) -> str:
    """What the modules were read from: their build files' bytes, and which top-level build files exist."""
    h = hashlib.sha256()
    names = BUILD_FILE_NAMES
    for path in sorted(
        {*(f for m in modules for f in m.build_files), *(os.path.join(folder, n) for n in names)}
    ):
        try:
            h.update(path.encode() + b"\0" + Path(path).read_bytes())
        except OSError:
            h.update(path.encode() + b"\0-")
    return h.hexdigest()
