"""Class files of the workspace's own sources, so that a check reads a class file where it re-read a source.

A file of a Maven or Gradle module is checked with the module's source roots as javac's `-sourcepath`: every
class of the workspace that the file uses is parsed and attributed from its source again at every check (on
jsoup ~0.5-1 s a check, docs/benchmarks.md). Compiled once, in the background, into the user's cache folder,
those classes come from class files instead. javac reads, of a type's class file and source, the newer
(`-Xprefer:newer`, its default): a source saved after the compile is read from source again, and the
classes of a source root whose compile failed are read from their sources as before. The compile runs javac
with `-proc:none` (no annotation processor runs) and writes only into the cache folder, never the workspace.
A folder whose stamp lists the root set's files as they are now, none saved since, is used as it is at the
next start (no compile). A source deleted later would leave a class javac still finds (a candidate naming it
would pass): the folder is dropped within `WATCH_S` of that, its classes read from sources again. Folders no
plan has used for `KEEP_DAYS` are removed at start.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from compilot.project.module import Module

log = logging.getLogger(__name__)

COMPILE_TIMEOUT_S = 600.0
WATCH_S = 3.0  # how often the compiled sources are looked for (a deleted one drops its folder)
KEEP_DAYS = 30  # a class folder no start has used this long is removed
STAMP = "compiled.txt"  # in a class folder: the root set's files when it was compiled, one a line
FAILED = "failed.txt"  # in a class folder: those files did not compile (the folder holds no class)
_ERROR_FILE = re.compile(r"^(.+?\.java):\d+: error:", re.MULTILINE)  # javac's "path:line: error: ..."


@dataclass(frozen=True)
class Roots:
    """One javac run of the cache: the sources under `roots`, compiled into `folder`."""

    roots: tuple[str, ...]  # a module's main or test source roots
    classpath: tuple[str, ...]  # the module's jars for that scope
    sourcepath: tuple[str, ...]  # the roots, then what else they may read from source
    release: int | None
    folder: Path


def plan(
    modules: Iterable[Module], cache: Path, classpath: tuple[str, ...] = (), release: int | None = None
) -> list[Roots]:
    """Each module's main roots, then its test roots (main's classes on their class path when compiled), with
    `classpath` (the setting's jars) first and `release` (the setting's) over the module's, as checks have."""
    runs: list[Roots] = []
    for m in modules:
        for roots, jars, more in (
            (m.main_sources, m.main_classpath, m.dependency_sources),
            (m.test_sources, m.test_classpath, m.main_sources + m.dependency_sources),
        ):
            if roots:
                jars = tuple(dict.fromkeys(classpath + jars))
                javac_release = m.release if release is None else release
                key = hashlib.sha256("\0".join((*roots, *jars, str(javac_release))).encode()).hexdigest()
                sourcepath = tuple(dict.fromkeys(roots + more))
                runs.append(Roots(roots, jars, sourcepath, javac_release, cache / key[:16]))
    return runs


