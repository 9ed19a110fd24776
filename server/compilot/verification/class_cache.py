"""Class files of the workspace's own sources, so that a check reads a class file where it re-read a source.

A file of a Maven or Gradle module is checked with the module's source roots as javac's `-sourcepath`: every
class of the workspace that the file uses is parsed and attributed from its source again at every check (on
jsoup ~0.5-1 s a check, docs/benchmarks.md). Compiled once, in the background, into the user's cache folder,
those classes come from class files instead. javac reads, of a type's class file and source, the newer
(`-Xprefer:newer`, its default): a source saved after the compile is read from source again, and the
classes of a source root whose compile failed are read from their sources as before. The compile runs javac
with `-proc:none` (no annotation processor runs) and writes only into the cache folder, never the workspace.
What it cannot see: a source deleted after the compile still has its class file until the next start.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from compilot.project.module import Module, Paths

log = logging.getLogger(__name__)

COMPILE_TIMEOUT_S = 600.0


@dataclass(frozen=True)
class Roots:
    """One javac run of the cache: the sources under `roots`, compiled into `folder`."""

    roots: tuple[str, ...]  # a module's main or test source roots
    classpath: tuple[str, ...]  # the module's jars for that scope
    sourcepath: tuple[str, ...]  # the roots, then what else they may read from source
    release: int | None
    folder: Path


def plan(modules: Iterable[Module], cache: Path) -> list[Roots]:
    """Each module's main roots, then its test roots (main's classes on their class path when compiled)."""
    runs: list[Roots] = []
    for m in modules:
        for roots, classpath, more in (
            (m.main_sources, m.main_classpath, m.dependency_sources),
            (m.test_sources, m.test_classpath, m.main_sources + m.dependency_sources),
        ):
            if roots:
                key = hashlib.sha256("\0".join((*roots, *classpath, str(m.release))).encode()).hexdigest()
                sourcepath = tuple(dict.fromkeys(roots + more))
                runs.append(Roots(roots, classpath, sourcepath, m.release, cache / key[:16]))
    return runs


class ClassCache:
    """Wraps a workspace's `paths_for` (what the checker calls per file): each compiled root's class folder
    is added to the class path of the files that have that root on their source path. `start()` compiles in
    a background thread, one root set after another; `close()` stops it."""

    def __init__(
        self, paths_for: Callable[[str], Paths], modules: Iterable[Module], javac: Path, cache: Path
    ):
        self._paths_for = paths_for
        self._javac = javac
        self.runs = plan(modules, cache)
        self._ready: dict[str, Path] = {}  # source root -> the class folder compiled from it
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._process: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._compile_all, name="compilot-class-cache", daemon=True)
        self._thread.start()

    def paths_for(self, path: str) -> Paths:
        paths = self._paths_for(path)
        with self._lock:
            folders = tuple(dict.fromkeys(str(self._ready[r]) for r in paths.sourcepath if r in self._ready))
        if not folders:
            return paths
        return Paths(classpath=paths.classpath + folders, sourcepath=paths.sourcepath, release=paths.release)

    def ready(self) -> tuple[str, ...]:
        """The source roots whose classes are compiled."""
        with self._lock:
            return tuple(self._ready)

    def wait(self, timeout: float | None = None) -> None:
        """Until every root set is compiled or failed (tests and the benchmark; checks never wait)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self) -> None:
        self._stopped.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()

    def _compile_all(self) -> None:
        for run in self.runs:
            if self._stopped.is_set():
                return
            if self._compile(run):
                with self._lock:
                    self._ready.update((root, run.folder) for root in run.roots)

    def _compile(self, run: Roots) -> bool:
        files = sorted(
            str(p)
            for root in run.roots
            for p in Path(root).rglob("*.java")
            if p.is_file() and p.name != "module-info.java"  # checks see a module's sources on the class path
        )
        if not files:
            return False
        fresh = run.folder.with_name(run.folder.name + f".partial-{os.getpid()}")
        shutil.rmtree(fresh, ignore_errors=True)
        fresh.mkdir(parents=True)
        with self._lock:  # what is compiled so far, from sources other roots of this module need
            classpath = run.classpath + tuple(
                dict.fromkeys(str(self._ready[r]) for r in run.sourcepath if r in self._ready)
            )
        args = [
            str(self._javac),
            "-proc:none",
            "-implicit:none",
            "-nowarn",
            "-Xlint:none",
            "-encoding",
            "UTF-8",
        ]
        args += ["-d", str(fresh), "-classpath", os.pathsep.join(classpath)]
        args += ["-sourcepath", os.pathsep.join(run.sourcepath)]
        if run.release is not None:
            args += ["--release", str(run.release)]
        argfile = fresh / "sources.txt"  # a long list of files goes to javac through an @file
        argfile.write_text("\n".join(_quoted(f) for f in files), encoding="utf-8")
        try:
            self._process = subprocess.Popen(
                [*_nice(), *args, f"@{argfile}"],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            _, errors = self._process.communicate(timeout=COMPILE_TIMEOUT_S)
            code = self._process.returncode
        except (OSError, subprocess.TimeoutExpired) as e:
            if self._process is not None:
                self._process.kill()
            log.info("class cache: %s not compiled: %s", ", ".join(run.roots), e)
            shutil.rmtree(fresh, ignore_errors=True)
            return False
        argfile.unlink()
        if code != 0:  # javac writes no class file when a source has an error: these stay sources
            first = errors.strip().splitlines()[:1]
            log.info(
                "class cache: %s read from sources (%s)", ", ".join(run.roots), first[0] if first else code
            )
            shutil.rmtree(fresh, ignore_errors=True)
            return False
        shutil.rmtree(run.folder, ignore_errors=True)
        fresh.replace(run.folder)
        log.info("class cache: %d sources of %s compiled", len(files), ", ".join(run.roots))
        return True


def _quoted(path: str) -> str:
    """A path as javac's @file reads one: in double quotes, with backslashes and quotes escaped."""
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nice() -> list[str]:
    """Compile at a lower priority, so completions and checks on the same cores come first."""
    nice = shutil.which("nice")
    return [nice, "-n", "10"] if nice else []
