"""`JavaChecker`: javac as a service. One long-lived JVM runs CompilotChecker.java and answers over a pipe.

A javac process per check costs ~1.5 s; a warm JVM that reuses javac's context answers in ~25 ms. The JVM
starts on first use and is restarted after it crashes or hangs past the timeout.
"""

from __future__ import annotations

import collections
import math
import os
import queue
import subprocess
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from . import protocol
from .class_cache import ClassCache
from .diagnostics import Diagnostic
from .errors import CheckerError, JdkNotFoundError
from .jdk import ADD_EXPORTS, CHECKER_CLASS, Jdk, build_checker, find_jdk

if TYPE_CHECKING:
    from pathlib import Path

    from compilot.project.module import Module, Paths

__all__ = ["CheckerError", "JavaChecker", "JdkNotFoundError"]

JVM_OPTIONS = (
    "-XX:+UseSerialGC",  # half the memory of the default collector at the same speed
    "-Xmx512m",
    "-Xshare:auto",
    "-XX:-UsePerfData",  # no hsperfdata file in /tmp
    ADD_EXPORTS,
)

WARM_UP_SOURCE = """\
import java.util.*;

public class Main {
    private final Map<String, List<Integer>> index = new HashMap<>();

    void add(String word, int position) {
        index.computeIfAbsent(word, k -> new ArrayList<>()).add(position);
    }

    int count(String word) {
        List<Integer> positions = index.getOrDefault(word, List.of());
        return positions.stream().mapToInt(Integer::intValue).sum() + undefined;
    }
}
"""


class JavaChecker:
    """Type-checks Java sources with javac in a background JVM. Thread-safe: calls take turns."""

    def __init__(
        self,
        release: int | None = None,
        classpath: Iterable[str] = (),
        sourcepath: Iterable[str] = (),
        timeout: float = 10.0,
        *,
        threads: int = 2,
        project: Callable[[str], Paths] | None = None,
    ) -> None:
        self._release = release
        self.classpath = tuple(str(p) for p in classpath)
        self.sourcepath = tuple(str(p) for p in sourcepath)
        # a file's own module paths (project/discover.py): added after the ones above, which always win
        self.project = project
        self.class_cache: ClassCache | None = None
        self.timeout = timeout
        # javac threads inside the JVM. They only help check_many: 8 candidates took 136 ms on one thread and
        # 78 ms on two (2 cores); a single check is ~20 ms either way.
        self.threads = max(1, threads)
        self._jdk: Jdk | None = None
        self._process: _Jvm | None = None
        self._lock = threading.Lock()

    @property
    def jdk(self) -> Jdk:
        if self._jdk is None:
            self._jdk = find_jdk()
        return self._jdk

    @property
    def release(self) -> int:
        """The --release sources are checked against: the JDK's own unless one was given."""
        return self._release if self._release is not None else self.jdk.release

    @property
    def key(self) -> tuple:
        """What decides a check's result besides the source: equal keys give equal diagnostics."""
        return (self._release, self.classpath, self.sourcepath, self.project)

    def paths(self, filename: str) -> tuple[str, str, str]:
        """--release, class path and source path for one file: the checker's own, then its module's. A
        release the build declares but this JDK cannot target is left to the JDK's own."""
        release, classpath, sourcepath = self._release, self.classpath, self.sourcepath
        if self.project is not None:
            paths = self.project(filename)
            classpath = tuple(dict.fromkeys(classpath + paths.classpath))
            sourcepath = tuple(dict.fromkeys(sourcepath + paths.sourcepath))
            if release is None and paths.release is not None and paths.release <= self.jdk.release:
                release = paths.release
        if self.class_cache is not None:
            classpath += self.class_cache.folders_for(sourcepath)
        return (
            "" if release is None else str(release),
            os.pathsep.join(classpath),
            os.pathsep.join(sourcepath),
        )

    def check(self, source: str, filename: str = "Main.java") -> list[Diagnostic]:
        """javac's diagnostics for `source` (parse, attribute, flow analysis; no class files)."""
        return self.check_many([(source, filename)])[0]

    def parse(self, source: str, filename: str = "Main.java") -> list[Diagnostic]:
        """Syntax errors only: ~5 ms instead of ~25 ms."""
        return self._request("parse", [(source, filename)])[0]

    def members(self, source: str, filename: str = "Main.java") -> protocol.Members:
        """What the one `expr.__compilot__` in `source` could name: the accessible members of expr's type
        (instance), of the type it names (static), or the package's classes, by javac's attribution."""
        if not filename.endswith(".java"):
            raise ValueError(f"not a Java file name: {filename!r}")
        frame = protocol.encode_frame(["members", *self.paths(filename), filename, source])
        with self._lock:
            return protocol.decode_members(self._call(frame, self.timeout))

    def check_many(self, sources: list[tuple[str, str]]) -> list[list[Diagnostic]]:
        """Diagnostics for each (source, filename), checked separately, on `threads` javac threads."""
        return self._request("check", sources) if sources else []

    def warm_up(self, rounds: int = 12) -> None:
        """Start the JVM and let its JIT see some checks, so that the first completions are not slow."""
        for _ in range(rounds):
            self.check_many([(WARM_UP_SOURCE, "Main.java")] * self.threads)

    def engine(self) -> str:
        """The JVM's route through javac: "pool" reuses javac's context, "plain" is slower (same results)."""
        with self._lock:
            return self._call(protocol.encode_frame(["info"]), self.timeout)[1]

    @property
    def pid(self) -> int | None:
        """The checker JVM's process id while it runs (its memory is reported by the benchmark)."""
        return self._process.process.pid if self._process is not None and self._process.alive() else None

    def use_class_cache(self, modules: Iterable[Module], folder: Path) -> ClassCache:
        """Compile the modules' own sources into `folder` in the background, and from then on check against
        their class files (class_cache.py: the same diagnostics, without re-reading those sources)."""
        self.class_cache = ClassCache(modules, self.jdk.javac, folder, self.classpath, self._release)
        self.class_cache.start()
        return self.class_cache

    def close(self) -> None:
        if self.class_cache is not None:
            self.class_cache.close()
        with self._lock:
            if self._process is not None:
                self._process.stop()
                self._process = None

    def __enter__(self) -> JavaChecker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _request(self, op: str, units: list[tuple[str, str]]) -> list[list[Diagnostic]]:
        for _, filename in units:
            if not filename.endswith(".java"):
                raise ValueError(f"not a Java file name: {filename!r}")
        frame = protocol.request(op, *self.paths(units[0][1]), units)  # units of one request share a file
        timeout = self.timeout * math.ceil(len(units) / self.threads)
        with self._lock:
            return protocol.decode_diagnostics(self._call(frame, timeout))

    def _call(self, frame: bytes, timeout: float) -> list[str]:
        """Send a request, wait for its reply. A JVM that dies or hangs is dropped; the next call restarts."""
        if self._process is None or not self._process.alive():
            self._process = _Jvm(self.jdk, self.threads)
        jvm = self._process
        try:
            reply = jvm.call(frame, timeout)
        except CheckerError:
            jvm.kill()  # dead or hung: either way it cannot answer
            self._process = None
            raise
        if reply[0] != "ok":
            raise CheckerError(f"javac checker: {reply[1] if len(reply) > 1 else reply}")
        return reply