class ClassCache:
    """The class folders of compiled source roots: `folders_for(sourcepath)` names those to add to the class
    path of a check with that source path. `start()` compiles in a background thread, one root set after
    another; `close()` stops it."""

    def __init__(
        self,
        modules: Iterable[Module],
        javac: Path,
        cache: Path,
        classpath: tuple[str, ...] = (),
        release: int | None = None,
    ):
        self._javac = javac
        self.runs = plan(modules, cache, classpath, release)
        self._cache = cache
        self._ready: dict[str, Path] = {}  # source root -> the class folder compiled from it
        self._compiled: dict[Path, list[str]] = {}  # class folder -> its root set's sources (watched)
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._done = threading.Event()  # every root set compiled (or left to its sources)
        self._process: subprocess.Popen | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._compile_all, name="compilot-class-cache", daemon=True)
        self._thread.start()

    def folders_for(self, sourcepath: Iterable[str]) -> tuple[str, ...]:
        """The class folders compiled from these source roots, so far."""
        with self._lock:
            return tuple(dict.fromkeys(str(self._ready[r]) for r in sourcepath if r in self._ready))

    def ready(self) -> tuple[str, ...]:
        """The source roots whose classes are compiled."""
        with self._lock:
            return tuple(self._ready)

    def wait(self, timeout: float | None = None) -> None:
        """Until every root set is compiled or failed (for tests; checks never wait)."""
        if self._thread is not None:
            self._done.wait(timeout)

    def close(self) -> None:
        self._stopped.set()
        process = self._process
        if process is not None and process.poll() is None:
            process.kill()

    def _compile_all(self) -> None:
        try:
            self._compile_runs()
        finally:
            self._done.set()  # stopped, or the folder not writable, too: `wait` must not wait for nothing
        while not self._stopped.wait(WATCH_S):
            self._drop_deleted()

    def _compile_runs(self) -> None:
        _prune(self._cache, {run.folder for run in self.runs})
        for run in self.runs:
            if self._stopped.is_set():
                return
            files = _sources(run)
            try:
                compiled = _stamped(run, files)
                if compiled is None:
                    compiled = self._compile(run, files)
            except OSError as e:  # the cache folder cannot be written: checks read the sources as before
                log.warning("class cache: %s", e)
                return
            if compiled:
                with self._lock:
                    self._ready.update((root, run.folder) for root in run.roots)
                    self._compiled[run.folder] = compiled

    def _drop_deleted(self) -> None:
        """Forget the folders one of whose compiled sources is gone: its class would still be found."""
        with self._lock:
            compiled = dict(self._compiled)
        for folder, files in compiled.items():
            gone = next((f for f in files if not os.path.exists(f)), None)
            if gone is None:
                continue
            log.info(
                "class cache: %s was deleted; its root set is read from sources until the next start", gone
            )
            with self._lock:
                self._ready = {root: f for root, f in self._ready.items() if f != folder}
                self._compiled.pop(folder, None)

    def _compile(self, run: Roots, every: list[str]) -> list[str]:
        """Compile the root set's files `every` into its folder; the files compiled, or [] when none was.
        javac writes no class file when any source has an error, so a failed run is tried once more without
        the files it named (their classes stay with their sources: a test that needs a jar not downloaded
        must not keep the other tests from the cache)."""
        files = every
        started = time.time()
        fresh = run.folder.with_name(run.folder.name + f".partial-{os.getpid()}")
        for attempt in range(2):
            if not files:
                if attempt:  # every file had an error
                    _stamp_failed(run.folder, every, started)
                return []
            errors = self._javac_run(run, files, fresh)
            if errors is None:
                break
            broken = set(_ERROR_FILE.findall(errors)) & set(files)
            shutil.rmtree(fresh, ignore_errors=True)
            if attempt or not broken:
                first = errors.strip().splitlines()[:1]
                log.info(
                    "class cache: %s read from sources (%s)", ", ".join(run.roots), first[0] if first else ""
                )
                if "error:" in errors and not self._stopped.is_set():  # javac's verdict, not a kill
                    _stamp_failed(run.folder, every, started)  # the next start does not try again in vain
                return []
            log.info(
                "class cache: %d sources of %s with errors left to their sources",
                len(broken),
                ", ".join(run.roots),
            )
            files = [f for f in files if f not in broken]
        if any(_saved_since(f, started) for f in files):
            # its class would be newer than the source javac read, and javac would prefer it: not used
            log.info("class cache: a source of %s was saved during the compile", ", ".join(run.roots))
            shutil.rmtree(fresh, ignore_errors=True)
            return []
        _write_stamp(fresh, every, started)  # every file, the ones left to their sources too
        shutil.rmtree(run.folder, ignore_errors=True)
        try:
            fresh.replace(run.folder)
        except OSError:  # another server on the same build put its folder there first: as good as ours
            shutil.rmtree(fresh, ignore_errors=True)
            if not run.folder.is_dir():
                return []
        log.info("class cache: %d sources of %s compiled", len(files), ", ".join(run.roots))
        return files

    def _javac_run(self, run: Roots, files: list[str], out: Path) -> str | None:
        """One javac run of `files` into `out`: None when it compiled, else what javac printed."""
        shutil.rmtree(out, ignore_errors=True)
        out.mkdir(parents=True)
        classpath = run.classpath + self.folders_for(run.sourcepath)  # compiled so far, of the roots it reads
        args = [
            str(self._javac),
            "-proc:none",
            "-implicit:none",
            "-nowarn",
            "-Xlint:none",
            "-encoding",
            "UTF-8",
        ]
        args += ["-Xmaxerrs", "100000", "-d", str(out), "-classpath", os.pathsep.join(classpath)]
        args += ["-sourcepath", os.pathsep.join(run.sourcepath)]
        if run.release is not None:
            args += ["--release", str(run.release)]
        argfile = out / "sources.txt"  # a long list of files goes to javac through an @file
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
        except (OSError, subprocess.TimeoutExpired) as e:
            if self._process is not None:
                self._process.kill()
            return f"not compiled: {e}"
        argfile.unlink()
        return None if self._process.returncode == 0 else errors


def _sources(run: Roots) -> list[str]:
    """The root set's Java files (not module-info.java: checks see a module's sources on the class path)."""
    return sorted(
        str(p)
        for root in run.roots
        for p in Path(root).rglob("*.java")
        if p.is_file() and p.name != "module-info.java"
    )


def _saved_since(path: str, when: float) -> bool:
    try:
        return os.stat(path).st_mtime >= when
    except OSError:
        return True  # deleted: its class must not be found either


def _stamped(run: Roots, files: list[str]) -> list[str] | None:
    """What an earlier start made of exactly these files, none saved since: `files` when it compiled them,
    [] when they did not compile (and no source they read was saved since either); None: compile them."""
    stamp = run.folder / STAMP
    try:
        compiled_at = stamp.stat().st_mtime  # when the compile started
        if not files or stamp.read_text(encoding="utf-8").splitlines() != files:
            return None
        failed = (run.folder / FAILED).exists()
        read = _sources(dataclasses.replace(run, roots=run.sourcepath)) if failed else files
        if any(os.stat(f).st_mtime >= compiled_at for f in read):
            return None
        os.utime(stamp, (time.time(), compiled_at))  # used by this start: kept from pruning
    except OSError:
        return None
    log.info("class cache: %s as an earlier start left it (%d sources)", ", ".join(run.roots), len(files))
    return [] if failed else files


def _stamp_failed(folder: Path, files: list[str], started: float) -> None:
    """Mark the root set's folder as not compiling from these files (no class file in it)."""
    shutil.rmtree(folder, ignore_errors=True)
    try:
        folder.mkdir(parents=True)
        (folder / FAILED).write_text("javac rejected these sources; see the stamp\n", encoding="utf-8")
        _write_stamp(folder, files, started)
    except OSError:
        pass


def _write_stamp(folder: Path, files: list[str], started: float) -> None:
    """The files a start compares its root set with, dated when their compile started (`_stamped`)."""
    stamp = folder / STAMP
    stamp.write_text("".join(f + "\n" for f in files), encoding="utf-8")
    os.utime(stamp, (started, started))


def _prune(cache: Path, used: set[Path]) -> None:
    """Remove the class folders (and partial ones) that no start has used for KEEP_DAYS."""
    try:
        folders = list(cache.iterdir())
    except OSError:
        return
    limit = time.time() - KEEP_DAYS * 86400
    for folder in folders:
        if folder in used or not folder.is_dir() or folder.is_symlink():
            continue
        stamp = folder / STAMP
        try:
            last = stamp.stat().st_atime if stamp.exists() else folder.stat().st_mtime
        except OSError:
            continue
        if last < limit:
            shutil.rmtree(folder, ignore_errors=True)


def _quoted(path: str) -> str:
    """A path as javac's @file reads one: in double quotes, with backslashes and quotes escaped."""
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _nice() -> list[str]:
    """Compile at a lower priority, so completions and checks on the same cores come first."""
    nice = shutil.which("nice")
    return [nice, "-n", "10"] if nice else []