class _Jvm:
    """One checker process, and threads draining its stdout (frames) and stderr (kept for error messages)."""

    def __init__(self, jdk: Jdk, threads: int) -> None:
        classes = build_checker(jdk)
        command = [str(jdk.java), *JVM_OPTIONS, "-cp", str(classes), CHECKER_CLASS, str(threads)]
        try:
            # cwd: a folder of our own, so that nothing javac might look up relative to it is the user's.
            self.process = subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=classes
            )
        except OSError as e:
            raise JdkNotFoundError(f"cannot start {jdk.java} ({e})") from e
        self.replies: queue.Queue[list[str] | None] = queue.Queue()
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        threading.Thread(target=self._read_replies, name="javac-checker-out", daemon=True).start()
        threading.Thread(target=self._read_stderr, name="javac-checker-err", daemon=True).start()

    def alive(self) -> bool:
        return self.process.poll() is None

    def call(self, frame: bytes, timeout: float) -> list[str]:
        try:
            self.process.stdin.write(frame)
            self.process.stdin.flush()
            reply = self.replies.get(timeout=timeout)
        except (BrokenPipeError, OSError):
            reply = None
        except queue.Empty:
            raise CheckerError(f"javac checker did not answer within {timeout:.1f} s; restarting") from None
        if reply is None:
            self.kill()
            tail = "\n".join(self.stderr)
            raise CheckerError(f"javac checker exited with code {self.process.returncode}\n{tail}".rstrip())
        return reply

    def stop(self) -> None:
        """Ask the checker to exit (it does when its stdin closes); kill it if it does not."""
        try:
            self.process.stdin.close()
            self.process.wait(timeout=2)
        except (OSError, subprocess.TimeoutExpired):
            self.kill()

    def kill(self) -> None:
        if self.alive():
            self.process.kill()
        self.process.wait()

    def _read_replies(self) -> None:
        while True:
            frame = protocol.read_frame(self.process.stdout)
            self.replies.put(frame)
            if frame is None:
                return

    def _read_stderr(self) -> None:
        for line in self.process.stderr:
            self.stderr.append(line.decode("utf-8", "replace").rstrip())
